"""Reservations over a real loopback link (1.6 §3.11, §4.9 Reserved, §5.1, §5.13, §9.3)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.e2e.conftest import (
    WAIT,
    ev,
    present,
    sent,
    start_charging,
    status_sent,
    wait_until,
)


def when(status: dict) -> datetime:
    return datetime.fromisoformat(status["timestamp"].replace("Z", "+00:00"))


def soon(cp, seconds: float = 3600):
    """An expiryDate ``seconds`` (virtual) after the station's now."""
    return cp.clock.now() + timedelta(seconds=seconds)


async def started(csms, since: int, connector_id: int = 1) -> dict:
    return await csms.wait_for_message(
        "CP1",
        "StartTransaction",
        lambda p: p["connectorId"] == connector_id,
        timeout=WAIT,
        since=since,
    )


async def test_supported_feature_profiles_lists_reservation(csms, make_cp) -> None:
    """1.6 §9.1.29."""
    cp = await make_cp(csms.url)
    assert "Reservation" in cp.config.value("SupportedFeatureProfiles")


async def test_a_reservation_shows_reserved_then_expires_to_available_and_later_starts_work(
    csms, make_cp
) -> None:
    """1.6 §5.13: at expiryDate the reservation ends, the connector becomes Available and a
    StatusNotification says so; §4.9 Reserved."""
    cp = await make_cp(csms.url)
    await status_sent(csms, "Available", 1)  # the boot's report, before the reservation
    mark = csms.mark()
    expiry = soon(cp, 60)
    reply = await csms.reserve_now("CP1", 1, expiry, "TAG1", 11)
    assert reply == {"status": "Accepted"}
    reserved = await status_sent(csms, "Reserved", 1, since=mark)
    available = await status_sent(csms, "Available", 1, since=mark)
    # Reserved until expiryDate, not a moment less (the status timestamps say when each
    # began; a busy machine can only make the second one later).
    assert when(reserved) < expiry <= when(available) + timedelta(milliseconds=1)
    assert cp.station.connector(1).reservation is None
    assert cp.reservations.find(11) is None
    # Nothing is held any more: another tag charges, with no reservationId.
    await start_charging(cp, csms, "TAG2")
    assert "reservationId" not in sent(cp, "CALL", "StartTransaction")[-1].payload


async def test_a_reserved_connector_refuses_another_tag_and_starts_for_the_reserving_one(
    csms, make_cp
) -> None:
    """1.6 §5.13: only the reserved idTag may charge; StartTransaction carries reservationId
    and the reservation ends."""
    cp = await make_cp(csms.url)
    assert (await csms.reserve_now("CP1", 1, soon(cp), "TAG1", 21))["status"] == "Accepted"
    connector = cp.station.connector(1)
    connector.plug_in(ev())
    assert await present(cp, "TAG2", 1) == "Accepted"  # a valid tag, but not this one's
    assert connector.transaction is None
    mark = csms.mark()
    assert await present(cp, "TAG1", 1) == "Accepted"
    start = await started(csms, mark)
    assert start["idTag"] == "TAG1"
    assert start["reservationId"] == 21
    assert connector.reservation is None
    assert (await csms.cancel_reservation("CP1", 21)) == {"status": "Rejected"}


async def test_a_tag_of_the_same_group_may_use_the_reservation(csms, make_cp) -> None:
    """1.6 §5.13, §3.10: an incoming tag whose parent idTag (learned by Authorize) matches
    the reservation's parent idTag may start on the reserved connector."""
    cp = await make_cp(csms.url)
    reply = await csms.reserve_now("CP1", 1, soon(cp), "CHILD-A", 31, parent_id_tag="FLEET")
    assert reply["status"] == "Accepted"
    cp.station.connector(1).plug_in(ev())
    mark = csms.mark()
    assert await present(cp, "CHILD-B", 1) == "Accepted"
    start = await started(csms, mark)
    assert (start["idTag"], start["reservationId"]) == ("CHILD-B", 31)


