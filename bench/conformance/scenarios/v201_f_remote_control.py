"""2.0.1 block F, Remote Control: CSMS test cases (part 6 §3.7).

The station is the bench's own: a RequestStartTransaction, UnlockConnector or
TriggerMessage from the CSMS is answered by its real handlers (F01-F06), and the
TransactionEvent, MeterValues or StatusNotification it then sends is its own. Only
TC_F_27 needs an answer the bench's station would not give (NotImplemented for a
message it implements), scripted with ``answer_with``.

Manual actions: ``request_start_transaction`` (evse_id, id_token, id_token_type,
remote_start_id), ``unlock_connector`` (evse_id, connector_id), ``trigger_message``
(requested_message, and evse_id / connector_id when the case names them).
Optional CSMS features (part 5): UnlockConnector (C-11) for TC_F_06, and the
TriggerMessage kinds (C-29.1-5, ``TRIGGER_FEATURES``) for the trigger cases.
"""

from __future__ import annotations

from typing import Any

from bench.conformance import states
from bench.conformance.case_run import CaseRun
from bench.conformance.expect import one_of
from bench.conformance.scenarios import scenario
from bench.conformance.states_charging import (
    answered,
    charging,
    energy_transfer_started,
    evse_of,
    id_token,
    needs_feature,
    prepare,
    sampled_contexts,
    station_event,
    station_sent,
    station_sent_that,
)
from bench.kernel.frames import FrameRecord

REMOTE_START_ID = 1  # what the case asks the CSMS for; the CSMS may pick its own
# <Configured Transaction Duration> of F_04: the EV does not come within this many seconds.
EV_CONNECTION_TIMEOUT_S = 1


# ------------------------------------------------------------------ F01 / F02 remote start
async def _request_start(ctx: CaseRun, *, step: int) -> tuple[dict[str, Any], int]:
    """Manual action: the CSMS sends RequestStartTransaction; checks step 1's tool
    validations. Returns the request and the frame position before it."""
    evse = evse_of(ctx)
    token = id_token(ctx)
    since = ctx.mark()
    request = await ctx.request_by_hand(
        "request_start_transaction",
        f"Trigger the CSMS to request the Charging Station to start a transaction on "
        f"EVSE {evse} for idToken {token['idToken']} ({token['type']})",
        "RequestStartTransaction",
        {"idToken": token, "remoteStartId": REMOTE_START_ID, "evseId": evse},
        step=step,
        evse_id=evse,
        id_token=token["idToken"],
        id_token_type=token["type"],
        remote_start_id=REMOTE_START_ID,
    )
    message = "RequestStartTransactionRequest"
    ctx.check(step, message, request, "idToken.idToken", token["idToken"])
    ctx.check(step, message, request, "idToken.type", token["type"])
    return request, since


async def _remote_start_event(
    ctx: CaseRun, request: dict[str, Any], *, since: int, step: int, event_type: str
) -> int:
    """The station's TransactionEvent with triggerReason RemoteStart carrying the CSMS's
    remoteStartId (F01.FR.25, F02.FR.01), answered by the CSMS; its frame position."""
    rec = await station_event(
        ctx,
        "TransactionEvent",
        since=since,
        what="the station's TransactionEvent (RemoteStart)",
        test=lambda p: p.get("triggerReason") == "RemoteStart",
    )
    station_sent(rec, "eventType", event_type)
    station_sent(rec, "transactionInfo.remoteStartId", request.get("remoteStartId"))
    await answered(ctx, rec, step=step + 1)
    return ctx.frames.index(rec)


@scenario("TC_F_01_CSMS", manual=("request_start_transaction",))
async def remote_start_cable_first(ctx: CaseRun) -> None:
    # F01: the EV is plugged in first (EVConnectedPreSession), then the remote start.
    await prepare(ctx)
    await states.booted(ctx)
    await states.ev_connected(ctx)
    request, since = await _request_start(ctx, step=1)
    # Step 2: the station answers Accepted with the running transaction's id (F01.FR.13).
    at = await _remote_start_event(ctx, request, since=since, step=3, event_type="Updated")
    # Step 5: EnergyTransferStarted (Authorized and EV connected: energy flows).
    await charging(ctx, since=at, step=5)


