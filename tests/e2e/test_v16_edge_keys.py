"""Keys and rules at the edges of 1.6 Core: Rejected silence, cable locks, status settling.

The cable that stays locked for its owner and MinimumStatusDuration are checked on a
manual clock in tests/ocpp/test_v16_virtual_day.py (no real sleeps to prove nothing
happened).
"""

from __future__ import annotations

from bench.csms.config import TagEntry

from .conftest import WAIT, RawCsms, ev, present, status_sent, stopped, wait_until


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
