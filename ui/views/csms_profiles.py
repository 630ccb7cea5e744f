"""The CSMS profiles dialog: a list of named targets, a form, and a step-by-step connection test.

The built-in CSMS is listed first and read-only (its port is chosen by the OS at
every start). The password field is masked; the test shows each step of
``bench.ocpp.probe`` with a tick, a cross or a dash, and one verdict line.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from bench.ocpp.probe import STEPS, TITLES, ProbeReport, Verdict
from bench.store.workspace import CsmsProfile
from bench.workspace import Workspace
from ui.errors import user_message
from ui.models.profiles import BUILTIN_VERSIONS_LABEL, SECURITY_LABELS, ProfileListModel
from ui.operations import EXPECTED
from ui.operations import stations as ops

log = logging.getLogger(__name__)
BUILTIN_VERSIONS = "built-in"  # the OCPP combo's data for the built-in CSMS's entry

MARKS: dict[Verdict, tuple[str, str]] = {
    Verdict.OK: ("✔", "#2e9d4f"),
    Verdict.WARN: ("!", "#d99a1e"),
    Verdict.FAIL: ("✘", "#c0392b"),
    Verdict.SKIPPED: ("–", "#7f8c8d"),
    Verdict.NOT_RUN: ("·", "#7f8c8d"),
}


class FileField(QWidget):
    """A path line edit with a Browse… button."""

    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption = caption
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("PEM file")
        self.browse = QPushButton("Browse…")
        self.browse.clicked.connect(self._browse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.browse)

    def text(self) -> str:
        return self.edit.text().strip()

    def setText(self, text: str) -> None:  # Qt naming, like QLineEdit
        self.edit.setText(text)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.caption, self.text(), "PEM files (*.pem *.crt *.key);;All files (*)"
        )
        if path:
            self.edit.setText(path)


class CsmsProfilesDialog(QDialog):
    def __init__(
        self, workspace: Workspace, reporter, select: str | None = None, parent=None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("CSMS profiles")
        self.setObjectName("csmsProfilesDialog")
        self.workspace = workspace
        self.reporter = reporter
        self.last_report: ProbeReport | None = None
        self.testing = False
        self._editing: str | None = None  # name of the stored profile in the form; None: new
        self._builtin_shown = False  # the form shows the read-only built-in profile

        self.model = ProfileListModel(workspace.profiles(), self)
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.selectionModel().currentChanged.connect(lambda cur, _prev: self._load(cur.row()))
        self.new_button = QPushButton("New")
        self.new_button.clicked.connect(self.new_profile)
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(self.delete_current)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.list)
        row = QHBoxLayout()
        row.addWidget(self.new_button)
        row.addWidget(self.delete_button)
        left_layout.addLayout(row)

        self.name = QLineEdit()
        self.url = QLineEdit()
        self.url.setPlaceholderText("ws://host:port/path  (the station id is appended)")
        self.ocpp = QComboBox()
        self.ocpp.setObjectName("profileOcppVersion")
        for version in ops.profile_ocpp_versions():
            self.ocpp.addItem(f"OCPP {version}", version)
        for version in ops.ocpp_versions():
            if version not in ops.profile_ocpp_versions():
                # A station picks this version itself (Add stations); a profile cannot store it yet.
                self.ocpp.addItem(f"OCPP {version} (choose it per station)", version)
                model = self.ocpp.model()
                if isinstance(model, QStandardItemModel):
                    model.item(self.ocpp.count() - 1).setEnabled(False)
        # The built-in CSMS speaks both versions: one entry says so, shown only for it
        # (hidden from the list and disabled, so no stored profile can pick it).
        self.ocpp.addItem(BUILTIN_VERSIONS_LABEL, BUILTIN_VERSIONS)
        builtin_row = self.ocpp.count() - 1
        ocpp_model = self.ocpp.model()
        if isinstance(ocpp_model, QStandardItemModel):
            ocpp_model.item(builtin_row).setEnabled(False)
        ocpp_view = self.ocpp.view()
        if isinstance(ocpp_view, QListView):
            ocpp_view.setRowHidden(builtin_row, True)
        self.ocpp.setToolTip(
            "The default protocol of the stations that use this profile; "
            "each station may choose another in Add stations."
        )
        self.security = QComboBox()
        for level, label in SECURITY_LABELS.items():
            self.security.addItem(label, level)
        self.security.currentIndexChanged.connect(self._enable_fields)
        self.url.textChanged.connect(self._enable_fields)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("AuthorizationKey (Basic auth password)")
        self.show_password = QCheckBox("Show")
        self.show_password.toggled.connect(
            lambda on: self.password.setEchoMode(
                QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password
            )
        )
        password_row = QWidget()
        password_layout = QHBoxLayout(password_row)
        password_layout.setContentsMargins(0, 0, 0, 0)
        password_layout.addWidget(self.password, 1)
        password_layout.addWidget(self.show_password)
        self.ca_file = FileField("CA certificate")
        self.cert_file = FileField("Client certificate")
        self.key_file = FileField("Client private key")
        self.form_note = QLabel()
        self.form_note.setProperty("role", "muted")
        self.form_note.setWordWrap(True)
        self.save_button = QPushButton("Save profile")
        self.save_button.setObjectName("saveProfile")
        self.save_button.clicked.connect(self.save_current)

        form_box = QGroupBox("Profile")
        form = QFormLayout(form_box)
        form.addRow("Name", self.name)
        form.addRow("URL", self.url)
        form.addRow("OCPP version", self.ocpp)
        form.addRow("Security profile", self.security)
        form.addRow("Password", password_row)
        form.addRow("CA certificate", self.ca_file)
        form.addRow("Client certificate", self.cert_file)
        form.addRow("Client key", self.key_file)
        form.addRow(self.form_note)
        form.addRow("", self.save_button)

        test_box = QGroupBox("Test connection")
        self.probe_id = QLineEdit()
        self.probe_id.setToolTip("The charge point identity the test connects as")
        self.test_button = QPushButton("Test connection")
        self.test_button.setObjectName("testConnection")
        self.test_button.clicked.connect(self._test_clicked)
        self.steps = QTableWidget(len(STEPS), 3)
        self.steps.setObjectName("probeSteps")
        self.steps.setHorizontalHeaderLabels(["Step", "Result", "Time"])
        self.steps.verticalHeader().setVisible(False)
        self.steps.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.steps.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        header = self.steps.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.steps.setWordWrap(True)
        self.verdict = QLabel("Not tested yet")
        self.verdict.setObjectName("probeVerdict")
        self.verdict.setWordWrap(True)
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        test_layout = QVBoxLayout(test_box)
        id_row = QHBoxLayout()
        id_row.addWidget(QLabel("Station id"))
        id_row.addWidget(self.probe_id, 1)
        id_row.addWidget(self.test_button)
        test_layout.addLayout(id_row)
        test_layout.addWidget(self.steps, 1)
        test_layout.addWidget(self.verdict)
        self._clear_steps()

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(form_box)
        right_layout.addWidget(test_box, 1)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([200, 620])
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(buttons)
        self.resize(880, 640)

        row_index = self.model.row_of(select) if select else -1
        if self.model.rowCount() and row_index < 0:
            row_index = 0
        if row_index >= 0:
            self.select_row(row_index)
        else:
            self.new_profile()

    # ------------------------------------------------------------ list
    def select_row(self, row: int) -> None:
        self.list.selectionModel().setCurrentIndex(
            self.model.index(row), QItemSelectionModel.SelectionFlag.ClearAndSelect
        )

    def select_profile(self, name: str) -> None:
        row = self.model.row_of(name)
        if row >= 0:
            self.select_row(row)

    def current_profile(self) -> CsmsProfile | None:
        return self.model.profile(self.list.currentIndex().row())

    def _load(self, row: int) -> None:
        profile = self.model.profile(row)
        if profile is None:
            return
        self._editing = None if profile.builtin else profile.name
        self._builtin_shown = profile.builtin
        self._fill(profile)
        self.probe_id.setText(ops.probe_station_id(self.workspace, profile.name))
        self._clear_steps()

    def _fill(self, profile: CsmsProfile) -> None:
        self.name.setText(profile.name)
        self.url.setText(profile.url)
        version = BUILTIN_VERSIONS if profile.builtin else profile.ocpp_version
        self.ocpp.setCurrentIndex(max(0, self.ocpp.findData(version)))
        self.security.setCurrentIndex(max(0, self.security.findData(profile.security_profile)))
        self.password.setText(profile.password or "")
        self.show_password.setChecked(False)
        self.ca_file.setText(profile.ca_file or "")
        self.cert_file.setText(profile.cert_file or "")
        self.key_file.setText(profile.key_file or "")
        builtin = profile.builtin
        for widget in (self.name, self.url, self.ocpp, self.security, self.save_button):
            widget.setEnabled(not builtin)
        self.delete_button.setEnabled(not builtin)
        self._enable_fields()
        if builtin:
            self.form_note.setText(
                "The app's own CSMS on 127.0.0.1; its port is new at every start. "
                "Stations on this profile follow it."
            )

    def new_profile(self) -> None:
        self.list.selectionModel().clear()
        self._editing = None
        self._builtin_shown = False
        taken = {p.name for p in self.model.profiles}
        name = ops.next_free_id("My CSMS", taken) if "My CSMS" in taken else "My CSMS"
        self._fill(CsmsProfile(name, "ws://"))
        self.probe_id.setText("BENCH-PROBE")
        self._clear_steps()
        self.name.setFocus()
        self.name.selectAll()

    # ------------------------------------------------------------ form
    def form_profile(self) -> CsmsProfile:
        """The profile as typed in the form (for the built-in one: itself)."""
        current = self.current_profile()
        if self._builtin_shown and current is not None:
            return current
        return CsmsProfile(
            name=self.name.text().strip(),
            url=self.url.text().strip(),
            ocpp_version=self.ocpp.currentData(),
            security_profile=int(self.security.currentData()),
            password=self.password.text() or None,
            ca_file=self.ca_file.text() or None,
            cert_file=self.cert_file.text() or None,
            key_file=self.key_file.text() or None,
        )

    def _enable_fields(self, *_args) -> None:
        builtin = self._builtin_shown
        level = int(self.security.currentData() or 0)
        secure = self.url.text().strip().lower().startswith("wss:")
        self.password.setEnabled(not builtin and level in (1, 2, 3))
        self.show_password.setEnabled(self.password.isEnabled())
        self.ca_file.setEnabled(not builtin and secure)
        self.cert_file.setEnabled(not builtin and level == 3)
        self.key_file.setEnabled(not builtin and level == 3)
        if builtin:
            return
        notes = {
            0: "No credentials. ws:// or wss:// (server verified with the CA file).",
            1: "HTTP Basic auth with the station id as user, over ws:// (whitepaper §2.3).",
            2: "TLS (wss://) plus Basic auth (whitepaper §2.4).",
            3: "TLS (wss://) with a client certificate and key (whitepaper §2.5).",
        }
        self.form_note.setText(notes.get(level, ""))

    def save_current(self) -> bool:
        profile = self.form_profile()
        try:
            saved = ops.save_profile(self.workspace, profile, old_name=self._editing)
        except EXPECTED as exc:
            self.form_note.setText(f"⚠ {user_message(exc)}")
            self.form_note.setStyleSheet("color: #c0392b;")
            return False
        self.form_note.setStyleSheet("")
        self.model.reload(self.workspace.profiles())
        self.select_profile(saved.name)
        self.form_note.setText(
            f"Saved {saved.name!r}. Stations on it use it from their next start."
        )
        self.reporter.report_info(f"CSMS profile {saved.name!r} saved")
        return True

    def delete_current(self) -> None:
        current = self.current_profile()
        if current is None or current.builtin:
            return
        try:
            ops.delete_profile(self.workspace, current.name)
        except EXPECTED as exc:
            self.form_note.setText(f"⚠ {user_message(exc)}")
            return
        self.model.reload(self.workspace.profiles())
        if self.model.rowCount():
            self.select_row(0)
        else:
            self.new_profile()
        self.reporter.report_info(f"CSMS profile {current.name!r} deleted")

    # ------------------------------------------------------------ connection test
    def _clear_steps(self) -> None:
        for row, step in enumerate(STEPS):
            self.steps.setItem(row, 0, QTableWidgetItem(TITLES[step]))
            self.steps.setItem(row, 1, QTableWidgetItem(""))
            self.steps.setItem(row, 2, QTableWidgetItem(""))
        self.verdict.setText("Not tested yet")
        self.verdict.setStyleSheet("")
        self.last_report = None

    def show_report(self, report: ProbeReport) -> None:
        self.last_report = report
        for row, result in enumerate(report.results):
            mark, colour = MARKS[result.verdict]
            title = QTableWidgetItem(f"{mark}  {result.title}")
            title.setForeground(_brush(colour))
            self.steps.setItem(row, 0, title)
            detail = QTableWidgetItem(result.detail)
            detail.setToolTip(result.detail)
            self.steps.setItem(row, 1, detail)
            ms = "" if result.elapsed_ms is None else f"{result.elapsed_ms:.0f} ms"
            self.steps.setItem(row, 2, QTableWidgetItem(ms))
        self.steps.resizeRowsToContents()
        colour = "#2e9d4f" if report.ok else "#c0392b"
        self.verdict.setStyleSheet(f"color: {colour}; font-weight: 600;")
        self.verdict.setText(("✔ " if report.ok else "✘ ") + report.summary())

    @asyncSlot()
    async def _test_clicked(self) -> None:
        await self.run_test()

    async def run_test(self) -> ProbeReport | None:
        if self.testing:
            return None
        self.testing = True
        self.test_button.setEnabled(False)
        self._clear_steps()
        self.verdict.setText("Testing…")
        try:
            profile = self.form_profile()
            report = await ops.test_connection(profile, self.probe_id.text())
        except EXPECTED as exc:
            self.verdict.setStyleSheet("color: #c0392b; font-weight: 600;")
            self.verdict.setText(f"✘ {user_message(exc)}")
            return None
        finally:
            self.testing = False
            self.test_button.setEnabled(True)
        self.show_report(report)
        return report


def _brush(colour: str):
    from PySide6.QtGui import QBrush, QColor

    return QBrush(QColor(colour))