@scenario("TC_F_02_CSMS", manual=("request_start_transaction",))
async def remote_start_first_authorize_remote_start(ctx: CaseRun) -> None:
    # F02.FR.01, F01.FR.01: with AuthorizeRemoteStart true the station authorizes first.
    await prepare(ctx, {"AuthCtrlr/AuthorizeRemoteStart": "true"})
    await states.booted(ctx)
    request, since = await _request_start(ctx, step=1)
    authorize = await station_event(
        ctx, "Authorize", since=since, what="the station's AuthorizeRequest"
    )
    station_sent(authorize, "idToken.idToken", ctx.settings.valid_id_token)
    reply = await answered(ctx, authorize, step=4)
    ctx.check(4, "AuthorizeResponse", reply, "idTokenInfo.status", "Accepted")
    await _remote_start_event(
        ctx, request, since=ctx.frames.index(authorize), step=5, event_type="Started"
    )
    # Step 7: EnergyTransferStarted (Authorized, EV not yet connected).
    since = ctx.mark()
    ctx.station.plug_in(evse_of(ctx), ctx.settings.ev_template)
    await charging(ctx, since=since, step=7)


@scenario("TC_F_03_CSMS", manual=("request_start_transaction",))
async def remote_start_first(ctx: CaseRun) -> None:
    # F02.FR.01, F01.FR.02: AuthorizeRemoteStart false: the idToken is taken as given.
    await prepare(ctx)
    await states.booted(ctx)
    request, since = await _request_start(ctx, step=1)
    await _remote_start_event(ctx, request, since=since, step=3, event_type="Started")
    since = ctx.mark()
    ctx.station.plug_in(evse_of(ctx), ctx.settings.ev_template)
    await charging(ctx, since=since, step=5)


@scenario("TC_F_04_CSMS", manual=("request_start_transaction",))
async def remote_start_cable_timeout(ctx: CaseRun) -> None:
    # E03.FR.04/05: no EV within EVConnectionTimeOut: the authorization ends.
    await prepare(ctx, {"TxCtrlr/EVConnectionTimeOut": str(EV_CONNECTION_TIMEOUT_S)})
    await states.booted(ctx)
    request, since = await _request_start(ctx, step=1)
    at = await _remote_start_event(ctx, request, since=since, step=3, event_type="Started")
    # Step 5: OCTT sends Updated; the bench's station ends the transaction as E03.FR.05
    # says a station SHOULD when TxStopPoint has no ParkingBayOccupancy (Ended, Timeout).
    rec = await station_event(
        ctx,
        "TransactionEvent",
        since=at + 1,
        what="the station's TransactionEvent (EVConnectTimeout)",
        test=lambda p: p.get("triggerReason") == "EVConnectTimeout",
        timeout=ctx.settings.timeout + EV_CONNECTION_TIMEOUT_S,
    )
    station_sent(rec, "eventType", one_of("Updated", "Ended"))
    await answered(ctx, rec, step=6)


# ------------------------------------------------------------------ F05 unlock connector
@scenario("TC_F_06_CSMS", manual=("unlock_connector",))
async def unlock_connector_without_transaction(ctx: CaseRun) -> None:
    # F05: the station tries to unlock (F05.FR.06: also with no cable) and says Unlocked.
    needs_feature(ctx, "UnlockConnector", "C-11")
    await prepare(ctx)
    await states.booted(ctx)
    evse = evse_of(ctx)
    since = ctx.mark()
    request = await ctx.request_by_hand(
        "unlock_connector",
        f"Request the CSMS to unlock connector 1 of EVSE {evse}",
        "UnlockConnector",
        {"evseId": evse, "connectorId": 1},
        step=1,
        evse_id=evse,
        connector_id=1,
    )
    ctx.check(1, "UnlockConnectorRequest", request, "evseId", evse)
    ctx.check(1, "UnlockConnectorRequest", request, "connectorId", 1)
    reply = await ctx.wait_frame(
        lambda r: r.direction == "tx" and r.type == "CALLRESULT" and r.action == "UnlockConnector",
        since=since,
        what="the station's UnlockConnectorResponse",
    )
    station_sent(reply, "status", "Unlocked")


