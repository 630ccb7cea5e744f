"""StartTransaction / StopTransaction and every 1.6 stop reason (1.6 §4.8, §4.10, §7.36)."""

from __future__ import annotations

from typing import Any

from bench.model.clock import SystemClock
from bench.ocpp.v16.charge_point import ChargePoint16
from tests.e2e.conftest import (
    SPEED,
    WAIT,
    db_file,
    ev,
    kill,
    sent,
    start_charging,
    status_sent,
    stopped,
    wait_until,
)


async def test_a_local_session_starts_and_stops_with_meter_start_and_meter_stop(
    csms, make_cp
) -> None:
    """1.6 §4.1, §4.8, §4.10: Authorize, Start with meterStart, Stop by the same tag (Local)."""
    cp = await make_cp(csms.url)
    cp.station.connector(1).plug_in(ev())
    await status_sent(csms, "Preparing")
    cp.present_id("TAG1")
    auth = await csms.wait_for_message("CP1", "Authorize", timeout=WAIT)
    assert auth == {"idTag": "TAG1"}
    start = await csms.wait_for_message("CP1", "StartTransaction", timeout=WAIT)
    assert start["connectorId"] == 1
    assert start["idTag"] == "TAG1"
    assert start["meterStart"] == 0
    await status_sent(csms, "Charging")
    await cp.clock.sleep(60)
    cp.present_id("TAG1")
    stop = await stopped(csms)
    assert stop["reason"] == "Local"
    assert stop["idTag"] == "TAG1"
    assert stop["meterStop"] > start["meterStart"] + 100  # ~11 kW for a virtual minute
    await status_sent(csms, "Finishing")
    cp.station.connector(1).unplug()
    await status_sent(csms, "Available")
    (tx,) = csms.transactions("CP1")
    assert tx.reason == "Local"
    assert tx.meter_stop == stop["meterStop"]
    assert stop["transactionId"] == tx.id


async def test_a_second_session_starts_where_the_energy_register_stopped(csms, make_cp) -> None:
    """1.6 §4.8: meterStart is the register value, which never decreases."""
    cp = await make_cp(csms.url)
    await start_charging(cp, csms)
    await cp.clock.sleep(30)
    cp.present_id("TAG1")
    first = await stopped(csms)
    cp.station.connector(1).unplug()
    await status_sent(csms, "Available")
    await start_charging(cp, csms, "TAG2")
    (_, second) = csms.transactions("CP1")
    assert second.meter_start == first["meterStop"]


class CreepingClock(SystemClock):
    """Half a virtual second passes on every read, as on a machine too busy to keep up."""

    def __init__(self) -> None:
        super().__init__(speed=SPEED)
        self.creep = 0.0

    def monotonic(self) -> float:
        self.creep += 0.5
        return super().monotonic() + self.creep


async def test_meter_stop_is_the_final_register_however_slowly_the_stop_runs(csms, make_cp) -> None:
    """1.6 §4.8, §4.10: no energy flows after meterStop is read, even when time passes
    between the reads of one stop (the next session's meterStart found it 1 Wh higher)."""
    cp = await make_cp(csms.url, clock=CreepingClock())
    await start_charging(cp, csms)
    await cp.clock.sleep(30)
    cp.present_id("TAG1")
    first = await stopped(csms)
    assert first["meterStop"] == int(cp.station.connector(1).energy_wh)
    cp.station.connector(1).unplug()
    await status_sent(csms, "Available")
    await start_charging(cp, csms, "TAG2")
    (_, second) = csms.transactions("CP1")
    assert second.meter_start == first["meterStop"]


async def test_remote_stop_of_the_running_transaction_stops_with_reason_remote(
    csms, make_cp
) -> None:
    """1.6 §5.12: a matching transactionId is Accepted and stopped with reason Remote."""
    cp = await make_cp(csms.url)
    tx_id = await start_charging(cp, csms)
    assert await csms.remote_stop_transaction("CP1", tx_id) == {"status": "Accepted"}
    stop = await stopped(csms)
    assert stop["reason"] == "Remote"
    assert stop["transactionId"] == tx_id
    assert "idTag" not in stop
    await status_sent(csms, "Finishing")


async def test_remote_stop_of_an_unknown_transaction_is_rejected(csms, make_cp) -> None:
    """1.6 §5.12: no transaction with that id -> Rejected; the session goes on."""
    cp = await make_cp(csms.url)
    tx_id = await start_charging(cp, csms)
    assert await csms.remote_stop_transaction("CP1", tx_id + 1000) == {"status": "Rejected"}
    assert cp.station.connector(1).transaction is not None


