"""BootNotification, Heartbeat and the first StatusNotifications (1.6 §4.2, §4.6, §4.9)."""

from __future__ import annotations

import itertools

from tests.e2e.conftest import WAIT, ev, sent, status_sent, wait_until


async def test_boot_notification_accepted_registers_the_station_with_its_identity(
    csms, make_cp
) -> None:
    """1.6 §4.2: the first request is a BootNotification with the station's identity."""
    cp = await make_cp(csms.url)
    info = await csms.wait_for_station("CP1", WAIT, accepted=True)
    boot = info.boot
    assert boot is not None
    assert boot["chargePointVendor"] == "OCPPBench"
    assert boot["chargePointModel"] == "WB-11"
    assert boot["chargePointSerialNumber"] == "WB11-CP1"
    assert boot["meterType"] == "EM-3P-MID"
    assert cp.registration == "Accepted"
    first = sent(cp, "CALL")[0]
    assert first.action == "BootNotification"


async def test_pending_boot_is_retried_after_the_interval_with_no_other_request_meanwhile(
    make_csms, make_cp
) -> None:
    """1.6 §4.2: Pending -> no other request; a new BootNotification after ``interval``."""
    csms = await make_csms(
        boot_responses=["Pending", "Pending", "Accepted"], boot_retry_interval=20
    )
    cp = await make_cp(csms.url, wait_accepted=False)
    await cp.wait_accepted(WAIT)
    calls = sent(cp, "CALL")
    actions = [r.action for r in calls]
    assert actions[:3] == ["BootNotification"] * 3
    # 20 virtual seconds between boots: at least that much of the station's clock passed.
    gaps = [b.ts - a.ts for a, b in itertools.pairwise(calls[:3])]
    assert all(gap >= 19.5 for gap in gaps), gaps
    # The first non-boot request comes only after the Accepted reply.
    await csms.wait_for_message("CP1", "StatusNotification", timeout=WAIT)
    assert csms.station("CP1").boot_count == 3


async def test_rejected_boot_keeps_the_station_silent_until_it_is_accepted(
    make_csms, make_cp
) -> None:
    """1.6 §4.2: Rejected -> no OCPP message until the retry interval has expired."""
    csms = await make_csms(boot_responses=["Rejected", "Accepted"], boot_retry_interval=30)
    cp = await make_cp(csms.url, wait_accepted=False)
    registration = await wait_until(
        lambda: cp.registration if cp.registration != "None" else None, what="a boot reply"
    )
    assert registration == "Rejected"
    assert not cp.accepted
    await cp.wait_accepted(WAIT)
    calls = sent(cp, "CALL")
    assert [c.action for c in calls[:2]] == ["BootNotification", "BootNotification"]
    assert calls[1].ts - calls[0].ts >= 29.5


async def test_heartbeat_interval_from_the_boot_reply_is_applied_and_heartbeats_follow(
    make_csms, make_cp
) -> None:
    """1.6 §4.2, §4.6, §9.1.10: the interval of BootNotification.conf becomes HeartbeatInterval."""
    csms = await make_csms(heartbeat_interval=10)
    cp = await make_cp(csms.url)
    assert cp.config.value("HeartbeatInterval") == 10
    await csms.wait_for_message("CP1", "Heartbeat", timeout=WAIT)
    await csms.wait_for_message("CP1", "Heartbeat", timeout=WAIT)
    beats = sent(cp, "CALL", "Heartbeat")
    assert len(beats) >= 2
    assert beats[1].ts - beats[0].ts >= 9.5
    conf = await csms.get_configuration("CP1", ["HeartbeatInterval"])
    assert conf["configurationKey"][0]["value"] == "10"


async def test_status_notifications_follow_boot_for_connector_zero_and_every_connector(
    csms, make_cp
) -> None:
    """1.6 §4.9: after an accepted boot the station reports connector 0 and each connector."""
    await make_cp(csms.url, template="ac-22kw-dual")
    seen = set()
    for _ in range(3):
        msg = await csms.wait_for_message("CP1", "StatusNotification", timeout=WAIT)
        assert msg["status"] == "Available"
        assert msg["errorCode"] == "NoError"
        seen.add(msg["connectorId"])
    assert seen == {0, 1, 2}
    statuses = csms.statuses("CP1")
    assert {k: v.status for k, v in statuses.items()} == {
        0: "Available",
        1: "Available",
        2: "Available",
    }


async def test_a_hard_reset_sends_a_new_boot_notification(csms, make_cp) -> None:
    """1.6 §5.14: after a reset the station boots again (a new BootNotification)."""
    cp = await make_cp(csms.url)
    await csms.wait_for_message("CP1", "BootNotification", timeout=WAIT)
    reply = await csms.reset("CP1", "Hard")
    assert reply == {"status": "Accepted"}
    await csms.wait_for_message("CP1", "BootNotification", timeout=WAIT)
    await cp.wait_accepted(WAIT)
    assert len(sent(cp, "CALL", "BootNotification")) == 2


async def test_a_soft_reset_sends_a_new_boot_notification(csms, make_cp) -> None:
    """1.6 §5.14: a soft reset restarts the application, which boots again."""
    cp = await make_cp(csms.url)
    await csms.wait_for_message("CP1", "BootNotification", timeout=WAIT)
    assert await csms.reset("CP1", "Soft") == {"status": "Accepted"}
    await csms.wait_for_message("CP1", "BootNotification", timeout=WAIT)
    await wait_until(lambda: cp.accepted, what="accepted again")
    assert len(sent(cp, "CALL", "BootNotification")) == 2


async def test_a_pending_station_answers_the_csms_but_sends_nothing_of_its_own(
    make_csms, make_cp
) -> None:
    """1.6 §4.2: while Pending the CSMS may configure the station, which SHOULD answer;
    the station SHALL NOT send requests (a plugged EV is reported only once Accepted)."""
    csms = await make_csms(boot_responses=["Pending", "Accepted"], boot_retry_interval=120)
    cp = await make_cp(csms.url, wait_accepted=False)
    await wait_until(lambda: cp.registration == "Pending", what="Pending")
    conf = await csms.get_configuration("CP1", ["HeartbeatInterval"])
    assert conf["configurationKey"][0]["key"] == "HeartbeatInterval"
    assert await csms.change_configuration("CP1", "LightIntensity", "50") == {"status": "Accepted"}
    cp.station.connector(1).plug_in(ev())
    # Proving an absence needs some time to pass: 5 virtual seconds of a 120 s wait.
    await cp.clock.sleep(5)
    assert [r.action for r in sent(cp, "CALL")] == ["BootNotification"]
    await cp.wait_accepted(WAIT)
    await status_sent(csms, "Preparing")
    actions = [r.action for r in sent(cp, "CALL")]
    assert actions[:2] == ["BootNotification", "BootNotification"]
