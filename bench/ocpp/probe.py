"""Test a CSMS connection step by step and say which step failed, in plain words.

``probe(cfg)`` walks the path a charge point takes to its CSMS and stops at the
first step that fails:

1. resolve  - the host name resolves to at least one address;
2. tcp      - a TCP connection opens to one of them;
3. tls      - (``wss://`` only) the TLS handshake completes and the server's
              certificate verifies (whitepaper A00.FR.307/308);
4. upgrade  - the WebSocket opening handshake succeeds with our credentials
              (OCPP-J 1.6 §3, whitepaper A00.FR.203 Basic auth);
5. subprotocol - the server selected our OCPP version (OCPP-J 1.6 §3.2);
6. boot     - one BootNotification gets a reply (1.6 §4.2): Accepted passes,
              Pending is a warning, Rejected or a CALLERROR fails.

Steps 1-3 use their own short-lived sockets so that a failure is pinned to its
layer; steps 4-6 use the real ``open_link`` and ``OcppSession``, so the probe
says exactly what a station with these settings would experience.

Wall-clock timing (``time.perf_counter``) is allowed here: it measures real
network latency, not simulated time.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bench.kernel.frames import FrameSink
from bench.ocpp.errors import CallError, CallTimeout, InvalidReply, LinkClosed, OcppError
from bench.ocpp.session import OcppSession
from bench.transport.config import LinkConfig
from bench.transport.errors import FailureKind, LinkError
from bench.transport.websocket import WebSocketLink, _ssl_context_for, open_link

__all__ = ["STEPS", "ProbeReport", "Step", "StepResult", "Verdict", "probe"]


class Step(StrEnum):
    RESOLVE = "resolve"
    TCP = "tcp"
    TLS = "tls"
    UPGRADE = "upgrade"
    SUBPROTOCOL = "subprotocol"
    BOOT = "boot"


STEPS: tuple[Step, ...] = tuple(Step)

TITLES: dict[Step, str] = {
    Step.RESOLVE: "Name resolved",
    Step.TCP: "TCP connect",
    Step.TLS: "TLS handshake",
    Step.UPGRADE: "WebSocket upgrade",
    Step.SUBPROTOCOL: "Subprotocol",
    Step.BOOT: "BootNotification reply",
}


class Verdict(StrEnum):
    OK = "ok"
    WARN = "warn"  # the step worked but something needs attention (Boot Pending)
    FAIL = "fail"
    SKIPPED = "skipped"  # does not apply (TLS on ws://)
    NOT_RUN = "not run"  # an earlier step failed


@dataclass(frozen=True, slots=True)
class StepResult:
    step: Step
    verdict: Verdict
    detail: str
    elapsed_ms: float | None = None

    @property
    def title(self) -> str:
        return TITLES[self.step]


@dataclass(slots=True)
class ProbeReport:
    url: str
    station_id: str
    results: list[StepResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no step failed (a warning still counts as a working connection)."""
        return all(r.verdict is not Verdict.FAIL for r in self.results) and any(
            r.step is Step.BOOT and r.verdict in (Verdict.OK, Verdict.WARN) for r in self.results
        )

    @property
    def failed(self) -> StepResult | None:
        return next((r for r in self.results if r.verdict is Verdict.FAIL), None)

    def result(self, step: Step) -> StepResult:
        return next(r for r in self.results if r.step is step)

    def summary(self) -> str:
        """One sentence for a status bar."""
        failed = self.failed
        if failed is not None:
            return f"{failed.title} failed: {failed.detail}"
        boot = self.result(Step.BOOT)
        return f"Connection works: {boot.detail}"


OpenLink = Callable[[LinkConfig], Awaitable[WebSocketLink]]


def boot_payload() -> dict[str, Any]:
    """The BootNotification of a connection test (1.6 §6.2; vendor/model up to 20 chars)."""
    return {"chargePointVendor": "OCPP Bench", "chargePointModel": "Connection test"}