async def test_unplugging_at_the_ev_stops_with_ev_disconnected_when_configured(
    csms, make_cp
) -> None:
    """1.6 §9.1.28 StopTransactionOnEVSideDisconnect=true: reason EVDisconnected."""
    cp = await make_cp(csms.url, keys={"StopTransactionOnEVSideDisconnect": "true"})
    tx_id = await start_charging(cp, csms)
    cp.station.connector(1).unplug()
    stop = await stopped(csms)
    assert (stop["reason"], stop["transactionId"]) == ("EVDisconnected", tx_id)
    await status_sent(csms, "Available")


async def test_a_session_stopped_by_an_ev_side_disconnect_is_finishing_until_the_cable_is_out(
    csms, make_cp
) -> None:
    """1.6 §4.9 Finishing ("the cable has not been removed"), OCTT TC_005_1_CS: the EV
    end is pulled, the loose cable stays in the socket outlet; Available once it is out."""
    cp = await make_cp(
        csms.url,
        keys={
            "StopTransactionOnEVSideDisconnect": "true",
            "UnlockConnectorOnEVSideDisconnect": "true",
        },
    )
    await start_charging(cp, csms)
    connector = cp.station.connector(1)
    since = csms.mark()
    connector.unplug_ev_side()
    stop = await stopped(csms, since=since)
    assert stop["reason"] == "EVDisconnected"
    await status_sent(csms, "Finishing", since=since)
    assert cp.status_of(1).status == "Finishing"
    connector.remove_cable()
    await status_sent(csms, "Available", since=since)


async def test_unplugging_at_the_ev_only_suspends_saying_why_when_not_configured_to_stop(
    csms, make_cp
) -> None:
    """1.6 §9.1.28 StopTransactionOnEVSideDisconnect=false: the transaction stays open."""
    cp = await make_cp(csms.url, keys={"StopTransactionOnEVSideDisconnect": "false"})
    tx_id = await start_charging(cp, csms)
    connector = cp.station.connector(1)
    connector.unplug()
    suspended = await status_sent(csms, "SuspendedEV")
    assert suspended["info"] == "EV side disconnected"  # OCTT TC_005_3_CS
    assert connector.transaction is not None
    assert connector.transaction.protocol_id == tx_id
    connector.plug_in(ev())
    await status_sent(csms, "Charging")
    assert not sent(cp, "CALL", "StopTransaction")


async def test_unplugging_at_the_ev_unlocks_the_station_side_when_configured(csms, make_cp) -> None:
    """1.6 §9.1.33 UnlockConnectorOnEVSideDisconnect=true: the station side unlocks."""
    cp = await make_cp(
        csms.url,
        keys={
            "UnlockConnectorOnEVSideDisconnect": "true",
            "StopTransactionOnEVSideDisconnect": "false",
        },
    )
    await start_charging(cp, csms)
    connector = cp.station.connector(1)
    assert connector.locked
    connector.unplug()
    await status_sent(csms, "SuspendedEV")
    assert not connector.locked


async def test_a_start_refused_by_the_csms_is_stopped_with_reason_deauthorized(
    csms, make_cp
) -> None:
    """1.6 §4.8, §9.1.29 StopTransactionOnInvalidId=true: StartTransaction.conf Blocked
    -> StopTransaction reason DeAuthorized.

    The tag is started offline (AllowOfflineTxForUnknownId, §3.5.4), so the CSMS
    sees it only in the StartTransaction.
    """
    cp = await make_cp(
        csms.url,
        keys={"AllowOfflineTxForUnknownId": "true", "StopTransactionOnInvalidId": "true"},
    )
    cp.cut_network()
    await wait_until(lambda: not cp.online, what="offline")
    cp.station.connector(1).plug_in(ev())
    cp.present_id("BLOCKED")
    await wait_until(lambda: cp.station.connector(1).transaction is not None, what="a tx")
    cp.restore_network()
    start = await csms.wait_for_exchange("CP1", "StartTransaction", timeout=WAIT)
    assert start.reply["idTagInfo"]["status"] == "Blocked"
    stop = await stopped(csms)
    assert stop["reason"] == "DeAuthorized"
    assert stop["transactionId"] == start.reply["transactionId"]


