"""The context one test case runs in: its own station, its frames, its checks.

A scenario (``bench.conformance.scenarios``) plays the charging station's side of
a case through a ``CaseRun``: it starts the bench's real station, asks for manual
actions on the CSMS, waits for the CSMS's messages, sends what the case needs the
station to send, and checks the CSMS's messages against the case's tool
validations. Every case gets a fresh station (a new database, default
configuration) with the configured identity, so one case cannot leave state behind
for the next.

The verdict follows from how the scenario ends: a failed check makes it *fail*;
``Inconclusive`` (the CSMS did not act in time, a manual step could not be done)
*inconclusive*; ``NotApplicable`` *not applicable*; anything else the bench raised
is an *error*.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.conformance.catalogue import Case
from bench.conformance.evidence import Evidence, Inconclusive, NotApplicable, StopCase
from bench.conformance.manual import Prompter
from bench.kernel.frames import FrameRecord
from bench.ocpp.api import ChargePointApi
from bench.ocpp.errors import CallError, CallTimeout, InvalidReply
from bench.runtime import StationOptions, StationRun

__all__ = ["CaseRun", "CaseSettings", "Inconclusive", "NotApplicable", "StopCase"]

log = logging.getLogger(__name__)


@dataclass
class CaseSettings:
    """What the operator configured: the OCTT's "<Configured ...>" values."""

    csms_url: str
    version: str  # "1.6" | "2.0.1"
    station_id: str = "BENCH-CONFORMANCE"
    password: str | None = None
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    timeout: float = 30.0  # seconds the CSMS has to act on each step
    station_template: str = "ac-11kw"
    ev_template: str = "family-ev"
    valid_id_token: str = "TAG1"
    valid_id_token_type: str = "ISO14443"
    invalid_id_token: str = "UNKNOWN-TAG"
    # Optional CSMS features the operator declares (2.0.1 part 5 "optional"): cases
    # that need a feature not declared are not applicable.
    features: frozenset[str] = frozenset()
    # The certification profiles the CSMS claims; None: not declared (all apply).
    claimed_profiles: frozenset[str] | None = None
    # Station settings over the template's (``StationOptions.settings``).
    station_settings: dict[str, str] = field(default_factory=lambda: {"boot_seconds": "0"})


class CaseRun(Evidence):
    feature_owner = "the CSMS"

    def __init__(
        self,
        case: Case,
        settings: CaseSettings,
        prompter: Prompter,
        *,
        folder: Path | None = None,
    ) -> None:
        super().__init__(case, prompter)
        self.settings: CaseSettings = settings
        self._folder = folder
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._run: StationRun | None = None

    # ------------------------------------------------------------ the station
    @property
    def version(self) -> str:
        return self.settings.version

    @property
    def station(self) -> ChargePointApi:
        """The station under the bench's control (built on first use, not started)."""
        return self._station_run().cp

    def _station_run(self) -> StationRun:
        if self._run is None:
            folder = self._folder
            if folder is None:
                self._tmp = tempfile.TemporaryDirectory(prefix="bench-case-")
                folder = Path(self._tmp.name)
            s = self.settings
            options = StationOptions(
                csms_url=s.csms_url,
                station_id=s.station_id,
                ocpp=s.version,
                station_template=s.station_template,
                ev_template=s.ev_template,
                db=str(folder / f"{self.case.id}.db"),
                password=s.password,
                ca_file=s.ca_file,
                cert_file=s.cert_file,
                key_file=s.key_file,
                sinks=[self],
                settings=dict(s.station_settings),
            )
            self._run = StationRun(options)
        return self._run

    async def start_station(self) -> None:
        await self._station_run().start()

    async def finish(self) -> None:
        """Stop the station and whatever the case left running.

        (Not ``close``: the station's run closes every sink that has one, and this
        object is the sink of its frames.)"""
        await self._end_background()
        if self._run is not None:
            run, self._run = self._run, None
            await run.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    async def csms_request(
        self, action: str, *, step: int | None, since: int, timeout: float | None = None
    ) -> dict[str, Any]:
        """The payload of the CSMS's next ``action`` request; its schema verdict is a check."""
        rec = await self.wait_frame(
            lambda r: r.direction == "rx" and r.type == "CALL" and r.action == action,
            since=since,
            what=f"the CSMS's {action}Request",
            timeout=timeout,
        )
        self._check_valid(rec, step, f"{action}Request")
        return rec.payload if isinstance(rec.payload, dict) else {}

    async def reply_to(
        self, action: str, *, step: int | None, since: int, timeout: float | None = None
    ) -> FrameRecord:
        """The CSMS's reply (CALLRESULT or CALLERROR) to the station's ``action``."""
        rec = await self.wait_frame(
            lambda r: (
                r.direction == "rx" and r.type in ("CALLRESULT", "CALLERROR") and r.action == action
            ),
            since=since,
            what=f"the CSMS's reply to {action}",
            timeout=timeout,
        )
        if rec.type == "CALLRESULT":
            self._check_valid(rec, step, f"{action}Response")
        return rec

    def _check_valid(self, rec: FrameRecord, step: int | None, message: str) -> None:
        if rec.valid is False:
            self._add(
                step,
                message,
                "(schema)",
                "valid against the OCPP schema",
                rec.error or "invalid",
                False,
            )

    # ------------------------------------------------------------ manual actions
    async def request_by_hand(
        self,
        key: str,
        instruction: str,
        action: str,
        request: dict[str, Any],
        *,
        step: int | None,
        timeout: float | None = None,
        **params: Any,
    ) -> dict[str, Any]:
        """A manual action that makes the CSMS send ``action``; returns the request sent.

        ``request`` is what the case expects the CSMS to send: a person reads it in
        the prompt, and an adapter for a console-driven CSMS (the built-in one) sends
        it as it is (``{action}``, ``{request}``); the checks then judge what came.
        """
        since = self.mark()
        await self.manual(key, instruction, step=step, action=action, request=request, **params)
        return await self.csms_request(action, step=step, since=since, timeout=timeout)

    # ------------------------------------------------------------ the station's side
    async def send(self, action: str, payload: dict[str, Any], *, step: int | None) -> FrameRecord:
        """The station sends ``action`` as given; returns the CSMS's reply frame.

        A CALLERROR is returned as its frame (a case may expect one); no reply at all
        within the time limit is inconclusive.
        """
        since = self.mark()
        try:
            await self.station.send_message(action, payload, timeout=self.settings.timeout)
        except CallTimeout:
            raise Inconclusive(
                f"the CSMS did not answer {action} within {self.settings.timeout:g} s"
            ) from None
        except (CallError, InvalidReply):
            pass  # the frame says what came back; the case checks it
        return await self.reply_to(action, step=step, since=since, timeout=1.0)
