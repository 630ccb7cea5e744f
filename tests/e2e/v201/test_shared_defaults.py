"""Stations of one template share their defaults in memory, never their changes (issue 15).

A fleet process keeps one device-model definition per layout and one empty set of
cleared monitors for all its stations; what the CSMS changes on one station must
stay that station's. These pass before and after the memory work by design: they
guard against a shared default being changed in place.
"""

from __future__ import annotations

from bench.csms.server import CentralSystem
from tests.e2e.v201.conftest import Cp201Factory

PRECONFIGURED_AVAILABILITY = 90  # the station's AvailabilityState monitor


async def test_a_variable_set_on_one_station_leaves_another_of_the_same_template_as_it_was(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """B05.FR.10: the set value is the station's own."""
    first = await make_cp201(csms.url, "SHARE1")
    second = await make_cp201(csms.url, "SHARE2")
    before = second.variable("TxCtrlr", "EVConnectionTimeOut")
    reply = await csms.call(
        "SHARE1",
        "SetVariables",
        {
            "setVariableData": [
                {
                    "component": {"name": "TxCtrlr"},
                    "variable": {"name": "EVConnectionTimeOut"},
                    "attributeValue": "47",
                }
            ]
        },
    )
    assert reply["setVariableResult"][0]["attributeStatus"] == "Accepted"
    assert first.variable("TxCtrlr", "EVConnectionTimeOut") == "47"
    assert second.variable("TxCtrlr", "EVConnectionTimeOut") == before != "47"


async def test_a_preconfigured_monitor_cleared_on_one_station_stays_on_another(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """N06.FR.01: a pre-configured monitor cleared by the CSMS is gone on that station only,
    and SetMonitoringBase All brings it back there (N03.FR.01)."""
    first = await make_cp201(csms.url, "SHARE3")
    second = await make_cp201(csms.url, "SHARE4")
    reply = await csms.call(
        "SHARE3", "ClearVariableMonitoring", {"id": [PRECONFIGURED_AVAILABILITY]}
    )
    assert reply["clearMonitoringResult"] == [
        {"id": PRECONFIGURED_AVAILABILITY, "status": "Accepted"}
    ]
    assert PRECONFIGURED_AVAILABILITY not in [m.id for m in first.monitoring.monitors()]
    assert PRECONFIGURED_AVAILABILITY in [m.id for m in second.monitoring.monitors()]

    await csms.call("SHARE3", "SetMonitoringBase", {"monitoringBase": "All"})
    assert PRECONFIGURED_AVAILABILITY in [m.id for m in first.monitoring.monitors()]