async def test_a_session_started_offline_and_refused_is_reported_charging_then_suspended(
    csms, make_cp
) -> None:
    """1.6 §9.1.29 StopTransactionOnInvalidId=false (OCTT TC_037_2_CS): after the
    connection is back the CSMS hears Charging, the status the session had, and only
    then SuspendedEVSE, which the refusing StartTransaction.conf brings."""
    cp = await make_cp(
        csms.url,
        keys={"AllowOfflineTxForUnknownId": "true", "StopTransactionOnInvalidId": "false"},
    )
    cp.cut_network()
    await wait_until(lambda: not cp.online, what="offline")
    cp.station.connector(1).plug_in(ev())
    cp.present_id("BLOCKED")
    await wait_until(lambda: cp.station.connector(1).transaction is not None, what="a tx")
    since = csms.mark()
    cp.restore_network()

    def of(status: str) -> Any:
        return lambda p: p["connectorId"] == 1 and p["status"] == status

    charging = await csms.wait_for_exchange(
        "CP1", "StatusNotification", of("Charging"), WAIT, since=since
    )
    suspended = await csms.wait_for_exchange(
        "CP1", "StatusNotification", of("SuspendedEVSE"), WAIT, since=since
    )
    assert charging.seq < suspended.seq
    assert cp.station.connector(1).transaction is not None  # not stopped: only suspended


async def test_a_soft_reset_stops_the_session_and_sends_the_stop_before_restarting(
    csms, make_cp
) -> None:
    """1.6 §5.14: StopTransaction (reason SoftReset) is sent before the reset is performed."""
    cp = await make_cp(csms.url)
    tx_id = await start_charging(cp, csms)
    since = csms.mark()
    assert await csms.reset("CP1", "Soft") == {"status": "Accepted"}
    stop = await stopped(csms)
    assert (stop["reason"], stop["transactionId"]) == ("SoftReset", tx_id)
    await csms.wait_for_message("CP1", "BootNotification", timeout=WAIT, since=since)
    await wait_until(lambda: cp.accepted, what="accepted after the reset")
    order = [
        r.action for r in sent(cp, "CALL") if r.action in ("StopTransaction", "BootNotification")
    ]
    assert order == ["BootNotification", "StopTransaction", "BootNotification"]


async def test_a_hard_reset_stops_the_session_and_delivers_the_stop_after_the_new_boot(
    csms, make_cp
) -> None:
    """1.6 §5.14: a hard reset need not stop gracefully; the Stop (reason HardReset) is
    sent after the restart, once the CSMS has accepted the new BootNotification."""
    cp = await make_cp(csms.url)
    tx_id = await start_charging(cp, csms)
    assert await csms.reset("CP1", "Hard") == {"status": "Accepted"}
    stop = await stopped(csms)
    assert (stop["reason"], stop["transactionId"]) == ("HardReset", tx_id)
    order = [
        r.action for r in sent(cp, "CALL") if r.action in ("StopTransaction", "BootNotification")
    ]
    assert order == ["BootNotification", "BootNotification", "StopTransaction"]


async def test_unlock_connector_during_a_session_stops_it_with_reason_unlock_command(
    csms, make_cp
) -> None:
    """1.6 §5.18: the transaction is finished first (reason UnlockCommand), then unlocked."""
    cp = await make_cp(csms.url)
    tx_id = await start_charging(cp, csms)
    assert await csms.unlock_connector("CP1", 1) == {"status": "Unlocked"}
    stop = await stopped(csms)
    assert (stop["reason"], stop["transactionId"]) == ("UnlockCommand", tx_id)
    assert not cp.station.connector(1).locked


async def test_unlock_connector_with_a_jammed_lock_reports_unlock_failed(csms, make_cp) -> None:
    """1.6 §5.18, §7.46: the lock does not move -> UnlockFailed."""
    cp = await make_cp(csms.url)
    connector = cp.station.connector(1)
    connector.plug_in(ev())
    connector.lock()
    connector.raise_fault("connector_lock_failure")
    assert await csms.unlock_connector("CP1", 1) == {"status": "UnlockFailed"}


async def test_unlock_connector_on_a_tethered_cable_is_not_supported_and_stops_nothing(
    csms, make_cp
) -> None:
    """1.6 §7.46 NotSupported ("no connector lock"): a fixed cable has no lock to open;
    OCTT TC_017_2 expects exactly that answer, and a running session goes on."""
    cp = await make_cp(csms.url, template="dc-50kw")
    await start_charging(cp, csms)
    assert await csms.unlock_connector("CP1", 1) == {"status": "NotSupported"}
    assert cp.station.connector(1).transaction is not None
    assert sent(cp, "CALL", "StopTransaction") == []


