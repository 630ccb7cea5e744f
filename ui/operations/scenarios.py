"""Operations on step scripts: open, save, and run one on a station (Qt-free).

A run is a ``ScenarioRun``: the core's ``ScriptRunner`` working in a task of
its own on the app's event loop (qasync), so the window stays responsive. It is
bound to the station it started on: selecting another station later changes
nothing for it. Progress reaches the caller as the core's events.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.ocpp.api import LinkState
from bench.ocpp.charge_point_base import STOPPED, LinkChanged
from bench.runtime import StationRun
from bench.scenarios.examples import SUFFIX, example_scripts, example_title
from bench.scenarios.steps import Step, StepError, check_script
from ui.operations import OperationError

# Why a run stopped early: the reason of its last step's ``stopped`` verdict.
USER_STOPPED = "stopped by the user"
STATION_STOPPED = "the station was stopped"
APP_CLOSING = "the app is closing"


def examples() -> list[tuple[str, Path]]:
    """(title, path) of each bundled example script."""
    return [(example_title(path), path) for path in example_scripts()]


def read_script(path: Path | str) -> str:
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise OperationError(f"{path.name} is not a text file") from None
    except OSError as exc:
        raise OperationError(f"Cannot open {path}: {exc.strerror or exc}") from None


def save_script(path: Path | str, text: str) -> Path:
    """Write ``text`` to ``path`` (``.steps`` added when it has no suffix); the path written."""
    path = Path(path)
    if not path.suffix:
        path = path.with_suffix(SUFFIX)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OperationError(f"Cannot save {path}: {exc.strerror or exc}") from None
    return path


def steps_to_run(text: str) -> list[Step]:
    """The script's steps; OperationError naming the first bad line, or an empty script."""
    steps, problems = check_script(text)
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise OperationError(f"Line {first.line}: {first.detail}{more}")
    if not steps:
        raise OperationError("The script has no steps")
    return steps


class ScenarioRun:
    """One script running on one station: a task the user can stop.

    A step's failure is the run's verdict (a ``ScriptFinished`` event), not an
    error; anything else the task raises is a bug and stays on the task for
    the caller's done-callback to report.
    """

    def __init__(
        self, station: StationRun, steps: list[Step], on_event: Callable[[Any], None]
    ) -> None:
        self.station_id = station.station.id
        self.steps = steps
        self._runner = station.script_runner(on_event=on_event)
        self.task: asyncio.Task[None] = asyncio.get_running_loop().create_task(
            self._main(), name=f"scenario:{self.station_id}"
        )
        # A station stopped (or removed) under a running script leaves nothing to drive.
        unsubscribe = station.cp.subscribe(self._on_cp_event)
        self.task.add_done_callback(lambda _task: unsubscribe())

    def _on_cp_event(self, event: Any) -> None:
        if isinstance(event, LinkChanged) and event.state == STOPPED:
            self.request_stop(STATION_STOPPED)

    async def _main(self) -> None:
        try:
            await self._runner.run(self.steps)
        except StepError:
            pass  # already told: the runner emitted the failed step and the run's verdict

    @property
    def done(self) -> bool:
        return self.task.done()

    def request_stop(self, reason: str = USER_STOPPED) -> None:
        """Cancel the run; its last events (``stopped``, with ``reason``) arrive as the task
        unwinds."""
        self.task.cancel(reason)

    async def stop(self, reason: str = USER_STOPPED) -> None:
        """Cancel the run and wait until it has unwound."""
        if self.task.done():
            return
        self.task.cancel(reason)
        try:
            await self.task
        except asyncio.CancelledError:
            if not self.task.cancelled():
                raise  # we were cancelled ourselves, not just the run


def start_run(
    station: StationRun | None, text: str, on_event: Callable[[Any], None]
) -> ScenarioRun:
    """Parse ``text`` and start it on ``station``; OperationError when it cannot run."""
    if station is None:
        raise OperationError("Select a station to run the script on")
    steps = steps_to_run(text)
    if station.cp.network().link is LinkState.STOPPED:
        raise OperationError(f"{station.station.id} is stopped: start it first")
    return ScenarioRun(station, steps, on_event)
