"""2.0.1 block E, Transactions: CSMS test cases (part 6 §3.6).

The bench's station runs every transaction itself: its TxCtrlr.TxStartPoint and
TxStopPoint are set as each case needs (§3.1's general pre-conditions otherwise:
start EVConnected,Authorized, stop EVConnected), and a card, a plug, an EV that
stops drawing or a lost connection make it send its own TransactionEvents. The
CSMS must answer every one of them (a valid TransactionEventResponse is checked at
each step that says "The CSMS responds"), with idTokenInfo where the event carries
an idToken. Where a case needs messages a well-behaved station would not send (the
out-of-order seqNos of TC_E_31) they go through the station's session as given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.conformance import states
from bench.conformance import states_v201 as v201
from bench.conformance.case_run import CaseRun
from bench.conformance.expect import absent, one_of
from bench.conformance.scenarios import scenario

START = "TxCtrlr/TxStartPoint"
STOP = "TxCtrlr/TxStopPoint"
TX_STATUS = "get_transaction_status"
REQUEST_STOP = "request_stop_transaction"


async def _booted(ctx: CaseRun, values: dict[str, str] | None = None) -> int:
    await v201.configure(ctx, values)
    await states.booted(ctx)
    return v201.first_connector(ctx)


def _event_type(kind: str) -> Callable[[dict[str, Any]], bool]:
    return lambda p: p.get("eventType") == kind


async def _authorize(ctx: CaseRun, cid: int, *, step: int) -> None:
    """The driver shows the valid card; AuthorizeResponse idTokenInfo.status Accepted."""
    since = ctx.mark()
    v201.present(ctx, v201.valid_token(ctx), cid)
    reply = await ctx.reply_to("Authorize", step=step, since=since)
    v201.answered(ctx, step, "AuthorizeResponse", reply)
    ctx.require(step, "AuthorizeResponse", reply.payload, "idTokenInfo.status", "Accepted")
    v201.note_authorized(ctx, cid, v201.valid_token(ctx))


async def _plugged_in_starts(
    ctx: CaseRun, cid: int, *, status_step: int, started_step: int, charging_step: int
) -> None:
    """Steps "StatusNotification Occupied; TransactionEvent Started ...; Updated Charging"
    of the start-option cases, played by plugging in; the Started reply is Accepted."""
    since = ctx.mark()
    ctx.station.plug_in(cid, ctx.settings.ev_template)
    status = await ctx.reply_to("StatusNotification", step=status_step, since=since)
    v201.answered(ctx, status_step, "StatusNotificationResponse", status)
    _, answer = await v201.tx_event(
        ctx, since, step=started_step, what="Started", match=_event_type("Started")
    )
    ctx.check(started_step, "TransactionEventResponse", answer, "idTokenInfo.status", "Accepted")
    await v201.tx_event(
        ctx,
        since,
        step=charging_step,
        what="charging",
        match=v201.charging_state_is("Charging"),
    )


# ---------------------------------------------------------------- start options (E01)
def _start_option(case_id: str, point: str, extra: dict[str, str], requirement: str) -> None:
    @scenario(case_id)
    async def run(ctx: CaseRun) -> None:
        # The card first (steps 1-2), then the plug: Started once ``point`` is reached.
        cid = await _booted(ctx, {START: point, **extra})
        await _authorize(ctx, cid, step=2)
        await _plugged_in_starts(ctx, cid, status_step=4, started_step=6, charging_step=8)

    run.__doc__ = f"{case_id}: TxStartPoint {point} ({requirement})."


_start_option("TC_E_01_CSMS", "PowerPathClosed", {}, "E01.FR.05")
_start_option("TC_E_02_CSMS", "EnergyTransfer", {}, "E01.FR.06")
_start_option("TC_E_11_CSMS", "DataSigned", {"SampledDataCtrlr/SignReadings": "true"}, "E01.FR.04")


@scenario("TC_E_09_CSMS")
async def start_ev_connected(ctx: CaseRun) -> None:
    # E01.FR.02: the plug-in starts the transaction (CablePluggedIn, EVConnected).
    cid = await _booted(ctx, {START: "EVConnected"})
    since = ctx.mark()
    ctx.station.plug_in(cid, ctx.settings.ev_template)
    status = await ctx.reply_to("StatusNotification", step=2, since=since)
    v201.answered(ctx, 2, "StatusNotificationResponse", status)
    await v201.tx_event(ctx, since, step=4, what="Started", match=_event_type("Started"))


@scenario("TC_E_10_CSMS")
async def start_authorized(ctx: CaseRun) -> None:
    # E01.FR.03: the card starts the transaction (Started, Authorized, with the idToken).
    cid = await _booted(ctx, {START: "Authorized"})
    since = ctx.mark()
    await _authorize(ctx, cid, step=2)
    _, answer = await v201.tx_event(
        ctx, since, step=4, what="Started", match=_event_type("Started")
    )
    ctx.check(4, "TransactionEventResponse", answer, "idTokenInfo.status", "Accepted")


@scenario("TC_E_12_CSMS")
async def start_parking_bay(ctx: CaseRun) -> None:
    # E01.FR.01: the EV in the bay starts it (the bench's bay sensor is the plug: EVDetected).
    cid = await _booted(ctx, {START: "ParkingBayOccupancy"})
    since = ctx.mark()
    ctx.station.plug_in(cid, ctx.settings.ev_template)
    await v201.tx_event(ctx, since, step=2, what="Started", match=_event_type("Started"))


# ---------------------------------------------------------------- local start (E02, E03)
@scenario("TC_E_03_CSMS")
async def cable_first(ctx: CaseRun) -> None:
    # E02.FR.02: EVConnectedPreSession, then Authorized, then EnergyTransferStarted.
    cid = await _booted(ctx)
    await v201.ev_connected(ctx, connector=cid)
    await v201.authorized(ctx, step=1, connector=cid)
    await v201.energy_transfer_started(ctx, step=2, connector=cid)


@scenario("TC_E_04_CSMS")
async def authorization_first(ctx: CaseRun) -> None:
    # E03.FR.02: Authorized, then EnergyTransferStarted.
    cid = await _booted(ctx)
    await v201.authorized(ctx, step=1, connector=cid)
    await v201.energy_transfer_started(ctx, step=2, connector=cid)


@scenario("TC_E_38_CSMS")
async def ev_not_ready(ctx: CaseRun) -> None:
    # E03: an EV that wants no energy yet (its battery full) reports SuspendedEV.
    cid = await _booted(ctx)
    await v201.authorized(ctx, connector=cid)
    since = ctx.mark()
    await v201.ev_connected(ctx, step=1, connector=cid, soc=100.0)
    await v201.tx_event(
        ctx, since, step=3, what="SuspendedEV", match=v201.charging_state_is("SuspendedEV")
    )


@scenario("TC_E_39_CSMS")
async def deauthorized_timeout(ctx: CaseRun) -> None:
    # E03.FR.04/05, E06.FR.04: no EV within EVConnectionTimeOut (1 s here): the
    # authorization ends and the transaction with it (Ended EVConnectTimeout, Timeout).
    cid = await _booted(ctx, {"TxCtrlr/EVConnectionTimeOut": "1"})
    since = ctx.mark()
    await v201.authorized(ctx, connector=cid)
    await v201.tx_event(
        ctx, since, step=2, what="EVConnectTimeout", match=v201.trigger_is("EVConnectTimeout")
    )
    v201.note_authorized(ctx, cid, None)


# ---------------------------------------------------------------- stop options (E06)
@scenario("TC_E_14_CSMS")
async def stop_ev_disconnected(ctx: CaseRun) -> None:
    # E06.FR.02: from EVConnectedPostSession, the cable unplugged ends the transaction.
    cid = await _booted(ctx)
    await v201.energy_transfer_started(ctx, connector=cid)
    await v201.ev_connected_post_session(ctx, connector=cid)
    await v201.ev_disconnected(ctx, step=1, connector=cid)


@scenario("TC_E_20_CSMS")
async def stop_ev_disconnected_ev_side(ctx: CaseRun) -> None:
    # E06.FR.02, E10: from EnergyTransferSuspended, Reusable State EVDisconnected.
    cid = await _booted(ctx)
    await v201.energy_transfer_suspended(ctx, connector=cid)
    await v201.ev_disconnected(ctx, step=1, connector=cid)


async def _stop_by_card(ctx: CaseRun, stop_point: str) -> None:
    cid = await _booted(ctx, {STOP: stop_point})
    await v201.energy_transfer_started(ctx, connector=cid)
    since = ctx.mark()
    await v201.stop_authorized(ctx, step=2, connector=cid)
    await v201.tx_event(ctx, since, step=2, what="Ended", match=_event_type("Ended"))


@scenario("TC_E_15_CSMS")
async def stop_authorized_local(ctx: CaseRun) -> None:
    # E06.FR.03: TxStopPoint Authorized: the card ends it (Ended, StopAuthorized, Local).
    await _stop_by_card(ctx, "EVConnected,Authorized")


@scenario("TC_E_07_CSMS")
async def stop_power_path_closed(ctx: CaseRun) -> None:
    # E06.FR.06: TxStopPoint PowerPathClosed: the card ends it.
    await _stop_by_card(ctx, "PowerPathClosed")


@scenario("TC_E_08_CSMS")
async def stop_energy_transfer_authorized(ctx: CaseRun) -> None:
    # E06.FR.07: TxStopPoint EnergyTransfer: the energy stops when the card stops it, which
    # ends the transaction; the bench's station says so in the StopAuthorized event.
    await _stop_by_card(ctx, "EnergyTransfer")


@scenario("TC_E_22_CSMS")
async def stop_energy_transfer_suspended_ev(ctx: CaseRun) -> None:
    # E06.FR.07: TxStopPoint EnergyTransfer: the EV stops drawing, the transaction ends.
    cid = await _booted(ctx, {STOP: "EnergyTransfer"})
    await v201.energy_transfer_started(ctx, connector=cid)
    since = ctx.mark()
    ctx.station.suspend_ev(cid)
    await v201.tx_event(ctx, since, step=2, what="Ended", match=_event_type("Ended"))
    v201.note_authorized(ctx, cid, None)


@scenario("TC_E_19_CSMS")
async def stop_parking_bay_unoccupied(ctx: CaseRun) -> None:
    # E06.FR.01: TxStopPoint ParkingBayOccupancy: the EV leaves the bay. The bench's bay
    # sensor is the plug, so EVDisconnected and EVDeparted are one event (Ended EVDeparted).
    cid = await _booted(ctx, {STOP: "ParkingBayOccupancy"})
    await v201.energy_transfer_started(ctx, connector=cid)
    event = await v201.ev_disconnected(ctx, step=2, connector=cid)
    if event.get("eventType") != "Ended":
        raise RuntimeError(f"the station did not end the transaction on leaving: {event}")


@scenario("TC_E_21_CSMS", manual=(REQUEST_STOP,))
async def stop_remote(ctx: CaseRun) -> None:
    # E06.FR.03, F03.FR.01/09/10: the CSMS stops the running transaction by its id.
    cid = await _booted(ctx, {STOP: "EVConnected,Authorized"})
    await v201.energy_transfer_started(ctx, connector=cid)
    tx_id = v201.transaction_id(ctx, cid)
    since = ctx.mark()
    request = await ctx.request_by_hand(
        REQUEST_STOP,
        f"Request the CSMS to stop the ongoing transaction {tx_id}",
        "RequestStopTransaction",
        {"transactionId": tx_id},
        step=1,
        transaction_id=tx_id,
        evse_id=cid,
    )
    # The rest of the case needs the running transaction's id (the station rejects others).
    ctx.require(1, "RequestStopTransactionRequest", request, "transactionId", tx_id)
    await v201.tx_event(ctx, since, step=4, what="RemoteStop", match=v201.trigger_is("RemoteStop"))
    v201.note_authorized(ctx, cid, None)


@scenario("TC_E_16_CSMS")
async def deauthorized_invalid(ctx: CaseRun) -> None:
    # E06.FR.04, E01.FR.11/12, E05.FR.10: an unknown card starts a transaction while the
    # station is offline (OfflineTxForUnknownIdEnabled); back online, the CSMS answers
    # its Started event Invalid and the station ends it (Ended, Deauthorized).
    cid = await _booted(
        ctx,
        {STOP: "EVConnected,Authorized", "AuthCtrlr/OfflineTxForUnknownIdEnabled": "true"},
    )
    await v201.connection_lost(ctx)
    card = v201.Token(ctx.settings.invalid_id_token, ctx.settings.valid_id_token_type)
    v201.present(ctx, card, cid)
    await v201.until(ctx, lambda: ctx.station.queue_length() > 0, "starting offline")
    since = ctx.mark()
    await v201.connection_back(ctx)
    _, answer = await v201.tx_event(
        ctx, since, step=2, what="Started", match=_event_type("Started")
    )
    ctx.check(
        2, "TransactionEventResponse", answer, "idTokenInfo.status", one_of("Invalid", "Unknown")
    )
    await v201.tx_event(ctx, since, step=4, what="Ended", match=_event_type("Ended"))


@scenario("TC_E_17_CSMS")
async def deauthorized_ev_side_disconnect(ctx: CaseRun) -> None:
    # E06.FR.04 (StopTxOnEVSideDisconnect): the cable pulled at the EV while suspended.
    cid = await _booted(ctx)
    await v201.energy_transfer_suspended(ctx, connector=cid)
    since = ctx.mark()
    ctx.station.unplug(cid)
    await v201.tx_event(ctx, since, step=2, what="Ended", match=_event_type("Ended"))
    v201.note_authorized(ctx, cid, None)


@scenario("TC_E_26_CSMS")
async def ev_side_disconnect_suspends(ctx: CaseRun) -> None:
    # E10.FR.01: StopTxOnEVSideDisconnect false and no EVConnected stop point: unplugged
    # at the EV side the transaction goes on (Updated EVCommunicationLost, Idle) and
    # charging resumes when the cable is back.
    cid = await _booted(ctx, {STOP: "Authorized", "TxCtrlr/StopTxOnEVSideDisconnect": "false"})
    await v201.energy_transfer_suspended(ctx, connector=cid)
    since = ctx.mark()
    ctx.station.unplug(cid)
    await v201.tx_event(
        ctx, since, step=2, what="EVCommunicationLost", match=v201.trigger_is("EVCommunicationLost")
    )
    status = await ctx.reply_to("StatusNotification", step=4, since=since)
    v201.answered(ctx, 4, "StatusNotificationResponse", status)
    since = ctx.mark()
    ctx.station.plug_in(cid, ctx.settings.ev_template)
    await v201.tx_event(
        ctx, since, step=6, what="CablePluggedIn", match=v201.trigger_is("CablePluggedIn")
    )
    await v201.tx_event(
        ctx, since, step=8, what="charging", match=v201.charging_state_is("Charging")
    )


# ---------------------------------------------------------------- GetTransactionStatus (E14)
async def _status_request(
    ctx: CaseRun, transaction_id: str | None, *, step: int, since: int
) -> dict[str, Any]:
    """Manual action ``get_transaction_status``; the CSMS's request from ``since`` on (it
    may ask on its own once the station is back)."""
    what = f"transaction {transaction_id}" if transaction_id else "its transactions"
    await ctx.manual(
        TX_STATUS,
        f"Request the CSMS to get the status of {what} (GetTransactionStatusRequest"
        + (")" if transaction_id else " without transactionId)"),
        step=step,
        action="GetTransactionStatus",
        request={"transactionId": transaction_id} if transaction_id else {},
        transaction_id=transaction_id,
    )
    return await ctx.csms_request("GetTransactionStatus", step=step, since=since)


def _scripted_status(ctx: CaseRun, reply: dict[str, Any]) -> None:
    """The case's GetTransactionStatusResponse. The bench's station sends what it queued
    as soon as it is back, so when the CSMS asks its queue is empty already; the answer
    the case prescribes (messages in queue) is given as the case states it."""

    async def answer(_request: dict[str, Any]) -> dict[str, Any]:
        return reply

    ctx.station.answer_with("GetTransactionStatus", answer)


async def _offline_with_queued_meter_values(ctx: CaseRun, cid: int) -> int:
    """Steps 1-2: the connection closes for a while; a periodic meter value is queued
    meanwhile; the station connects again. Returns the mark before it reconnects."""
    await v201.energy_transfer_started(ctx, connector=cid)
    await v201.configure(ctx, {"SampledDataCtrlr/TxUpdatedInterval": "1"})
    await v201.connection_lost(ctx)
    await v201.until(ctx, lambda: ctx.station.queue_length() > 0, "a meter value queued offline")
    since = ctx.mark()
    await v201.connection_back(ctx)
    return since


def _offline_meter_values(p: dict[str, Any]) -> bool:
    return p.get("eventType") == "Updated" and p.get("offline") is True and "meterValue" in p


@scenario("TC_E_29_CSMS", manual=(TX_STATUS,))
async def status_ongoing_queued(ctx: CaseRun) -> None:
    # E14.FR.02/04: asked about the ongoing transaction by its id, with messages queued.
    cid = await _booted(ctx)
    _scripted_status(ctx, {"ongoingIndicator": True, "messagesInQueue": True})
    since = await _offline_with_queued_meter_values(ctx, cid)
    tx_id = v201.transaction_id(ctx, cid)
    request = await _status_request(ctx, tx_id, step=3, since=since)
    ctx.check(3, "GetTransactionStatusRequest", request, "transactionId", tx_id)
    await v201.tx_event(ctx, since, step=6, what="queued offline", match=_offline_meter_values)


@scenario("TC_E_30_CSMS", manual=(TX_STATUS,))
async def status_ongoing_nothing_queued(ctx: CaseRun) -> None:
    # E14.FR.02/05: the station answers ongoingIndicator true, messagesInQueue false.
    cid = await _booted(ctx)
    await v201.energy_transfer_started(ctx, connector=cid)
    tx_id = v201.transaction_id(ctx, cid)
    request = await _status_request(ctx, tx_id, step=1, since=ctx.mark())
    ctx.check(1, "GetTransactionStatusRequest", request, "transactionId", tx_id)


@scenario("TC_E_33_CSMS", manual=(TX_STATUS,))
async def status_any_queued(ctx: CaseRun) -> None:
    # E14.FR.06/07: asked without a transactionId, with messages queued.
    cid = await _booted(ctx)
    _scripted_status(ctx, {"messagesInQueue": True})
    since = await _offline_with_queued_meter_values(ctx, cid)
    request = await _status_request(ctx, None, step=3, since=since)
    ctx.check(3, "GetTransactionStatusRequest", request, "transactionId", absent())
    await v201.tx_event(ctx, since, step=6, what="queued offline", match=_offline_meter_values)


@scenario("TC_E_34_CSMS", manual=(TX_STATUS,))
async def status_any_nothing_queued(ctx: CaseRun) -> None:
    # E14.FR.06/08: without a transactionId, nothing queued: messagesInQueue false.
    await _booted(ctx)
    request = await _status_request(ctx, None, step=1, since=ctx.mark())
    ctx.check(1, "GetTransactionStatusRequest", request, "transactionId", absent())


@scenario("TC_E_31_CSMS", manual=(TX_STATUS,))
async def status_ended_queued(ctx: CaseRun) -> None:
    # E14.FR.03/04: the transaction ended while offline; its Ended event arrives before
    # two earlier ones (seqNo skips two values). A station delivers its queue in order,
    # so these three events and the StatusNotification go through its session as given.
    cid = await _booted(ctx)
    await v201.energy_transfer_started(ctx, connector=cid)
    tx_id = v201.transaction_id(ctx, cid)
    seq = v201.next_seq_no(ctx, tx_id)
    await v201.connection_lost(ctx)
    await v201.connection_back(ctx)
    now = ctx.station.clock.now().isoformat(timespec="seconds")
    status = {"timestamp": now, "connectorStatus": "Available", "evseId": cid, "connectorId": 1}
    reply = await ctx.send("StatusNotification", status, step=3)
    v201.answered(ctx, 4, "StatusNotificationResponse", reply)
    ended = _event(tx_id, seq + 2, "Ended", "EVCommunicationLost", now)
    ended["transactionInfo"].update(chargingState="Idle", stoppedReason="EVDisconnected")
    reply = await ctx.send("TransactionEvent", ended, step=5)
    v201.answered(ctx, 6, "TransactionEventResponse", reply)
    _scripted_status(ctx, {"ongoingIndicator": False, "messagesInQueue": True})
    # The document labels this validation "Step 5"; the request is step 7.
    request = await _status_request(ctx, tx_id, step=7, since=ctx.mark())
    ctx.check(7, "GetTransactionStatusRequest", request, "transactionId", tx_id)
    stop = _event(tx_id, seq, "Updated", "StopAuthorized", now)
    reply = await ctx.send("TransactionEvent", stop, step=9)
    v201.answered(ctx, 10, "TransactionEventResponse", reply)
    connected = _event(tx_id, seq + 1, "Updated", "ChargingStateChanged", now)
    connected["transactionInfo"]["chargingState"] = "EVConnected"
    reply = await ctx.send("TransactionEvent", connected, step=11)
    v201.answered(ctx, 12, "TransactionEventResponse", reply)


def _event(tx_id: str, seq_no: int, kind: str, trigger: str, when: str) -> dict[str, Any]:
    return {
        "eventType": kind,
        "timestamp": when,
        "triggerReason": trigger,
        "seqNo": seq_no,
        "offline": True,
        "transactionInfo": {"transactionId": tx_id},
    }


# ---------------------------------------------------------------- seqNo per transaction
@scenario("TC_E_53_CSMS")
async def seq_no_restarts(ctx: CaseRun) -> None:
    # E01.FR.07: each new transaction's first TransactionEvent has seqNo 0; the CSMS
    # accepts it and answers with a TransactionEventResponse.
    cid = await _booted(ctx)
    for started_step, left_step in ((1, 2), (3, 4)):
        since = ctx.mark()
        await v201.energy_transfer_started(ctx, step=started_step, connector=cid)
        await _started_answered(ctx, since, started_step)
        await v201.ev_disconnected(ctx, step=left_step, connector=cid)


async def _started_answered(ctx: CaseRun, since: int, step: int) -> None:
    event, answer = await v201.tx_event(
        ctx, since, step=step, what="Started", match=_event_type("Started")
    )
    if event.get("seqNo") != 0:
        raise RuntimeError(f"the bench's station started a transaction with seqNo {event}")
    ctx.check(step, "TransactionEventResponse", answer, "idTokenInfo.status", "Accepted")