async def test_a_tag_of_another_group_is_refused_on_a_group_reservation(csms, make_cp) -> None:
    """1.6 §5.13: neither the tag nor its parent matches the reservation."""
    cp = await make_cp(csms.url)
    await csms.reserve_now("CP1", 1, soon(cp), "CHILD-A", 32, parent_id_tag="FLEET")
    cp.station.connector(1).plug_in(ev())
    assert await present(cp, "TAG1", 1) == "Accepted"
    assert cp.station.connector(1).transaction is None


async def test_a_remote_start_for_the_reserving_tag_carries_the_reservation_id(
    csms, make_cp
) -> None:
    """1.6 §5.11, §5.13."""
    cp = await make_cp(csms.url)
    await csms.reserve_now("CP1", 1, soon(cp), "TAG1", 41)
    cp.station.connector(1).plug_in(ev())
    mark = csms.mark()
    reply = await csms.remote_start_transaction("CP1", "TAG1", connector_id=1)
    assert reply == {"status": "Accepted"}
    assert (await started(csms, mark))["reservationId"] == 41


async def test_reserve_now_is_occupied_while_a_transaction_runs(csms, make_cp) -> None:
    """1.6 §5.13, §7.40 Occupied."""
    cp = await make_cp(csms.url)
    await start_charging(cp, csms)
    assert (await csms.reserve_now("CP1", 1, soon(cp), "TAG2", 51)) == {"status": "Occupied"}


async def test_reserve_now_is_occupied_when_another_reservation_holds_the_connector(
    csms, make_cp
) -> None:
    """1.6 §5.13: 'Occupied' also when reserved for the same or another idTag."""
    cp = await make_cp(csms.url)
    await csms.reserve_now("CP1", 1, soon(cp), "TAG1", 52)
    assert (await csms.reserve_now("CP1", 1, soon(cp), "TAG2", 53)) == {"status": "Occupied"}


async def test_reserve_now_is_faulted_on_a_faulted_connector(csms, make_cp) -> None:
    """1.6 §5.13, §7.40 Faulted."""
    cp = await make_cp(csms.url)
    cp.station.connector(1).raise_fault("ground_failure")
    await status_sent(csms, "Faulted", 1)
    assert (await csms.reserve_now("CP1", 1, soon(cp), "TAG1", 54)) == {"status": "Faulted"}


async def test_reserve_now_is_unavailable_on_an_inoperative_connector(csms, make_cp) -> None:
    """1.6 §5.13, §7.40 Unavailable."""
    cp = await make_cp(csms.url)
    await csms.change_availability("CP1", 1, "Inoperative")
    assert (await csms.reserve_now("CP1", 1, soon(cp), "TAG1", 55)) == {"status": "Unavailable"}


async def test_a_fault_ends_the_reservation(csms, make_cp) -> None:
    """1.6 §5.13 (3): a connector set to Faulted terminates its reservation."""
    cp = await make_cp(csms.url)
    await csms.reserve_now("CP1", 1, soon(cp), "TAG1", 56)
    cp.station.connector(1).raise_fault("ground_failure")
    assert cp.station.connector(1).reservation is None
    assert (await csms.cancel_reservation("CP1", 56)) == {"status": "Rejected"}


async def test_cancel_reservation_frees_the_connector(csms, make_cp) -> None:
    """1.6 §5.1: Accepted for a known reservationId, Rejected otherwise."""
    cp = await make_cp(csms.url)
    await status_sent(csms, "Available", 1)  # the boot's report, before the reservation
    mark = csms.mark()
    await csms.reserve_now("CP1", 1, soon(cp), "TAG1", 61)
    await status_sent(csms, "Reserved", 1, since=mark)
    assert (await csms.cancel_reservation("CP1", 61)) == {"status": "Accepted"}
    await status_sent(csms, "Available", 1, since=mark)
    assert (await csms.cancel_reservation("CP1", 61)) == {"status": "Rejected"}
    assert (await csms.cancel_reservation("CP1", 999)) == {"status": "Rejected"}


