"""ClockCtrlr (part 2 appendices 2.1.24-2.1.32): the station's time as the CSMS reads it."""

from __future__ import annotations

from bench.csms.server import CentralSystem
from bench.ocpp.common.timestamps import parse_iso
from tests.e2e.v201.conftest import Cp201Factory


async def test_date_time_is_the_station_clock_when_read(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """ClockCtrlr.DateTime (required, ReadOnly) reports the virtual clock at the request."""
    cp = await make_cp201(csms.url, "CLK1")
    data = [
        {"component": {"name": "ClockCtrlr"}, "variable": {"name": name}}
        for name in ("DateTime", "TimeSource", "TimeZone")
    ]
    reply = await csms.call("CLK1", "GetVariables", {"getVariableData": data})
    results = {r["variable"]["name"]: r for r in reply["getVariableResult"]}
    reported = parse_iso(results["DateTime"]["attributeValue"])
    assert reported is not None
    # SPEED is 120: a real round trip of up to 1 s is 120 virtual seconds.
    assert abs((cp.clock.now() - reported).total_seconds()) < 120
    assert results["TimeSource"]["attributeValue"] == "RealTimeClock"
    assert results["TimeZone"]["attributeValue"] == "Etc/UTC"
    second = await csms.call("CLK1", "GetVariables", {"getVariableData": data[:1]})
    later = parse_iso(second["getVariableResult"][0]["attributeValue"])
    assert later is not None and later > reported


async def test_date_time_is_read_only_and_time_source_is_a_sequence_list(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """DateTime cannot be set (B05.FR.09); TimeSource takes only known sources."""
    await make_cp201(csms.url, "CLK2")

    def item(name: str, value: str) -> dict:
        return {
            "component": {"name": "ClockCtrlr"},
            "variable": {"name": name},
            "attributeValue": value,
        }

    reply = await csms.call(
        "CLK2",
        "SetVariables",
        {
            "setVariableData": [
                item("DateTime", "2030-01-01T00:00:00Z"),
                item("TimeSource", "Heartbeat"),
                item("TimeSource", "Sundial"),
            ]
        },
    )
    statuses = [r["attributeStatus"] for r in reply["setVariableResult"]]
    assert statuses == ["Rejected", "Accepted", "Rejected"]
