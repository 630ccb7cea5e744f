"""2.0.1 block F, Remote control: charging-station test cases (part 6 §2.8).

Optional features (part 5) the cases need, declared by the operator: HFS-1 (a
detachable cable with a connector lock: UnlockConnector), C-29.1 .. C-29.6
(TriggerMessage for MeterValues, TransactionEvent, LogStatusNotification,
FirmwareStatusNotification, StatusNotification, BootNotification); TC_F_01_CS is
for a station without AQ-2 (a cable lock that keeps the EV out until authorized),
TC_F_27_CS for one without ISO-3 (SignCombinedCertificate).
"""

from __future__ import annotations

from typing import Any

from bench.conformance.charger import physical
from bench.conformance.charger import states201 as v201
from bench.conformance.charger import states_firmware as fw
from bench.conformance.charger import states_remote as remote
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.expect import absent_or, present

_TX_PHYSICAL = ("present_token", "plug_in")


def _evse(ctx: ChargerRun, *, connector: bool = False) -> dict[str, Any]:
    evse: dict[str, Any] = {"id": ctx.settings.evse_id}
    if connector:
        evse["connectorId"] = ctx.settings.connector_id
    return evse


async def _trigger(
    ctx: ChargerRun,
    requested: str,
    *,
    step: int,
    evse: dict[str, Any] | None = None,
    expect: str = "Accepted",
) -> None:
    request: dict[str, Any] = {"requestedMessage": requested}
    if evse is not None:
        request["evse"] = evse
    reply = await ctx.request("TriggerMessage", request, step=step)
    ctx.require(step + 1, "TriggerMessageResponse", reply, "status", expect)


# ---------------------------------------------------------------- F01 / F02: remote start
@scenario("TC_F_01_CS", physical=("plug_in",))
async def remote_start_cable_first(ctx: ChargerRun) -> None:
    remote.lacks_feature(
        ctx, "AQ-2", "a cable lock that keeps the EV out before authorization; the case needs none"
    )
    await remote.configure_if_there(ctx, remote.AUTH_REMOTE)
    plugged = ctx.mark()
    await v201.ev_connected(ctx)  # State is EVConnectedPreSession
    since = ctx.mark()
    await remote.authorized_remote(ctx, step=1)
    started = remote.sent(ctx, "TransactionEvent", plugged, until=since)
    if started is not None:
        # F01.FR.13: a transaction the cable started, not yet authorized: its id comes back.
        reply = ctx.memory["remote_start_reply"]
        tx = (started.get("transactionInfo") or {}).get("transactionId")
        ctx.check(2, "RequestStartTransactionResponse", reply, "transactionId", tx)
    await remote.charging(ctx, since=since, step=2)


async def _authorize_remote_start(ctx: ChargerRun, value: str) -> None:
    """AuthorizeRemoteStart is ``value`` (If ReadWrite); the prerequisite: it is not
    read-only with the other value."""
    name = "AuthCtrlr/AuthorizeRemoteStart"
    await remote.configure_if_there(ctx, remote.AUTH_REMOTE)
    status = (await remote.configure_if_there(ctx, {name: value}))[name]
    if status != "Accepted":
        actual = await v201.get_variable(ctx, name)
        if actual is not None and actual.lower() != value:
            ctx.not_applicable(f"AuthCtrlr.AuthorizeRemoteStart is read-only {actual}")


@scenario("TC_F_02_CS", physical=("plug_in",))
async def remote_start_first_authorized(ctx: ChargerRun) -> None:
    await _authorize_remote_start(ctx, "true")
    since = ctx.mark()
    await remote.authorized_remote(ctx, step=1, authorize=True, then_plug=True)  # F01.FR.01
    await remote.charging(ctx, since=since, step=2)


@scenario("TC_F_03_CS", physical=("plug_in",))
async def remote_start_first_not_authorized(ctx: ChargerRun) -> None:
    await _authorize_remote_start(ctx, "false")
    since = ctx.mark()
    await remote.authorized_remote(ctx, step=1, authorize=False, then_plug=True)  # F01.FR.02
    await remote.charging(ctx, since=since, step=2)


