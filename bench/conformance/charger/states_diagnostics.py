"""2.0.1 helpers of the block N charging-station cases: the log server and report parts.

- ``log_server``: the "diagnostics logging server" the OCTT sets up (TC_N_25_CS
  prerequisite): an HTTP server that receives the station's log uploads for the
  length of a case, on the address the bench listens on (127.0.0.1 by default).
  ``hold()`` keeps the next upload waiting, so a log upload is still in progress
  when the case sends its second GetLogRequest (TC_N_36_CS).
- ``report_parts``: the station's NotifyXxx requests of one requestId, seqNo 0
  up to the one without ``tbc``, each with its seqNo checked (B07.FR.10-like
  numbering of N02/N09 reports).
- ``request_id``: a fresh requestId per request of a case.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import tempfile
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from bench.conformance.charger.run import ChargerRun
from bench.csms.files import FileRequest, FileServer

_REQUEST_IDS = itertools.count(101)


def request_id() -> int:
    return next(_REQUEST_IDS)


class LogServer(FileServer):
    """A file server whose next uploads can be kept waiting (``hold`` / ``release``)."""

    def __init__(self, root: str, *, host: str) -> None:
        super().__init__(root, host=host)
        self._held = 0
        self.refuse = False  # answer every upload with HTTP 503 (an upload that fails)
        self._release = asyncio.Event()
        self.arrived = asyncio.Event()  # an upload reached the server

    def hold(self, times: int = 1) -> None:
        self._held += times

    def release(self) -> None:
        self._release.set()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.method in ("PUT", "POST"):
            self.arrived.set()
            if self.refuse:
                self._record(FileRequest(request.method, request.match_info["tail"], 503))
                return web.Response(status=503, text="refused by the case\n")
            if self._held > 0:
                self._held -= 1
                await self._release.wait()
        return await super()._handle(request)


@contextlib.asynccontextmanager
async def log_server(ctx: ChargerRun) -> AsyncIterator[LogServer]:
    """The case's log server, listening on the bench's own address."""
    host = ctx.endpoint.host
    if host in ("", "0.0.0.0", "::"):
        host = ctx.settings.extra.get("file_host", "127.0.0.1")
    with tempfile.TemporaryDirectory(prefix="bench-logs-") as folder:
        server = LogServer(folder, host=host)
        await server.start()
        try:
            yield server
        finally:
            server.release()
            await server.stop()


async def report_parts(
    ctx: ChargerRun,
    action: str,
    rid: int,
    *,
    step: int | None,
    since: int,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Every ``action`` request of requestId ``rid``, seqNo 0 to the last (no ``tbc``)."""
    parts: list[dict[str, Any]] = []
    start = since
    for seq in range(limit):
        rec = await ctx.station_frame(
            action,
            step=step,
            since=start,
            match=lambda p: p.get("requestId") == rid,
            what=f"the station's {action}Request (requestId {rid}, part {seq})",
        )
        payload = rec.payload if isinstance(rec.payload, dict) else {}
        ctx.check(step, f"{action}Request", payload, "seqNo", seq)
        parts.append(payload)
        start = ctx.frames.index(rec) + 1
        if not payload.get("tbc"):
            break
    return parts
