"""Station-initiated 2.0.1 messages of blocks N (monitoring) and O (display) on the CSMS side.

NotifyEvent (N07.FR.03, N08.FR.02), NotifyMonitoringReport (N02) and
NotifyDisplayMessages (O03, O04) carry reports; the CSMS records each one as an
event of its kind (``store.events(station, kind)``) and answers with the empty
response the spec asks for.
"""

from __future__ import annotations

from typing import Any

from bench.csms.context import StationContext
from bench.ocpp.session import Handler

RECORDED = ("NotifyEvent", "NotifyMonitoringReport", "NotifyDisplayMessages")


def handlers(ctx: StationContext) -> dict[str, Handler]:
    def recorder(kind: str) -> Handler:
        async def handle(p: dict[str, Any]) -> dict[str, Any]:
            ctx.store.add_event(ctx.station_id, ctx.now_iso(), kind, p)
            return {}

        return handle

    return {kind: recorder(kind) for kind in RECORDED}