# ------------------------------------------------------------------ F06 trigger message
# Part 5 optional CSMS features C-29.x: which TriggerMessage requests the CSMS supports.
TRIGGER_FEATURES = {
    "MeterValues": ("TriggerMeterValues", "C-29.1"),
    "TransactionEvent": ("TriggerTransactionEvent", "C-29.2"),
    "LogStatusNotification": ("TriggerLogStatusNotification", "C-29.3"),
    "FirmwareStatusNotification": ("TriggerFirmwareStatusNotification", "C-29.4"),
    "StatusNotification": ("TriggerStatusNotification", "C-29.5"),
}


def _needs_trigger(ctx: CaseRun, message: str) -> None:
    if message in TRIGGER_FEATURES:
        needs_feature(ctx, *TRIGGER_FEATURES[message])


async def _trigger(
    ctx: CaseRun,
    message: str,
    *,
    evse: int | None = None,
    connector: int | None = None,
    check: bool = True,
) -> tuple[dict[str, Any], int]:
    """Manual action: the CSMS sends TriggerMessage for ``message``; step 1's checks
    (requestedMessage, and evse.id / evse.connectorId where the case names them)."""
    target: dict[str, Any] = {}
    where = ""
    params: dict[str, Any] = {"requested_message": message}
    if evse is not None:
        target["id"] = evse
        params["evse_id"] = evse
        where = f" for EVSE {evse}"
    if connector is not None:
        target["connectorId"] = connector
        params["connector_id"] = connector
        where += f" connector {connector}"
    payload: dict[str, Any] = {"requestedMessage": message}
    if target:
        payload["evse"] = target
    since = ctx.mark()
    request = await ctx.request_by_hand(
        "trigger_message",
        f"Request the CSMS to send a TriggerMessageRequest for {message}{where}",
        "TriggerMessage",
        payload,
        step=1,
        **params,
    )
    if not check:
        return request, since
    ctx.check(1, "TriggerMessageRequest", request, "requestedMessage", message)
    if evse is not None:
        ctx.check(1, "TriggerMessageRequest", request, "evse.id", evse)
    if connector is not None:
        # F06.FR.13: a StatusNotification is requested for one connector.
        ctx.check(1, "TriggerMessageRequest", request, "evse.connectorId", connector)
    return request, since


async def _triggered(
    ctx: CaseRun, action: str, since: int, *, count: int = 1, step: int = 3
) -> list[FrameRecord]:
    """The station sends what was triggered (``count`` times: once per EVSE) and the CSMS
    answers each (step + 1); returns the station's messages."""
    out = []
    for _ in range(count):
        rec = await station_event(ctx, action, since=since, what=f"the station's {action}Request")
        since = ctx.frames.index(rec) + 1
        await answered(ctx, rec, step=step + 1)
        out.append(rec)
    return out


@scenario("TC_F_11_CSMS", manual=("trigger_message",))
async def trigger_meter_values_one_evse(ctx: CaseRun) -> None:
    # F06.FR.01/02, F06.FR.06: MeterValues of the configured EVSE, context Trigger.
    _needs_trigger(ctx, "MeterValues")
    await prepare(ctx)
    await states.booted(ctx)
    evse = evse_of(ctx)
    _, since = await _trigger(ctx, "MeterValues", evse=evse)
    (sent,) = await _triggered(ctx, "MeterValues", since)
    station_sent(sent, "evseId", evse)
    station_sent_that(sent, "Trigger" in sampled_contexts(sent.payload), "context Trigger")


@scenario("TC_F_12_CSMS", manual=("trigger_message",))
async def trigger_meter_values_all_evses(ctx: CaseRun) -> None:
    # F06.FR.01, F06.FR.11: no evse: MeterValues for every EVSE.
    _needs_trigger(ctx, "MeterValues")
    await prepare(ctx)
    await states.booted(ctx)
    _, since = await _trigger(ctx, "MeterValues")
    count = len(ctx.station.connector_ids())
    for sent in await _triggered(ctx, "MeterValues", since, count=count):
        station_sent_that(sent, "Trigger" in sampled_contexts(sent.payload), "context Trigger")


async def _charging_then_trigger(ctx: CaseRun, evse: int | None) -> None:
    _needs_trigger(ctx, "TransactionEvent")
    await prepare(ctx)
    await states.booted(ctx)
    await energy_transfer_started(ctx)
    _, since = await _trigger(ctx, "TransactionEvent", evse=evse)
    rec = await station_event(
        ctx,
        "TransactionEvent",
        since=since,
        what="the station's TransactionEvent (Trigger)",
        test=lambda p: p.get("triggerReason") == "Trigger",
    )
    # F06.FR.07: chargingState and the latest TxUpdatedMeasurands, context Trigger.
    station_sent(rec, "transactionInfo.chargingState", "Charging")
    station_sent(rec, "meterValue[0].sampledValue[0].context", "Trigger")
    await answered(ctx, rec, step=4)


