"""The charging-profile form: every field of a SetChargingProfile, checked as it is typed.

One form for both versions (1.6 §5.16 csChargingProfiles, 2.0.1 K01 chargingProfile
with its chargingSchedule list): where the profile goes (connector / EVSE), id,
purpose, stack level, kind and recurrency, validity, the transaction of a
TxProfile, the schedule's start, duration, unit and minimum rate, and a table of
periods (start, limit, numberPhases, and phaseToUse in 2.0.1).

Every edit rebuilds the request (``bench.ocpp.profile_builder``) and checks it: the
version's JSON schema, the spec's rules (errors, shown in red under the offending
field or on the offending cell) and, when the station runs in this bench, its
settings, ratings and running transactions (warnings, amber) and its own verdict.
The preview beside the form shows the schedule and the station's composite with
and without the profile (``bench.ocpp.profile_station``). ``valid`` says whether
the request may be sent: schema-valid and free of errors.

The JSON tab shows the same request and round-trips with the form: edit either,
the other follows (what the form has no field for is kept as it was).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from bench.ocpp import profile_builder as pb
from bench.ocpp import profile_checks as pc
from bench.ocpp import profile_station as ps
from bench.ocpp.api import ChargePointApi
from bench.ocpp.profile_desk import ProfileDesk
from ui.views.json_view import JsonHighlighter
from ui.views.profile_fields import (
    FieldRow,
    OptionalDateTime,
    PeriodTable,
    row_problems,
    show_message,
)
from ui.views.profile_preview import PreviewPane, status_colour, warning_colour

INT_MIN, INT_MAX = -(2**31), 2**31 - 1


@dataclass(frozen=True, slots=True)
class FormTarget:
    """The station a profile is for."""

    version: str  # "1.6" | "2.0.1"
    station_id: str
    now: Callable[[], datetime]  # the station's (or the CSMS's) clock
    cp: ChargePointApi | None = None  # its charge point, when it runs in this bench
    places: int = 1  # connectors / EVSEs when ``cp`` is None


class ProfileForm(QWidget):
    changed = Signal()  # the request or its validity changed

    def __init__(
        self,
        target: FormTarget,
        initial: Mapping[str, Any] | None = None,
        place: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.target = target
        self.version = target.version
        self.payload: dict[str, Any] | None = None
        self.draft: pb.ProfileDraft | None = None
        self.problems: list[pb.Problem] = []
        self.schema_error: str | None = None
        self.json_error: str | None = None
        self.station_refusal: str | None = None
        self._read_problems: list[pb.Problem] = []
        self._loading = False
        self._auto_tx: str | None = None  # the transaction id the form filled in itself
        # what the form keeps but does not show
        self._extras = _default_draft(target, place)
        self._build()
        draft = self._initial_draft(initial, place)
        self._load(draft)
        self._form_edited()

    # ------------------------------------------------------------ building
    def _build(self) -> None:
        v201 = self.version == pb.V201
        what = "EVSE" if v201 else "Connector"
        self.place_box = QComboBox(objectName="placeBox")
        self._fill_places()
        self.id_spin = QSpinBox(objectName="profileId")
        self.id_spin.setRange(INT_MIN, INT_MAX)
        self.purpose_box = QComboBox(objectName="purposeBox")
        self.purpose_box.addItems(pb.purposes(self.version))
        self.stack_spin = QSpinBox(objectName="stackLevel")
        self.stack_spin.setRange(-1000, 100_000)
        self.kind_box = QComboBox(objectName="kindBox")
        self.kind_box.addItems(pb.KINDS)
        self.recurrency_box = QComboBox(objectName="recurrencyBox")
        self.recurrency_box.addItems(pb.RECURRENCIES)
        self.tx_edit = QLineEdit(objectName="transactionId")
        self.tx_edit.setPlaceholderText("the transaction this TxProfile limits")
        self.valid_from = OptionalDateTime("validFrom")
        self.valid_to = OptionalDateTime("validTo")
        self.start_edit = OptionalDateTime("startSchedule")
        self.duration_edit = QLineEdit(objectName="duration")
        self.duration_edit.setPlaceholderText("none: the last period runs on")
        self.unit_box = QComboBox(objectName="unitBox")
        self.unit_box.addItems(pb.UNITS)
        self.min_rate_edit = QLineEdit(objectName="minChargingRate")
        self.min_rate_edit.setPlaceholderText("none")
        self.table = PeriodTable(with_phase_to_use=v201)
        self.add_button = QPushButton("+ Add period", objectName="addPeriod")
        self.remove_button = QPushButton("− Remove period", objectName="removePeriod")

        self.rows: dict[str, FieldRow] = {}
        profile = self._group(
            "Profile",
            [
                (what, pb.PLACE, self.place_box),
                ("Profile id", pb.PROFILE_ID, self.id_spin),
                ("Purpose", pb.PURPOSE, self.purpose_box),
                ("Stack level", pb.STACK_LEVEL, self.stack_spin),
                ("Kind", pb.KIND, self.kind_box),
                ("Recurrency", pb.RECURRENCY, self.recurrency_box),
                ("Transaction id", pb.TRANSACTION, self.tx_edit),
                ("Valid from", pb.VALID_FROM, self.valid_from),
                ("Valid to", pb.VALID_TO, self.valid_to),
            ],
        )
        schedule = self._group(
            "Schedule",
            [
                ("Starts at", pb.START, self.start_edit),
                ("Duration (h:mm)", pb.DURATION, self.duration_edit),
                ("Unit", pb.UNIT, self.unit_box),
                ("Min. rate", pb.MIN_RATE, self.min_rate_edit),
            ],
        )
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        self.periods_message = QLabel(objectName="periodsMessage")
        self.periods_message.setWordWrap(True)
        self.periods_message.setVisible(False)
        schedule_layout = schedule.layout()
        assert isinstance(schedule_layout, QFormLayout)
        schedule_layout.addRow(self.table)
        schedule_layout.addRow(buttons)
        schedule_layout.addRow(self.periods_message)

        fields = QWidget()
        column = QVBoxLayout(fields)
        for group in (profile, schedule):
            column.addWidget(group)
        column.addStretch(1)
        scroller = QScrollArea()
        scroller.setWidget(fields)
        scroller.setWidgetResizable(True)
        scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.json_edit = QPlainTextEdit(objectName="profileJson")
        self.json_edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.json_edit.setTabChangesFocus(True)
        self._highlighter = JsonHighlighter(self.json_edit.document())
        self.tabs = QTabWidget(objectName="profileTabs")
        self.tabs.addTab(scroller, "Form")
        self.tabs.addTab(self.json_edit, "JSON")

        self.preview_pane = PreviewPane()
        self.status = QLabel(objectName="profileStatus")
        self.status.setWordWrap(True)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.tabs)
        split.addWidget(self.preview_pane)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setChildrenCollapsible(False)
        split.setSizes([470, 700])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split, 1)
        layout.addWidget(self.status)

        for signal in (
            self.id_spin.valueChanged,
            self.stack_spin.valueChanged,
            self.recurrency_box.currentIndexChanged,
            self.tx_edit.textChanged,
            self.valid_from.changed,
            self.valid_to.changed,
            self.start_edit.changed,
            self.duration_edit.textChanged,
            self.min_rate_edit.textChanged,
            self.table.itemChanged,
        ):
            signal.connect(self._edited)
        self.place_box.currentIndexChanged.connect(self._place_changed)
        self.purpose_box.currentIndexChanged.connect(self._purpose_changed)
        self.kind_box.currentIndexChanged.connect(self._kind_changed)
        self.unit_box.currentIndexChanged.connect(self._unit_changed)
        self.add_button.clicked.connect(self.add_period)
        self.remove_button.clicked.connect(self.remove_period)
        self.json_edit.textChanged.connect(self._json_edited)

    def _group(self, title: str, rows: list[tuple[str, str, QWidget]]) -> QGroupBox:
        box = QGroupBox(title)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for label, name, editor in rows:
            row = FieldRow(editor, name=name)
            self.rows[name] = row
            form.addRow(label, row)
        return box

    def _fill_places(self) -> None:
        cp = self.target.cp
        if cp is not None:
            ids = list(cp.connector_ids())
        else:
            ids = list(range(1, max(1, self.target.places) + 1))
        self.place_box.addItem(self._place_name(0), 0)
        for place in ids:
            self.place_box.addItem(self._place_name(place), place)

    def _place_name(self, place: int) -> str:
        if self.version == pb.V201:
            return "Station (EVSE 0)" if place == 0 else f"EVSE {place}"
        return "Station (connector 0)" if place == 0 else f"Connector {place}"

    # ------------------------------------------------------------ the draft in the widgets
    def _initial_draft(
        self, initial: Mapping[str, Any] | None, place: int | None
    ) -> pb.ProfileDraft:
        if initial is not None and pc.schema_problem(initial, self.version) is None:
            try:
                return pb.from_payload(self.version, initial)
            except pb.DraftError:
                pass  # the console's payload does not fit the form: start from the default
        return _default_draft(self.target, place)

    def _load(self, d: pb.ProfileDraft) -> None:
        """Show ``d`` in the widgets without reacting to the changes."""
        self._loading = True
        try:
            index = self.place_box.findData(d.place)
            if index < 0:
                name = f"{self._place_name(d.place)} (not on this station)"
                self.place_box.addItem(name, d.place)
                index = self.place_box.count() - 1
            self.place_box.setCurrentIndex(index)
            self.id_spin.setValue(d.profile_id)
            if self.purpose_box.findText(d.purpose) < 0:
                self.purpose_box.addItem(d.purpose)  # e.g. ExternalConstraints typed in JSON
            self.purpose_box.setCurrentText(d.purpose)
            self.stack_spin.setValue(d.stack_level)
            self.kind_box.setCurrentText(d.kind)
            self.recurrency_box.setCurrentText(d.recurrency or pb.DAILY)
            self.tx_edit.setText(d.transaction_id or "")
            now = self.target.now()
            self.valid_from.set_value(d.valid_from, now)
            self.valid_to.set_value(d.valid_to, now + timedelta(hours=24))
            self.start_edit.set_value(d.start_schedule, now)
            duration = pb.format_offset(d.duration) if d.duration is not None else ""
            self.duration_edit.setText(duration)
            self.unit_box.setCurrentText(d.unit)
            self.min_rate_edit.setText(f"{d.min_rate:g}" if d.min_rate is not None else "")
            self.table.set_rows(d.periods)
            self._extras = d
            self._enable_fields()
        finally:
            self._loading = False

    def _enable_fields(self) -> None:
        self.recurrency_box.setEnabled(self.kind_box.currentText() == pb.RECURRING)
        self.tx_edit.setEnabled(self.purpose_box.currentText() == pb.TX)
        self.table.set_unit(self.unit_box.currentText())
        self.remove_button.setEnabled(self.table.rowCount() > 1)

    def _read(self) -> tuple[pb.ProfileDraft, list[pb.Problem]]:
        """The draft the widgets show, and what in them could not be read."""
        problems: list[pb.Problem] = []
        duration = None
        if self.duration_edit.text().strip():
            try:
                duration = pb.parse_offset(self.duration_edit.text())
            except ValueError:
                problems.append(pb.Problem(pb.DURATION, "not a time: seconds, h:mm or h:mm:ss"))
        min_rate = None
        if self.min_rate_edit.text().strip():
            try:
                min_rate = float(self.min_rate_edit.text().strip().replace(",", "."))
            except ValueError:
                problems.append(pb.Problem(pb.MIN_RATE, "not a number"))
        periods, period_problems = self.table.rows()
        purpose = self.purpose_box.currentText()
        kind = self.kind_box.currentText()
        tx = self.tx_edit.text().strip() if purpose == pb.TX else ""
        extras = self._extras
        draft = pb.ProfileDraft(
            version=self.version,
            place=int(self.place_box.currentData()),
            profile_id=self.id_spin.value(),
            purpose=purpose,
            stack_level=self.stack_spin.value(),
            kind=kind,
            periods=periods,
            unit=self.unit_box.currentText(),
            recurrency=self.recurrency_box.currentText() if kind == pb.RECURRING else None,
            start_schedule=self.start_edit.value(),
            duration=duration,
            valid_from=self.valid_from.value(),
            valid_to=self.valid_to.value(),
            min_rate=min_rate,
            transaction_id=tx or None,
            schedule_id=extras.schedule_id,
            extra_request=extras.extra_request,
            extra_profile=extras.extra_profile,
            extra_schedule=extras.extra_schedule,
            more_schedules=extras.more_schedules,
        )
        return draft, problems + period_problems

    # ------------------------------------------------------------ reacting to the user
    def _edited(self, *_args: Any) -> None:
        if not self._loading:
            self._enable_fields()
            self._form_edited()

    def _purpose_changed(self, *_args: Any) -> None:
        if self._loading:
            return
        purpose = self.purpose_box.currentText()
        self._loading = True
        try:
            # Steer the place to where the purpose goes (1.6 §3.13.1, 2.0.1 K01.FR.16).
            if purpose == pb.STATION_MAX[self.version]:
                self.place_box.setCurrentIndex(self.place_box.findData(0))
            elif purpose == pb.TX and self.place_box.currentData() == 0:
                self.place_box.setCurrentIndex(min(1, self.place_box.count() - 1))
        finally:
            self._loading = False
        self._fill_transaction()
        self._edited()

    def _place_changed(self, *_args: Any) -> None:
        if not self._loading:
            self._fill_transaction()
            self._edited()

    def _fill_transaction(self) -> None:
        """A TxProfile names the transaction running on its connector/EVSE: fill it in."""
        cp = self.target.cp
        if cp is None or self.purpose_box.currentText() != pb.TX:
            return
        running = ProfileDesk(cp).running_transaction_ids().get(int(self.place_box.currentData()))
        current = self.tx_edit.text().strip()
        if running is not None and (not current or current == self._auto_tx):
            self._auto_tx = running
            self._loading = True
            try:
                self.tx_edit.setText(running)
            finally:
                self._loading = False

    def _kind_changed(self, *_args: Any) -> None:
        if self._loading:
            return
        kind = self.kind_box.currentText()
        self._loading = True
        try:
            # Absolute and Recurring count from a start, Relative from the transaction
            # (2.0.1 K01.FR.40/41; in 1.6 a start-less Absolute counts from charging).
            if kind == pb.RELATIVE:
                self.start_edit.set_value(None)
            elif self.start_edit.value() is None:
                self.start_edit.set_value(self.target.now().replace(second=0, microsecond=0))
        finally:
            self._loading = False
        self._edited()

    def _unit_changed(self, *_args: Any) -> None:
        if self._loading:
            return
        cp = self.target.cp
        if cp is not None:
            self._convert_limits(cp.supply(), self.unit_box.currentText())
        self._edited()

    def _convert_limits(self, supply: Any, unit: str) -> None:
        """Keep the schedule's meaning across a unit switch (1.6 §7.12, K01.FR.50)."""
        periods, _ = self.table.rows()
        self._loading = True
        try:
            self.table.set_rows(pb.convert_periods(periods, unit, supply))
        finally:
            self._loading = False

    def add_period(self) -> None:
        periods, _ = self.table.rows()
        last = periods[-1] if periods else None
        start = (last.start or 0) + 3600 if last is not None else 0
        limit = last.limit if last is not None else 10.0
        self._loading = True
        try:
            self.table.append(pb.PeriodRow(start, limit))
        finally:
            self._loading = False
        self._edited()

    def remove_period(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True)
        if not rows:
            rows = [self.table.rowCount() - 1]
        self._loading = True
        try:
            for row in rows:
                if self.table.rowCount() > 1:
                    self.table.removeRow(row)
            self.table.fit_height()
        finally:
            self._loading = False
        self._edited()

    def _form_edited(self) -> None:
        draft, problems = self._read()
        payload = pb.to_payload(draft)
        self._loading = True
        try:
            self.json_edit.setPlainText(json.dumps(payload, indent=2, ensure_ascii=False))
        finally:
            self._loading = False
        self.json_error = None
        self._evaluate(draft, payload, problems)

    def _json_edited(self) -> None:
        if self._loading:
            return
        try:
            payload = json.loads(self.json_edit.toPlainText())
        except json.JSONDecodeError as exc:
            self._json_broken(f"JSON, line {exc.lineno} column {exc.colno}: {exc.msg}")
            return
        if not isinstance(payload, dict):
            self._json_broken("the request is a JSON object")
            return
        schema = pc.schema_problem(payload, self.version)
        if schema is not None:
            self.json_error = None
            self.payload, self.schema_error = payload, schema
            self._show_status()
            self.changed.emit()
            return
        try:
            draft = pb.from_payload(self.version, payload)
        except pb.DraftError as exc:
            self._json_broken(str(exc))
            return
        self.json_error = None
        self._load(draft)
        self._evaluate(draft, payload, [])

    def _json_broken(self, message: str) -> None:
        self.json_error = message
        self.payload = None
        self._show_status()
        self.changed.emit()

    # ------------------------------------------------------------ checking
    @property
    def valid(self) -> bool:
        return (
            self.json_error is None
            and self.schema_error is None
            and self.payload is not None
            and not any(p.is_error for p in self.problems)
        )

    @property
    def why_not(self) -> str:
        """Why the request may not be sent ("" when it may)."""
        if self.json_error:
            return self.json_error
        if self.schema_error:
            return f"not valid against the OCPP {self.version} schema: {self.schema_error}"
        errors = [p for p in self.problems if p.is_error]
        return errors[0].message if errors else ""

    def messages(self, field: str) -> list[str]:
        """The inline messages shown for ``field`` (tests read what the user reads)."""
        return [p.message for p in self.problems if p.field == field]

    def _evaluate(
        self, draft: pb.ProfileDraft, payload: dict[str, Any], read_problems: list[pb.Problem]
    ) -> None:
        cp = self.target.cp
        limits = ProfileDesk(cp).limits() if cp is not None else None
        self.draft, self.payload, self._read_problems = draft, payload, read_problems
        self.problems = read_problems + pc.check(draft, limits)
        self.schema_error = pc.schema_problem(payload, self.version)
        self.station_refusal = None
        if cp is not None and self.schema_error is None:
            desk = ProfileDesk(cp)
            self.station_refusal = desk.refusal(payload)
            self.problems += desk.replacements(payload)
        self._show_problems()
        self._show_preview()
        self._show_status()
        self.changed.emit()

    def refresh(self) -> None:
        """Check the request again: the station's profiles or transactions may have changed."""
        if self.draft is not None and self.payload is not None and self.json_error is None:
            self._evaluate(self.draft, self.payload, self._read_problems)

    def _colours(self) -> dict[str, str]:
        return {pb.ERROR: status_colour(self, False), pb.WARNING: warning_colour(self)}

    def _show_problems(self) -> None:
        colours = self._colours()
        for name, row in self.rows.items():
            row.show_problems(row_problems(self.problems, name), colours)
        periods = row_problems(self.problems, pb.PERIODS)
        show_message(self.periods_message, periods, colours)
        self.table.mark(periods, colours)

    def _show_preview(self) -> None:
        pane = self.preview_pane
        if self.draft is None:
            pane.show_preview(None, "")
        elif any(p.is_error for p in self.problems):
            now = _current(self.draft, self.target)
            hint = " (the dotted line is what the station imposes now)" if now.before else ""
            pane.show_preview(now, f"Fix the fields marked ✗ to see this profile{hint}.")
        else:
            pane.show_preview(_preview(self.draft, self.target))
            if self.station_refusal is not None and pane.preview and pane.preview.after:
                # What it would do: the station refuses it, so nothing changes if it is sent.
                pane.caption.setText(pane.caption.text() + " · if it were accepted")
        station = self.target.station_id
        if self.target.cp is None:
            pane.show_verdict(
                f"{station} does not run in this bench: checked against the schema and "
                "the spec only.",
                None,
            )
        elif self.schema_error is not None:
            pane.show_verdict("", None)
        elif self.station_refusal is None:
            pane.show_verdict(f"✓ {station} would accept this profile (its own check).", True)
        else:
            pane.show_verdict(f"✗ {station} would refuse it: {self.station_refusal}", False)

    def _show_status(self) -> None:
        errors = sum(p.is_error for p in self.problems)
        warnings = len(self.problems) - errors
        if self.json_error or self.schema_error:
            text, good = f"✗ {self.why_not}", False
        elif errors:
            text = f"✗ {errors} problem{'s' if errors != 1 else ''} to fix (marked ✗)"
            good = False
        else:
            text = f"✓ valid {pb.ACTION} request (OCPP {self.version} schema)"
            if warnings:
                text += f" · {warnings} warning{'s' if warnings != 1 else ''} (marked ⚠)"
            good = True
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {status_colour(self, good)}; font-weight: 600;")

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        palette = (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange)
        if event.type() in palette and self.draft is not None:
            # Re-colour the messages and the preview for the new palette.
            self._show_problems()
            self._show_status()
            self._show_preview()


# ------------------------------------------------------------ with or without a station
def _default_draft(target: FormTarget, place: int | None) -> pb.ProfileDraft:
    if target.cp is not None:
        return ProfileDesk(target.cp).new_draft(place)
    return ps.default_draft(target.version, None, place)


def _preview(draft: pb.ProfileDraft, target: FormTarget) -> ps.Preview:
    if target.cp is not None:
        return ProfileDesk(target.cp).preview(draft, target.now())
    return ps.preview(draft, target.now())


def _current(draft: pb.ProfileDraft, target: FormTarget) -> ps.Preview:
    if target.cp is not None:
        return ProfileDesk(target.cp).current(draft, target.now())
    return ps.current(draft, target.now(), None)
