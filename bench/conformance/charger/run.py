"""The context one charging-station test case runs in: the bench is the CSMS.

A scenario (``bench.conformance.charger.scenarios``) plays the OCTT's side of a
case through a ``ChargerRun``: it sends the CSMS's requests (``call``), waits for
the station's requests (``station_request``), sets what the bench answers them
(``answer``), asks for the physical steps (``physical``: a prompt for a real
charger, the station API for one of the bench's own) and checks every message of
the station against the case's tool validations.

The verdict follows as for CSMS testing (``bench.conformance.evidence``): a failed
check *fail*, ``Inconclusive`` (the station did not act in time, a physical step
was not done) *inconclusive*, ``NotApplicable`` *not applicable*, anything else an
*error*.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from bench.conformance.catalogue import Case
from bench.conformance.charger.endpoint import CaseAnswer, CsmsEndpoint, LinkEvent
from bench.conformance.evidence import Evidence, Inconclusive, NotApplicable, StopCase
from bench.conformance.manual import Prompter
from bench.kernel.frames import FrameRecord
from bench.ocpp.api import ChargePointApi
from bench.ocpp.errors import CallError, CallTimeout, InvalidReply, LinkClosed
from bench.ocpp.session import Reply

log = logging.getLogger(__name__)

__all__ = ["ChargerRun", "ChargerSettings", "Inconclusive", "NotApplicable", "StopCase"]


@dataclass
class ChargerSettings:
    """What the operator configured: the OCTT's "<Configured ...>" values for a charger."""

    version: str  # "1.6" | "2.0.1"
    station_id: str  # the identity of the station under test
    timeout: float = 30.0  # seconds the station has to act on each step
    # Seconds the station has to answer a request of the CSMS (a reply later than this
    # fails the case: OCPP-J has every request answered, and a CSMS gives up waiting).
    reply_timeout: float = 10.0
    valid_id_token: str = "TAG1"
    valid_id_token_type: str = "ISO14443"
    invalid_id_token: str = "UNKNOWN-TAG"
    connector_id: int = 1  # <Configured connectorId> (1.6) / the connector of <Configured evseId>
    evse_id: int = 1  # 2.0.1: <Configured evseId>
    heartbeat_interval: int = 60  # what BootNotification's answer gives the station
    # Optional features of the charger (declared by the operator, or read from the
    # station's configuration by ``features``): cases that need one not here are N/A.
    features: frozenset[str] = frozenset()
    features_source: str = "declared"  # "declared" | "read from the station"
    # The certification profiles the charger claims; None: not declared (all apply).
    claimed_profiles: frozenset[str] | None = None
    ev_template: str = "family-ev"  # the EV the bench's own station plugs in
    # Time the bench waits for something the station must *not* do (a message that
    # must not come), and a retry interval it hands the station in BootNotification
    # Pending/Rejected: short so a run does not wait for nothing.
    quiet_period: float = 3.0
    retry_interval: int = 2
    extra: dict[str, str] = field(default_factory=dict)


