"""What every test case collects, whichever side the bench plays: frames, checks,
manual actions, and the exceptions that end a case with a verdict.

``CaseRun`` (the bench as the charging station, testing a CSMS) and
``ChargerRun`` (the bench as the CSMS, testing a charging station) both build on
``Evidence``: a scenario waits for frames from a mark on, applies tool validations
with ``check``/``require``/``check_that``, and asks for what only a person (or an
adapter, or the bench's own station API) can do with ``manual``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol

from bench.conformance.catalogue import Case
from bench.conformance.expect import as_expectation, field_at, shown
from bench.conformance.manual import ManualRequest, Prompter
from bench.conformance.results import Check, ManualAction
from bench.kernel.frames import FrameRecord
from bench.ocpp.flag import Flag


class Inconclusive(Exception):
    """The system under test did not act within the time limit, or a manual step was
    not done."""


class NotApplicable(Exception):
    """The case does not apply (profile, declared features)."""


class StopCase(Exception):
    """A check the rest of the case depends on failed: the case ends as failed."""


class EvidenceSettings(Protocol):
    """What ``Evidence`` reads of a run's settings."""

    station_id: str
    timeout: float
    features: frozenset[str]


class Evidence:
    """Frames, checks and manual actions of one case (a ``FrameSink`` for its frames)."""

    settings: EvidenceSettings
    # Who must declare an optional feature, for the not-applicable reason.
    feature_owner = "the system under test"

    def __init__(self, case: Case, prompter: Prompter) -> None:
        self.case = case
        self.prompter = prompter
        self.frames: list[FrameRecord] = []
        self.checks: list[Check] = []
        self.manual_actions: list[ManualAction] = []
        self._arrived = Flag()
        self._background: set[asyncio.Task[Any]] = set()

    # ------------------------------------------------------------ frames (a FrameSink)
    def record(self, rec: FrameRecord) -> None:
        self.frames.append(rec)
        self._arrived.set()

    def mark(self) -> int:
        """A position in the frames: later waits look only at what came after it."""
        return len(self.frames)

    async def wait_frame(
        self,
        matches: Callable[[FrameRecord], bool],
        *,
        since: int,
        what: str,
        timeout: float | None = None,
    ) -> FrameRecord:
        """The first frame from ``since`` on that ``matches``; Inconclusive after the timeout."""
        found = await self.find_frame(matches, since=since, timeout=timeout)
        if found is None:
            limit = self.settings.timeout if timeout is None else timeout
            raise Inconclusive(f"{what} did not arrive within {limit:g} s")
        return found

    async def find_frame(
        self,
        matches: Callable[[FrameRecord], bool],
        *,
        since: int,
        timeout: float | None = None,
    ) -> FrameRecord | None:
        """The first frame from ``since`` on that ``matches``, or None after the timeout
        (for a case that checks that something does *not* come)."""
        limit = self.settings.timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        seen = since
        for _ in range(1_000_000):
            for rec in self.frames[seen:]:
                if matches(rec):
                    return rec
            seen = len(self.frames)
            left = deadline - loop.time()
            if left <= 0:
                break
            self._arrived.clear()
            try:
                async with asyncio.timeout(left):
                    await self._arrived.wait()
            except TimeoutError:
                break
        return None

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

    # ------------------------------------------------------------ checks
    def _add(
        self, step: int | None, message: str, name: str, expected: str, actual: str, ok: bool
    ) -> bool:
        self.checks.append(Check(step, message, name, expected, actual, ok))
        return ok

    def check(self, step: int | None, message: str, payload: Any, path: str, expected: Any) -> bool:
        """One tool validation: ``payload``'s field at ``path`` meets ``expected``."""
        want = as_expectation(expected)
        value = field_at(payload, path)
        return self._add(step, message, path, want.words, shown(value), want(value))

    def require(
        self, step: int | None, message: str, payload: Any, path: str, expected: Any
    ) -> None:
        """A check the rest of the case depends on: the case stops when it fails."""
        if not self.check(step, message, payload, path, expected):
            raise StopCase(self.checks[-1].describe())

    def check_that(
        self, step: int | None, message: str, what: str, ok: bool, expected: str, actual: str
    ) -> bool:
        """A check that is not one field's value (an order, a count, a time limit)."""
        return self._add(step, message, what, expected, actual, ok)

    @property
    def failed_checks(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    # ------------------------------------------------------------ manual actions
    async def manual(
        self, key: str, instruction: str, *, step: int | None = None, **params: Any
    ) -> None:
        """Have the manual action done (adapter, operator, the bench's own station);
        Inconclusive when it is not."""
        values = {"station_id": self.settings.station_id, **params}
        request = ManualRequest(self.case.id, step, key, instruction, values)
        outcome = await self.prompter.perform(request)
        self.manual_actions.append(
            ManualAction(key, instruction, step, outcome.done, outcome.by, outcome.detail)
        )
        if not outcome.done:
            raise Inconclusive(f"manual action not done: {instruction} ({outcome.detail})")

    # ------------------------------------------------------------ the case's own tasks
    def in_background(self, coro: Any, name: str) -> asyncio.Task[Any]:
        """Run ``coro`` beside the case (ended when the case ends)."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def _end_background(self) -> None:
        for task in list(self._background):
            task.cancel()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    def not_applicable(self, reason: str) -> None:
        raise NotApplicable(reason)

    def needs_feature(self, feature: str) -> None:
        """The case needs an optional feature the operator must declare (2.0.1 part 5)."""
        if feature not in self.settings.features:
            raise NotApplicable(
                f"{self.feature_owner} does not declare the optional feature {feature}"
            )
