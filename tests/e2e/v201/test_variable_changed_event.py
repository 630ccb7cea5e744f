"""``VariableChanged``: one event on ``cp.events`` per device-model change, for views.

The device-model browser of the desktop app follows these events instead of
polling, so every way a value changes must announce it exactly once: a CSMS
SetVariables (B05.FR.10), the station writing its own values (measured power,
counters), and the heartbeat interval a BootNotification Accepted sets (B01.FR.04).
"""

from __future__ import annotations

from typing import Any

from bench.csms.server import CentralSystem
from bench.ocpp.v201.charge_point import VariableChanged
from bench.ocpp.v201.device_model import ComponentKey, VariableKey
from tests.e2e.conftest import wait_until
from tests.e2e.v201.conftest import Cp201Factory


def collect(cp: Any) -> list[VariableChanged]:
    seen: list[VariableChanged] = []
    cp.events.subscribe(lambda e: seen.append(e) if isinstance(e, VariableChanged) else None)
    return seen


def slots(events: list[VariableChanged]) -> list[tuple[ComponentKey | None, VariableKey]]:
    return [(e.component_key, e.variable_key) for e in events]


async def test_the_station_writing_its_own_value_announces_it_once_with_the_full_component(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    cp = await make_cp201(csms.url, "VC1")
    seen = collect(cp)
    evse = ComponentKey("EVSE", evse=1)
    cp.set_own_variable(evse, VariableKey("Power"), "1234")
    assert slots(seen) == [(evse, VariableKey("Power"))]
    event = seen[0]
    assert (event.component, event.variable, event.instance) == ("EVSE", "Power", None)

    seen.clear()
    cp.set_own_variable("OCPPCommCtrlr", VariableKey("MessageAttempts", "TransactionEvent"), "4")
    assert slots(seen) == [
        (ComponentKey("OCPPCommCtrlr"), VariableKey("MessageAttempts", "TransactionEvent"))
    ]


async def test_set_variables_announces_each_changed_value_once_and_a_refused_one_not_at_all(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """B05.FR.10: two accepted values -> two events; a Rejected one (below minLimit) none."""
    cp = await make_cp201(csms.url, "VC2")
    seen = collect(cp)
    reply = await csms.v201.set_variables(
        "VC2",
        [
            ("OCPPCommCtrlr", "HeartbeatInterval", "61"),
            ("TxCtrlr", "EVConnectionTimeOut", "45"),
            ("TxCtrlr", "StopTxOnInvalidId", cp.variable("TxCtrlr", "StopTxOnInvalidId")),
            ("OCPPCommCtrlr", "HeartbeatInterval", "0"),
        ],
    )
    statuses = [r["attributeStatus"] for r in reply["setVariableResult"]]
    assert statuses == ["Accepted", "Accepted", "Accepted", "Rejected"]
    # ClockCtrlr.DateTime is refreshed as each CSMS request arrives (monitoring's live values).
    settings = [slot for slot in slots(seen) if slot[0] != ComponentKey("ClockCtrlr")]
    assert settings == [
        (ComponentKey("OCPPCommCtrlr"), VariableKey("HeartbeatInterval")),
        (ComponentKey("TxCtrlr"), VariableKey("EVConnectionTimeOut")),
    ]  # the unchanged StopTxOnInvalidId is not announced


async def test_the_heartbeat_interval_from_boot_accepted_is_announced(
    make_csms: Any, make_cp201: Cp201Factory
) -> None:
    """B01.FR.04: the interval of BootNotification Accepted is stored and views hear of it."""
    csms = await make_csms(heartbeat_interval=1234)
    cp = await make_cp201(csms.url, "VC3", start=False)
    seen = collect(cp)
    await cp.start()
    await cp.wait_accepted(10)
    await wait_until(lambda: cp.variable("OCPPCommCtrlr", "HeartbeatInterval") == "1234")
    heartbeat = (ComponentKey("OCPPCommCtrlr"), VariableKey("HeartbeatInterval"))
    assert slots(seen).count(heartbeat) == 1
