"""What a station still has to deliver when a run ends (``ocpp-bench run --drain``).

Transaction-related messages wait in the station's SQLite queue while the CSMS
cannot be reached (1.6 §3.7, 2.0.1 E04/E11). A run that ends while some are
still there has not told the CSMS everything: ``drain`` gives them a last
chance, and ``undelivered`` says what is left, so the CLI can say so.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Awaitable

from bench.ocpp.api import ChargePointApi, LinkState


def undelivered(cp: ChargePointApi) -> Counter[str]:
    """The queued transaction messages of ``cp`` by action, in queue order (either version)."""
    return Counter(cp.queued_actions())


async def drain(cp: ChargePointApi, bound: Awaitable[None]) -> None:
    """Keep delivering ``cp``'s queue until it is empty or ``bound`` completes.

    ``bound`` is the caller's limit (a timeout, an interrupt). A station that is
    offline tries to reconnect at once rather than after the back-off its outage
    has grown, unless its network was cut on purpose (a script's ``disconnect``).
    """
    limit = asyncio.ensure_future(bound)
    if not undelivered(cp):
        limit.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await limit
        return
    network = cp.network()
    if network.link is not LinkState.CONNECTED and network.enabled:
        cp.restore_network()
    emptied = asyncio.ensure_future(cp.drained())
    try:
        await asyncio.wait({emptied, limit}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (emptied, limit):
            task.cancel()
        results = await asyncio.gather(emptied, limit, return_exceptions=True)
    for result in results:
        if isinstance(result, Exception):
            raise result


def describe(left: Counter[str], where: str) -> str:
    """``2 messages not delivered, still queued in station.db: StopTransaction 1, ...``."""
    total = sum(left.values())
    noun = "message" if total == 1 else "messages"
    parts = ", ".join(f"{action} {count}" for action, count in left.items())
    return f"{total} {noun} not delivered, still queued in {where}: {parts}"
