"""The scenario runner in the desktop app (issue 10): open, check, run, stop step scripts.

Real app, real built-in CSMS on 127.0.0.1 (OS-assigned port), real stations,
offscreen. What is asserted is what the runner shows: the verdict column of
the step list, the editor's margin marks and the summary line.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QTabBar, QToolButton

from bench.scenarios.progress import FAILED, PASSED, STOPPED
from bench.workspace import BUILTIN_PROFILE, DEMO_STATION_ID, DEMO_TAG
from tests.ui.conftest import running_app, wait_until
from ui.models.scenario_progress import RUNNING
from ui.operations import stations as station_ops
from ui.theme import apply_theme
from ui.views.json_view import dark_palette_in_use
from ui.views.scenario_runner import ScenarioRunner
from ui.views.script_editor import PROBLEM

RUN_TIMEOUT = 60.0  # real seconds for a whole example at speed 10 on a busy machine


def runner_of(window) -> ScenarioRunner:
    return window.scenarios.runner


async def add_station(window, station_id: str, ocpp: str = "1.6", speed: float = 10.0) -> None:
    request = station_ops.NewStation(
        station_id, "ac-11kw", "family-ev", BUILTIN_PROFILE, speed=speed, ocpp_version=ocpp
    )
    await station_ops.add_stations(window.workspace, request)
    cp = window.bridges[station_id].cp
    await wait_until(lambda: cp.accepted, what=f"{station_id} BootNotification Accepted")


async def select(window, station_id: str) -> None:
    assert window.station_list.select_station(station_id)
    cp = window.bridges[station_id].cp
    await wait_until(lambda: cp.accepted, what=f"{station_id} BootNotification Accepted")


def click(qtbot, runner: ScenarioRunner, button: str) -> None:
    qtbot.mouseClick(runner.findChild(QToolButton, button), Qt.MouseButton.LeftButton)


async def wait_finished(runner: ScenarioRunner, timeout: float = RUN_TIMEOUT) -> None:
    await wait_until(lambda: not runner.running, timeout, "the script to finish")


def bottom_tab(window) -> str:
    """The title of the tab on top among the docks tabbed with the message log."""
    for bar in window.findChildren(QTabBar):
        titles = [bar.tabText(i) for i in range(bar.count())]
        if "Scenario runner" in titles:
            return bar.tabText(bar.currentIndex())
    raise AssertionError("the scenario runner is not tabbed with the message log")


def verdicts(runner: ScenarioRunner) -> list[tuple[str, str]]:
    """(line, verdict) of each row as the list shows it."""
    return [(line, verdict) for line, verdict, _detail in runner.verdicts()]


@pytest.mark.parametrize("ocpp", ["1.6", "2.0.1"])
async def test_the_charge_session_example_runs_green_with_each_step_passed_in_list_and_margin(
    qtbot, tmp_path: Path, ocpp: str
) -> None:
    """1.6 §4.8/§4.10, 2.0.1 E01/E06: the bundled example, opened from the Open menu."""
    async with running_app(qtbot, tmp_path) as window:
        station = f"EXAMPLE-{ocpp}"
        await add_station(window, station, ocpp)
        await select(window, station)
        runner = runner_of(window)
        runner.example_actions["charge-session.steps"].trigger()
        assert runner.name == "charge-session.steps (example)"
        lines = [row.step.line for row in runner._rows()]
        assert len(lines) == 7
        assert f"Runs on {station}" in runner.target_label.text().replace("<b>", "").replace(
            "</b>", ""
        )

        click(qtbot, runner, "scenarioRunButton")
        assert runner.running and runner.editor.isReadOnly()
        # The step being run is the highlighted one: the minute of charging (line of step 4).
        wait_line = lines[3]
        await wait_until(
            lambda: (
                runner.editor.current_line == wait_line
                and runner.editor.mark_of(wait_line) == RUNNING
            ),
            RUN_TIMEOUT,
            "the wait step to be highlighted",
        )
        assert [runner.editor.mark_of(line) for line in lines[:3]] == [PASSED] * 3
        assert "step 4 of 7" in runner.summary.text()
        await wait_finished(runner)

        assert verdicts(runner) == [(str(line), "✓ passed") for line in lines]
        assert {runner.editor.mark_of(line) for line in lines} == {PASSED}
        assert runner.editor.current_line is None
        assert runner.summary.text().startswith(f"✓ All 7 steps passed on {station}")
        assert not runner.editor.isReadOnly()
        assert not window.bridges[station].station.connector(1).plugged


async def test_a_failing_expect_shows_its_step_its_line_and_what_was_expected_and_seen(
    qtbot, tmp_path: Path
) -> None:
    async with running_app(qtbot, tmp_path) as window:
        await select(window, DEMO_STATION_ID)
        runner = runner_of(window)
        runner.set_text("plug 1\n# no card presented\nexpect 1 Charging within 2\nunplug 1\n")
        click(qtbot, runner, "scenarioRunButton")
        await wait_finished(runner)

        rows = runner.verdicts()
        assert [(line, verdict) for line, verdict, _ in rows] == [
            ("1", "✓ passed"),
            ("3", "✗ failed"),
            ("4", ""),  # never reached
        ]
        assert rows[1][2].startswith("expected Charging, saw Preparing")
        assert runner.editor.mark_of(3) == FAILED
        assert runner.editor.mark_of(4) is None
        summary = runner.summary.text()
        assert f"Failed on {DEMO_STATION_ID} at step 2 (line 3): expect 1 Charging" in summary
        assert "connector 1 is Preparing, not Charging, after 2 s" in summary
        assert window.reporter.last_error is None  # a verdict, not an application error

        # Switching the palette re-colours the script; the verdicts stay.
        shown = runner.verdicts()
        apply_theme(QApplication.instance(), "dark")
        try:
            await wait_until(lambda: dark_palette_in_use(), 5.0, "the dark palette")
            QApplication.processEvents()  # deliver any posted palette-change events
            assert runner.verdicts() == shown
            assert runner.editor.mark_of(3) == FAILED
        finally:
            apply_theme(QApplication.instance(), "light")


async def test_stop_ends_a_long_script_and_the_station_keeps_working(qtbot, tmp_path: Path) -> None:
    """1.6 §4.10: after Stop the session goes on; the same card then ends it."""
    async with running_app(qtbot, tmp_path) as window:
        await select(window, DEMO_STATION_ID)
        runner = runner_of(window)
        runner.set_text(
            f"plug 1\npresent {DEMO_TAG}\nexpect 1 Charging within 60\nwait 100000  # a day+\n"
        )
        click(qtbot, runner, "scenarioRunButton")
        await wait_until(
            lambda: runner.editor.current_line == 4, RUN_TIMEOUT, "the long wait to start"
        )
        click(qtbot, runner, "scenarioStopButton")
        await wait_finished(runner, 10.0)

        assert verdicts(runner) == [
            ("1", "✓ passed"),
            ("2", "✓ passed"),
            ("3", "✓ passed"),
            ("4", "■ stopped"),
        ]
        assert runner.editor.mark_of(4) == STOPPED
        assert runner.verdicts()[3][2].startswith("stopped by the user")
        assert runner.summary.text().startswith(
            f"■ Stopped on {DEMO_STATION_ID} at step 4 (line 4)"
        )
        cp = window.bridges[DEMO_STATION_ID].cp
        assert cp.status_of(1).status == "Charging"

        # The station keeps working, and the runner runs again.
        runner.set_text(
            f"present {DEMO_TAG}\nexpect 1 Finishing within 60\nunplug 1\n"
            "expect 1 Available within 60\n"
        )
        assert verdicts(runner) == [("1", ""), ("2", ""), ("3", ""), ("4", "")]
        click(qtbot, runner, "scenarioRunButton")
        await wait_finished(runner)
        assert verdicts(runner) == [(str(n), "✓ passed") for n in range(1, 5)]
        csms = window.workspace.csms
        await wait_until(
            lambda: [tx.reason for tx in csms.transactions(DEMO_STATION_ID)] == ["Local"],
            what="StopTransaction reason Local at the CSMS",
        )


async def test_a_parse_error_is_marked_on_its_line_before_anything_runs(
    qtbot, tmp_path: Path
) -> None:
    async with running_app(qtbot, tmp_path) as window:
        await select(window, DEMO_STATION_ID)
        runner = runner_of(window)
        runner.set_text("plug 1\n\nfly 1\nexpect 1 Charging\nexpect 1 Charged within 5\n")

        assert runner.editor.mark_of(3) == PROBLEM
        assert runner.editor.mark_of(5) == PROBLEM
        assert runner.editor.mark_of(4) is None
        assert runner.editor.problems[3].startswith("Line 3: unknown step 'fly'")
        rows = runner.verdicts()
        assert [(line, verdict) for line, verdict, _ in rows] == [
            ("1", ""),
            ("3", "! bad line"),
            ("4", ""),
            ("5", "! bad line"),
        ]
        assert rows[3][2].startswith("unknown status 'Charged'")
        assert runner.summary.text().startswith("! Line 3 does not parse: unknown step 'fly'")
        assert not runner.run_action.isEnabled()
        assert not window.bridges[DEMO_STATION_ID].station.connector(1).plugged

        runner.set_text("plug 1\n\nunplug 1\n")  # fixed: the marks go, Run comes back
        assert runner.editor.problems == {} and runner.editor.mark_of(3) is None
        assert runner.run_action.isEnabled()


async def test_selecting_another_station_does_not_redirect_a_running_script(
    qtbot, tmp_path: Path
) -> None:
    async with running_app(qtbot, tmp_path) as window:
        await add_station(window, "OTHER-CP")
        await select(window, DEMO_STATION_ID)
        runner = runner_of(window)
        runner.set_text("plug 1\nwait 100000\nunplug 1\n")
        click(qtbot, runner, "scenarioRunButton")
        await wait_until(lambda: runner.editor.current_line == 2, what="the wait to start")

        await select(window, "OTHER-CP")
        assert window.current_view().cp.station.id == "OTHER-CP"
        assert "Running on <b>DEMO-AC-11KW</b>" in runner.target_label.text()
        assert runner.running_station_id == DEMO_STATION_ID
        demo, other = (window.bridges[s].station for s in (DEMO_STATION_ID, "OTHER-CP"))
        assert demo.connector(1).plugged and not other.connector(1).plugged
        click(qtbot, runner, "scenarioStopButton")
        await wait_finished(runner, 10.0)

        # The next run goes where the selection is now.
        assert "Runs on <b>OTHER-CP</b>" in runner.target_label.text()
        runner.set_text("plug 1\nexpect 1 Preparing within 30\n")
        click(qtbot, runner, "scenarioRunButton")
        await wait_finished(runner)
        assert verdicts(runner) == [("1", "✓ passed"), ("2", "✓ passed")]
        assert other.connector(1).plugged and demo.connector(1).plugged


async def test_removing_the_station_a_script_runs_on_stops_the_script(
    qtbot, tmp_path: Path
) -> None:
    async with running_app(qtbot, tmp_path) as window:
        await add_station(window, "GOING-CP")
        await select(window, "GOING-CP")
        runner = runner_of(window)
        runner.set_text("plug 1\nwait 100000\n")
        click(qtbot, runner, "scenarioRunButton")
        await wait_until(lambda: runner.editor.current_line == 2, what="the wait to start")
        await station_ops.remove_station(window.workspace, "GOING-CP")
        await wait_finished(runner, 10.0)
        assert verdicts(runner) == [("1", "✓ passed"), ("2", "■ stopped")]
        assert runner.verdicts()[1][2].startswith("the station was stopped")


async def test_a_script_saved_and_opened_again_comes_back_as_written(qtbot, tmp_path: Path) -> None:
    async with running_app(qtbot, tmp_path) as window:
        runner = runner_of(window)
        runner.set_text("plug 1\nexpect 1 Preparing\n")
        assert runner.save_to(tmp_path / "mine")  # the .steps suffix is added
        saved = tmp_path / "mine.steps"
        assert saved.read_text(encoding="utf-8") == "plug 1\nexpect 1 Preparing\n"
        assert runner.file_label.text() == "mine.steps"

        runner.set_text("unplug 1\n")
        assert runner.file_label.text() == "mine.steps *"
        runner.confirm_discard = lambda: False
        assert not runner.open_path(saved)  # the user kept the changes
        assert runner.text() == "unplug 1\n"
        runner.confirm_discard = lambda: True
        assert runner.open_path(saved)
        assert runner.text() == "plug 1\nexpect 1 Preparing\n"
        assert runner.path == saved and runner.file_label.text() == "mine.steps"


async def test_the_scenario_menu_offers_the_examples_and_ctrl_j_brings_the_runner_up(
    qtbot, tmp_path: Path
) -> None:
    async with running_app(qtbot, tmp_path) as window:
        bar = window.menuBar()
        (menu,) = [a.menu() for a in bar.actions() if a.text().replace("&", "") == "Scenario"]
        titles = [a.text() for a in menu.actions()]
        assert titles[:2] == ["Examples", "Open script…"]
        examples = [a.text() for a in menu.actions()[0].menu().actions()]
        assert any("charge-session.steps" in t for t in examples)
        assert any("ev-pauses.steps" in t for t in examples)

        window.log_dock.raise_()  # the runner is a tab behind the message log
        assert bottom_tab(window) == "Message log"
        window.scenarios.show_action.trigger()
        await wait_until(lambda: bottom_tab(window) == "Scenario runner", 5.0, "the runner's tab")
        window.scenarios.show_action.trigger()  # a second press keeps it up (not a toggle)
        assert bottom_tab(window) == "Scenario runner"
