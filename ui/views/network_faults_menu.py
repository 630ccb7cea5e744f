"""The station's "Network faults" button: presets, a custom spec, clear (issue 17).

Each choice is one call of ``ui.operations.network_faults``; the header shows the
faults in force, and so does this button's tooltip. The proxy window puts the same
button on a proxied station's charger leg (``target`` is any ``FaultTarget``).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog, QMenu, QToolButton

from ui.errors import ErrorReporter
from ui.operations import network_faults as ops
from ui.operations import perform

CUSTOM_PROMPT = (
    "Faults to add, e.g. latency 800ms jitter 200ms, loss 5%, halfopen, flap 30s\n"
    "(the words of the impair step; off clears all):"
)


class NetworkFaultsButton(QToolButton):
    """A tool button whose menu sets and clears the station's network faults."""

    def __init__(
        self,
        target: ops.FaultTarget | None,
        reporter: ErrorReporter,
        *,
        presets: tuple[tuple[str, str], ...] = ops.PRESETS,
        what: str = "the link to the CSMS",
        label: str = "Network faults",
    ) -> None:
        super().__init__()
        self.setObjectName("networkFaultsButton")
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.target = target
        self.reporter = reporter
        self.what = what
        self.label = label
        menu = QMenu(self)
        self.presets: dict[str, QAction] = {}
        for label, spec in presets:
            action = QAction(label, menu)
            action.setToolTip(spec)
            action.triggered.connect(lambda _=False, s=spec: self.apply(s))
            menu.addAction(action)
            self.presets[spec] = action
        menu.addSeparator()
        self.custom_action = QAction("Custom…", menu)
        self.custom_action.triggered.connect(self._ask_custom)
        menu.addAction(self.custom_action)
        self.clear_action = QAction("Clear all faults", menu)
        self.clear_action.triggered.connect(lambda: self.apply("off"))
        menu.addAction(self.clear_action)
        self.setMenu(menu)
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.refresh()

    def retarget(self, target: ops.FaultTarget | None) -> None:
        """Act on another link from now on (None: nothing to act on, the button is off)."""
        self.target = target
        self.refresh()

    def apply(self, spec: str) -> None:
        if self.target is None:
            return
        now = perform(self.reporter, ops.impair, self.target, spec)
        if now is not None:
            self.reporter.report_info(f"{self.target.station_id}: network faults: {now}")
        self.refresh()

    def _ask_custom(self) -> None:
        if self.target is None:
            return
        current = ops.active(self.target)
        text, ok = QInputDialog.getText(
            self, "Network faults", CUSTOM_PROMPT, text="" if current == "off" else current
        )
        if ok and text.strip():
            self.apply(text)

    def refresh(self) -> None:
        self.setEnabled(self.target is not None)
        active = "off" if self.target is None else ops.active(self.target)
        self.setText(self.label if active == "off" else f"{self.label}: on")
        self.setProperty("faulty", active != "off")
        self.setToolTip(f"Impair {self.what}. In force: {active}")
        self.clear_action.setEnabled(active != "off")
