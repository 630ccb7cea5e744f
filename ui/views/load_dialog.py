"""Tools ▸ Load test…: the form of a local load run (issue 16)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from bench.load.local import LoadRequest
from bench.load.mix import shipped_mixes
from bench.store.workspace import CsmsProfile


class LoadTestDialog(QDialog):
    """Which CSMS, how many stations, which mix, how many local workers."""

    def __init__(self, profiles: list[CsmsProfile], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Load test")
        self.profiles = profiles
        form = QFormLayout(self)
        note = QLabel(
            "Locust runs the stations in worker processes of its own and opens its web "
            "UI in your browser, where the run starts. They are not added to the "
            "station list."
        )
        note.setWordWrap(True)
        form.addRow(note)
        self.profile = QComboBox()
        for profile in profiles:
            self.profile.addItem(f"{profile.name} ({profile.url}, OCPP {profile.ocpp_version})")
        form.addRow("CSMS", self.profile)
        self.stations = QSpinBox()
        self.stations.setRange(1, 1_000_000)
        self.stations.setValue(100)
        form.addRow("Stations", self.stations)
        self.spawn_rate = QDoubleSpinBox()
        self.spawn_rate.setRange(0.1, 10_000)
        self.spawn_rate.setValue(10)
        form.addRow("Stations started per second", self.spawn_rate)
        self.mix = QComboBox()
        self.mix.addItems(shipped_mixes())
        self.mix.setCurrentText("steady-charging")
        form.addRow("Mix", self.mix)
        self.workers = QSpinBox()
        self.workers.setRange(1, 64)
        self.workers.setValue(2)
        form.addRow("Worker processes", self.workers)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Start")
        buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(profiles))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def request(self) -> LoadRequest:
        return LoadRequest(
            profile=self.profiles[self.profile.currentIndex()],
            stations=self.stations.value(),
            spawn_rate=self.spawn_rate.value(),
            mix=self.mix.currentText(),
            processes=self.workers.value(),
        )
