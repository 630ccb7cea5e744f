"""The question before quitting while transactions run, and what quitting does to them.

What the shutdown really does (``MainWindow.shutdown`` -> ``Workspace.stop`` ->
each station's ``stop``): it does not stop a running transaction. Each station
first sends what its queue holds (up to 10 s), then disconnects; the CSMS still
has the transaction open. The station remembers it (1.6 ``open_tx_*``, 2.0.1
``tx201_open_*`` in its state store), and its next start ends it with reason
PowerLoss and the energy register as last saved (1.6 §7.8; 2.0.1 a TransactionEvent
Ended with ``stoppedReason`` PowerLoss, ``bench.ocpp.v201.tx_recovery``). The dialog
says exactly that.

The dialog is window-modal and opened with ``open()``, never ``exec()``: no
nested event loop runs inside the asyncio loop, and a test answers it by
clicking its buttons.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

DRAIN_SECONDS = 10  # ChargePoint16.stop / ChargePoint201.stop: drain_timeout


@dataclass(frozen=True, slots=True)
class LiveTransaction:
    station_id: str
    connector_id: int


def live_transactions(workspace: Any) -> list[LiveTransaction]:
    """The transactions running on the stations that quitting would stop."""
    live = []
    for station_id, run in sorted(workspace.stations.items()):
        if not workspace.is_running(station_id):
            continue  # already stopped: quitting changes nothing for it
        for connector in run.station.connectors:
            if connector.transaction is not None:
                live.append(LiveTransaction(station_id, connector.id))
    return live


def question_text(live: list[LiveTransaction]) -> tuple[str, str]:
    """(headline, what will happen) for the quit question."""
    where = ", ".join(f"{t.station_id} connector {t.connector_id}" for t in live)
    count = len(live)
    headline = (
        f"A transaction is still running ({where})."
        if count == 1
        else f"{count} transactions are still running ({where})."
    )
    details = (
        "Quitting does not stop "
        + ("it" if count == 1 else "them")
        + f". Each station first sends the messages it has queued (up to {DRAIN_SECONDS} s) "
        "and disconnects; the CSMS keeps the transaction open. When the station starts "
        "again it ends the transaction with reason PowerLoss and the energy metered up to "
        "its last meter reading. Messages the CSMS did not acknowledge stay queued until "
        "then.\n\n"
        "To end a transaction normally, present the card again or unplug the EV first."
    )
    return headline, details


def ask_before_quitting(
    parent: QWidget, live: list[LiveTransaction], answered: Callable[[bool], None]
) -> QMessageBox:
    """Open the question (non-blocking); ``answered(True)`` when the user chose Quit."""
    headline, details = question_text(live)
    box = QMessageBox(parent)
    box.setObjectName("quitQuestion")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Quit OCPP Bench?")
    box.setText(headline)
    box.setInformativeText(details)
    quit_button = box.addButton("Quit", QMessageBox.ButtonRole.DestructiveRole)
    quit_button.setObjectName("quitAnyway")
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.setWindowModality(Qt.WindowModality.WindowModal)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.finished.connect(lambda _result: answered(box.clickedButton() is quit_button))
    box.open()
    return box
