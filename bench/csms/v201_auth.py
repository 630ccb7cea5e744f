"""Station-initiated 2.0.1 messages of one functional block on the CSMS side. Being written."""

from __future__ import annotations

from bench.csms.context import StationContext
from bench.ocpp.session import Handler


def handlers(ctx: StationContext) -> dict[str, Handler]:
    return {}
