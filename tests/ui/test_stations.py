"""The stations list: add from a template, duplicate, start/stop, remove, and hundreds of rows."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from bench.store.workspace import WorkspaceStore
from bench.workspace import BUILTIN_PROFILE, DEMO_STATION_ID
from tests.ui.conftest import running_app, wait_for_count, wait_until
from ui.models.stations import BADGE_ROLE


def badge(window, station_id: str) -> str:
    model = window.station_model
    for row in range(model.rowCount()):
        if model.index(row).data() == station_id:
            return model.index(row).data(BADGE_ROLE)[0]
    return "missing"


def ids(window) -> list[str]:
    model = window.station_model
    return [model.index(row).data() for row in range(model.rowCount())]


async def demo_booted(window) -> None:
    await wait_until(lambda: badge(window, DEMO_STATION_ID) == "booted", what="demo booted")


async def test_the_add_dialog_adds_a_station_from_a_template_with_its_ev_and_profile(
    qtbot, tmp_path
):
    """1.6 §4.2: the new station boots against the chosen profile (the built-in CSMS)."""
    async with running_app(qtbot, tmp_path) as window:
        await demo_booted(window)
        dialog = window.station_actions.open_add_dialog()
        dialog.template.setCurrentIndex(dialog.template.findData("dc-50kw"))
        assert dialog.station_id.text() == "DC-50KW-001"  # suggested from the template
        dialog.station_id.setText("DC-LAB-1")
        dialog.ev.setCurrentIndex(dialog.ev.findData("dc-fast-ev"))
        assert dialog.profile.currentData() == BUILTIN_PROFILE
        assert dialog.ocpp.currentData() == "1.6"
        qtbot.mouseClick(
            dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton
        )
        await wait_until(lambda: badge(window, "DC-LAB-1") == "booted", what="DC-LAB-1 booted")
        run = window.workspace.stations["DC-LAB-1"]
        assert run.options.station_template == "dc-50kw"
        assert run.options.ev_template == "dc-fast-ev"
        assert "DC-LAB-1" in window.workspace.csms.connected_stations()
        assert window.station_list.current_station_id() == "DC-LAB-1"  # selected after adding
        view = await wait_until(window.current_view, what="the new station's view")
        assert view.cp is run.cp


async def test_a_taken_id_is_refused_inside_the_dialog(qtbot, tmp_path):
    async with running_app(qtbot, tmp_path) as window:
        await demo_booted(window)
        dialog = window.station_actions.open_add_dialog()
        dialog.station_id.setText(DEMO_STATION_ID)
        qtbot.mouseClick(
            dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton
        )
        assert dialog.isVisible()
        assert "already exists" in dialog.error.text()
        dialog.reject()
        assert ids(window) == [DEMO_STATION_ID]


async def test_duplicate_stop_start_and_remove_through_the_list_actions(qtbot, tmp_path):
    """Stop closes the link (the CSMS sees the station go); Start boots it again (1.6 §4.2)."""
    async with running_app(qtbot, tmp_path) as window:
        await demo_booted(window)
        actions = window.station_actions
        csms = window.workspace.csms
        window.station_list.select_station(DEMO_STATION_ID)

        actions.duplicate_action.trigger()
        copy = "DEMO-AC-11KW-2"
        await wait_until(lambda: badge(window, copy) == "booted", what="the copy booted")
        assert ids(window) == [DEMO_STATION_ID, copy]
        assert window.workspace.records[copy].template == "ac-11kw"
        assert window.station_list.current_station_id() == copy

        assert actions.start_stop_action.text() == "Stop"
        actions.start_stop_action.trigger()
        await wait_until(lambda: badge(window, copy) == "stopped", what="stopped badge")
        await wait_until(lambda: copy not in csms.connected_stations(), what="link closed")
        assert actions.start_stop_action.text() == "Start"
        assert not window.workspace.is_running(copy)

        actions.start_stop_action.trigger()
        await wait_until(lambda: badge(window, copy) == "booted", what="booted again")
        assert actions.start_stop_action.text() == "Stop"
        view = await wait_until(window.current_view, what="a view of the restarted station")
        assert view.cp is window.workspace.stations[copy].cp  # the view follows the new run

        box = actions.confirm_remove()
        assert isinstance(box, QMessageBox) and copy in box.text()
        qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
        await wait_until(lambda: ids(window) == [DEMO_STATION_ID], what="the copy removed")
        await wait_until(lambda: copy not in csms.connected_stations(), what="copy disconnected")
        saved = [s.station_id for s in WorkspaceStore(window.workspace.db).stations()]
        assert saved == [DEMO_STATION_ID]


async def test_cancelling_the_remove_question_keeps_the_station(qtbot, tmp_path):
    async with running_app(qtbot, tmp_path) as window:
        await demo_booted(window)
        window.station_list.select_station(DEMO_STATION_ID)
        box = window.station_actions.confirm_remove()
        before = asyncio.all_tasks()
        qtbot.mouseClick(box.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
        # The answer is handled inside the click; a Yes would have started the removal's
        # task right there, so nothing new running means nothing is coming.
        assert window.station_actions.confirm_box is None
        assert asyncio.all_tasks() - before == set()
        assert ids(window) == [DEMO_STATION_ID]
        assert window.station_actions.busy == 0


class InputProbe(QObject):
    """Input as the window system delivers it: an event posted to the GUI thread, and
    the next one posted as soon as it is handled. Each delivery notes how many rows the
    stations list had, so a test sees what the user saw between two of their inputs."""

    def __init__(self, model) -> None:
        super().__init__()
        self.model = model
        self.rows: list[int] = []
        self.running = False
        self._type = QEvent.Type(QEvent.registerEventType())

    def start(self) -> None:
        self.running = True
        QCoreApplication.postEvent(self, QEvent(self._type))

    def stop(self) -> None:
        self.running = False

    def event(self, event: QEvent) -> bool:
        if event.type() != self._type:
            return super().event(event)
        self.rows.append(self.model.rowCount())
        if self.running and len(self.rows) < 1_000_000:  # bounded
            QCoreApplication.postEvent(self, QEvent(self._type))
        return True


async def test_adding_300_stations_keeps_the_window_responsive(qtbot, tmp_path):
    """While 300 stations are added the window handles input between every few of them
    (the add yields to the event loop after each station), not only at the end; all 300
    appear and boot, and the filter then finds one of them. How long input waits is a
    speed figure: ``benchmarks/bench_ui_add.py`` measures it."""
    async with running_app(qtbot, tmp_path) as window:
        await demo_booted(window)
        probe = InputProbe(window.station_model)
        probe.start()
        try:
            dialog = window.station_actions.open_add_dialog()
            dialog.station_id.setText("FLEET-001")
            dialog.count.setValue(300)
            assert dialog.range_hint.text() == "FLEET-001 … FLEET-300"
            dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
            # Slower on a loaded machine, never stuck: each row must follow the last.
            await wait_for_count(window.station_model.rowCount, 301, what="300 rows")
        finally:
            probe.stop()
        # Rows the user saw between inputs while the stations were being added: input
        # got in after every station or two, in steps of rows, whatever the clock says.
        during = sorted({n for n in probe.rows if 1 < n < 301})
        steps = [b - a for a, b in zip([1, *during], [*during, 301], strict=True)]
        assert max(steps) <= 2, f"input waited for {max(steps)} stations to be added"
        await wait_for_count(
            lambda: sum(
                window.workspace.stations[f"FLEET-{n:03d}"].cp.accepted for n in range(1, 301)
            ),
            300,
            what="300 boots accepted",
        )
        window.station_list.filter.setText("fleet-150")
        assert window.station_list.proxy.rowCount() == 1
        assert window.station_list.count.text() == "1 of 301 stations"
