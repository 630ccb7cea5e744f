"""OCPP 2.0.1 on the CSMS side: the station-initiated messages and their answers.

The same "protocol" shape as ``v16`` (``VERSION``, ``SUBPROTOCOL``, ``ALWAYS_ALLOWED``,
``handlers(ctx)``, ``outgoing_refusal``, ``note_reply``, ``expected_trigger``).
"""

from __future__ import annotations

from typing import Any

from bench.csms.context import StationContext
from bench.csms.registry import StationState
from bench.csms.storage import StatusRow, iso, normalize_timestamp
from bench.csms.v16 import current_time
from bench.ocpp.session import Handler

VERSION = "2.0.1"
SUBPROTOCOL = "ocpp2.0.1"

# B01.FR.10: before Accepted only BootNotification, and what TriggerMessage,
# GetBaseReport or GetReport asked for (NotifyReport).
ALWAYS_ALLOWED = frozenset({"BootNotification"})


def handlers(ctx: StationContext) -> dict[str, Handler]:
    """The station-initiated 2.0.1 actions this CSMS answers, bound to one station."""
    state = ctx.state
    store = ctx.store
    sid = ctx.station_id

    def event(kind: str, payload: dict[str, Any]) -> None:
        store.add_event(sid, ctx.now_iso(), kind, payload)

    async def boot_notification(p: dict[str, Any]) -> dict[str, Any]:
        # B01.FR.02; Pending/Rejected carry the wait before the next boot (B02, B03).
        status = ctx.next_boot_status()
        now = ctx.now()
        store.record_boot(sid, iso(now), p, status)
        state.registration = status
        state.boot = dict(p)
        state.boot_count += 1
        state.last_boot = now
        if status == "Accepted":
            state.triggered.clear()
        interval = (
            ctx.config.heartbeat_interval
            if status == "Accepted"
            else ctx.config.boot_retry_interval
        )
        return {"status": status, "currentTime": current_time(now), "interval": interval}

    async def heartbeat(p: dict[str, Any]) -> dict[str, Any]:
        now = ctx.now()
        store.record_heartbeat(sid, iso(now))
        state.last_heartbeat = now
        return {"currentTime": current_time(now)}

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

    def stored(kind: str) -> Handler:
        async def handle(p: dict[str, Any]) -> dict[str, Any]:
            event(kind, p)
            return {}

        return handle

    return {
        "BootNotification": boot_notification,
        "Heartbeat": heartbeat,
        "StatusNotification": status_notification,
        "NotifyReport": stored("NotifyReport"),
    }


def outgoing_refusal(registration: str | None, action: str) -> str | None:
    """Why the CSMS should not send ``action`` now (B02.FR.?, B03.FR.?), or None."""
    if registration == "Rejected":
        return "B03: the CSMS does not initiate messages to a Rejected station"
    if registration == "Pending" and action in (
        "RequestStartTransaction",
        "RequestStopTransaction",
    ):
        return f"B02.FR.03: {action} is not allowed while the station is Pending"
    return None


def note_reply(
    state: StationState, action: str, payload: dict[str, Any], reply: dict[str, Any]
) -> None:
    return None


def expected_trigger(action: str, payload: dict[str, Any]) -> str | None:
    """The station-initiated action a CSMS request makes allowed before Accepted (B01.FR.10)."""
    if action == "TriggerMessage":
        return payload.get("requestedMessage")
    if action in ("GetBaseReport", "GetReport"):
        return "NotifyReport"
    return None
