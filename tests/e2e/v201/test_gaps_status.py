"""Gaps closed in the 2.0.1 blocks: Problem and Temperature in the device model (N07, appendix
§1 generic variables), Reserved while an EV is plugged (G03.FR.09), EVSEs held for
unspecified reservations (H01.FR.20/24) and TriggerMessage(TransactionEvent) without a
transaction (F06.FR.05/10)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from bench.csms.server import CentralSystem
from bench.ocpp.common.timestamps import iso
from bench.ocpp.v201.charge_point import ChargePoint201
from bench.ocpp.v201.live_values import connector_key, evse_key
from tests.e2e.conftest import WAIT, ev, wait_until
from tests.e2e.v201.conftest import Cp201Factory, request
from tests.e2e.v201.test_monitoring_support import start_charging

HOUR = 3600
STATION = {"name": "ChargingStation"}
EVSE1 = {"name": "EVSE", "evse": {"id": 1}}
CONNECTOR1 = {"name": "Connector", "evse": {"id": 1, "connectorId": 1}}


def tok(value: str) -> dict[str, Any]:
    return {"idToken": value, "type": "ISO14443"}


def reserve(cp: ChargePoint201, rid: int, token: str = "TAG1", **extra: Any) -> dict[str, Any]:
    return {
        "id": rid,
        "expiryDateTime": iso(cp.clock.now() + timedelta(seconds=HOUR)),
        "idToken": tok(token),
        **extra,
    }


async def get_values(csms: CentralSystem, station: str, *items: tuple[dict, str]) -> list[str]:
    """GetVariables for (component, variable) pairs; the Actual values, in order."""
    data = [{"component": c, "variable": {"name": v}} for c, v in items]
    reply = await csms.call(station, "GetVariables", {"getVariableData": data})
    results = reply["getVariableResult"]
    assert all(r["attributeStatus"] == "Accepted" for r in results), results
    return [r["attributeValue"] for r in results]


def problem(cp: ChargePoint201, component: Any) -> str | None:
    return cp.device_model.value(component, "Problem")


# ---------------------------------------------------------------------- 1. Problem, Temperature
async def test_a_connector_fault_sets_problem_on_the_connector_and_its_evse(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """N07 hard-wired notification: the NotifyEvent for an injected fault has the device-model
    value Problem behind it (appendix §1 generic Problem: propagated to the containing EVSE),
    readable with GetVariables (B06); clearing the fault sets it back to false."""
    cp = await make_cp201(csms.url, "GP1")
    assert await get_values(csms, "GP1", (CONNECTOR1, "Problem"), (EVSE1, "Problem")) == [
        "false",
        "false",
    ]
    cp.station.connector(1).raise_fault("ground_failure")
    sent = await csms.wait_for_message(
        "GP1",
        "NotifyEvent",
        lambda p: any(e["variable"]["name"] == "Problem" for e in p["eventData"]),
        timeout=WAIT,
    )
    event = next(e for e in sent["eventData"] if e["variable"]["name"] == "Problem")
    assert (event["component"], event["actualValue"]) == (CONNECTOR1, "true")
    await wait_until(lambda: problem(cp, evse_key(1)) == "true", what="EVSE Problem true")
    values = await get_values(
        csms, "GP1", (CONNECTOR1, "Problem"), (EVSE1, "Problem"), (STATION, "Problem")
    )
    assert values == ["true", "true", "false"]
    cp.station.connector(1).clear_fault()
    await wait_until(lambda: problem(cp, evse_key(1)) == "false", what="EVSE Problem false")
    assert problem(cp, connector_key(1)) == "false"


async def test_a_station_fault_sets_problem_on_the_station_and_every_evse(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """Appendix §1 Problem "includes inability to operate propagated from a containing
    component": a station-wide fault sets ChargingStation, EVSE and Connector Problem; the
    NotifyEvent names ChargingStation.Problem (N07)."""
    cp = await make_cp201(csms.url, "GP2", template="ac-22kw-dual")
    cp.station.raise_fault("internal_error")
    sent = await csms.wait_for_message(
        "GP2",
        "NotifyEvent",
        lambda p: any(
            e["component"] == STATION and e["variable"]["name"] == "Problem" for e in p["eventData"]
        ),
        timeout=WAIT,
    )
    event = next(e for e in sent["eventData"] if e["variable"]["name"] == "Problem")
    assert (event["component"], event["actualValue"]) == (STATION, "true")
    await wait_until(lambda: problem(cp, connector_key(2)) == "true", what="connector 2 Problem")
    assert [problem(cp, evse_key(n)) for n in (1, 2)] == ["true", "true"]
    assert cp.device_model.value("ChargingStation", "Problem") == "true"
    cp.station.clear_fault()
    await wait_until(lambda: problem(cp, evse_key(2)) == "false", what="EVSE 2 Problem false")
    assert cp.device_model.value("ChargingStation", "Problem") == "false"


async def test_temperature_of_the_evse_and_connector_follows_the_meter(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """Appendix §1 generic Temperature (Celsius): the meter's temperature, read with
    GetVariables; charging warms the meter and the device model follows it."""
    cp = await make_cp201(csms.url, "GP3")
    meter = cp.station.connector(1).meter
    idle = await get_values(csms, "GP3", (EVSE1, "Temperature"), (CONNECTOR1, "Temperature"))
    assert idle == [f"{meter.temperature_c:.1f}"] * 2
    start_charging(cp)
    # Each GetVariables reads the values as measured at that moment, however long ago
    # the station's last physics tick was (issue 15: ticks only where needed).
    deadline = asyncio.get_running_loop().time() + WAIT
    warm = idle
    for _ in range(1000):  # bounded: one GetVariables per 50 ms for at most WAIT
        warm = await get_values(csms, "GP3", (EVSE1, "Temperature"), (CONNECTOR1, "Temperature"))
        if float(warm[1]) >= float(idle[0]) + 1.0:
            break
        assert asyncio.get_running_loop().time() < deadline, f"still {warm} after {WAIT} s"
        await asyncio.sleep(0.05)
    assert abs(float(warm[0]) - (meter.temperature_c or 0)) < 1.0  # within the write deadband


# ---------------------------------------------------------------------- 2. G03.FR.09
async def test_plugging_into_a_reserved_evse_keeps_it_reserved_until_the_matching_token(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """G03.FR.09: an EV connecting to a Reserved connector without the reservation's idToken
    leaves the status Reserved; G01.FR.06: the matching token makes it Occupied."""
    cp = await make_cp201(csms.url, "CS1")
    assert (await csms.call("CS1", "ReserveNow", reserve(cp, 7, evseId=1)))["status"] == (
        "Accepted"
    )
    await csms.wait_for_message(
        "CS1", "StatusNotification", lambda p: p["connectorStatus"] == "Reserved", timeout=WAIT
    )
    cp.station.connector(1).plug_in(ev())
    assert cp.status_of(1).status == "Reserved"
    assert (await cp.auth.authorize(tok("TAG2"), 1))["status"] == "NotAtThisTime"
    mark = csms.mark()
    trigger = {"requestedMessage": "StatusNotification", "evse": {"id": 1, "connectorId": 1}}
    assert (await csms.call("CS1", "TriggerMessage", trigger))["status"] == "Accepted"
    again = await csms.wait_for_message("CS1", "StatusNotification", timeout=WAIT, since=mark)
    assert again["connectorStatus"] == "Reserved"
    cp.present_id("TAG1", 1)
    await csms.wait_for_message(
        "CS1", "StatusNotification", lambda p: p["connectorStatus"] == "Occupied", timeout=WAIT
    )
    sent = [p["connectorStatus"] for p in request(cp, "StatusNotification")]
    assert sent.index("Occupied") > max(i for i, s in enumerate(sent) if s == "Reserved")


# ---------------------------------------------------------------------- 3. H01.FR.20/24
async def test_unspecified_reservations_that_need_every_free_evse_show_them_reserved(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """H01.FR.20: as many reservations without evseId as Available EVSEs -> every connector of
    those EVSEs reports Reserved; H01.FR.07: a stranger may use none of them; cancelling one
    reservation (H02) makes them Available again."""
    cp = await make_cp201(csms.url, "CS1", template="ac-22kw-dual")
    assert (await csms.call("CS1", "ReserveNow", reserve(cp, 1)))["status"] == "Accepted"
    assert [cp.status_of(n).status for n in (1, 2)] == ["Available", "Available"]
    assert (await csms.call("CS1", "ReserveNow", reserve(cp, 2, "TAG2")))["status"] == ("Accepted")
    for evse in (1, 2):
        await csms.wait_for_message(
            "CS1",
            "StatusNotification",
            lambda p, e=evse: p["evseId"] == e and p["connectorStatus"] == "Reserved",
            timeout=WAIT,
        )
    assert not cp.reservations.allows(1, tok("STRANGER"))
    assert cp.reservations.allows(2, tok("TAG2"))
    assert (await csms.call("CS1", "CancelReservation", {"reservationId": 2}))["status"] == (
        "Accepted"
    )
    await wait_until(
        lambda: [cp.status_of(n).status for n in (1, 2)] == ["Available", "Available"],
        what="both EVSEs Available again",
    )
    assert cp.station.connector(1).reservation is None


async def test_the_last_free_evse_is_reserved_and_freed_when_the_reservation_is_used(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """H01.FR.20: one unspecified reservation, and a stranger charging on the other EVSE: the
    last free EVSE reports Reserved; H01.FR.15: the reserved token uses it (reservationId in
    the TransactionEvent) and the EVSE is Occupied."""
    cp = await make_cp201(csms.url, "CS1", template="ac-22kw-dual")
    await csms.call("CS1", "ReserveNow", reserve(cp, 5))
    cp.station.connector(2).plug_in(ev())
    cp.present_id("TAG2", 2)
    await wait_until(lambda: cp.transactions.active(2) is not None, what="TAG2 charging on 2")
    await csms.wait_for_message(
        "CS1",
        "StatusNotification",
        lambda p: p["evseId"] == 1 and p["connectorStatus"] == "Reserved",
        timeout=WAIT,
    )
    assert cp.status_of(1).status == "Reserved"
    assert cp.reservations.reservations()[0].id == 5
    cp.station.connector(1).plug_in(ev())
    assert cp.status_of(1).status == "Reserved"  # G03.FR.09 holds here too
    cp.present_id("TAG1", 1)
    event = await csms.wait_for_message(
        "CS1", "TransactionEvent", lambda p: "reservationId" in p, timeout=WAIT
    )
    assert event["reservationId"] == 5
    await wait_until(lambda: cp.status_of(1).status == "Occupied", what="EVSE 1 Occupied")
    assert cp.reservations.reservations() == []


async def test_an_unspecified_reservation_for_a_connector_type_reserves_that_type(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """H01.FR.24: reservations for a connectorType as many as the Available EVSEs of that type
    -> those EVSEs report Reserved; an EVSE of another type stays Available."""
    cp = await make_cp201(csms.url, "CS1", template="ac-22kw-dual")
    cp.set_own_variable(connector_key(2), "ConnectorType", "cCCS2")
    reply = await csms.call("CS1", "ReserveNow", reserve(cp, 9, connectorType="cType2"))
    assert reply["status"] == "Accepted"
    await csms.wait_for_message(
        "CS1",
        "StatusNotification",
        lambda p: p["evseId"] == 1 and p["connectorStatus"] == "Reserved",
        timeout=WAIT,
    )
    assert cp.status_of(2).status == "Available"
    assert cp.reservations.allows(2, tok("STRANGER"))


# ---------------------------------------------------------------------- 7. F06
async def test_trigger_transaction_event_without_a_transaction_is_rejected(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """F06.FR.05/10: the station accepts only what it will send; with no transaction (on the
    EVSE, or at all) TriggerMessage(TransactionEvent) is Rejected; with one, Accepted and the
    event follows with triggerReason Trigger (F06.FR.07)."""
    cp = await make_cp201(csms.url, "CS1", template="ac-22kw-dual")
    for evse in (None, {"id": 1}):
        payload: dict[str, Any] = {"requestedMessage": "TransactionEvent"}
        if evse is not None:
            payload["evse"] = evse
        reply = await csms.call("CS1", "TriggerMessage", payload)
        assert reply["status"] == "Rejected"
        assert reply["statusInfo"]["reasonCode"] == "TxNotFound"
    start_charging(cp, 2)
    await wait_until(lambda: cp.transactions.active(2) is not None, what="charging on EVSE 2")
    one = {"requestedMessage": "TransactionEvent", "evse": {"id": 1}}
    assert (await csms.call("CS1", "TriggerMessage", one))["status"] == "Rejected"
    two = {"requestedMessage": "TransactionEvent", "evse": {"id": 2}}
    assert (await csms.call("CS1", "TriggerMessage", two))["status"] == "Accepted"
    await csms.wait_for_message(
        "CS1", "TransactionEvent", lambda p: p["triggerReason"] == "Trigger", timeout=WAIT
    )
    anywhere = {"requestedMessage": "TransactionEvent"}
    assert (await csms.call("CS1", "TriggerMessage", anywhere))["status"] == "Accepted"