async def probe(
    cfg: LinkConfig,
    *,
    timeout: float = 10.0,
    payload: dict[str, Any] | None = None,
    sink: FrameSink | None = None,
    open_link_fn: OpenLink = open_link,
) -> ProbeReport:
    """Run the steps in order against ``cfg``; never raises for a network failure."""
    url = cfg.endpoint()
    report = ProbeReport(url=url, station_id=cfg.station_id)
    steps = _Runner(report)
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if cfg.secure else 80)

    addresses = await steps.run(Step.RESOLVE, _resolve(host, port, timeout))
    if addresses is None:
        return steps.finish()
    address = await steps.run(Step.TCP, _tcp(addresses, port, timeout))
    if address is None:
        return steps.finish()
    if cfg.secure:
        if await steps.run(Step.TLS, _tls(cfg, address, host, timeout)) is None:
            return steps.finish()
    else:
        steps.add(Step.TLS, Verdict.SKIPPED, "not used (ws:// has no TLS)")

    started = time.perf_counter()
    try:
        link = await asyncio.wait_for(open_link_fn(cfg), timeout + 1)
    except LinkError as exc:
        step = Step.SUBPROTOCOL if exc.kind is FailureKind.SUBPROTOCOL else Step.UPGRADE
        if step is Step.SUBPROTOCOL:
            steps.add(Step.UPGRADE, Verdict.OK, "HTTP 101 Switching Protocols", started)
        steps.add(step, Verdict.FAIL, exc.message, started)
        return steps.finish()
    except TimeoutError:
        steps.add(Step.UPGRADE, Verdict.FAIL, f"no WebSocket handshake within {timeout:g} s")
        return steps.finish()
    try:
        auth = " with Basic auth" if cfg.sends_basic_auth else ""
        steps.add(Step.UPGRADE, Verdict.OK, f"HTTP 101 Switching Protocols{auth}", started)
        steps.add(Step.SUBPROTOCOL, Verdict.OK, f"the server selected {link.subprotocol}")
        await _boot(steps, link, cfg, timeout, payload or boot_payload(), sink)
    finally:
        with contextlib.suppress(Exception):  # the verdict is in; a messy close changes nothing
            await link.close()
    return steps.finish()


class _Runner:
    """Times each step and turns an expected failure into a FAIL result."""

    def __init__(self, report: ProbeReport) -> None:
        self.report = report

    def add(
        self, step: Step, verdict: Verdict, detail: str, started: float | None = None
    ) -> StepResult:
        elapsed = None if started is None else (time.perf_counter() - started) * 1000
        result = StepResult(step, verdict, detail, elapsed)
        self.report.results.append(result)
        return result

    async def run(self, step: Step, work: Awaitable[tuple[Any, str]]) -> Any:
        started = time.perf_counter()
        try:
            value, detail = await work
        except _StepFailed as exc:
            self.add(step, Verdict.FAIL, str(exc), started)
            return None
        self.add(step, Verdict.OK, detail, started)
        return value

    def finish(self) -> ProbeReport:
        done = {r.step for r in self.report.results}
        for step in STEPS:
            if step not in done:
                self.report.results.append(StepResult(step, Verdict.NOT_RUN, "not run"))
        self.report.results.sort(key=lambda r: STEPS.index(r.step))
        return self.report


class _StepFailed(Exception):
    pass