@scenario("TC_F_04_CS")
async def remote_start_cable_timeout(ctx: ChargerRun) -> None:
    timeout = int(ctx.settings.extra.get("ev_connection_timeout", "5"))
    await remote.configure_if_there(ctx, remote.AUTH_REMOTE)
    await remote.configure_or_na(
        ctx, "TxCtrlr/TxStartPoint", "Authorized", why="the case needs it (or ParkingBayOccupancy)"
    )
    await v201.configure(ctx, {"TxCtrlr/EVConnectionTimeOut": str(timeout)})
    await remote.authorized_remote(ctx, step=0)  # State is Authorized (remote)
    ended = await ctx.station_request(
        "TransactionEvent",
        step=1,
        since=int(ctx.memory["remote_start_mark"]),
        match=lambda p: p.get("eventType") == "Ended",
        what=f"the TransactionEvent Ended after the {timeout} s EVConnectionTimeOut",
        timeout=timeout + ctx.settings.timeout,
    )
    ctx.check(1, "TransactionEventRequest", ended, "triggerReason", "EVConnectTimeout")
    ctx.check(1, "TransactionEventRequest", ended, "eventType", "Ended")
    # Step 3: the EVSE is ready for another session.
    await remote.authorized_remote(ctx, step=3)


# ---------------------------------------------------------------- F05: unlock connector
async def _unlock(ctx: ChargerRun, connector_id: int, expect: str) -> None:
    reply = await ctx.request(
        "UnlockConnector",
        {"evseId": ctx.settings.evse_id, "connectorId": connector_id},
        step=1,
    )
    ctx.check(2, "UnlockConnectorResponse", reply, "status", expect)


@scenario("TC_F_05_CS", physical=_TX_PHYSICAL)
async def unlock_with_transaction(ctx: ChargerRun) -> None:
    ctx.needs_feature("HFS-1")
    await v201.energy_transfer_started(ctx)
    await _unlock(ctx, ctx.settings.connector_id, "OngoingAuthorizedTransaction")  # F05.FR.02


@scenario("TC_F_06_CS", "TC_F_07_CS")
async def unlock_without_transaction(ctx: ChargerRun) -> None:
    ctx.needs_feature("HFS-1")
    await _unlock(ctx, ctx.settings.connector_id, "Unlocked")  # F05.FR.04


@scenario("TC_F_10_CS")
async def unlock_unknown_connector(ctx: ChargerRun) -> None:
    ctx.needs_feature("HFS-1")
    await _unlock(ctx, 999, "UnknownConnector")  # F05.FR.03


# ---------------------------------------------------------------- F03: remote stop
@scenario("TC_F_08_CS", physical=_TX_PHYSICAL)
async def remote_stop(ctx: ChargerRun) -> None:
    await v201.energy_transfer_started(ctx)
    await remote.stop_authorized_remote(ctx, step=1)


@scenario("TC_F_09_CS", physical=_TX_PHYSICAL)
async def remote_stop_unknown(ctx: ChargerRun) -> None:
    await v201.energy_transfer_started(ctx)
    own = v201.transaction_id(ctx)
    other = "OCTT-unknown-1" if own != "OCTT-unknown-1" else "OCTT-unknown-2"
    reply = await ctx.request("RequestStopTransaction", {"transactionId": other}, step=1)
    ctx.check(2, "RequestStopTransactionResponse", reply, "status", "Rejected")  # F03.FR.08


# ---------------------------------------------------------------- F06: trigger message
def _trigger_context(ctx: ChargerRun, step: int, message: str, payload: dict[str, Any]) -> None:
    path = "meterValue[0].sampledValue[0].context"
    ctx.check(step, message, payload, path, "Trigger")


@scenario("TC_F_11_CS")
async def trigger_meter_values_evse(ctx: ChargerRun) -> None:
    ctx.needs_feature("C-29.1")
    since = ctx.mark()
    await _trigger(ctx, "MeterValues", step=1, evse=_evse(ctx))
    values = await ctx.station_request("MeterValues", step=3, since=since)
    ctx.check(3, "MeterValuesRequest", values, "evseId", ctx.settings.evse_id)
    _trigger_context(ctx, 3, "MeterValuesRequest", values)


