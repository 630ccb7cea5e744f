"""The Conformance window (issue 13, Desktop app): run OCTT CSMS cases and watch the verdicts land.

Real parts: each run starts the built-in CSMS and its control API on 127.0.0.1
(OS-assigned ports), the bench's real station plays the cases, and manual
actions come up as the real dialog, answered by clicking its buttons. The cases
come from the catalogue (2.0.1 part 6): TC_B_01_CSMS runs on its own, TC_B_06_CSMS
asks for a manual action, TC_B_12_CSMS follows them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QApplication, QPushButton

from bench.conformance.catalogue import cases, certification_profiles
from bench.conformance.results import Verdict
from bench.store.workspace import CsmsProfile
from tests.ui.conftest import running_app, wait_until
from ui.theme import apply_theme
from ui.views.conformance_results import COL_CASE
from ui.views.conformance_window import ConformanceWindow
from ui.views.manual_prompt import ManualPromptDialog

RUN_TIMEOUT = 60.0  # real seconds for a few cases on a busy machine
STATION = "BENCH-CONFORMANCE"
GET_VARIABLES = {
    "getVariableData": [
        {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "OfflineThreshold"}}
    ]
}


CASES = ["TC_B_01_CSMS", "TC_B_06_CSMS", "TC_B_12_CSMS"]


@contextlib.asynccontextmanager
async def conformance_window(qtbot, tmp_path: Path) -> AsyncIterator[ConformanceWindow]:
    """The window, manual actions to the dialog; any run stopped after the test."""
    apply_theme(QApplication.instance(), "light")
    window = ConformanceWindow(lambda: [], tmp_path / "reports")
    qtbot.addWidget(window)
    window.opened_urls = []  # type: ignore[attr-defined]
    window.open_url = window.opened_urls.append  # type: ignore[attr-defined]
    window.setup.shipped.setChecked(False)  # manual actions come to the dialog
    window.setup.timeout.setValue(15)
    window.show()
    try:
        yield window
    finally:
        await window.stop()  # a failing test must not leave the run's station and CSMS going


async def run_to_end(window: ConformanceWindow, qtbot) -> None:
    qtbot.mouseClick(window.run_button, _left())
    assert window.running, window.reporter.last_error
    await wait_until(lambda: not window.running, RUN_TIMEOUT, "the run to end")


def prompts_on_screen() -> list[ManualPromptDialog]:
    return [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, ManualPromptDialog) and w.isVisible()
    ]


def _left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


async def answer_get_variables(window: ConformanceWindow, qtbot, button: str) -> dict:
    """Wait for TC_B_06_CSMS's prompt, do what it asks on the CSMS, then click ``button``."""
    await wait_until(lambda: window.prompter.dialog is not None, RUN_TIMEOUT, "the prompt")
    dialog = window.prompter.dialog
    assert dialog is not None
    shown = {
        "where": dialog.where.text(),
        "instruction": dialog.instruction.text(),
        "request": dialog.expected.toPlainText(),
        "modal": dialog.isModal(),
        "visible": dialog.isVisible(),
        "rows": window.cases.rows(),  # the table as the prompt came up
    }
    if button == "manualDone":
        # The operator makes the CSMS send the request. The station answering it while
        # the dialog is up shows the event loop runs under the dialog (no exec()).
        csms = window.run.target.csms
        reply = await asyncio.wait_for(csms.call(STATION, "GetVariables", GET_VARIABLES), 15)
        shown["station_answered"] = reply["getVariableResult"][0]["attributeStatus"]
    qtbot.mouseClick(dialog.findChild(QPushButton, button), _left())
    return shown


async def test_two_cases_run_with_the_manual_step_answered_done_in_the_dialog_and_both_pass(
    qtbot, tmp_path: Path
) -> None:
    """TC_B_01_CSMS (B01.FR.02, automatic) and TC_B_06_CSMS (B06.FR.01, a manual action)."""
    async with conformance_window(qtbot, tmp_path) as window:
        window.setup.set_cases(["TC_B_01_CSMS", "TC_B_06_CSMS"])
        assert window.setup.selection_label.text() == "Run plays 2 cases; 1 asks you to act"
        qtbot.mouseClick(window.run_button, _left())
        assert window.running and not window.run_button.isEnabled()

        shown = await answer_get_variables(window, qtbot, "manualDone")
        assert shown["where"] == "MANUAL ACTION  ·  TC_B_06_CSMS · step 1"
        assert "OCPPCommCtrlr.OfflineThreshold" in shown["instruction"]
        assert shown["request"].startswith("GetVariablesRequest")
        assert not shown["modal"] and shown["visible"]
        assert shown["station_answered"] == "Accepted"
        # While the prompt was up, the first case's verdict was already in the table.
        assert shown["rows"] == [("TC_B_01_CSMS", "PASS", ""), ("TC_B_06_CSMS", "running…", "")]
        await wait_until(lambda: not window.running, RUN_TIMEOUT, "the run to end")

        assert window.cases.rows() == [("TC_B_01_CSMS", "PASS", ""), ("TC_B_06_CSMS", "PASS", "")]
        assert window.cases.counts.pills[Verdict.PASS].text() == "2 pass"
        assert window.cases.counts.pills[Verdict.FAIL].text() == "0 fail"
        assert window.cases.summary.text() == "All 2 cases finished: no case failed"
        manual = window.case_result("TC_B_06_CSMS").manual
        assert [(m.key, m.done, m.by) for m in manual] == [("get_variables", True, "operator")]
        assert window.prompter.dialog is None
        assert window.run_button.isEnabled() and window.export_button.isEnabled()