async def test_a_reboot_of_the_station_stops_with_reason_reboot(csms, make_cp) -> None:
    """1.6 §7.36 Reason Reboot: the station itself restarts (no Reset.req)."""
    cp = await make_cp(csms.url)
    tx_id = await start_charging(cp, csms)
    since = csms.mark()
    await cp.reboot()
    stop = await stopped(csms)
    assert (stop["reason"], stop["transactionId"]) == ("Reboot", tx_id)
    await csms.wait_for_message("CP1", "BootNotification", timeout=WAIT, since=since)
    assert len(sent(cp, "CALL", "BootNotification")) == 2


async def test_a_transaction_left_open_by_a_power_cut_is_stopped_with_reason_power_loss(
    csms, make_cp
) -> None:
    """1.6 §7.36 Reason PowerLoss: after a crash the new process stops the open transaction."""
    cp = await make_cp(csms.url)
    tx_id = await start_charging(cp, csms)
    await cp.clock.sleep(40)  # at least one periodic sample saves the register
    await csms.wait_for_message("CP1", "MeterValues", timeout=WAIT)
    await kill(cp)
    await csms.wait_for_disconnect("CP1", WAIT)
    assert not sent(cp, "CALL", "StopTransaction")

    again: ChargePoint16 = await make_cp(csms.url, db_path=db_file(cp))
    stop = await stopped(csms)
    assert (stop["reason"], stop["transactionId"]) == ("PowerLoss", tx_id)
    (tx,) = csms.transactions("CP1")
    assert tx.reason == "PowerLoss"
    assert tx.meter_stop >= tx.meter_start
    assert again.station.connector(1).transaction is None


async def test_stop_transaction_carries_transaction_data_per_stop_txn_sampled_data(
    csms, make_cp
) -> None:
    """1.6 §9.1.30 StopTxnSampledData: Begin, periodic samples and End in transactionData."""
    cp = await make_cp(
        csms.url,
        keys={
            "StopTxnSampledData": "Energy.Active.Import.Register,Power.Active.Import",
            "MeterValueSampleInterval": "20",
        },
    )
    await start_charging(cp, csms)
    await csms.wait_for_message("CP1", "MeterValues", timeout=WAIT)
    cp.present_id("TAG1")
    stop = await stopped(csms)
    data = stop["transactionData"]
    contexts = [mv["sampledValue"][0]["context"] for mv in data]
    assert contexts[0] == "Transaction.Begin"
    assert contexts[-1] == "Transaction.End"
    assert "Sample.Periodic" in contexts
    for mv in data:
        measurands = {sv["measurand"] for sv in mv["sampledValue"]}
        assert measurands == {"Energy.Active.Import.Register", "Power.Active.Import"}
    energy = [
        int(sv["value"])
        for mv in data
        for sv in mv["sampledValue"]
        if sv["measurand"] == "Energy.Active.Import.Register"
    ]
    assert energy == sorted(energy)
    assert energy[-1] == stop["meterStop"]


async def test_stop_transaction_carries_clock_aligned_data_per_stop_txn_aligned_data(
    csms, make_cp
) -> None:
    """1.6 §9.1.29 StopTxnAlignedData: Sample.Clock values of the transaction in transactionData."""
    cp = await make_cp(
        csms.url,
        keys={
            "ClockAlignedDataInterval": "15",
            "StopTxnAlignedData": "Energy.Active.Import.Register",
            "StopTxnSampledData": "",
            "MeterValueSampleInterval": "0",
        },
    )
    await start_charging(cp, csms)
    # A boundary may fall before the transaction starts: that sample has no transactionId
    # and is no part of the transaction's data.
    await csms.wait_for_message(
        "CP1",
        "MeterValues",
        lambda p: (
            p["meterValue"][0]["sampledValue"][0]["context"] == "Sample.Clock"
            and "transactionId" in p
        ),
        timeout=WAIT,
    )
    cp.present_id("TAG1")
    stop = await stopped(csms)
    contexts = {sv["context"] for mv in stop["transactionData"] for sv in mv["sampledValue"]}
    assert contexts == {"Sample.Clock"}


async def test_an_authorized_tag_starts_nothing_on_a_connector_whose_lock_fails(
    csms, make_cp
) -> None:
    """1.6 §7.6 ConnectorLockFailure (OCTT TC_024_CS): the plug cannot be locked, the
    connector is Faulted and the authorized idTag starts no transaction."""
    cp = await make_cp(csms.url)
    cp.present_id("TAG1")
    await status_sent(csms, "Preparing")
    connector = cp.station.connector(1)
    connector.raise_fault("connector_lock_failure")
    connector.plug_in(ev())
    faulted = await status_sent(csms, "Faulted")
    assert faulted["errorCode"] == "ConnectorLockFailure"
    assert connector.transaction is None
    assert sent(cp, "CALL", "StartTransaction") == []