class ChargerRun(Evidence):
    feature_owner = "the charging station"

    def __init__(
        self,
        case: Case,
        settings: ChargerSettings,
        prompter: Prompter,
        endpoint: CsmsEndpoint,
        *,
        station: ChargePointApi | None = None,
    ) -> None:
        super().__init__(case, prompter)
        self.settings: ChargerSettings = settings
        self.endpoint = endpoint
        # The bench's own station under test, when it is one (None for a real charger):
        # a scenario never drives it directly (physical steps go through ``physical``),
        # but may read what a real charger would show on its display.
        self.own_station = station
        self.memory: dict[str, Any] = {}  # what one step remembers for a later one

    @property
    def version(self) -> str:
        return self.settings.version

    # ------------------------------------------------------------ the station's requests
    async def station_frame(
        self,
        action: str,
        *,
        step: int | None,
        since: int,
        match: Callable[[dict[str, Any]], bool] | None = None,
        what: str = "",
        timeout: float | None = None,
    ) -> FrameRecord:
        """The station's next ``action`` request from ``since`` on (that ``match``es);
        its schema verdict is a check; none in time fails the case (the message is missing)."""

        wanted = _station_call(action, match)
        limit = self.settings.timeout if timeout is None else timeout
        rec = await self.find_frame(wanted, since=since, timeout=limit)
        if rec is None:
            # A message the case says the station sends and it did not: the station fails
            # (a person's physical step is confirmed before the wait starts).
            self.check_that(
                step,
                f"{action}Request",
                "(sent)",
                False,
                f"{what or f'a {action}Request'} within {limit:g} s",
                "none (missing)",
            )
            raise StopCase(self.checks[-1].describe())
        self._check_valid(rec, step, f"{action}Request")
        return rec

    async def station_request(
        self,
        action: str,
        *,
        step: int | None,
        since: int,
        match: Callable[[dict[str, Any]], bool] | None = None,
        what: str = "",
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """The payload of the station's next ``action`` request (see ``station_frame``)."""
        rec = await self.station_frame(
            action, step=step, since=since, match=match, what=what, timeout=timeout
        )
        return rec.payload if isinstance(rec.payload, dict) else {}

    async def no_station_request(
        self,
        action: str,
        *,
        step: int | None,
        since: int,
        match: Callable[[dict[str, Any]], bool] | None = None,
        within: float | None = None,
        why: str = "",
    ) -> bool:
        """Check that the station does *not* send ``action`` (that ``match``es) within
        ``within`` seconds (the quiet period by default)."""

        wanted = _station_call(action, match)
        limit = self.settings.quiet_period if within is None else within
        found = await self.find_frame(wanted, since=since, timeout=limit)
        return self.check_that(
            step,
            f"{action}Request",
            "(not sent)",
            found is None,
            f"no {action}Request within {limit:g} s" + (f" ({why})" if why else ""),
            "none" if found is None else orjson.dumps(found.payload).decode()[:200],
        )

    def answer(
        self, action: str, reply: dict[str, Any] | CaseAnswer, *, once: bool = False
    ) -> None:
        """What the bench answers the station's ``action`` from now on in this case (or
        only the next one): a payload, or a function of the request that returns one
        (or a ``Reply``, or raises ``NoReply`` / an ``OcppError``)."""
        if callable(reply):
            fn: CaseAnswer = reply
        else:
            fixed = dict(reply)

            def fn(_payload: dict[str, Any]) -> dict[str, Any] | Reply:
                return dict(fixed)

        if not once:
            self.endpoint.overrides[action] = fn
            return

        def first(
            payload: dict[str, Any],
        ) -> dict[str, Any] | Reply | Awaitable[dict[str, Any] | Reply]:
            self.endpoint.overrides.pop(action, None)
            return fn(payload)

        self.endpoint.overrides[action] = first

    def default_answer(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        """What a well-behaved CSMS answers (for a case's answer that changes one field)."""
        return self.endpoint.defaults.answer(action, payload)

    # ------------------------------------------------------------ the CSMS's requests
    async def call(
        self,
        action: str,
        payload: dict[str, Any],
        *,
        step: int | None,
        timeout: float | None = None,
        validate: bool = True,
    ) -> FrameRecord:
        """Send ``action`` as the CSMS; the station's reply frame (CALLRESULT or CALLERROR).

        The reply's schema verdict is a check. No reply within the reply time limit
        fails the case (saying whether a late one came); no connection is inconclusive.
        ``validate=False`` sends a request that fails its schema on purpose (the case's
        malformed request), logged as sent.
        """
        since = self.mark()
        limit = self.settings.reply_timeout if timeout is None else timeout
        try:
            await self.endpoint.call(action, payload, timeout=limit, validate=validate)
        except CallTimeout:
            await self._late_or_missing_reply(action, since, step, limit)
        except LinkClosed as exc:
            raise Inconclusive(f"the station is not connected to answer {action} ({exc})") from None
        except (CallError, InvalidReply):
            pass  # the frame says what came back; the case checks it
        rec = await self.wait_frame(
            lambda r: (
                r.direction == "rx" and r.type in ("CALLRESULT", "CALLERROR") and r.action == action
            ),
            since=since,
            what=f"the station's reply to {action}",
            timeout=1.0,
        )
        if rec.type == "CALLRESULT":
            self._check_valid(rec, step, f"{action}Response")
        return rec

    async def _late_or_missing_reply(
        self, action: str, since: int, step: int | None, limit: float
    ) -> None:
        """No reply within ``limit``: a failed check naming it, and whether one came later."""
        sent = next(
            (r for r in self.frames[since:] if r.direction == "tx" and r.type == "CALL"), None
        )
        late = await self.find_frame(
            lambda r: r.direction == "rx" and r.type in ("CALLRESULT", "CALLERROR"),
            since=since,
            timeout=max(0.0, self.settings.timeout - limit),
        )
        if late is not None and sent is not None:
            actual = f"a reply only {late.ts - sent.ts:.1f} s after the request (a late reply)"
        else:
            actual = f"no reply within {max(limit, self.settings.timeout):g} s (unanswered)"
        self.check_that(
            step, f"{action}Response", "(reply)", False, f"a reply within {limit:g} s", actual
        )
        raise StopCase(self.checks[-1].describe())

    async def request(
        self,
        action: str,
        payload: dict[str, Any],
        *,
        step: int | None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """``call`` whose CALLRESULT the case needs: a CALLERROR fails the case here."""
        rec = await self.call(action, payload, step=step, timeout=timeout)
        if rec.type != "CALLRESULT":
            self.check_that(
                step,
                f"{action}Response",
                "(reply)",
                False,
                "a CALLRESULT",
                f"CALLERROR {rec.error or ''}".strip(),
            )
            raise StopCase(self.checks[-1].describe())
        return rec.payload if isinstance(rec.payload, dict) else {}

    async def send_raw(self, frame: list[Any] | str, *, action: str | None = None) -> str:
        """Put a frame on the wire as it is (a malformed or out-of-state request the case
        needs); returns its message id. The reply, if any, is in the frames."""
        if isinstance(frame, str):
            text, message_id = frame, None
        else:
            message_id = str(frame[1]) if len(frame) > 1 else None
            text = orjson.dumps(frame).decode()
        try:
            await self.endpoint.send_raw(text, action=action, message_id=message_id)
        except LinkClosed as exc:
            raise Inconclusive(f"the station is not connected ({exc})") from None
        return message_id or ""

    @staticmethod
    def new_message_id() -> str:
        return str(uuid.uuid4())

    # ------------------------------------------------------------ the connection
    async def connected(self, *, step: int | None = None, timeout: float | None = None) -> None:
        """Wait until the station is connected; Inconclusive when it does not come."""
        limit = self.settings.timeout if timeout is None else timeout
        if not await self.endpoint.wait_connected(limit):
            raise Inconclusive(
                f"the station {self.settings.station_id} did not connect within {limit:g} s"
            )

    async def disconnected(self, *, timeout: float | None = None) -> bool:
        limit = self.settings.timeout if timeout is None else timeout
        return await self.endpoint.wait_disconnected(limit)

    @contextlib.contextmanager
    def link_watch(self) -> Iterator[list[int]]:
        """The frame position at each connection or disconnection while inside: the
        frames of a station that rebooted start at the first (see ``after_reboot``)."""
        marks: list[int] = []

        def seen(event: LinkEvent) -> None:
            if event.kind in ("connected", "disconnected"):
                marks.append(self.mark())

        self.endpoint.listeners.append(seen)
        try:
            yield marks
        finally:
            self.endpoint.listeners.remove(seen)

    async def after_reboot(self, marks: list[int], since: int) -> int:
        """Where a reboot's frames start: at its link's first drop (or new connection).

        A boot still in flight when the case began belongs to the power-on before, so
        it must not count for the reboot. A station whose link never changes keeps
        ``since`` (its boot check then fails on what it sent)."""
        await self.endpoint.wait_for(lambda: bool(marks), self.settings.timeout)
        return marks[0] if marks else since

    # ------------------------------------------------------------ physical steps
    async def physical(
        self, key: str, instruction: str, *, step: int | None = None, **params: Any
    ) -> None:
        """A physical step on the station under test ("plug in the EV"): the bench's
        own station does it through its API; for a real charger a person does it."""
        await self.manual(key, instruction, step=step, **params)

    # ------------------------------------------------------------ configured values
    @property
    def valid_token(self) -> str:
        return self.settings.valid_id_token

    @property
    def invalid_token(self) -> str:
        return self.settings.invalid_id_token

    def id_token(self, token: str | None = None) -> dict[str, str]:
        """2.0.1 IdTokenType of ``token`` (the valid one by default)."""
        return {
            "idToken": token or self.settings.valid_id_token,
            "type": self.settings.valid_id_token_type,
        }


def _station_call(
    action: str, match: Callable[[dict[str, Any]], bool] | None
) -> Callable[[FrameRecord], bool]:
    """A frame test: the station's ``action`` request whose payload ``match``es."""

    def wanted(rec: FrameRecord) -> bool:
        if rec.direction != "rx" or rec.type != "CALL" or rec.action != action:
            return False
        payload = rec.payload if isinstance(rec.payload, dict) else {}
        return match is None or bool(match(payload))

    return wanted
