"""Quitting while transactions run asks first, and says what will happen to them.

The shutdown (MainWindow.shutdown -> Workspace.stop -> each station's stop) does
not stop a running transaction: the station sends what it queued, disconnects,
and its next start ends the transaction with reason PowerLoss (1.6 §7.8). The
question says so. The dialog opens without blocking (``open()``), so the test
answers it by clicking its buttons.
"""

from __future__ import annotations

import asyncio

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from bench.workspace import DEMO_STATION_ID
from tests.ui.conftest import running_app, wait_until
from ui.views.quit_dialog import LiveTransaction, question_text


async def _charging(qtbot, window):
    view = await wait_until(window.current_view, what="the station view")
    await wait_until(lambda: window.bridges[DEMO_STATION_ID].cp.accepted, what="boot accepted")
    card = view.card(1)
    qtbot.mouseClick(card.plug_button, Qt.MouseButton.LeftButton)
    await wait_until(lambda: card.status.text() == "Preparing", what="Preparing")
    qtbot.mouseClick(card.card_button, Qt.MouseButton.LeftButton)
    await wait_until(lambda: card.status.text() == "Charging", what="Charging")
    return card


def _button(box: QMessageBox, name: str):
    return next(b for b in box.buttons() if b.objectName() == name)


async def test_closing_with_a_running_transaction_asks_and_cancel_keeps_everything_running(
    qtbot, tmp_path
):
    async with running_app(qtbot, tmp_path) as window:
        card = await _charging(qtbot, window)
        window.close()
        box = await wait_until(lambda: window.quit_question, what="the quit question")
        assert box.isVisible()
        assert f"{DEMO_STATION_ID} connector 1" in box.text()
        assert "does not stop it" in box.informativeText()
        assert "PowerLoss" in box.informativeText()
        box.button(QMessageBox.StandardButton.Cancel).click()
        await wait_until(lambda: window.quit_question is None, what="the question answered")
        await asyncio.sleep(0)
        assert window.isVisible() and not window.closed.is_set()
        assert window.workspace.is_running(DEMO_STATION_ID)
        assert card.connector.transaction is not None


async def test_quit_in_the_question_shuts_down_and_leaves_the_transaction_to_end_with_powerloss(
    qtbot, tmp_path
):
    async with running_app(qtbot, tmp_path) as window:
        card = await _charging(qtbot, window)
        window.close()
        box = await wait_until(lambda: window.quit_question, what="the quit question")
        _button(box, "quitAnyway").click()
        await asyncio.wait_for(window.closed.wait(), 30)
        assert not window.isVisible()
        # As the dialog said: the transaction was not stopped, it waits for the next start.
        assert card.connector.transaction is not None


async def test_closing_with_no_transaction_running_quits_without_asking(qtbot, tmp_path):
    async with running_app(qtbot, tmp_path) as window:
        await wait_until(lambda: window.bridges[DEMO_STATION_ID].cp.accepted, what="booted")
        window.close()
        assert window.quit_question is None
        await asyncio.wait_for(window.closed.wait(), 30)


def test_the_question_names_every_running_transaction():
    headline, _ = question_text([LiveTransaction("CP-1", 1), LiveTransaction("CP-2", 2)])
    assert headline == "2 transactions are still running (CP-1 connector 1, CP-2 connector 2)."