async def test_a_reservation_with_a_known_id_replaces_the_old_one(csms, make_cp) -> None:
    """1.6 §5.13: the same reservationId replaces the reservation, here for another tag."""
    cp = await make_cp(csms.url)
    await csms.reserve_now("CP1", 1, soon(cp), "TAG1", 71)
    assert (await csms.reserve_now("CP1", 1, soon(cp), "TAG2", 71)) == {"status": "Accepted"}
    connector = cp.station.connector(1)
    assert connector.reservation is not None and connector.reservation.id_tag == "TAG2"
    connector.plug_in(ev())
    assert await present(cp, "TAG1", 1) == "Accepted"
    assert connector.transaction is None
    mark = csms.mark()
    await present(cp, "TAG2", 1)
    assert (await started(csms, mark))["reservationId"] == 71


@pytest.mark.parametrize("supported", [True, False])
async def test_connector_zero_reservations_follow_reserve_connector_zero_supported(
    csms, make_cp, supported: bool
) -> None:
    """1.6 §5.13, §9.3.1 ReserveConnectorZeroSupported: Rejected when not supported."""
    cp = await make_cp(csms.url, keys={"ReserveConnectorZeroSupported": str(supported).lower()})
    reply = await csms.reserve_now("CP1", 0, soon(cp), "TAG1", 81)
    assert reply == {"status": "Accepted" if supported else "Rejected"}


async def test_a_connector_zero_reservation_keeps_one_connector_for_its_tag(csms, make_cp) -> None:
    """1.6 §5.13: with connectorId 0 one connector stays available for the reserved idTag;
    its start, on any connector, carries the reservationId."""
    cp = await make_cp(csms.url, template="ac-22kw-dual")
    assert (await csms.reserve_now("CP1", 0, soon(cp), "TAG1", 91))["status"] == "Accepted"
    one, two = cp.station.connector(1), cp.station.connector(2)
    await start_charging(cp, csms, "TAG2", 1)  # one of two connectors: still allowed
    two.plug_in(ev())
    assert await present(cp, "CHILD-A", 2) == "Accepted"
    assert two.transaction is None  # the last free connector is kept for TAG1
    mark = csms.mark()
    assert await present(cp, "TAG1", 2) == "Accepted"
    start = await started(csms, mark, connector_id=2)
    assert start["reservationId"] == 91
    assert cp.reservations.zero is None
    assert one.transaction is not None


async def test_reserve_now_on_an_unknown_connector_or_a_past_expiry_is_rejected(
    csms, make_cp
) -> None:
    """1.6 §5.13: the station accepts only a reservation it can keep."""
    cp = await make_cp(csms.url)
    assert (await csms.reserve_now("CP1", 9, soon(cp), "TAG1", 95)) == {"status": "Rejected"}
    past = cp.clock.now() - timedelta(seconds=10)
    assert (await csms.reserve_now("CP1", 1, past, "TAG1", 96)) == {"status": "Rejected"}
    await wait_until(lambda: cp.station.connector(1).reservation is None)


async def test_a_connector_zero_reservation_shows_the_last_free_connector_reserved(
    csms, make_cp
) -> None:
    """1.6 §5.13, §4.9 (OCTT TC_049_CS): with one connector left Available, a reservation of
    connector 0 keeps that one, so it reports Reserved, and Available again once cancelled;
    with two free connectors neither is pinned."""
    cp = await make_cp(csms.url)
    await status_sent(csms, "Available", 1)
    mark = csms.mark()
    assert (await csms.reserve_now("CP1", 0, soon(cp), "TAG1", 97))["status"] == "Accepted"
    await status_sent(csms, "Reserved", 1, since=mark)
    assert (await csms.reserve_now("CP1", 0, soon(cp), "TAG1", 97))["status"] == "Accepted"
    assert (await csms.cancel_reservation("CP1", 97)) == {"status": "Accepted"}
    await status_sent(csms, "Available", 1, since=mark)


async def test_a_connector_zero_reservation_pins_no_connector_while_two_are_free(
    csms, make_cp
) -> None:
    """1.6 §5.13: the connector-0 reservation names no connector while several are free."""
    cp = await make_cp(csms.url, template="ac-22kw-dual")
    await status_sent(csms, "Available", 2)
    assert (await csms.reserve_now("CP1", 0, soon(cp), "TAG1", 98))["status"] == "Accepted"
    assert cp.status_of(1).status == "Available"
    assert cp.status_of(2).status == "Available"
    cp.station.connector(2).plug_in(ev())
    await wait_until(lambda: cp.status_of(1).status == "Reserved")