@scenario("TC_F_12_CS")
async def trigger_meter_values_all(ctx: ChargerRun) -> None:
    ctx.needs_feature("C-29.1")
    since = ctx.mark()
    await _trigger(ctx, "MeterValues", step=1)
    for evse_id in remote.evse_ids(ctx):
        values = await ctx.station_request(
            "MeterValues",
            step=3,
            since=since,
            match=_meter_values_of(evse_id),
            what=f"the station's MeterValuesRequest for EVSE {evse_id}",
        )
        _trigger_context(ctx, 3, "MeterValuesRequest", values)


def _meter_values_of(evse_id: int) -> v201.Match:
    return lambda p: p.get("evseId") == evse_id


def _charging_on(evse_id: int) -> v201.Match:
    """Charging on ``evse_id`` (an event without evse is of the EVSE just started)."""
    return lambda p: (
        (p.get("transactionInfo") or {}).get("chargingState") == "Charging"
        and (p.get("evse") or {}).get("id", evse_id) == evse_id
    )


def _triggered_on(evse_id: int) -> v201.Match:
    return lambda p: (
        p.get("triggerReason") == "Trigger" and (p.get("evse") or {}).get("id") == evse_id
    )


def _check_triggered_event(ctx: ChargerRun, event: dict[str, Any], *, specific: bool) -> None:
    message = "TransactionEventRequest"
    if specific:
        ctx.check(3, message, event, "evse.id", absent_or(ctx.settings.evse_id))
    ctx.check(3, message, event, "triggerReason", "Trigger")
    ctx.check(3, message, event, "transactionInfo.chargingState", "Charging")
    ctx.check(3, message, event, "meterValue", present())
    _trigger_context(ctx, 3, message, event)


@scenario("TC_F_13_CS", physical=_TX_PHYSICAL)
async def trigger_transaction_event_evse(ctx: ChargerRun) -> None:
    ctx.needs_feature("C-29.2")
    await v201.energy_transfer_started(ctx)
    since = ctx.mark()
    await _trigger(ctx, "TransactionEvent", step=1, evse=_evse(ctx))
    event = await ctx.station_request(
        "TransactionEvent",
        step=3,
        since=since,
        match=lambda p: p.get("triggerReason") == "Trigger",
        what="the triggered TransactionEventRequest",
    )
    _check_triggered_event(ctx, event, specific=True)


@scenario("TC_F_14_CS", physical=_TX_PHYSICAL)
async def trigger_transaction_event_all(ctx: ChargerRun) -> None:
    ctx.needs_feature("C-29.2")
    evses = remote.evse_ids(ctx)
    remote.accept_tokens(ctx)
    tokens = [ctx.valid_token, remote.second_token(ctx)]
    if len(evses) > len(tokens):
        ctx.not_applicable(f"the case needs a transaction on each of {len(evses)} EVSEs")
    for n, evse_id in enumerate(evses):  # State is EnergyTransferStarted for all EVSE
        since = ctx.mark()
        await physical.present(ctx, tokens[n], evse_id, step=0)
        await physical.plug_in(ctx, evse_id, step=0)
        await ctx.station_request(
            "TransactionEvent",
            step=0,
            since=since,
            match=_charging_on(evse_id),
            what=f"a TransactionEvent with chargingState Charging on EVSE {evse_id}",
        )
    since = ctx.mark()
    await _trigger(ctx, "TransactionEvent", step=1)
    for evse_id in evses:
        event = await ctx.station_request(
            "TransactionEvent",
            step=3,
            since=since,
            match=_triggered_on(evse_id),
            what=f"the triggered TransactionEventRequest of EVSE {evse_id}",
        )
        ctx.check(3, "TransactionEventRequest", event, "evse.id", evse_id)
        _check_triggered_event(ctx, event, specific=False)


@scenario("TC_F_15_CS")
async def trigger_log_status_idle(ctx: ChargerRun) -> None:
    ctx.needs_feature("C-29.3")
    since = ctx.mark()
    await _trigger(ctx, "LogStatusNotification", step=1)
    status = await ctx.station_request("LogStatusNotification", step=3, since=since)
    ctx.check(3, "LogStatusNotificationRequest", status, "status", "Idle")


