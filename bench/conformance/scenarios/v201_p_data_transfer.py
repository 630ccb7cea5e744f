"""2.0.1 block P, DataTransfer: CSMS test cases (part 6 §3.17).

Both cases need messages the bench's station never sends on its own (a vendor
DataTransfer, customData on its messages), so the station sends them as the case
gives them (``ctx.send``), through its own session: logged and validated like any
other frame.
"""

from __future__ import annotations

import uuid
from typing import Any

from bench.conformance import preconditions, states
from bench.conformance.case_run import CaseRun
from bench.conformance.expect import one_of
from bench.conformance.scenarios import scenario

# <Configured vendorId> / <Configured messageId>: a vendor no CSMS implements.
VENDOR_ID = "org.ocppbench.conformance"
MESSAGE_ID = "TC_P_02"
CUSTOM_DATA = {"vendorId": VENDOR_ID, "case": "TC_P_03"}


def answered(ctx: CaseRun, step: int, message: str, reply: Any) -> bool:
    """The CSMS answered with a CALLRESULT (not a CALLERROR)."""
    return ctx.check_that(
        step,
        message,
        "(message type)",
        reply.type == "CALLRESULT",
        "CALLRESULT",
        f"{reply.type} {reply.error or ''}".strip(),
    )


@scenario("TC_P_02_CSMS")
async def data_transfer_unknown_vendor(ctx: CaseRun) -> None:
    # P02.FR.06/07: a CSMS without the vendor's extension answers UnknownVendorId or
    # UnknownMessageId; Rejected is allowed too (the case's note).
    await preconditions.booted(ctx)
    reply = await ctx.send("DataTransfer", {"vendorId": VENDOR_ID, "messageId": MESSAGE_ID}, step=1)
    if answered(ctx, 2, "DataTransferResponse", reply):
        ctx.check(
            2,
            "DataTransferResponse",
            reply.payload,
            "status",
            one_of("UnknownVendorId", "UnknownMessageId", "Rejected"),
        )


@scenario("TC_P_03_CSMS")
async def custom_data_received(ctx: CaseRun) -> None:
    # Part 2 §2 CustomDataType: every message may carry customData; the CSMS must still
    # answer. The case has no tool validations beyond the replies coming back.
    await preconditions.booted(ctx)
    now = ctx.station.clock.now().isoformat(timespec="seconds")
    evse = states.connector_for(ctx)
    status = {
        "timestamp": now,
        "connectorStatus": ctx.station.connector(evse).status,
        "evseId": evse,
        "connectorId": 1,
        "customData": CUSTOM_DATA,
    }
    reply = await ctx.send("StatusNotification", status, step=1)
    answered(ctx, 2, "StatusNotificationResponse", reply)

    transaction_id = f"TC_P_03-{uuid.uuid4().hex[:12]}"
    started = _transaction_event(
        now, transaction_id, "Started", 0, "CablePluggedIn", evse, {"chargingState": "EVConnected"}
    )
    reply = await ctx.send("TransactionEvent", started, step=3)
    answered(ctx, 4, "TransactionEventResponse", reply)
    # Not a step of the case: the transaction step 3 opened is closed again, so the
    # CSMS is not left with a session no station runs.
    ended = _transaction_event(
        now,
        transaction_id,
        "Ended",
        1,
        "EVCommunicationLost",
        evse,
        {"chargingState": "Idle", "stoppedReason": "EVDisconnected"},
    )
    await ctx.send("TransactionEvent", ended, step=None)


def _transaction_event(
    now: str,
    transaction_id: str,
    event_type: str,
    seq_no: int,
    trigger: str,
    evse: int,
    info: dict[str, Any],
) -> dict[str, Any]:
    return {
        "eventType": event_type,
        "timestamp": now,
        "triggerReason": trigger,
        "seqNo": seq_no,
        "transactionInfo": {"transactionId": transaction_id, **info, "customData": CUSTOM_DATA},
        "evse": {"id": evse, "connectorId": 1},
        "customData": CUSTOM_DATA,
    }
