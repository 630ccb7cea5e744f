"""The Conformance window's second mode, "Test a charger" (issue 14).

Real parts: the bench listens as the CSMS on 127.0.0.1 (an OS-assigned port); the
station under test is either one of the bench's own (its physical steps done
through the station API) or a "real charger" the test starts from outside against
the address the window shows, whose physical step (a power cycle) comes up as the
real dialog and is answered by doing it and clicking Done.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QPushButton

from bench.conformance.results import Verdict
from bench.runtime import StationOptions, StationRun
from tests.ui.conftest import wait_until
from ui.theme import apply_theme
from ui.views.conformance_window import ConformanceWindow

RUN_TIMEOUT = 60.0
DUT = "LAB-CHARGER-1"


@contextlib.asynccontextmanager
async def charger_window(qtbot, tmp_path: Path) -> AsyncIterator[ConformanceWindow]:
    apply_theme(QApplication.instance(), "light")
    window = ConformanceWindow(lambda: [], tmp_path / "reports")
    qtbot.addWidget(window)
    setup = window.setup
    setup.set_mode("cs")
    setup.listen.setText("127.0.0.1:0")
    setup.station_id.setText(DUT)
    setup.version.setCurrentIndex(setup.version.findData("2.0.1"))
    setup.timeout.setValue(15)
    window.show()
    try:
        yield window
    finally:
        await window.stop()


async def test_the_charger_mode_lists_the_charging_station_cases_and_hides_the_csms_fields(
    qtbot, tmp_path: Path
) -> None:
    async with charger_window(qtbot, tmp_path) as window:
        setup = window.setup
        assert len(setup.cases) == 424 and all(c.id.endswith("_CS") for c in setup.cases)
        assert setup.listen.isVisible() and setup.dut.isVisible()
        assert not setup.csms.isVisible() and not setup.adapter.isVisible()
        setup.set_mode("csms")
        assert all(c.id.endswith("_CSMS") for c in setup.cases)
        assert setup.csms.isVisible() and not setup.listen.isVisible()


async def test_the_benchs_own_station_runs_a_case_unattended_and_the_banner_names_it(
    qtbot, tmp_path: Path
) -> None:
    async with charger_window(qtbot, tmp_path) as window:
        setup = window.setup
        setup.dut.setCurrentIndex(setup.dut.findData("ac-11kw"))
        setup.set_cases(["TC_B_01_CS"])
        qtbot.mouseClick(window.run_button, Qt.MouseButton.LeftButton)
        assert window.running, window.reporter.last_error
        await wait_until(lambda: not window.running, RUN_TIMEOUT, "the run to end")
        assert window.cases.rows() == [("TC_B_01_CS", "PASS", "")]
        banner = window.dut_banner.text()
        assert "Listening as the CSMS at ws://127.0.0.1:" in banner
        assert "Station under test: OCPPBench WB-11 (serial WB11-" in banner
        assert window.prompter.dialog is None  # nobody was asked anything


async def test_a_real_charger_is_asked_for_its_power_cycle_in_a_dialog(
    qtbot, tmp_path: Path
) -> None:
    async with charger_window(qtbot, tmp_path) as window:
        window.setup.set_cases(["TC_B_01_CS"])
        qtbot.mouseClick(window.run_button, Qt.MouseButton.LeftButton)
        assert window.running, window.reporter.last_error
        await wait_until(lambda: window._listening is not None, RUN_TIMEOUT, "the endpoint")
        listening = window._listening
        assert listening is not None and not listening.own
        assert f"set the charger's CSMS URL to {listening.station_url}" in window.dut_banner.text()
        assert "waiting for it to connect" in window.dut_banner.text()
        charger = StationRun(
            StationOptions(
                csms_url=listening.url,
                station_id=DUT,
                ocpp="2.0.1",
                db=str(tmp_path / "charger.db"),
                settings={"boot_seconds": "0"},
            )
        )
        await charger.start()
        try:
            await wait_until(lambda: window.prompter.dialog is not None, RUN_TIMEOUT, "a prompt")
            dialog = window.prompter.dialog
            assert dialog is not None
            assert dialog.where.text() == "PHYSICAL STEP  ·  TC_B_01_CS · step 1"
            assert "Power cycle the charging station" in dialog.instruction.text()
            texts = [label.text() for label in dialog.findChildren(QLabel)]
            assert any(t.startswith("Do it at the charging station") for t in texts), texts
            assert dialog.windowTitle() == "Physical step — TC_B_01_CS"
            assert "— connected" in window.dut_banner.text()
            await charger.cp.power_cut()  # the person at the charger does it
            await charger.cp.power_restore()
            qtbot.mouseClick(dialog.findChild(QPushButton, "manualDone"), Qt.MouseButton.LeftButton)
            await wait_until(lambda: not window.running, RUN_TIMEOUT, "the run to end")
        finally:
            await charger.stop()
        assert window.cases.rows() == [("TC_B_01_CS", "PASS", "")]
        result = window.case_result("TC_B_01_CS")
        assert result is not None and result.verdict is Verdict.PASS
        assert [(m.key, m.by) for m in result.manual] == [("power_cycle", "operator")]
