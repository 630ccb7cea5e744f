"""Keys and rules at the edges of 1.6 Core: Rejected silence, cable locks, status settling."""

from __future__ import annotations

import asyncio

from bench.csms.config import TagEntry

from .conftest import WAIT, RawCsms, ev, present, sent, status_sent, stopped, wait_until


async def test_a_rejected_station_does_not_answer_the_csms_until_its_retry(
    raw_csms: RawCsms, make_cp
) -> None:
    """1.6 §4.2: 'While Rejected, the Charge Point SHALL NOT respond to any Central System
    initiated message.'"""
    raw_csms.override["BootNotification"] = lambda msg_id, _p: (
        f'[3,"{msg_id}",{{"status":"Rejected","currentTime":"2026-01-01T00:00:00Z","interval":600}}]'
    )
    cp = await make_cp(raw_csms.url, wait_accepted=False)
    await wait_until(lambda: cp.registration == "Rejected", what="the Rejected reply")
    await raw_csms.send_raw('[2,"q1","GetConfiguration",{}]')
    # Frames are handled in order: once the marker after it is logged, q1 is fully handled.
    await raw_csms.send_raw('[3,"marker",{}]')
    await wait_until(
        lambda: any(r.id == "marker" for r in cp.session.sink.records),
        what="the marker frame in the station's log",
    )
    assert any(r.id == "q1" and r.direction == "rx" for r in cp.session.sink.records)
    assert "q1" not in raw_csms.replies
    assert not [r for r in cp.session.sink.records if r.id == "q1" and r.direction == "tx"]


async def test_with_unlock_on_ev_side_disconnect_false_the_cable_stays_locked_for_its_owner(
    csms, make_cp
) -> None:
    """1.6 §9.1.33 and §3.5.4: the station end stays locked until the owner presents the tag."""
    cp = await make_cp(csms.url, keys={"UnlockConnectorOnEVSideDisconnect": "false"})
    connector = cp.station.connector(1)
    connector.plug_in(ev())
    assert await present(cp, "TAG1", 1) == "Accepted"
    await status_sent(csms, "Charging")
    assert connector.locked
    connector.unplug()
    stop = await stopped(csms)
    assert stop["reason"] == "EVDisconnected"
    assert connector.locked, "the cable must stay locked after an EV-side disconnect"
    cp.present_id("TAG2")  # somebody else's card does not release it
    await asyncio.sleep(0.1)
    assert connector.locked
    cp.present_id("TAG1")
    await wait_until(lambda: not connector.locked, what="the owner's card to unlock the cable")


async def test_with_unlock_on_ev_side_disconnect_true_the_cable_is_released_at_once(
    csms, make_cp
) -> None:
    """1.6 §9.1.33: true -> unlock on the station side when the EV end is unplugged."""
    cp = await make_cp(csms.url, keys={"UnlockConnectorOnEVSideDisconnect": "true"})
    connector = cp.station.connector(1)
    connector.plug_in(ev())
    await present(cp, "TAG1", 1)
    await status_sent(csms, "Charging")
    connector.unplug()
    await stopped(csms)
    assert not connector.locked


async def test_minimum_status_duration_keeps_short_lived_statuses_from_being_sent(
    csms, make_cp
) -> None:
    """1.6 §9.1.20: a status is reported only once it has been stable this long."""
    cp = await make_cp(csms.url, keys={"MinimumStatusDuration": "60"})
    await status_sent(csms, "Available", 1)
    connector = cp.station.connector(1)
    connector.plug_in(ev())  # Preparing, for a moment only
    await asyncio.sleep(0.05)  # well under 60 virtual seconds (0.5 s real)
    connector.unplug()
    await asyncio.sleep(1.0)  # two settle periods later
    reported = [
        r.payload["status"]
        for r in sent(cp, "CALL", "StatusNotification")
        if r.payload["connectorId"] == 1
    ]
    assert "Preparing" not in reported and "Finishing" not in reported
    connector.plug_in(ev())  # this one lasts
    await status_sent(csms, "Preparing", 1, timeout=WAIT)


async def test_max_energy_on_invalid_id_lets_the_ev_take_its_allowance_then_stops(
    make_csms, make_cp
) -> None:
    """1.6 §3.5.4, §9.1.14: after StartTransaction.conf says Invalid, at most this many Wh."""
    csms = await make_csms(tags={"LATE": TagEntry("Blocked")})
    cp = await make_cp(
        csms.url,
        keys={
            "MaxEnergyOnInvalidId": "100",
            "LocalPreAuthorize": "true",
            "StopTransactionOnInvalidId": "true",
        },
    )
    # The cache still believes in the tag (as after an offline period): the start goes ahead.
    cp.authorizer.remember("LATE", {"status": "Accepted"})
    connector = cp.station.connector(1)
    connector.plug_in(ev())
    cp.present_id("LATE", 1)
    start = await csms.wait_for_message("CP1", "StartTransaction", timeout=WAIT)
    stop = await csms.wait_for_message("CP1", "StopTransaction", timeout=WAIT * 2)
    assert stop["reason"] == "DeAuthorized"
    used = stop["meterStop"] - start["meterStart"]
    assert 100 <= used <= 100 + 11_000 / 3600 * 10, used  # allowance plus one tick at 11 kW
