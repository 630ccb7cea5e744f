"""2.0.1 reservations over a loopback CSMS: ReserveNow, CancelReservation, ReservationStatusUpdate
(H01-H04)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.csms.server import CentralSystem
from bench.ocpp.common.timestamps import iso
from bench.ocpp.v201.charge_point import ChargePoint201
from tests.e2e.conftest import WAIT, ev, wait_until
from tests.e2e.v201.conftest import Cp201Factory, request

HOUR = 3600


def tok(value: str, kind: str = "ISO14443") -> dict[str, Any]:
    return {"idToken": value, "type": kind}


def reserve(
    cp: ChargePoint201,
    rid: int,
    token: str = "TAG1",
    evse: int | None = 1,
    seconds: float = HOUR,
    **extra: Any,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": rid,
        "expiryDateTime": iso(cp.clock.now() + timedelta(seconds=seconds)),
        "idToken": tok(token),
        **extra,
    }
    if evse is not None:
        payload["evseId"] = evse
    return payload


async def reported(csms: CentralSystem, evse: int, status: str, since: int | None = None) -> None:
    await csms.wait_for_message(
        "CS1",
        "StatusNotification",
        lambda p: p["evseId"] == evse and p["connectorStatus"] == status,
        timeout=WAIT,
        since=since,
    )


async def update(csms: CentralSystem, rid: int, status: str) -> None:
    await csms.wait_for_message(
        "CS1",
        "ReservationStatusUpdate",
        lambda p: p == {"reservationId": rid, "reservationUpdateStatus": status},
        timeout=WAIT,
    )


async def test_reserving_an_available_evse_reports_it_reserved(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """H01.FR.03, H01.FR.23: Accepted, and StatusNotification Reserved for the EVSE."""
    cp = await make_cp201(csms.url, "CS1")
    assert await csms.call("CS1", "ReserveNow", reserve(cp, 11)) == {"status": "Accepted"}
    await reported(csms, 1, "Reserved")
    held = cp.reservations.for_evse(1)
    assert held is not None and held.id == 11 and held.id_token == tok("TAG1")
    assert cp.device_model.value("ChargingStation", "AvailabilityState") == "Available"


async def test_a_reserved_evse_accepts_only_its_token_or_group(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """H03.FR.01, H03.FR.04, H03.FR.07/08: another token is refused, a group member is not."""
    cp = await make_cp201(csms.url, "CS1")
    group = tok("FLEET", "Central")
    await csms.call("CS1", "ReserveNow", reserve(cp, 12, "CHILD-A", groupIdToken=group))
    assert (await cp.auth.authorize(tok("TAG2"), 1))["status"] == "NotAtThisTime"
    assert cp.reservations.allows(1, tok("CHILD-A"))
    # CHILD-B is unknown locally: the AuthorizeResponse brings its group (FLEET).
    assert (await cp.auth.authorize(tok("CHILD-B"), 1))["status"] == "Accepted"


async def test_the_reserved_token_starts_charging_and_the_transaction_carries_the_id(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """H01.FR.15, H03.FR.09/10: the reservation is consumed; its id is in TransactionEvent."""
    cp = await make_cp201(csms.url, "CS1")
    await csms.call("CS1", "ReserveNow", reserve(cp, 13))
    await reported(csms, 1, "Reserved")
    cp.station.connector(1).plug_in(ev())
    cp.present_id("TAG1", 1)
    event = await csms.wait_for_message(
        "CS1",
        "TransactionEvent",
        lambda p: "reservationId" in p,
        timeout=WAIT,
    )
    assert event["reservationId"] == 13
    assert cp.reservations.for_evse(1) is None
    assert request(cp, "ReservationStatusUpdate") == []


async def test_using_another_evse_removes_the_reservation(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """H01: the reserved token charging elsewhere frees the reserved EVSE (Removed)."""
    cp = await make_cp201(csms.url, "CS1", template="ac-22kw-dual")
    await csms.call("CS1", "ReserveNow", reserve(cp, 14, evse=2))
    assert cp.reservations.consume(1, tok("TAG1")) is None
    await update(csms, 14, "Removed")
    await reported(csms, 2, "Available")


async def test_an_expired_reservation_frees_the_evse_and_is_reported(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """H04.FR.01-03: Available again, then ReservationStatusUpdate Expired."""
    cp = await make_cp201(csms.url, "CS1")
    await csms.call("CS1", "ReserveNow", reserve(cp, 15, seconds=60))
    await reported(csms, 1, "Reserved")
    await reported(csms, 1, "Available")
    await update(csms, 15, "Expired")
    assert cp.reservations.reservations() == []
    assert [e.payload for e in csms.store.events("CS1", "ReservationStatusUpdate")] == [
        {"reservationId": 15, "reservationUpdateStatus": "Expired"}
    ]


async def test_cancel_reservation_frees_the_evse_without_a_status_update(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """H02.FR.01/02, H02.FR.04 (errata): Accepted, Available, and no ReservationStatusUpdate."""
    cp = await make_cp201(csms.url, "CS1")
    await csms.call("CS1", "ReserveNow", reserve(cp, 16))
    await reported(csms, 1, "Reserved")
    assert await csms.call("CS1", "CancelReservation", {"reservationId": 16}) == {
        "status": "Accepted"
    }
    await reported(csms, 1, "Available")
    assert await csms.call("CS1", "CancelReservation", {"reservationId": 16}) == {
        "status": "Rejected"
    }
    assert request(cp, "ReservationStatusUpdate") == []


async def test_reserve_now_answers_from_the_evse_status(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """H01.FR.11 Occupied, H01.FR.12 Faulted, H01.FR.14 Unavailable; unknown EVSE Rejected."""
    cp = await make_cp201(csms.url, "CS1", template="ac-22kw-dual")
    cp.station.connector(1).plug_in(ev())
    assert (await csms.call("CS1", "ReserveNow", reserve(cp, 1, evse=1)))["status"] == "Occupied"
    cp.station.connector(2).raise_fault("ground_failure")
    assert (await csms.call("CS1", "ReserveNow", reserve(cp, 2, evse=2)))["status"] == "Faulted"
    cp.station.connector(2).clear_fault()
    await csms.call(
        "CS1", "ChangeAvailability", {"operationalStatus": "Inoperative", "evse": {"id": 2}}
    )
    assert (await csms.call("CS1", "ReserveNow", reserve(cp, 3, evse=2)))["status"] == (
        "Unavailable"
    )
    reply = await csms.call("CS1", "ReserveNow", reserve(cp, 4, evse=9))
    assert reply["status"] == "Rejected" and reply["statusInfo"]["reasonCode"] == "UnknownEvse"
    past = reserve(cp, 5, seconds=-60)
    assert (await csms.call("CS1", "ReserveNow", past))["status"] == "Rejected"


async def test_an_evse_reserved_for_someone_else_is_occupied(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """H01.FR.11 (Reserved counts as Occupied); H01.FR.02: the same id replaces its reservation."""
    cp = await make_cp201(csms.url, "CS1", template="ac-22kw-dual")
    await csms.call("CS1", "ReserveNow", reserve(cp, 21, evse=1))
    assert (await csms.call("CS1", "ReserveNow", reserve(cp, 22, evse=1)))["status"] == "Occupied"
    replaced = reserve(cp, 21, "TAG2", evse=2)
    assert (await csms.call("CS1", "ReserveNow", replaced))["status"] == "Accepted"
    await reported(csms, 1, "Available")
    assert cp.reservations.for_evse(2).id_token == tok("TAG2")
    assert cp.reservations.for_evse(1) is None


async def test_reservations_can_be_switched_off(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """H01.FR.01: Rejected while ReservationCtrlr.Enabled is false."""
    cp = await make_cp201(csms.url, "CS1", variables={"ReservationCtrlr.Enabled": "false"})
    assert (await csms.call("CS1", "ReserveNow", reserve(cp, 1)))["status"] == "Rejected"


async def test_an_unspecified_evse_is_reserved_when_non_evse_specific(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """H01.FR.04, H01.FR.18, H01.FR.07: one EVSE stays free for the reserved token."""
    cp = await make_cp201(csms.url, "CS1", template="ac-22kw-dual")
    assert (await csms.call("CS1", "ReserveNow", reserve(cp, 31, evse=None)))["status"] == (
        "Accepted"
    )
    # Two EVSEs, one promised: a stranger may take one of them, not both.
    assert cp.reservations.allows(1, tok("TAG2"))
    cp.station.connector(2).plug_in(ev())
    cp.present_id("TAG2", 2)
    await wait_until(lambda: cp.transactions.active(2) is not None, what="TAG2 charging on 2")
    assert not cp.reservations.allows(1, tok("OTHER"))
    assert (await cp.auth.authorize(tok("TAG2"), 1))["status"] == "NotAtThisTime"
    assert cp.reservations.allows(1, tok("TAG1"))
    # H01.FR.04: a second unspecified reservation finds no EVSE left.
    assert (await csms.call("CS1", "ReserveNow", reserve(cp, 32, "X", evse=None)))["status"] == (
        "Occupied"
    )
    assert cp.reservations.consume(1, tok("TAG1")) == 31


async def test_unspecified_reservations_follow_non_evse_specific_and_connector_type(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """H01.FR.19: Rejected without NonEvseSpecific; H01.FR.06: only EVSEs of that type."""
    cp = await make_cp201(csms.url, "CS1")
    wrong = reserve(cp, 41, evse=None, connectorType="cCCS2")
    reply = await csms.call("CS1", "ReserveNow", wrong)
    assert reply["status"] == "Rejected"
    assert reply["statusInfo"]["reasonCode"] == "UnknownConnectorType"
    right = reserve(cp, 42, evse=None, connectorType="cType2")
    assert (await csms.call("CS1", "ReserveNow", right))["status"] == "Accepted"
    cp.set_own_variable("ReservationCtrlr", "NonEvseSpecific", "false")
    assert (await csms.call("CS1", "ReserveNow", reserve(cp, 43, evse=None)))["status"] == (
        "Rejected"
    )


async def test_a_fault_on_the_reserved_evse_removes_the_reservation(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """H01.FR.16: Faulted -> cancelled and ReservationStatusUpdate Removed."""
    cp = await make_cp201(csms.url, "CS1")
    await csms.call("CS1", "ReserveNow", reserve(cp, 51))
    cp.station.connector(1).raise_fault("ground_failure")
    await update(csms, 51, "Removed")
    assert cp.reservations.reservations() == []


async def test_an_unavailable_reserved_evse_removes_the_reservation(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """H01.FR.17: ChangeAvailability Inoperative -> Removed."""
    cp = await make_cp201(csms.url, "CS1")
    await csms.call("CS1", "ReserveNow", reserve(cp, 52))
    await csms.call(
        "CS1", "ChangeAvailability", {"operationalStatus": "Inoperative", "evse": {"id": 1}}
    )
    await update(csms, 52, "Removed")
    assert cp.station.connector(1).reservation is None


async def test_a_reservation_survives_a_restart(
    csms: CentralSystem, make_cp201: Cp201Factory, tmp_path: Path
) -> None:
    """B01.FR.13: the Reserved state persists across reboots."""
    db = tmp_path / "keep.db"
    cp = await make_cp201(csms.url, "CS1", db_path=db)
    await csms.call("CS1", "ReserveNow", reserve(cp, 61))
    await reported(csms, 1, "Reserved")
    await cp.stop(drain_timeout=1.0)
    await csms.wait_for_disconnect("CS1")
    mark = csms.mark()
    again = await make_cp201(csms.url, "CS1", db_path=db)
    await reported(csms, 1, "Reserved", since=mark)
    assert again.reservations.for_evse(1).id == 61
    mark = csms.mark()
    await again.reboot_as("RemoteReset")
    await reported(csms, 1, "Reserved", since=mark)


async def test_a_reservation_that_expired_while_off_is_reported_after_boot(
    csms: CentralSystem, make_cp201: Cp201Factory, tmp_path: Path
) -> None:
    """H04.FR.01 with B01.FR.08: Expired goes out once the station is accepted again."""
    db = tmp_path / "keep.db"
    cp = await make_cp201(csms.url, "CS1", db_path=db)
    await csms.call("CS1", "ReserveNow", reserve(cp, 62, seconds=HOUR))
    await cp.stop(drain_timeout=1.0)
    await csms.wait_for_disconnect("CS1")
    # Pretend the hour went by while the station was off.
    rows = cp.state.get("CS1", "reservations")
    rows[0]["expiryDateTime"] = iso(cp.clock.now() - timedelta(seconds=1))
    cp.state.put("CS1", "reservations", rows)
    again = await make_cp201(csms.url, "CS1", db_path=db)
    await update(csms, 62, "Expired")
    assert again.reservations.reservations() == []
