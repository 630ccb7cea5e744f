"""StatusNotification through a charging session and its detours (1.6 §4.9, §7.6, §7.7)."""

from __future__ import annotations

import orjson

from bench.csms.config import TagEntry
from bench.model.faults import fault
from tests.e2e.conftest import (
    WAIT,
    RawCsms,
    ev,
    sent,
    start_charging,
    status_sent,
    wait_until,
)

LIMIT_ZERO_PROFILE = {
    "chargingProfileId": 7,
    "stackLevel": 0,
    "chargingProfilePurpose": "TxProfile",
    "chargingProfileKind": "Relative",
    "chargingSchedule": {
        "chargingRateUnit": "A",
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 0}],
    },
}


async def test_a_session_goes_preparing_charging_finishing_available(csms, make_cp) -> None:
    """1.6 §4.9: the statuses of a plain session, in order."""
    cp = await make_cp(csms.url)
    await status_sent(csms, "Available")
    cp.station.connector(1).plug_in(ev())
    cp.present_id("TAG1")
    await status_sent(csms, "Charging")
    cp.present_id("TAG1")
    await status_sent(csms, "Finishing")
    cp.station.connector(1).unplug()
    await status_sent(csms, "Available")
    history = [row.status for row in csms.store.status_history("CP1", 1)]
    assert history == ["Available", "Preparing", "Charging", "Finishing", "Available"]


async def test_a_status_a_step_expected_reaches_the_csms_even_when_the_next_step_ends_it(
    csms, make_cp
) -> None:
    """1.6 §4.9: what ``expect`` saw is what the CSMS hears. A status the step language
    matched within the burst that caused it used to be replaced, unreported, by the next
    step's change (``expect 1 Charging`` passed and no Charging reached the CSMS)."""
    cp = await make_cp(csms.url)
    await status_sent(csms, "Available")
    cp.station.connector(1).plug_in(ev())
    assert await cp.wait_status(1, "Preparing", 5.0)
    cp.station.connector(1).unplug()  # the next step, in the same turn of the loop
    await wait_until(lambda: len(csms.store.status_history("CP1", 1)) >= 3)
    history = [row.status for row in csms.store.status_history("CP1", 1)]
    assert history == ["Available", "Preparing", "Available"]


async def test_an_ev_that_pauses_charging_shows_suspended_ev(csms, make_cp) -> None:
    """1.6 §7.7 SuspendedEV: the EV does not take energy; resuming shows Charging again."""
    cp = await make_cp(csms.url)
    await start_charging(cp, csms)
    cp.station.tick()
    cp.station.connector(1).ev.suspend()
    await status_sent(csms, "SuspendedEV")
    cp.station.connector(1).ev.resume()
    await status_sent(csms, "Charging")


async def test_an_ev_that_reaches_its_target_soc_shows_suspended_ev(csms, make_cp) -> None:
    """1.6 §7.7 SuspendedEV: the battery reached the target state of charge."""
    cp = await make_cp(csms.url)
    cp.station.connector(1).plug_in(ev(soc=79.95, target_soc=80))
    cp.present_id("TAG1")
    await status_sent(csms, "Charging")
    # 7.5 Wh to go at 11 kW: a few virtual seconds.
    await status_sent(csms, "SuspendedEV")
    assert cp.station.connector(1).ev.soc >= 80
    assert cp.station.connector(1).transaction is not None


async def test_a_tx_profile_with_limit_zero_shows_suspended_evse(csms, make_cp) -> None:
    """1.6 §5.11, §5.16.2, §7.7 SuspendedEVSE: the EVSE offers no current (limit 0)."""
    cp = await make_cp(csms.url, keys={"AuthorizeRemoteTxRequests": "false"})
    cp.station.connector(1).plug_in(ev())
    reply = await csms.remote_start_transaction("CP1", "TAG1", 1, LIMIT_ZERO_PROFILE)
    assert reply == {"status": "Accepted"}
    await csms.wait_for_message("CP1", "StartTransaction", timeout=WAIT)
    await status_sent(csms, "SuspendedEVSE")
    assert cp.station.connector(1).power_w == 0


async def test_a_blocked_tag_with_stop_on_invalid_id_false_shows_suspended_evse(
    csms, make_cp
) -> None:
    """1.6 §9.1.29 StopTransactionOnInvalidId=false: the transaction stays, energy stops.

    TAG1 is cached as Accepted and LocalPreAuthorize starts it without asking;
    meanwhile the CSMS blocked it, and says so in StartTransaction.conf.
    """
    cp = await make_cp(
        csms.url,
        keys={"StopTransactionOnInvalidId": "false", "LocalPreAuthorize": "true"},
    )
    cp.authorizer.remember("TAG1", {"status": "Accepted"})
    csms.config.tags["TAG1"] = TagEntry("Blocked")
    await start_charging_blocked(cp, csms)
    await status_sent(csms, "SuspendedEVSE")
    assert cp.station.connector(1).transaction is not None
    assert not cp.station.connector(1).contactor_closed


async def start_charging_blocked(cp, csms) -> None:
    cp.station.connector(1).plug_in(ev())
    cp.present_id("TAG1")
    exchange = await csms.wait_for_exchange("CP1", "StartTransaction", timeout=WAIT)
    assert exchange.reply["idTagInfo"]["status"] == "Blocked"


