"""Station-initiated 2.0.1 messages of blocks C, D, G and H on the CSMS side.

Authorize is answered by the core module (``v201``); this one takes
ReservationStatusUpdate (H04.FR.01, H01.FR.16/17): each update is recorded as a
CSMS event of that name (payload as received), so a test or the console can see
which reservations the station let go of and why.
"""

from __future__ import annotations

from typing import Any

from bench.csms.context import StationContext
from bench.ocpp.session import Handler


def handlers(ctx: StationContext) -> dict[str, Handler]:
    async def reservation_status_update(p: dict[str, Any]) -> dict[str, Any]:
        # H04.FR.01: Expired; H01.FR.16/17: Removed. The response carries nothing.
        ctx.store.add_event(ctx.station_id, ctx.now_iso(), "ReservationStatusUpdate", p)
        return {}

    return {"ReservationStatusUpdate": reservation_status_update}
