"""The left side of the Conformance window: what to test, against what, and how.

Two modes. **Test a CSMS**: the CSMS (a built-in one started for the run, or a
saved CSMS profile with its URL, password and TLS files). **Test a charger**: the
bench listens as the CSMS (the address a real charger is pointed at, a Basic auth
password), and the station under test is a real charger or one of the bench's own
stations from a template. Both: the OCPP version, the station identity, the time
limit per step, an adapter file, and the cases: the certification profiles
ticked, or single cases ticked in a filterable list that says how each runs
(``auto``, ``adapter``, ``manual``). ``request()`` turns the form into a
``RunRequest`` or says what is missing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bench.conformance.catalogue import VERSIONS, Case
from bench.store.workspace import CsmsProfile
from ui.operations import OperationError
from ui.operations import conformance as ops

log = logging.getLogger(__name__)

CatalogueFn = Callable[[str], list[Case]]  # version -> the CSMS cases of that version
ProfilesFn = Callable[[str], tuple[str, ...]]  # version -> certification profile names
BUILTIN_LABEL = "Built-in CSMS (started for the run)"
MODES = (("csms", "Test a CSMS"), ("cs", "Test a charger"))
REAL_CHARGER_LABEL = "A real charger (it connects to the bench)"
ADAPTER_FILTER = "Adapter files (*.toml);;All files (*)"
CASE_COLUMNS = ("Case", "Name", "Runs")
HOW_HELP = {
    "auto": "no manual action",
    "adapter": "its manual actions are in the adapter",
    "manual": "a person does a manual action (a dialog asks)",
    "not implemented": "the bench has no scenario for it yet: it ends as an error",
    "physical": "a physical step (plug in, present a card): a dialog asks for a real "
    "charger; the bench's own stations do it themselves",
}


def default_catalogue(version: str) -> list[Case]:
    from bench.conformance.catalogue import cases

    return cases(sut="csms", version=version)


def default_charger_catalogue(version: str) -> list[Case]:
    from bench.conformance.catalogue import cases

    return cases(sut="cs", version=version)


def default_templates() -> list[str]:
    from bench.model.templates import list_station_templates

    return list_station_templates()


def default_profiles(version: str) -> tuple[str, ...]:
    from bench.conformance.catalogue import certification_profiles

    return certification_profiles(version)


class ConformanceSetup(QWidget):
    changed = Signal()  # the selection (or what it runs against) changed

    def __init__(
        self,
        saved_profiles: Callable[[], list[CsmsProfile]],
        catalogue: CatalogueFn = default_catalogue,
        profiles_of: ProfilesFn = default_profiles,
        parent: QWidget | None = None,
        *,
        charger_catalogue: CatalogueFn = default_charger_catalogue,
        templates: Callable[[], list[str]] = default_templates,
    ) -> None:
        super().__init__(parent)
        self._saved_profiles = saved_profiles
        self._csms_catalogue = catalogue
        self._charger_catalogue = charger_catalogue
        self._catalogue = catalogue
        self._profiles_of = profiles_of
        self.cases: list[Case] = []  # the catalogue of the version chosen
        self.problem = ""  # why the catalogue could not be read, if it could not

        self.mode = QComboBox()
        self.mode.setObjectName("conformanceMode")
        for key, label in MODES:
            self.mode.addItem(label, key)
        self.csms = QComboBox()
        self.csms.setObjectName("conformanceCsms")
        # Testing a charger: who the station under test is, and where the bench listens.
        self.dut = QComboBox()
        self.dut.setObjectName("conformanceDut")
        self.dut.addItem(REAL_CHARGER_LABEL, None)
        for name in templates():
            self.dut.addItem(f"The bench's own station: {name}", name)
        self.dut.setToolTip(
            "A real charger: point it at the address below and do the physical steps\n"
            "when a dialog asks. The bench's own station does them itself."
        )
        self.listen = QLineEdit(ops.DEFAULT_LISTEN)
        self.listen.setObjectName("conformanceListen")
        self.listen.setToolTip(
            "HOST:PORT where the bench listens as the CSMS. 0.0.0.0 listens on every\n"
            "network interface, so a charger on the lab network can connect."
        )
        self.password = QLineEdit()
        self.password.setObjectName("conformancePassword")
        self.password.setPlaceholderText("none (no Basic auth)")
        self.password.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit)
        self.version = QComboBox()
        self.version.setObjectName("conformanceVersion")
        for v in VERSIONS:
            self.version.addItem(f"OCPP {v}", v)
        self.version.setCurrentIndex(self.version.findData("2.0.1"))
        self.station_id = QLineEdit(ops.DEFAULT_STATION_ID)
        self.station_id.setObjectName("conformanceStationId")
        self.timeout = QDoubleSpinBox()
        self.timeout.setObjectName("conformanceTimeout")
        self.timeout.setRange(1.0, 3600.0)
        self.timeout.setDecimals(0)
        self.timeout.setValue(30.0)
        self.timeout.setSuffix(" s per step")
        self.timeout.setToolTip("How long the CSMS has to act on each step of a case")
        self.adapter = QLineEdit()
        self.adapter.setObjectName("conformanceAdapter")
        self.adapter.setPlaceholderText("none (dialogs ask)")
        self.adapter.setClearButtonEnabled(True)
        self.adapter.setToolTip(
            "A TOML file mapping manual actions to HTTP requests or shell commands.\n"
            "Actions it does not cover are asked in a dialog."
        )
        self.browse = QPushButton("Browse…")
        self.browse.clicked.connect(self._browse)
        adapter_row = QHBoxLayout()
        adapter_row.setContentsMargins(0, 0, 0, 0)
        adapter_row.addWidget(self.adapter, 1)
        adapter_row.addWidget(self.browse)
        self.shipped = QCheckBox("Its own adapter does the manual actions")
        self.shipped.setObjectName("conformanceShippedAdapter")
        self.shipped.setChecked(True)
        self.shipped.setToolTip(
            "The built-in CSMS's adapter drives it through its control API, so a run\n"
            "needs nobody. Untick it to be asked in a dialog instead."
        )

        target = QGroupBox("System under test")
        self.form = form = QFormLayout(target)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Mode", self.mode)
        form.addRow("CSMS", self.csms)
        form.addRow("", self.shipped)
        form.addRow("Station", self.dut)
        form.addRow("Listen on", self.listen)
        form.addRow("Password", self.password)
        form.addRow("Version", self.version)
        form.addRow("Station id", self.station_id)
        form.addRow("Time limit", self.timeout)
        form.addRow("Adapter", adapter_row)
        self._csms_rows = (self.csms, self.shipped, adapter_row)
        self._charger_rows = (self.dut, self.listen, self.password)

        self.profile_list = QListWidget()
        self.profile_list.setObjectName("conformanceProfiles")
        self.filter = QLineEdit()
        self.filter.setObjectName("conformanceCaseFilter")
        self.filter.setPlaceholderText("Filter: id, name or block…")
        self.filter.setClearButtonEnabled(True)
        self.case_tree = QTreeWidget()
        self.case_tree.setObjectName("conformanceCaseList")
        self.case_tree.setHeaderLabels(list(CASE_COLUMNS))
        self.case_tree.setRootIsDecorated(False)
        self.case_tree.setUniformRowHeights(True)
        header = self.case_tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        singles = QWidget()
        singles_layout = QVBoxLayout(singles)
        singles_layout.setContentsMargins(0, 6, 0, 0)
        singles_layout.addWidget(self.filter)
        singles_layout.addWidget(self.case_tree, 1)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("conformanceSelection")
        self.tabs.addTab(self.profile_list, "Certification profiles")
        self.tabs.addTab(singles, "Single cases")
        self.selection_label = QLabel()
        self.selection_label.setObjectName("conformanceSelectionCount")
        self.selection_label.setProperty("role", "muted")
        selection = QGroupBox("Cases")
        selection_layout = QVBoxLayout(selection)
        selection_layout.addWidget(self.tabs, 1)
        selection_layout.addWidget(self.selection_label)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(target)
        layout.addWidget(selection, 1)

        self.reload_profiles()
        self.load_catalogue()
        self.csms.currentIndexChanged.connect(self._csms_changed)
        self.mode.currentIndexChanged.connect(lambda _i: self._mode_changed())
        self.dut.currentIndexChanged.connect(lambda _i: self._selection_changed())
        self.version.currentIndexChanged.connect(lambda _i: self.load_catalogue())
        self.adapter.textChanged.connect(lambda _t: self._refresh_how())
        self.shipped.toggled.connect(lambda _on: self._refresh_how())
        self.filter.textChanged.connect(self._apply_filter)
        self.profile_list.itemChanged.connect(lambda _item: self._selection_changed())
        self.case_tree.itemChanged.connect(lambda _item, _col: self._selection_changed())
        self.tabs.currentChanged.connect(lambda _i: self._selection_changed())
        self._csms_changed()
        self._show_mode_rows()

    # ------------------------------------------------------------ the mode
    @property
    def testing_charger(self) -> bool:
        return self.mode.currentData() == "cs"

    def set_mode(self, key: str) -> None:
        self.mode.setCurrentIndex(self.mode.findData(key))

    def _mode_changed(self) -> None:
        self._catalogue = self._charger_catalogue if self.testing_charger else self._csms_catalogue
        self._show_mode_rows()
        self.load_catalogue()

    def _show_mode_rows(self) -> None:
        charger = self.testing_charger
        for field in self._csms_rows:
            self.form.setRowVisible(field, not charger)
        for field in self._charger_rows:
            self.form.setRowVisible(field, charger)
        self.form.setRowVisible(self.shipped, self.builtin and not charger)
        self.timeout.setToolTip(
            "How long the charging station has to act on each step of a case"
            if charger
            else "How long the CSMS has to act on each step of a case"
        )

    # ------------------------------------------------------------ the CSMS
    def reload_profiles(self) -> None:
        """The built-in CSMS, then the saved CSMS profiles (they may have changed)."""
        current = self.csms.currentData()
        self.csms.blockSignals(True)
        self.csms.clear()
        self.csms.addItem(BUILTIN_LABEL, None)
        for profile in self._saved_profiles():
            if not profile.builtin:
                self.csms.addItem(f"{profile.name} — {profile.url}", profile.name)
                self.csms.setItemData(
                    self.csms.count() - 1,
                    f"{profile.url}\nsecurity profile {profile.security_profile}",
                    Qt.ItemDataRole.ToolTipRole,
                )
        self.csms.setCurrentIndex(max(0, self.csms.findData(current)))
        self.csms.blockSignals(False)

    def profile(self) -> CsmsProfile | None:
        name = self.csms.currentData()
        if name is None:
            return None
        for profile in self._saved_profiles():
            if profile.name == name:
                return profile
        raise OperationError(f"The CSMS profile {name!r} no longer exists")

    @property
    def builtin(self) -> bool:
        return self.csms.currentData() is None

    def _csms_changed(self) -> None:
        self.form.setRowVisible(self.shipped, self.builtin and not self.testing_charger)
        if not self.builtin:
            try:
                profile = self.profile()
            except OperationError:
                profile = None
            if profile is not None and profile.ocpp_version in VERSIONS:
                self.version.setCurrentIndex(self.version.findData(profile.ocpp_version))
        self._refresh_how()

    def adapter_path(self) -> str | None:
        """The adapter the run will use (a shipped one counts), for "how it runs"."""
        if self.testing_charger:
            return None
        text = self.adapter.text().strip()
        if text:
            return text
        return ops.shipped_adapter() if self.builtin and self.shipped.isChecked() else None

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose an adapter file", self.adapter.text(), ADAPTER_FILTER
        )
        if path:
            self.adapter.setText(path)

    # ------------------------------------------------------------ the catalogue
    def use_catalogue(self, catalogue: CatalogueFn, profiles_of: ProfilesFn) -> None:
        """Read the cases from elsewhere (tests, demos with hand-built cases)."""
        self._catalogue = self._csms_catalogue = catalogue
        self._profiles_of = profiles_of
        self.load_catalogue()

    def current_version(self) -> str:
        return str(self.version.currentData())

    def load_catalogue(self) -> None:
        version = self.current_version()
        try:
            self.cases = list(self._catalogue(version))
            names = list(self._profiles_of(version))
            self.problem = ""
        except (OSError, ValueError, ModuleNotFoundError) as exc:
            log.error("the case catalogue of OCPP %s cannot be read: %s", version, exc)
            self.cases, names = [], []
            self.problem = f"The case catalogue of OCPP {version} cannot be read: {exc}"
        self.profile_list.blockSignals(True)
        self.profile_list.clear()
        for name in names:
            count = sum(1 for c in self.cases if name in c.profiles)
            item = QListWidgetItem(f"{name}  ({count} case{'s' if count != 1 else ''})")
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.profile_list.addItem(item)
        self.profile_list.blockSignals(False)
        self.case_tree.blockSignals(True)
        self.case_tree.clear()
        for case in self.cases:
            item = QTreeWidgetItem([case.id, case.name, ""])
            item.setData(0, Qt.ItemDataRole.UserRole, case.id)
            item.setToolTip(1, f"{case.block_name}\n{case.name}" if case.block_name else case.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(0, Qt.CheckState.Unchecked)
            self.case_tree.addTopLevelItem(item)
        self.case_tree.blockSignals(False)
        self._refresh_how()
        self._apply_filter(self.filter.text())

    def _refresh_how(self) -> None:
        how = ops.how_each_runs(self.cases, self.adapter_path())
        self.case_tree.blockSignals(True)
        for index in range(self.case_tree.topLevelItemCount()):
            item = self.case_tree.topLevelItem(index)
            runs = how.get(item.text(0), "")
            item.setText(2, runs)
            item.setToolTip(2, HOW_HELP.get(runs, ""))
        self.case_tree.blockSignals(False)
        self._selection_changed()

    def _apply_filter(self, text: str) -> None:
        by_id = {c.id: c for c in self.cases}
        for index in range(self.case_tree.topLevelItemCount()):
            item = self.case_tree.topLevelItem(index)
            case = by_id.get(item.text(0))
            item.setHidden(case is None or not ops.matches(case, text))

    # ------------------------------------------------------------ the selection
    def checked_profiles(self) -> tuple[str, ...]:
        out = []
        for index in range(self.profile_list.count()):
            item = self.profile_list.item(index)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(str(item.data(Qt.ItemDataRole.UserRole)))
        return tuple(out)

    def checked_cases(self) -> list[str]:
        out = []
        for index in range(self.case_tree.topLevelItemCount()):
            item = self.case_tree.topLevelItem(index)
            if item.checkState(0) == Qt.CheckState.Checked:
                out.append(item.text(0))
        return out

    def set_profiles(self, names: list[str]) -> None:
        wanted = {n.lower() for n in names}
        self.profile_list.blockSignals(True)  # one recount at the end, not one per item
        for index in range(self.profile_list.count()):
            item = self.profile_list.item(index)
            on = str(item.data(Qt.ItemDataRole.UserRole)).lower() in wanted
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        self.profile_list.blockSignals(False)
        self.tabs.setCurrentIndex(0)
        self._selection_changed()

    def set_cases(self, case_ids: list[str]) -> None:
        wanted = set(case_ids)
        self.case_tree.blockSignals(True)
        for index in range(self.case_tree.topLevelItemCount()):
            item = self.case_tree.topLevelItem(index)
            on = item.text(0) in wanted
            item.setCheckState(0, Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        self.case_tree.blockSignals(False)
        self.tabs.setCurrentIndex(1)
        self._selection_changed()

    @property
    def by_profile(self) -> bool:
        return self.tabs.currentIndex() == 0

    def selected(self) -> list[Case]:
        if self.problem:
            raise OperationError(self.problem)
        if self.by_profile:
            return ops.pick_cases(self.cases, profiles=self.checked_profiles())
        return ops.pick_cases(self.cases, case_ids=self.checked_cases())

    def _selection_changed(self) -> None:
        try:
            chosen = self.selected()
        except OperationError as exc:
            self.selection_label.setText(str(exc))
        else:
            count = len(chosen)
            how = ops.how_each_runs(chosen, self.adapter_path())
            manual = sum(1 for h in how.values() if h == "manual")
            if self.testing_charger and self.dut.currentData() is None:
                manual = sum(1 for h in how.values() if h == "physical")
            asks = f"; {manual} ask{'s' if manual == 1 else ''} you to act" if manual else ""
            self.selection_label.setText(f"Run plays {count} case{'s' if count != 1 else ''}{asks}")
        self.changed.emit()

    def request(self) -> ops.RunRequest:
        """The form as a run request; OperationError says what is missing."""
        station_id = self.station_id.text().strip()
        if not station_id:
            raise OperationError("Give the station an identity")
        if self.testing_charger:
            listen = self.listen.text().strip()
            ops.parse_listen(listen)  # says what is wrong before the run
            return ops.RunRequest(
                cases=self.selected(),
                version=self.current_version(),
                station_id=station_id,
                timeout=self.timeout.value(),
                profiles=self.checked_profiles() if self.by_profile else (),
                sut="cs",
                listen=listen,
                password=self.password.text() or None,
                dut_template=self.dut.currentData(),
            )
        return ops.RunRequest(
            cases=self.selected(),
            version=self.current_version(),
            profile=self.profile(),
            adapter=self.adapter.text().strip() or None,
            shipped_adapter=self.shipped.isChecked(),
            station_id=station_id,
            timeout=self.timeout.value(),
            profiles=self.checked_profiles() if self.by_profile else (),
        )

    def set_running(self, running: bool) -> None:
        for widget in (
            self.mode,
            self.dut,
            self.listen,
            self.password,
            self.csms,
            self.version,
            self.station_id,
            self.timeout,
            self.adapter,
            self.browse,
            self.shipped,
            self.tabs,
        ):
            widget.setEnabled(not running)