async def test_change_availability_inoperative_shows_unavailable_and_back(csms, make_cp) -> None:
    """1.6 §5.2, §7.7 Unavailable: Inoperative -> Unavailable; Operative -> Available."""
    await make_cp(csms.url)
    await status_sent(csms, "Available")
    assert await csms.change_availability("CP1", 1, "Inoperative") == {"status": "Accepted"}
    await status_sent(csms, "Unavailable")
    assert await csms.change_availability("CP1", 1, "Operative") == {"status": "Accepted"}
    await status_sent(csms, "Available")


async def test_a_connector_fault_shows_faulted_with_the_fault_error_code(csms, make_cp) -> None:
    """1.6 §4.9, §7.6: Faulted carries the fault's errorCode and vendorErrorCode."""
    cp = await make_cp(csms.url)
    await start_charging(cp, csms)
    ground = fault("ground_failure")
    cp.station.connector(1).raise_fault(ground)
    msg = await status_sent(csms, "Faulted")
    assert msg["errorCode"] == ground.error_code == "GroundFailure"
    assert msg["vendorErrorCode"] == ground.vendor_error_code
    assert cp.station.connector(1).power_w == 0
    cp.station.connector(1).clear_fault()
    msg = await status_sent(csms, "Charging")
    assert msg["errorCode"] == "NoError"


async def test_a_station_wide_fault_is_reported_on_connector_zero(csms, make_cp) -> None:
    """1.6 §4.9: connectorId 0 reports a fault of the Charge Point as a whole."""
    cp = await make_cp(csms.url)
    await status_sent(csms, "Available", 0)
    cp.station.raise_fault(fault("over_voltage"))
    msg = await status_sent(csms, "Faulted", 0)
    assert msg["errorCode"] == "OverVoltage"


async def test_a_warning_fault_keeps_the_status_and_reports_its_error_code(csms, make_cp) -> None:
    """1.6 §4.9: an error that does not stop charging is reported with the current status."""
    cp = await make_cp(csms.url)
    await start_charging(cp, csms)
    cp.station.connector(1).raise_fault(fault("power_meter_failure"))
    msg = await csms.wait_for_message(
        "CP1",
        "StatusNotification",
        lambda p: p["errorCode"] == "PowerMeterFailure",
        timeout=WAIT,
    )
    assert msg["status"] == "Charging"


async def test_connection_timeout_returns_an_authorized_connector_to_available(
    csms, make_cp
) -> None:
    """1.6 §9.1.6 ConnectionTimeOut: authorized but no cable in time -> back to Available."""
    cp = await make_cp(csms.url, keys={"ConnectionTimeOut": "20"})
    await status_sent(csms, "Available")
    cp.present_id("TAG1")
    await status_sent(csms, "Preparing")
    await status_sent(csms, "Available")
    assert cp.station.connector(1).transaction is None
    assert csms.transactions("CP1") == []
    await wait_until(lambda: not cp.transactions.is_waiting_for_cable(1), what="timeout")


async def test_a_clean_stop_reports_the_last_status_change_first(csms, make_cp) -> None:
    """1.6 §4.9: a status change made while another StatusNotification is on its way
    still reaches the CSMS when the station stops in an orderly way right after."""
    cp = await make_cp(csms.url, "CP-STOP")
    await wait_until(lambda: csms.statuses("CP-STOP").get(1) is not None, what="Available")
    before = len(sent(cp, "CALL", "StatusNotification"))
    cp.station.connector(1).plug_in(ev())
    # Preparing is on the wire (its reply not yet read) when the fault comes.
    await wait_until(lambda: len(sent(cp, "CALL", "StatusNotification")) > before, what="sent")
    cp.station.connector(1).raise_fault(fault("connector_lock_failure"))
    await cp.stop(drain_timeout=1.0)
    await wait_until(
        lambda: csms.statuses("CP-STOP")[1].status == "Faulted", what="Faulted received"
    )


async def test_a_fault_that_ends_while_the_csms_is_slow_to_answer_is_still_reported(
    raw_csms: RawCsms, make_cp
) -> None:
    """1.6 §4.9: only MinimumStatusDuration (0 here) lets a station leave a status out.
    A fault that comes and goes while the previous StatusNotification still waits for
    its reply reaches the CSMS, in order, however slow that reply is."""
    cp = await make_cp(raw_csms.url)
    await raw_csms.wait_call("StatusNotification", 2)  # connector 0 and 1 Available
    held: list[str] = []
    answering = False

    def answer(msg_id: str, _payload: dict) -> str | None:
        if not answering:
            held.append(msg_id)  # the CSMS is busy: no reply yet
            return None
        return orjson.dumps([3, msg_id, {}]).decode()

    raw_csms.override["StatusNotification"] = answer
    connector = cp.station.connector(1)
    connector.plug_in(ev())
    await wait_until(lambda: held, what="Preparing sent, its reply held")
    connector.raise_fault(fault("connector_lock_failure"))
    await cp.clock.sleep(1)  # the fault lasts a virtual second
    connector.clear_fault()
    answering = True
    for msg_id in held:
        await raw_csms.send_raw(orjson.dumps([3, msg_id, {}]).decode())

    def connector_statuses() -> list[str]:
        return [
            p["status"]
            for a, p in raw_csms.calls
            if a == "StatusNotification" and p["connectorId"] == 1
        ]

    await wait_until(lambda: len(connector_statuses()) >= 4, what="four statuses of connector 1")
    assert connector_statuses() == ["Available", "Preparing", "Faulted", "Preparing"]
    faulted = next(
        p for a, p in raw_csms.calls if a == "StatusNotification" and p["status"] == "Faulted"
    )
    assert faulted["errorCode"] == "ConnectorLockFailure"
