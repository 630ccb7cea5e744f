"""The security log and the queue of security event notifications (version-neutral).

1.6 security whitepaper §8 / A04 and 2.0.1 A04 say the same thing with other
event names: every security event goes to a rolling security log (A04.FR.04);
the critical ones (and the bench sends all of them) are pushed to the CSMS as
SecurityEventNotification, queued while the station is offline or not yet
accepted and delivered in order once it is (A04.FR.02). Both versions send the
same payload shape: ``{"type", "timestamp", "techInfo"?}``.

Persisted in the station's StateStore under ``owner`` (the 1.6 station id, or
``"<id>#2.0.1"`` for a 2.0.1 station):

``security_events``  the log, oldest first, at most ``LOG_LIMIT`` entries;
                     ``{"seq", "timestamp", "type", "techInfo"?, "critical"}``.
``security_queue``   undelivered notifications ``{"seq", "critical", "payload"}``.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from bench.ocpp.common.timestamps import iso
from bench.ocpp.errors import CallError, CallTimeout, InvalidReply, LinkClosed
from bench.transport.errors import FailureKind, LinkError

log = logging.getLogger(__name__)

LOG_LIMIT = 1000  # security log entries kept (rolling)
QUEUE_LIMIT = 500  # undelivered notifications kept; non-critical ones go first when full
ACTION = "SecurityEventNotification"


@dataclass(frozen=True, slots=True)
class SecurityEventRaised:
    """Emitted on ``cp.events`` for every security event (the UI's security log view)."""

    type: str
    tech_info: str | None
    timestamp: str
    critical: bool


class SendGate(Protocol):
    """Whether the notifications may go out (the 1.6 security extension's ``ExtensionGate``)."""

    enabled: bool

    def may_send(self, action: str) -> bool: ...

    def refused(self, action: str, exc: CallError) -> bool: ...


class SecurityLog:
    """One station's security log and notification queue.

    ``cp`` needs ``state``, ``clock``, ``events``, ``tasks``, ``session``,
    ``accepted`` and ``station.id``: every charge point has them. ``gate``
    (1.6 only, where the notifications are an extension): while it is not
    ``enabled`` events are logged but never queued; while it refuses, the queue
    waits for another connection.
    """

    __slots__ = ("_critical", "_deliverer", "cp", "gate", "owner")

    def __init__(
        self, cp: Any, owner: str, critical: Mapping[str, bool], gate: SendGate | None = None
    ) -> None:
        self.cp = cp
        self.owner = owner
        self._critical = critical
        self._deliverer: asyncio.Task[None] | None = None
        self.gate = gate

    def _get(self, name: str) -> Any:
        return self.cp.state.get(self.owner, name, None)

    def _put(self, name: str, value: Any) -> None:
        self.cp.state.put(self.owner, name, value)

    def notify(self, event_type: str, tech_info: str | None = None) -> None:
        """Log the event (A04.FR.04) and queue its notification (A04.FR.01/02)."""
        critical = self._critical.get(event_type, False)
        timestamp = iso(self.cp.clock.now())
        entries: list[dict[str, Any]] = self._get("security_events") or []
        queue: list[dict[str, Any]] = self._get("security_queue") or []
        # Numbered past both lists: a cleared log must not reuse a queued number.
        seq = max(entries[-1]["seq"] if entries else 0, queue[-1]["seq"] if queue else 0) + 1
        entry: dict[str, Any] = {"seq": seq, "timestamp": timestamp, "type": event_type[:50]}
        payload: dict[str, Any] = {"type": event_type[:50], "timestamp": timestamp}
        if tech_info:
            entry["techInfo"] = payload["techInfo"] = tech_info[:255]
        entry["critical"] = critical
        self._put("security_events", [*entries[-(LOG_LIMIT - 1) :], entry])
        log.info("%s: security event %s %s", self.cp.station.id, event_type, tech_info or "")
        self.cp.events.emit(SecurityEventRaised(event_type, tech_info, timestamp, critical))
        if self.gate is not None and not self.gate.enabled:
            return  # a station without the extension only keeps its own log
        queue.append({"seq": seq, "critical": critical, "payload": payload})
        if len(queue) > QUEUE_LIMIT:
            drop = next((i for i, q in enumerate(queue) if not q["critical"]), 0)
            del queue[drop]
        self._put("security_queue", queue)
        self.deliver()

    def entries(self) -> list[dict[str, Any]]:
        return list(self._get("security_events") or [])

    def clear(self) -> None:
        self._put("security_events", [])

    def pending(self) -> list[dict[str, Any]]:
        return [q["payload"] for q in self._get("security_queue") or []]

    def deliver(self) -> None:
        """Start sending the queue once the station may talk (accepted)."""
        if not self.cp.accepted or not self._get("security_queue"):
            return
        if self.gate is not None and not self.gate.may_send(ACTION):
            return  # off, or refused on this connection: the queue waits for another one
        if self._deliverer is None or self._deliverer.done():
            self._deliverer = self.cp.tasks.spawn(self._deliver(), name="security-events")
            self._deliverer.add_done_callback(self._deliverer_done)

    def _deliverer_done(self, task: asyncio.Task[None]) -> None:
        # A finished task (~500 bytes with its coroutine) is not kept for 10,000 stations.
        if self._deliverer is task:
            self._deliverer = None

    async def _deliver(self) -> None:
        for _ in range(QUEUE_LIMIT * 2):
            queue = self._get("security_queue") or []
            if not queue or not self.cp.accepted:
                return
            head = queue[0]
            if self.gate is not None and not self.gate.may_send(ACTION):
                return
            try:
                await self.cp.session.call(ACTION, head["payload"])
            except (CallTimeout, LinkClosed) as exc:
                log.info("%s: security event stays queued: %s", self.cp.station.id, exc)
                return
            except CallError as exc:
                if self.gate is not None and self.gate.refused(ACTION, exc):
                    # Not retried: the CSMS does not know the message (the gate logged it).
                    self._drop(head["seq"])
                    return
                # The CSMS refused this one: resending the same will not help.
                log.warning("%s: SecurityEventNotification failed: %s", self.cp.station.id, exc)
            except InvalidReply as exc:
                # The CSMS garbled its answer: resending the same will not help.
                log.warning("%s: SecurityEventNotification failed: %s", self.cp.station.id, exc)
            self._drop(head["seq"])

    def _drop(self, seq: int) -> None:
        rest = [q for q in self._get("security_queue") or [] if q["seq"] != seq]
        self._put("security_queue", rest)


class ConnectFailure:
    """What a failed connection amounts to, in words shared by both versions' event names."""

    UNAUTHORIZED = "unauthorized"  # HTTP 401, or a handshake the CSMS hung up on
    BAD_CSMS_CERTIFICATE = "bad-csms-certificate"
    TLS_VERSION = "tls-version"
    TLS_CIPHER = "tls-cipher"


def connect_failure(exc: LinkError) -> str | None:
    """The security-relevant kind of a connection failure (a ``ConnectFailure``), if any."""
    if exc.kind == FailureKind.UNAUTHORIZED:
        return ConnectFailure.UNAUTHORIZED
    if exc.kind != FailureKind.TLS:
        return None
    cause = exc.__cause__
    if isinstance(cause, ssl.SSLCertVerificationError):
        return ConnectFailure.BAD_CSMS_CERTIFICATE
    reason = str(getattr(cause, "reason", "") or "").upper()
    if "VERSION" in reason or "UNSUPPORTED_PROTOCOL" in reason:
        return ConnectFailure.TLS_VERSION
    if "CIPHER" in reason:
        return ConnectFailure.TLS_CIPHER
    # The CSMS hung up on our handshake: it did not accept our credentials.
    return ConnectFailure.UNAUTHORIZED


def connect_event(exc: LinkError, names: Mapping[str, str]) -> str | None:
    """The security event a connection failure amounts to, if any, in a version's words:
    ``names`` maps each ``ConnectFailure`` to the version's event type."""
    kind = connect_failure(exc)
    return None if kind is None else names[kind]