async def test_cannot_do_in_the_dialog_makes_the_case_inconclusive_with_the_reason(
    qtbot, tmp_path: Path
) -> None:
    async with conformance_window(qtbot, tmp_path) as window:
        window.setup.set_cases(["TC_B_06_CSMS"])
        qtbot.mouseClick(window.run_button, _left())
        await answer_get_variables(window, qtbot, "manualCannot")
        await wait_until(lambda: not window.running, RUN_TIMEOUT, "the run to end")

        [(case_id, verdict, reason)] = window.cases.rows()
        assert (case_id, verdict) == ("TC_B_06_CSMS", "INCONCLUSIVE")
        assert "manual action not done" in reason and "Cannot do" in reason


async def test_stop_during_a_manual_prompt_keeps_the_finished_case_and_closes_the_dialog(
    qtbot, tmp_path: Path
) -> None:
    async with conformance_window(qtbot, tmp_path) as window:
        window.setup.set_cases(CASES)
        qtbot.mouseClick(window.run_button, _left())
        await wait_until(lambda: window.prompter.dialog is not None, RUN_TIMEOUT, "the prompt")
        assert window.stop_button.isEnabled()

        qtbot.mouseClick(window.stop_button, _left())
        await wait_until(lambda: not window.running, RUN_TIMEOUT, "the run to stop")

        assert window.cases.rows() == [
            ("TC_B_01_CSMS", "PASS", ""),
            ("TC_B_06_CSMS", "not run", ""),
            ("TC_B_12_CSMS", "not run", ""),
        ]
        assert window.result is not None and window.result.stopped
        assert [c.case_id for c in window.result.cases] == ["TC_B_01_CSMS"]
        assert window.prompter.dialog is None and not prompts_on_screen()
        assert window.cases.summary.text() == (
            "Stopped after 1 of 3 cases; the finished ones are kept"
        )
        assert window.export_button.isEnabled()  # what finished can be reported


async def test_clicking_a_case_shows_its_frames_in_the_message_log_view_and_its_checks(
    qtbot, tmp_path: Path
) -> None:
    async with conformance_window(qtbot, tmp_path) as window:
        window.setup.set_cases(CASES[:2])
        window.setup.shipped.setChecked(True)  # the built-in CSMS's adapter does TC_B_06's step
        await run_to_end(window, qtbot)
        assert [row[:2] for row in window.cases.rows()] == [
            ("TC_B_01_CSMS", "PASS"),
            ("TC_B_06_CSMS", "PASS"),
        ]

        table = window.cases.table
        item = table.topLevelItem(1)
        rect = table.visualItemRect(item)
        rect.moveLeft(table.header().sectionPosition(COL_CASE))
        qtbot.mouseClick(table.viewport(), _left(), pos=rect.center())

        panel = window.detail.log_panel
        assert panel is not None
        frames = window.case_result("TC_B_06_CSMS").frames
        assert panel.model.rowCount() == len(frames) > 0
        shown = [panel.model.record(row)[1] for row in range(panel.model.rowCount())]
        assert {r.station for r in shown} == {STATION}
        assert next(r.action for r in shown if r.type == "CALL") == "BootNotification"
        assert ("rx", "CALL", "GetVariables") in {(r.direction, r.type, r.action) for r in shown}
        assert "TC_B_06_CSMS" in window.detail.title.text()
        checks = window.detail.checks
        fields = [checks.topLevelItem(i).text(3) for i in range(checks.topLevelItemCount())]
        assert "getVariableData[0].variable.name" in fields
        assert window.detail.tabs.tabText(0) == f"Frames ({len(frames)})"

        # Another case: the view holds that case's frames only.
        window.select_case("TC_B_01_CSMS")
        actions = {
            window.detail.log_panel.model.record(row)[1].action
            for row in range(window.detail.log_panel.model.rowCount())
        }
        assert "GetVariables" not in actions and "BootNotification" in actions


