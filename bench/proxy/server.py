"""The listening side of the proxy: the charger's handshake bridged to the CSMS's.

For each charger the upstream connection is opened *during* the charger's opening
handshake, so what the charger gets back is what the CSMS said:

- the path's identity (last segment) is appended to the upstream URL (or put in
  place of ``{id}``), as OCPP-J 1.6 §3.1.1 / 2.0.1 part 4 §3.1.1 place it;
- the subprotocols the charger offered are offered upstream, and the charger is
  answered with the one the CSMS selected (none: the charger's connection is
  closed after the handshake, as OCPP-J 1.6 §3.2 has a server do);
- the charger's ``Authorization`` header (Basic auth, security profiles 1 and 2)
  goes upstream verbatim; an HTTP refusal from the CSMS (401 with its
  ``WWW-Authenticate``, 404, ...) is the charger's answer too; a CSMS that cannot
  be reached is HTTP 502;
- TLS is independent on each side: the proxy's own certificate toward the charger,
  the CSMS's verified against ``upstream_ca`` (or the system store) upstream.

One upstream connection per station: a charger that connects again while its old
connection lives replaces it, and its old CSMS leg closes. Each leg passes through
the station's network faults (``impair``, kept across reconnects:
``bench.proxy.faults``); ``wrap_leg`` may put a further wrapper with the link
contract on either leg of each station as it connects.
"""

from __future__ import annotations

import asyncio
import http
import logging
import ssl
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import InvalidStatus
from websockets.http11 import Request, Response

from bench.kernel.frames import FrameSink
from bench.model.clock import Clock, SystemClock
from bench.printable import printable
from bench.proxy.faults import LegFaults
from bench.proxy.rules import RuleBook
from bench.proxy.station import CHARGER, CSMS, Leg, Link, ProxiedStation
from bench.transport.impair_spec import NO_IMPAIRMENT, Impairment
from bench.transport.server import station_id_from_path
from bench.transport.websocket import CLOSE_TIMEOUT, MAX_FRAME_BYTES, MAX_QUEUE, WebSocketLink

__all__ = ["LegWrapper", "ProxyServer", "upstream_url"]

log = logging.getLogger(__name__)

# (station id, leg name, the leg's link) -> the link the proxy uses on that leg: a
# wrapper with the same send/recv/close contract (delays, losses, a dead link).
LegWrapper = Callable[[str, str, Link], Link]

# Headers of a CSMS's HTTP refusal that the charger needs to act on it.
_PASSED_BACK = ("WWW-Authenticate", "Retry-After")
USER_AGENT = "ocpp-bench-proxy"


def upstream_url(upstream: str, path: str) -> str:
    """The CSMS URL for a charger that asked for ``path``: its identity segment appended.

    The segment is kept as the charger encoded it, so an identity with escapes
    reaches the CSMS unchanged.
    """
    segments = [s for s in path.split("?", 1)[0].split("/") if s]
    segment = segments[-1]
    if "{id}" in upstream:
        return upstream.replace("{id}", segment)
    parts = urllib.parse.urlsplit(upstream)
    base = parts.path if parts.path.endswith("/") else parts.path + "/"
    return urllib.parse.urlunsplit(
        (parts.scheme, parts.netloc, base + segment, parts.query, parts.fragment)
    )


def _offered(request: Request) -> list[str]:
    names: list[str] = []
    for header in request.headers.get_all("Sec-WebSocket-Protocol"):
        names.extend(name.strip() for name in header.split(",") if name.strip())
    return names


def _drop(conn: Any) -> Callable[[], None]:
    def drop() -> None:
        transport = conn.transport
        if transport is not None:
            transport.abort()

    return drop


