"""The default window at 1600x1000: the bottom docks and the tabs show their tables whole."""

from __future__ import annotations

import asyncio

from PySide6.QtWidgets import QAbstractItemView

from tests.ui.conftest import running_app, wait_until

# Station ids as a lab names them: a model, a rating, a serial number.
DC_ID = "DEMO-DC-50KW-0001"
V201_ID = "LAB-V201-AC22-0007"


async def _window_with_three_kinds_of_station(qtbot, window):
    await window.workspace.add_station(DC_ID, "dc-50kw")
    await window.workspace.add_station(V201_ID, "ac-22kw-dual", ocpp="2.0.1")
    await wait_until(lambda: len(window.bridges) == 3, what="three stations")
    window.resize(1600, 1000)
    await wait_until(lambda: window.size().width() == 1600, what="the window at 1600 px")


async def _laid_out(view: QAbstractItemView) -> None:
    """Wait until ``view`` is shown and its layout stops changing between loop turns."""
    await wait_until(view.isVisible, what=f"{view.objectName() or view} shown")
    last = None
    for _ in range(200):
        now = (view.viewport().size(), view.horizontalScrollBar().isVisible())
        if now == last:
            return
        last = now
        await asyncio.sleep(0.02)  # one turn of the Qt loop: posted layout events run
    raise AssertionError("the layout kept changing")


async def _scrolls_sideways(view: QAbstractItemView) -> bool:
    await _laid_out(view)
    return view.horizontalScrollBar().isVisible()


async def test_at_1600_by_1000_the_console_station_table_shows_every_column_without_scrolling(
    qtbot, tmp_path
):
    async with running_app(qtbot, tmp_path) as window:
        await _window_with_three_kinds_of_station(qtbot, window)
        console = await wait_until(lambda: window.csms_console, what="the console")
        window.console_dock.raise_()
        await wait_until(lambda: console.stations.rowCount() == 3, what="three stations listed")
        table = console.table
        assert not await _scrolls_sideways(table)
        # Every row in sight, not two rows and a scrollbar.
        assert table.rowViewportPosition(2) + table.rowHeight(2) <= table.viewport().height()
        # An id is not cut: its column holds the longest one.
        fm = table.fontMetrics()
        assert table.columnWidth(0) >= fm.horizontalAdvance(V201_ID) + 8


async def test_at_1600_by_1000_the_log_table_and_its_station_filter_fit_station_ids(
    qtbot, tmp_path
):
    async with running_app(qtbot, tmp_path) as window:
        await _window_with_three_kinds_of_station(qtbot, window)
        panel = window.log_panel
        window.log_dock.raise_()
        await wait_until(lambda: panel.station.count() == 4, what="the station filter filled")
        assert not await _scrolls_sideways(panel.table)
        fm = panel.table.fontMetrics()
        assert panel.table.columnWidth(1) >= fm.horizontalAdvance(DC_ID) + 8
        # The filter shows a chosen id whole (beside its drop-down arrow).
        panel.station.setCurrentIndex(panel.station.findData(V201_ID))
        await _laid_out(panel.table)
        text_room = panel.station.width() - 28
        assert text_room >= panel.station.fontMetrics().horizontalAdvance(V201_ID)


async def test_at_1600_by_1000_the_device_model_shows_its_limits_column_without_scrolling(
    qtbot, tmp_path
):
    async with running_app(qtbot, tmp_path) as window:
        await _window_with_three_kinds_of_station(qtbot, window)
        window.station_list.select_station(V201_ID)
        view = await wait_until(
            lambda: (v := window.current_view()) and v.cp.station.id == V201_ID and v,
            what="the 2.0.1 station's view",
        )
        panel = view.device_model_panel
        view.tabs.setCurrentWidget(panel)
        panel.tree.expandAll()
        tree = panel.tree
        assert not await _scrolls_sideways(tree)
        header = tree.header()
        limits = header.count() - 1
        # The limits column starts inside the view and has room for a short list.
        assert header.sectionViewportPosition(limits) + 120 <= tree.viewport().width()