async def test_export_writes_the_four_report_files_and_opens_report_html(
    qtbot, tmp_path: Path
) -> None:
    async with conformance_window(qtbot, tmp_path) as window:
        window.setup.set_cases(["TC_B_01_CSMS"])
        await run_to_end(window, qtbot)

        folder = tmp_path / "exported"
        html = window.export_to(folder)

        names = {"report.html", "junit.xml", "results.json", "frames.jsonl"}
        assert html == folder / "report.html"
        assert names <= {p.name for p in folder.iterdir()}
        assert "TC_B_01_CSMS" in html.read_text(encoding="utf-8")
        assert window.opened_urls == [QUrl.fromLocalFile(str(html))]

        # Open report shows the report written last, without writing it again.
        written = html.stat().st_mtime_ns
        assert window.open_report() == html
        assert window.opened_urls[-1] == QUrl.fromLocalFile(str(html))
        assert html.stat().st_mtime_ns == written


async def test_open_report_writes_the_report_into_the_data_folder_first_and_opens_it(
    qtbot, tmp_path: Path
) -> None:
    async with conformance_window(qtbot, tmp_path) as window:
        window.setup.set_cases(["TC_B_01_CSMS"])
        await run_to_end(window, qtbot)

        qtbot.mouseClick(window.open_button, _left())

        [folder] = (tmp_path / "reports").iterdir()
        assert folder.name.startswith("conformance-2.0.1-")
        assert window.opened_urls == [QUrl.fromLocalFile(str(folder / "report.html"))]
        assert json.loads((folder / "results.json").read_text())["cases"][0]["verdict"] == "pass"


async def test_tools_conformance_opens_a_non_modal_window_offering_the_saved_csms_profiles(
    qtbot, tmp_path: Path
) -> None:
    async with running_app(qtbot, tmp_path) as main:
        main.workspace.save_profile(CsmsProfile("Lab CSMS", "ws://127.0.0.1:9/ocpp", "2.0.1"))
        tools = next(a.menu() for a in main.menuBar().actions() if a.text() == "&Tools")
        assert main.conformance.open_action in tools.actions()

        main.conformance.open_action.trigger()

        window = main.conformance.window
        assert window is not None and window.isVisible() and not window.isModal()
        combo = window.setup.csms
        entries = [combo.itemText(i) for i in range(combo.count())]
        assert entries[0].startswith("Built-in CSMS")
        assert "Lab CSMS — ws://127.0.0.1:9/ocpp" in entries
        assert main.isEnabled()  # the main window stays usable beside it


async def test_ticking_a_certification_profile_selects_its_cases_from_the_catalogue(
    qtbot, tmp_path: Path
) -> None:
    # 2.0.1 part 5: a certification profile selects the cases a CSMS must pass.
    async with conformance_window(qtbot, tmp_path) as window:
        setup = window.setup
        shown = [setup.profile_list.item(i).text() for i in range(setup.profile_list.count())]
        assert [text.split("  (")[0] for text in shown] == list(certification_profiles("2.0.1"))

        setup.set_profiles(["Core"])

        core = cases(sut="csms", version="2.0.1", profiles=("Core",))
        request = setup.request()
        assert [c.id for c in request.cases] == [c.id for c in core]
        assert request.profiles == ("Core",) and request.version == "2.0.1"
        assert setup.selection_label.text().startswith(f"Run plays {len(core)} cases")

        setup.version.setCurrentIndex(setup.version.findData("1.6"))
        assert setup.profile_list.count() == len(certification_profiles("1.6"))
        assert setup.case_tree.topLevelItemCount() == len(cases(sut="csms", version="1.6"))


async def test_the_case_filter_keeps_the_cases_whose_id_or_name_has_every_word_typed(
    qtbot, tmp_path: Path
) -> None:
    async with conformance_window(qtbot, tmp_path) as window:
        setup = window.setup
        setup.tabs.setCurrentIndex(1)  # Single cases
        qtbot.keyClicks(setup.filter, "get variables")

        tree = setup.case_tree
        shown = [
            (tree.topLevelItem(i).text(0), tree.topLevelItem(i).text(1))
            for i in range(tree.topLevelItemCount())
            if not tree.topLevelItem(i).isHidden()
        ]
        assert ("TC_B_06_CSMS", "Get Variables - single value") in shown
        assert all("get" in name.lower() and "variables" in name.lower() for _id, name in shown)
        assert len(shown) < tree.topLevelItemCount()
        runs = {
            tree.topLevelItem(i).text(0): tree.topLevelItem(i).text(2)
            for i in range(tree.topLevelItemCount())
        }
        # How each runs, with the built-in CSMS's own adapter unticked (conformance_window).
        assert (runs["TC_B_01_CSMS"], runs["TC_B_06_CSMS"]) == ("auto", "manual")