@scenario("TC_F_13_CSMS", manual=("trigger_message",))
async def trigger_transaction_event_one_evse(ctx: CaseRun) -> None:
    # F06.FR.01/02, F06.FR.07
    await _charging_then_trigger(ctx, evse_of(ctx))


@scenario("TC_F_14_CSMS", manual=("trigger_message",))
async def trigger_transaction_event_all_evses(ctx: CaseRun) -> None:
    # F06.FR.01, F06.FR.11: every EVSE with a transaction (the one charging).
    await _charging_then_trigger(ctx, None)


def _trigger_idle(case_id: str, message: str, requirement: str) -> None:
    @scenario(case_id, manual=("trigger_message",))
    async def run(ctx: CaseRun) -> None:
        _needs_trigger(ctx, message)
        await prepare(ctx)
        await states.booted(ctx)
        _, since = await _trigger(ctx, message)
        (sent,) = await _triggered(ctx, message, since)
        if message != "Heartbeat":
            station_sent(sent, "status", "Idle")  # F06.FR.15, F06.FR.16: nothing going on

    run.__doc__ = f"{case_id}: TriggerMessage {message} ({requirement})."


_trigger_idle("TC_F_15_CSMS", "LogStatusNotification", "F06.FR.01, F06.FR.15")
_trigger_idle("TC_F_18_CSMS", "FirmwareStatusNotification", "F06.FR.01, F06.FR.16")
_trigger_idle("TC_F_20_CSMS", "Heartbeat", "F06.FR.01")


@scenario("TC_F_23_CSMS", manual=("trigger_message",))
async def trigger_status_available(ctx: CaseRun) -> None:
    # F06.FR.01/02/13: the status of one connector, Available.
    _needs_trigger(ctx, "StatusNotification")
    await prepare(ctx)
    await states.booted(ctx)
    evse = evse_of(ctx)
    _, since = await _trigger(ctx, "StatusNotification", evse=evse, connector=1)
    (sent,) = await _triggered(ctx, "StatusNotification", since)
    station_sent(sent, "connectorStatus", "Available")


@scenario("TC_F_24_CSMS", manual=("trigger_message",))
async def trigger_status_occupied(ctx: CaseRun) -> None:
    # F06.FR.01/02/13: the status of one connector, Occupied (an EV is plugged in).
    _needs_trigger(ctx, "StatusNotification")
    await prepare(ctx)
    await states.booted(ctx)
    evse = evse_of(ctx)
    since = ctx.mark()
    ctx.station.plug_in(evse, ctx.settings.ev_template)
    occupied = await station_event(
        ctx,
        "StatusNotification",
        since=since,
        what="the station's StatusNotification Occupied",
        test=lambda p: p.get("connectorStatus") == "Occupied",
    )
    await answered(ctx, occupied, step=2)
    _, since = await _trigger(ctx, "StatusNotification", evse=evse, connector=1)
    (sent,) = await _triggered(ctx, "StatusNotification", since, step=5)
    station_sent(sent, "connectorStatus", "Occupied")


@scenario("TC_F_27_CSMS", manual=("trigger_message",))
async def trigger_not_implemented(ctx: CaseRun) -> None:
    # F06.FR.08: the station has not implemented the requested message. Any message
    # will do; the bench implements them all, so the answer is scripted.
    await prepare(ctx)
    await states.booted(ctx)

    async def not_implemented(request: dict[str, Any]) -> dict[str, Any]:
        return {"status": "NotImplemented"}

    restore = ctx.station.answer_with("TriggerMessage", not_implemented)
    try:
        # No tool validation: whatever the CSMS asks for, the answer is NotImplemented.
        _, since = await _trigger(ctx, "MeterValues", check=False)
        answer = await ctx.wait_frame(
            lambda r: (
                r.direction == "tx" and r.type == "CALLRESULT" and r.action == "TriggerMessage"
            ),
            since=since,
            what="the station's TriggerMessageResponse",
        )
        station_sent(answer, "status", "NotImplemented")
    finally:
        restore()
