"""OCPP 2.0.1 on the CSMS side: the station-initiated messages and their answers.

The same "protocol" shape as ``v16`` (``VERSION``, ``SUBPROTOCOL``, ``ALWAYS_ALLOWED``,
``handlers(ctx)``, ``outgoing_refusal``, ``note_reply``, ``expected_trigger``), plus
``consume_trigger``: which station-initiated messages a CSMS request opened the door
for before the station is accepted (B01.FR.10, B02.FR.09). A GetBaseReport or
GetReport opens it for every NotifyReport part of that requestId until the part
without ``tbc``; a TriggerMessage for a per-EVSE message without an EVSE opens it
for one message per EVSE (the CSMS cannot know how many, so until the station is
accepted); any other trigger for one message.

NotifyReport parts are kept per requestId (``CsmsStore.add_report_part``) and read
back whole with ``CentralSystem.report(station_id, request_id)``. The CSMS-initiated
side is ``v201_commands``; each functional block's station-initiated messages are
in ``v201_<block>``.
"""

from __future__ import annotations

from typing import Any

from bench.csms import v201_auth, v201_monitoring, v201_security, v201_smart, v201_tx
from bench.csms.authorization import TagDecision
from bench.csms.context import StationContext
from bench.csms.registry import StationState
from bench.csms.storage import CsmsStore, StatusRow, iso, normalize_timestamp
from bench.csms.v16 import current_time
from bench.csms.v201_items import (
    learn_from_get_variables,
    learn_from_report,
    merge_replies,
    new_password,
    split_request,
)
from bench.ocpp.session import Handler

# Re-exported for the server, which reaches a version's rules through its module.
__all__ = ["merge_replies", "new_password", "split_request"]

VERSION = "2.0.1"
SUBPROTOCOL = "ocpp2.0.1"

# B01.FR.10: before Accepted only BootNotification, and what TriggerMessage,
# GetBaseReport or GetReport asked for (see consume_trigger).
ALWAYS_ALLOWED = frozenset({"BootNotification"})

# TriggerMessage requestedMessage (MessageTriggerEnumType) -> the action the station sends.
TRIGGERED_ACTION: dict[str, str] = {
    "BootNotification": "BootNotification",
    "LogStatusNotification": "LogStatusNotification",
    "FirmwareStatusNotification": "FirmwareStatusNotification",
    "Heartbeat": "Heartbeat",
    "MeterValues": "MeterValues",
    "SignChargingStationCertificate": "SignCertificate",
    "SignV2GCertificate": "SignCertificate",
    "SignCombinedCertificate": "SignCertificate",
    "StatusNotification": "StatusNotification",
    "TransactionEvent": "TransactionEvent",
    "PublishFirmwareStatusNotification": "PublishFirmwareStatusNotification",
}
# Sent once per EVSE (or per transaction) when the trigger names no EVSE (F06.FR.06/07).
_PER_EVSE = frozenset({"MeterValues", "StatusNotification", "TransactionEvent"})
_MANY = "*"  # suffix of a trigger key that admits any number of messages
# Each functional block's station-initiated messages live in their own module.
_BLOCK_MODULES = (v201_tx, v201_auth, v201_smart, v201_security, v201_monitoring)


def id_token_info(decision: TagDecision) -> dict[str, Any]:
    """IdTokenInfoType (part 2 §2.47) from a version-neutral tag decision.

    1.6's ConcurrentTx is 2.0.1's ConcurrentTx too; parents become groupIdToken.
    """
    info: dict[str, Any] = {"status": decision.status}
    if decision.expiry_date is not None:
        info["cacheExpiryDateTime"] = iso(decision.expiry_date)
    if decision.parent_id_tag is not None:
        info["groupIdToken"] = {"idToken": decision.parent_id_tag, "type": "Central"}
    return info