class ProxyServer:
    """``ocpp-bench proxy``: listens for chargers and bridges each to the CSMS."""

    def __init__(
        self,
        upstream: str,
        *,
        sink: FrameSink,
        rules: RuleBook | None = None,
        ssl_context: ssl.SSLContext | None = None,
        upstream_ssl: ssl.SSLContext | None = None,
        clock: Clock | None = None,
        open_timeout: float = 10.0,
        upstream_ping_interval: float | None = 30.0,
        charger_ping_interval: float | None = 60.0,
        on_station: Callable[[ProxiedStation], None] | None = None,
        wrap_leg: LegWrapper | None = None,
        impair: Impairment = NO_IMPAIRMENT,
    ) -> None:
        scheme = urllib.parse.urlsplit(upstream).scheme
        if scheme not in ("ws", "wss"):
            raise ValueError(f"upstream URL {upstream!r} must start with ws:// or wss://")
        self.upstream = upstream
        self.sink = sink
        self.rules = rules or RuleBook()
        self.ssl_context = ssl_context
        self.upstream_ssl = upstream_ssl
        self.clock = clock or SystemClock()
        self.open_timeout = open_timeout
        # Pings on both legs find a side that vanished without a word (a half-open TCP
        # connection), so the other side's leg is not held open for a peer that is gone.
        self.upstream_ping_interval = upstream_ping_interval
        self.charger_ping_interval = charger_ping_interval
        self.on_station = on_station
        # Stands between a leg and its connection (issue 17 part 2: network faults).
        self.wrap_leg = wrap_leg
        # Network faults per station and leg; ``impair`` is every charger leg's start.
        self.faults = LegFaults(
            self.clock.wall, charger_default=impair, on_change=self._faults_changed
        )
        self.stations: dict[str, ProxiedStation] = {}
        self._opening: dict[ServerConnection, ClientConnection] = {}
        self._server: Server | None = None
        self._changed = asyncio.Event()
        self.url = ""

    # ------------------------------------------------------------------ lifecycle
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on ``host:port`` (0: any free port); returns the URL chargers use."""
        self._server = await serve(
            self._on_connection,
            host,
            port,
            process_request=self._open_upstream,
            select_subprotocol=self._select_subprotocol,  # type: ignore[arg-type]
            compression=None,
            ssl=self.ssl_context,
            ping_interval=self.charger_ping_interval,
            ping_timeout=self.charger_ping_interval,
            close_timeout=CLOSE_TIMEOUT,
            max_queue=MAX_QUEUE,
            max_size=MAX_FRAME_BYTES,
        )
        bound = self._server.sockets[0].getsockname()[1]
        shown = f"[{host}]" if ":" in host else host
        self.url = f"{'wss' if self.ssl_context else 'ws'}://{shown}:{bound}"
        log.info("proxy listening on %s, upstream %s", self.url, self.upstream)
        return self.url

    async def close(self) -> None:
        """Stop listening and close every proxied station's legs."""
        for station in list(self.stations.values()):
            await station.stop()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for upstream in list(self._opening.values()):
            await upstream.close()
        self._opening.clear()

    async def __aenter__(self) -> ProxyServer:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ handshake
    async def _open_upstream(self, conn: ServerConnection, request: Request) -> Response | None:
        station_id = station_id_from_path(request.path)
        if station_id is None:
            return conn.respond(
                http.HTTPStatus.NOT_FOUND, "No charge point identity in the URL path\n"
            )
        url = upstream_url(self.upstream, request.path)
        refused_by_fault = self.faults.refusal(station_id)
        if refused_by_fault is not None:
            log.warning("%s: cannot reach the CSMS: %s", printable(station_id), refused_by_fault)
            return conn.respond(
                http.HTTPStatus.BAD_GATEWAY,
                f"The CSMS behind this proxy is unreachable: {refused_by_fault}\n",
            )
        headers = []
        authorization = request.headers.get("Authorization")
        if authorization is not None:
            headers.append(("Authorization", authorization))  # Basic auth, end to end
        offered = _offered(request)
        try:
            upstream = await connect(
                url,
                subprotocols=offered,  # type: ignore[arg-type]
                additional_headers=headers,
                user_agent_header=USER_AGENT,
                compression=None,
                proxy=None,
                ssl=self.upstream_ssl if url.startswith("wss:") else None,
                open_timeout=self.open_timeout,
                ping_interval=self.upstream_ping_interval,
                ping_timeout=self.upstream_ping_interval,
                close_timeout=CLOSE_TIMEOUT,
                max_queue=MAX_QUEUE,
                max_size=MAX_FRAME_BYTES,
            )
        except InvalidStatus as exc:
            refused = exc.response
            log.warning(
                "%s: the CSMS refused the connection with HTTP %d; passed on to the charger",
                printable(station_id),
                refused.status_code,
            )
            response = conn.respond(
                http.HTTPStatus(refused.status_code),
                (refused.body or b"").decode("utf-8", "replace"),
            )
            for name in _PASSED_BACK:
                if name in refused.headers:
                    response.headers[name] = refused.headers[name]
            return response
        except Exception as exc:  # refused, DNS, timeout, TLS, not WebSocket: all a 502
            log.warning(
                "%s: cannot reach the CSMS at %s: %s", printable(station_id), url, exc or type(exc)
            )
            return conn.respond(
                http.HTTPStatus.BAD_GATEWAY, f"The CSMS behind this proxy is unreachable: {exc}\n"
            )
        self._opening[conn] = upstream
        return None

    def _select_subprotocol(self, conn: ServerConnection, offered: Sequence[str]) -> str | None:
        # Answer the charger with what the CSMS chose among the same offers.
        upstream = self._opening.get(conn)
        return None if upstream is None else upstream.subprotocol

    async def _on_connection(self, conn: ServerConnection) -> None:
        upstream = self._opening.pop(conn, None)
        if upstream is None:
            return  # cannot happen: _open_upstream either answered or opened one
        assert conn.request is not None
        station_id = station_id_from_path(conn.request.path) or "?"
        if upstream.subprotocol is None:
            # OCPP-J 1.6 §3.2: no common subprotocol; the CSMS agreed to none, neither do we.
            await upstream.close()
            await conn.close(1002, "the CSMS selected no OCPP subprotocol")
            return
        old = self.stations.get(station_id)
        if old is not None:
            log.info("%s: connected again; its previous legs close", printable(station_id))
            await old.stop(1000, "replaced by a new connection of the same station")
        # Through the station's network faults, the same ones on every reconnect.
        charger_link: Link = self.faults.wrap(station_id, CHARGER, WebSocketLink(conn))
        csms_link: Link = self.faults.wrap(station_id, CSMS, WebSocketLink(upstream))
        if self.wrap_leg is not None:
            charger_link = self.wrap_leg(station_id, CHARGER, charger_link)
            csms_link = self.wrap_leg(station_id, CSMS, csms_link)
        station = ProxiedStation(
            station_id,
            Leg(CHARGER, charger_link, _drop(conn)),
            Leg(CSMS, csms_link, _drop(upstream)),
            upstream.subprotocol,
            rules=self.rules,
            sink=self.sink,
            clock=self.clock,
        )
        self.stations[station_id] = station
        log.info(
            "%s: proxied with %s (charger %s, CSMS %s)",
            printable(station_id),
            upstream.subprotocol,
            conn.remote_address,
            upstream.remote_address,
        )
        self._changes()
        if self.on_station is not None:
            self.on_station(station)
        try:
            await station.run()
        finally:
            if self.stations.get(station_id) is station:
                del self.stations[station_id]
                self._changes()
            await upstream.close()

    # ------------------------------------------------------------------ by hand
    def station(self, station_id: str) -> ProxiedStation:
        found = self.stations.get(station_id)
        if found is None:
            raise KeyError(f"station {station_id!r} is not connected through the proxy")
        return found

    def impair(self, station_id: str, spec: str, side: str = CHARGER) -> Impairment:
        """Change the network faults of one leg of ``station_id`` ("charger" or "csms")
        by a spec string ("latency 800ms jitter 200ms", "loss 5%", "off"; see
        ``bench.transport.impair_spec``); what is in force now.

        It applies to the open leg at once and to the legs of every reconnect until
        cleared; a station not connected yet meets it when it connects. A spec that
        does not parse raises ``ImpairmentError`` (a ``ValueError``), changing nothing.
        """
        return self.faults.apply(station_id, spec, side)

    def impairment(self, station_id: str, side: str = CHARGER) -> Impairment:
        """The network faults in force on one leg of ``station_id``."""
        return self.faults.current(station_id, side)

    def _faults_changed(self, station_id: str, side: str, impairment: Impairment) -> None:
        station = self.stations.get(station_id)
        log.info(
            "%s: network faults on the %s leg: %s",
            printable(station_id),
            side,
            impairment.describe(),
        )
        if station is not None:  # on record beside the frames it changes
            station.link_event(side, "impaired", faults=impairment.describe())

    async def wait_station(self, station_id: str, timeout: float) -> ProxiedStation:
        """The proxied station ``station_id`` once it has connected (for tests and tools)."""

        async def connected() -> ProxiedStation:
            while station_id not in self.stations:
                await self._changed.wait()
            return self.stations[station_id]

        return await asyncio.wait_for(connected(), timeout)

    def _changes(self) -> None:
        # Wake whoever waits for a station, then arm a fresh event for the next change.
        self._changed.set()
        self._changed = asyncio.Event()