@scenario("TC_F_16_CS")
async def trigger_log_status_uploading(ctx: ChargerRun) -> None:
    ctx.needs_feature("C-29.3")
    async with fw.held_files(ctx) as files:
        files.hold_any("logs/")
        since = ctx.mark()
        reply = await ctx.request(
            "GetLog",
            {
                "logType": "DiagnosticsLog",
                "requestId": 4711,
                "log": {"remoteLocation": fw.log_location(ctx, files)},
            },
            step=1,
        )
        ctx.require(2, "GetLogResponse", reply, "status", "Accepted")
        first = await ctx.station_request("LogStatusNotification", step=3, since=since)
        ctx.check(3, "LogStatusNotificationRequest", first, "status", "Uploading")
        await files.held(ctx.settings.timeout)  # still uploading
        since = ctx.mark()
        await _trigger(ctx, "LogStatusNotification", step=5)
        second = await ctx.station_request("LogStatusNotification", step=7, since=since)
        ctx.check(7, "LogStatusNotificationRequest", second, "status", "Uploading")
        files.release()


@scenario("TC_F_17_CS", "TC_F_18_CS")
async def trigger_firmware_status_idle(ctx: ChargerRun) -> None:
    ctx.needs_feature("C-29.4")
    since = ctx.mark()
    evse = _evse(ctx) if ctx.case.id == "TC_F_17_CS" else None  # F06.FR.03: not relevant
    await _trigger(ctx, "FirmwareStatusNotification", step=1, evse=evse)
    status = await ctx.station_request("FirmwareStatusNotification", step=3, since=since)
    ctx.check(3, "FirmwareStatusNotificationRequest", status, "status", "Idle")


@scenario("TC_F_19_CS")
async def trigger_firmware_status_downloading(ctx: ChargerRun) -> None:
    ctx.needs_feature("C-29.4")
    async with fw.firmware(ctx) as kit:
        kit.files.hold_any(kit.path)
        since = ctx.mark()
        await fw.update_firmware(ctx, kit, step=1, install=None)
        first = await ctx.station_request("FirmwareStatusNotification", step=3, since=since)
        ctx.check(3, "FirmwareStatusNotificationRequest", first, "status", "Downloading")
        await kit.files.held(ctx.settings.timeout)  # still downloading
        since = ctx.mark()
        await _trigger(ctx, "FirmwareStatusNotification", step=5)
        second = await ctx.station_request("FirmwareStatusNotification", step=7, since=since)
        ctx.check(7, "FirmwareStatusNotificationRequest", second, "status", "Downloading")
        kit.files.release()


@scenario("TC_F_20_CS")
async def trigger_heartbeat(ctx: ChargerRun) -> None:
    since = ctx.mark()
    await _trigger(ctx, "Heartbeat", step=1)
    await ctx.station_request("Heartbeat", step=3, since=since)


@scenario("TC_F_23_CS")
async def trigger_status_available(ctx: ChargerRun) -> None:
    ctx.needs_feature("C-29.5")
    since = ctx.mark()
    await _trigger(ctx, "StatusNotification", step=1, evse=_evse(ctx, connector=True))
    await v201.connector_status(ctx, "Available", since=since, step=3)


@scenario("TC_F_24_CS", physical=("plug_in",))
async def trigger_status_occupied(ctx: ChargerRun) -> None:
    ctx.needs_feature("C-29.5")
    await v201.ev_connected(ctx, step=0)  # State is EVConnectedPreSession
    since = ctx.mark()
    await _trigger(ctx, "StatusNotification", step=1, evse=_evse(ctx, connector=True))
    await v201.connector_status(ctx, "Occupied", since=since, step=3)


@scenario("TC_F_26_CS")
async def trigger_boot_rejected(ctx: ChargerRun) -> None:
    ctx.needs_feature("C-29.6")
    await _trigger(ctx, "BootNotification", step=1, expect="Rejected")  # F06.FR.17


@scenario("TC_F_27_CS")
async def trigger_not_implemented(ctx: ChargerRun) -> None:
    remote.lacks_feature(ctx, "ISO-3", "it sends SignCombinedCertificate; the case needs it not to")
    reply = await ctx.request(
        "TriggerMessage", {"requestedMessage": "SignCombinedCertificate"}, step=1
    )
    if reply.get("status") == "Accepted":
        # What the station does says it has the feature the case is not for.
        ctx.not_applicable(
            "the station accepts a SignCombinedCertificate trigger: it has ISO-3, "
            "the case is for a station without"
        )
    ctx.check(2, "TriggerMessageResponse", reply, "status", "NotImplemented")  # F06.FR.08