def handlers(ctx: StationContext) -> dict[str, Handler]:
    """The station-initiated 2.0.1 actions this CSMS answers, bound to one station."""
    state = ctx.state
    store = ctx.store
    sid = ctx.station_id

    def event(kind: str, payload: dict[str, Any]) -> None:
        store.add_event(sid, ctx.now_iso(), kind, payload)

    async def boot_notification(p: dict[str, Any]) -> dict[str, Any]:
        # B01.FR.02, B02, B03
        status, now, interval = ctx.record_boot(p)
        return {"status": status, "currentTime": current_time(now), "interval": interval}

    async def heartbeat(p: dict[str, Any]) -> dict[str, Any]:
        return {"currentTime": current_time(ctx.record_heartbeat())}

    async def status_notification(p: dict[str, Any]) -> dict[str, Any]:
        # G01: the bench keys statuses by EVSE (one connector per EVSE).
        row = StatusRow(
            station=sid,
            connector_id=p["evseId"],
            status=p["connectorStatus"],
            error_code="NoError",
            info=None,
            vendor_id=None,
            vendor_error_code=None,
            timestamp=normalize_timestamp(p["timestamp"]),
            received=ctx.now_iso(),
        )
        store.record_status(row)
        state.connectors[row.connector_id] = row
        return {}

    async def authorize(p: dict[str, Any]) -> dict[str, Any]:
        # C01: the CSMS decides on the idToken; NoAuthorization tokens are always accepted.
        token = p["idToken"]
        if token["type"] == "NoAuthorization":
            return {"idTokenInfo": {"status": "Accepted"}}
        return {"idTokenInfo": id_token_info(ctx.authorize(token["idToken"]))}

    async def data_transfer(p: dict[str, Any]) -> dict[str, Any]:
        # P02: an unknown vendor gets UnknownVendorId; our own vendor ids echo.
        event("DataTransfer", p)
        if p["vendorId"] not in ctx.config.data_transfer_vendors:
            return {"status": "UnknownVendorId"}
        reply: dict[str, Any] = {"status": "Accepted"}
        if "data" in p:
            reply["data"] = p["data"]
        return reply

    async def notify_report(p: dict[str, Any]) -> dict[str, Any]:
        # B07.FR.04/10, B08.FR.04/14: parts of one requestId, seqNo from 0, tbc on all
        # but the last; kept whole for CentralSystem.report().
        store.add_report_part(sid, "NotifyReport", ctx.now_iso(), p)
        learn_from_report(state, p)  # B05.FR.11, B06.FR.05: its ItemsPerMessage limits
        return {}

    table: dict[str, Handler] = {
        "BootNotification": boot_notification,
        "Heartbeat": heartbeat,
        "StatusNotification": status_notification,
        "Authorize": authorize,
        "DataTransfer": data_transfer,
        "NotifyReport": notify_report,
    }
    for module in _BLOCK_MODULES:
        table.update(module.handlers(ctx))
    return table


def outgoing_refusal(registration: str | None, action: str) -> str | None:
    """Why the CSMS should not send ``action`` now (B02.FR.05, B03.FR.03), or None."""
    if registration == "Rejected":
        return "B03: the CSMS does not initiate messages to a Rejected station"
    if registration == "Pending" and action in (
        "RequestStartTransaction",
        "RequestStopTransaction",
    ):
        return f"B02.FR.05: {action} is not allowed while the station is Pending"
    return None


def note_reply(
    state: StationState,
    action: str,
    payload: dict[str, Any],
    reply: dict[str, Any],
    store: CsmsStore | None = None,
) -> None:
    """Remember what an accepted CSMS-initiated call set up on the station."""
    if action == "GetVariables":
        learn_from_get_variables(state, reply)  # B05.FR.11, B06.FR.05: ItemsPerMessage
    profile = payload.get("chargingProfile")
    if (
        action == "SetChargingProfile"
        and store is not None
        and reply.get("status") == "Accepted"
        and profile is not None
        and profile.get("chargingProfilePurpose") == "TxProfile"
    ):
        # K15.FR.11: the EV's own schedule must fit the TxProfile this CSMS set.
        v201_smart.remember_sent_profile(store.conn, state.id, payload["evseId"], profile)


def _report_key(request_id: Any) -> str:
    return f"NotifyReport#{request_id}"


def expected_trigger(action: str, payload: dict[str, Any]) -> str | None:
    """The key of what a CSMS request makes allowed before Accepted (B01.FR.10).

    The server opens the door before sending the request (the station may answer
    and send at once) and closes it again unless the reply is Accepted.
    """
    if action == "TriggerMessage":
        sent = TRIGGERED_ACTION.get(payload.get("requestedMessage", ""))
        if sent in _PER_EVSE and not (payload.get("evse") or {}).get("id"):
            return sent + _MANY
        return sent
    if action in ("GetBaseReport", "GetReport"):
        return _report_key(payload.get("requestId"))
    return None


def consume_trigger(state: StationState, action: str, payload: dict[str, Any]) -> bool:
    """Whether ``action`` was asked for (B01.FR.10); closes the door it came through.

    A report stays open until its last part (no ``tbc``); a per-EVSE trigger without
    an EVSE until the station is accepted; anything else after one message.
    """
    triggered = state.triggered
    if action == "NotifyReport":
        key = _report_key(payload.get("requestId"))
        if key not in triggered:
            return False
        if not payload.get("tbc", False):
            triggered.discard(key)
        return True
    if action + _MANY in triggered:
        return True
    if action in triggered:
        triggered.discard(action)
        return True
    return False
