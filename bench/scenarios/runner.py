"""Executes parsed steps against a running charge point (OCPP 1.6 or 2.0.1).

Progress goes out as events (``bench.scenarios.progress``) on ``events``: who
wants it subscribes (the CLI's echo, the desktop app's scenario runner). A step
that does not succeed raises ``StepError`` after its verdict is emitted;
cancelling the run (the user's Stop) emits a ``stopped`` verdict for the step
it was in, with the cancel message as its reason, and lets the cancellation through.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from bench.model.connector import StateError
from bench.model.events import Emitter
from bench.ocpp.api import ChargePointApi, ConnectorView, RebootKind
from bench.scenarios.progress import (
    FAILED,
    PASSED,
    STOPPED,
    ScriptFinished,
    ScriptStarted,
    StepFinished,
    StepStarted,
)
from bench.scenarios.steps import DEFAULT_EXPECT_WITHIN, Step, StepError

# What a step's verb may raise that means "this step did not work", not a bug in the bench.
_STEP_FAILURES = (ValueError, KeyError, LookupError, StateError)


def _failed(step: Step, detail: str, **found: str) -> StepError:
    return StepError(f"{step} failed: {detail}", line=step.line, detail=detail, **found)


async def _to_the_end(work: Awaitable[None]) -> None:
    """Await ``work``; a cancellation meanwhile waits for it to finish, then goes on.

    For steps that must not stop halfway: a reboot cut short would leave the
    station powered off, which no user pressing Stop asked for.
    """
    task = asyncio.ensure_future(work)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        await task
        raise


class ScriptRunner:
    """Runs steps on ``cp``; ``echo`` gets one ``▶ step N (text)`` line as each step starts."""

    def __init__(
        self,
        cp: ChargePointApi,
        *,
        default_ev: str,
        fault_lookup: Callable[[str], Any],
        echo: Callable[[str], None] | None = None,
        on_event: Callable[[Any], None] | None = None,
    ):
        self.cp = cp
        self.default_ev = default_ev
        self.fault_lookup = fault_lookup
        self.events = Emitter()
        if echo is not None:
            self.events.subscribe(
                lambda event: echo(f"▶ {event.step}") if isinstance(event, StepStarted) else None
            )
        if on_event is not None:
            self.events.subscribe(on_event)

    # ------------------------------------------------------------ the run and its events
    async def run(self, steps: list[Step]) -> None:
        clock = self.cp.clock
        began = clock.monotonic()
        self.events.emit(ScriptStarted(tuple(steps), self.cp.station_id))
        for step in steps:
            self.events.emit(StepStarted(step))
            started = clock.monotonic()
            try:
                finished = await self._step(step)
            except StepError as exc:
                verdict = StepFinished(step, FAILED, exc.detail, exc.expected, exc.seen)
                self._end(verdict, started, began)
                raise
            except asyncio.CancelledError as exc:
                # Whoever cancels may say why (``task.cancel("the station was stopped")``).
                why = exc.args[0] if exc.args and isinstance(exc.args[0], str) else ""
                self._end(
                    StepFinished(step, STOPPED, why or "stopped before it finished"), started, began
                )
                raise
            except Exception as exc:  # a bug, not a verdict: say so, then let it through
                reason = f"unexpected error: {type(exc).__name__}: {exc}"
                self._end(StepFinished(step, FAILED, reason), started, began)
                raise
            self.events.emit(replace(finished, seconds=clock.monotonic() - started))
        self.events.emit(ScriptFinished(PASSED, None, clock.monotonic() - began))

    def _end(self, finished: StepFinished, started: float, began: float) -> None:
        now = self.cp.clock.monotonic()
        finished = replace(finished, seconds=now - started)
        self.events.emit(finished)
        self.events.emit(ScriptFinished(finished.verdict, finished, now - began))

    async def _step(self, step: Step) -> StepFinished:
        try:
            return await self.execute(step)
        except StepError:
            raise
        except _STEP_FAILURES as exc:
            raise _failed(step, str(exc)) from None

    # ------------------------------------------------------------ the verbs
    def _connector(self, step: Step) -> ConnectorView:
        number = int(step.args[0])
        ids = self.cp.connector_ids()
        if number not in ids:
            raise _failed(step, f"no connector {number} (station has {len(ids)})")
        return self.cp.connector(number)

    async def execute(self, step: Step) -> StepFinished:
        """Do one step; its verdict when it succeeds, ``StepError`` when it does not."""
        cp, verb, args = self.cp, step.verb, step.args
        station = cp.station
        if verb == "plug":
            connector = self._connector(step)
            if connector.plugged:
                raise _failed(step, f"connector {connector.id} is already plugged")
            cp.plug_in(connector.id, args[1] if len(args) > 1 else self.default_ev)
        elif verb == "unplug":
            connector = self._connector(step)
            if not connector.plugged:
                raise _failed(step, f"connector {connector.id} is not plugged")
            cp.unplug(connector.id)
        elif verb == "present":
            cp.present_id(args[0], int(args[1]) if len(args) > 1 else None)
            # The station takes the badge in on a task of its own; let it start before the
            # next step. A card ending its own transaction does so at once (1.6 §4.10,
            # E07.FR.01a), so "present; unplug" stops by card, not by the cable pulled.
            await asyncio.sleep(0)
        elif verb == "fault":
            fault = self.fault_lookup(args[1])
            number = int(args[0])
            if number:
                self._connector(step)  # a clear error for a connector the station lacks
            cp.raise_fault(number, fault)
        elif verb == "clear":
            number = int(args[0])
            if number:
                self._connector(step)
            cp.clear_fault(number)
        elif verb in ("suspend", "resume", "soc"):
            connector = self._connector(step)
            if not connector.plugged:
                raise _failed(step, f"no EV on connector {connector.id}")
            station.tick()
            if verb == "suspend":
                cp.suspend_ev(connector.id)
            elif verb == "resume":
                cp.resume_ev(connector.id)
            else:
                cp.set_soc(connector.id, float(args[1]))
        elif verb == "wait":
            await cp.clock.sleep(float(args[0]))
        elif verb == "expect":
            return await self._expect(step)
        elif verb == "disconnect":
            cp.cut_network()
            await asyncio.sleep(0)
        elif verb == "reconnect":
            cp.restore_network()
        elif verb == "impair":
            # Network faults from here on, to the open link too (see bench.transport.impair).
            fault = cp.impair(" ".join(args))
            return StepFinished(step, PASSED, f"network: {fault.describe()}")
        elif verb == "reboot":
            await _to_the_end(cp.reboot(RebootKind.LOCAL))  # each version words it
        elif verb == "power":
            await self._power(step, on=args[0] == "on")
        return StepFinished(step, PASSED)

    async def _power(self, step: Step, *, on: bool) -> None:
        """A power cut or the supply back; the version ends its transactions with its
        PowerLoss reason and boots with its power-up reason (1.6 §7.36, B01)."""
        power = self.cp.power()
        if on and power.on:
            raise _failed(step, "the station has power already")
        if on and not power.cut:
            raise _failed(step, "the station is booting already")
        if not on and not power.on:
            raise _failed(step, "the station has no power to cut")
        # Not cut short: a cut half done or a boot half waited leaves the station between.
        await _to_the_end(self.cp.power_restore() if on else self.cp.power_cut())

    async def _expect(self, step: Step) -> StepFinished:
        cp, args = self.cp, step.args
        number, wanted = int(args[0]), args[1]
        within = float(args[3]) if len(args) == 4 else DEFAULT_EXPECT_WITHIN
        if number:
            self._connector(step)  # a clear error for a connector the station lacks
        if await cp.wait_status(number, wanted, within):
            return StepFinished(step, PASSED, f"connector {number} is {wanted}", wanted, wanted)
        seen = self._seen(number)
        raise _failed(
            step,
            f"connector {number} is {seen}, not {wanted}, after {within:g} s",
            expected=wanted,
            seen=seen,
        )

    def _seen(self, number: int) -> str:
        """The status ``expect`` compared against, as a user would want it named."""
        view = self.cp.connector(number)
        tx = view.transaction
        if tx is not None and tx.charging_state is not None:
            # A 2.0.1 expect also matches the transaction's chargingState: show it too.
            return f"{view.status} ({tx.charging_state})"
        return view.status