def _where(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


async def _resolve(host: str, port: int, timeout: float) -> tuple[list[str], str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout
        )
    except socket.gaierror as exc:
        raise _StepFailed(f"cannot resolve host name {host!r}: {exc.strerror}") from None
    except TimeoutError:
        raise _StepFailed(f"no answer resolving {host!r} within {timeout:g} s") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise _StepFailed(f"host name {host!r} has no address")
    more = f" (+{len(addresses) - 1} more)" if len(addresses) > 1 else ""
    return addresses, f"{host} → {addresses[0]}{more}"


async def _tcp(addresses: list[str], port: int, timeout: float) -> tuple[str, str]:
    """Connect to the first address that accepts; the failure names every attempt."""
    errors: list[str] = []
    for address in addresses[:8]:
        try:
            _reader, writer = await asyncio.wait_for(
                asyncio.open_connection(address, port), timeout
            )
        except TimeoutError:
            errors.append(f"{_where(address, port)}: no answer within {timeout:g} s")
            continue
        except ConnectionRefusedError:
            errors.append(f"connection refused by {_where(address, port)} (nothing listens there)")
            continue
        except OSError as exc:
            errors.append(f"{_where(address, port)}: {exc.strerror or exc}")
            continue
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return address, f"connected to {_where(address, port)}"
    raise _StepFailed("; ".join(errors) or "no address to connect to")


async def _tls(cfg: LinkConfig, address: str, host: str, timeout: float) -> tuple[bool, str]:
    """A TLS handshake with the same context the link will use (server verified by name)."""
    try:
        context = _ssl_context_for(cfg)
    except LinkError as exc:
        raise _StepFailed(exc.message) from None
    port = urllib.parse.urlsplit(cfg.url).port or 443
    try:
        _reader, writer = await asyncio.wait_for(
            asyncio.open_connection(address, port, ssl=context, server_hostname=host), timeout
        )
    except ssl.SSLCertVerificationError as exc:
        store = f"CA file {cfg.ca_file}" if cfg.ca_file else "the system CA store"
        raise _StepFailed(
            f"the server's certificate did not verify against {store}: {exc.verify_message}"
        ) from None
    except ssl.SSLError as exc:
        raise _StepFailed(f"the TLS handshake failed: {exc.reason or exc}") from None
    except TimeoutError:
        raise _StepFailed(f"no TLS handshake within {timeout:g} s") from None
    except OSError as exc:
        raise _StepFailed(f"the TLS handshake failed: {exc.strerror or exc}") from None
    ssl_object = writer.get_extra_info("ssl_object")
    version = ssl_object.version() if ssl_object is not None else "TLS"
    writer.close()
    with contextlib.suppress(OSError, ssl.SSLError):
        await writer.wait_closed()
    return True, f"{version}, server certificate verified for {host}"


async def _boot(
    steps: _Runner,
    link: WebSocketLink,
    cfg: LinkConfig,
    timeout: float,
    payload: dict[str, Any],
    sink: FrameSink | None,
) -> None:
    # No handlers: a CALL from the CSMS during the test gets NotImplemented (OCPP-J 1.6 §4.2.3).
    session = OcppSession(link, version="1.6", station_id=cfg.station_id, handlers={}, sink=sink)
    reader = asyncio.get_running_loop().create_task(session.serve(), name="probe:serve")
    started = time.perf_counter()
    try:
        reply = await session.call("BootNotification", payload, timeout=timeout)
    except CallError as exc:
        steps.add(Step.BOOT, Verdict.FAIL, f"the CSMS answered with a CALLERROR: {exc}", started)
        return
    except CallTimeout:
        steps.add(Step.BOOT, Verdict.FAIL, f"no reply within {timeout:g} s", started)
        return
    except LinkClosed:
        detail = link.close_reason or "the link closed"
        steps.add(Step.BOOT, Verdict.FAIL, f"the CSMS closed the connection: {detail}", started)
        return
    except (InvalidReply, OcppError) as exc:  # the CSMS's reply broke the schema or framing
        steps.add(Step.BOOT, Verdict.FAIL, f"the reply is not valid OCPP 1.6: {exc}", started)
        return
    finally:
        session.close_pending()
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
    status = reply.get("status")
    interval = reply.get("interval")
    if status == "Accepted":
        steps.add(Step.BOOT, Verdict.OK, f"Accepted (heartbeat every {interval} s)", started)
    elif status == "Pending":
        steps.add(
            Step.BOOT,
            Verdict.WARN,
            f"Pending: the CSMS has not accepted station {cfg.station_id!r} yet "
            f"(retry in {interval} s)",
            started,
        )
    else:
        steps.add(
            Step.BOOT,
            Verdict.FAIL,
            f"Rejected: the CSMS does not accept station {cfg.station_id!r} "
            f"(retry in {interval} s)",
            started,
        )
