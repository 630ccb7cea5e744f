"""The smart charging panel: installed profiles per connector/EVSE and the composite schedule.

Top: a tree with one group per connector (2.0.1: EVSE; 0 is the station as a
whole) and one row per installed charging profile — purpose, stack level, kind
(and recurrency), validity, unit and periods — each row expanding into its
periods (1.6 §7.8, §7.13; 2.0.1 part 2 §3, K01). Bottom: the composite schedule
of one connector for the next 24 hours as a step chart, in amps or watts,
computed by the core exactly as it answers GetCompositeSchedule (1.6 §5.7,
2.0.1 K08; where no profile limits, the hardware rating does), and the limit
in force on it now with who imposes it.

The panel serves both versions through ``bench.facts.smart``; in 2.0.1 a
ChargingStationExternalConstraints profile says which external system set it
(chargingLimitSource EMS, SO, Other; K11-K13).

Live: the panel subscribes to the charge point's ``ProfilesChanged`` event (a
CSMS SetChargingProfile or ClearChargingProfile, a TxProfile that ends with its
transaction, an external limit), coalesced to one refresh per event-loop turn,
and to 2.0.1's ``ChargingLimitChanged`` for the limit in force. While visible it
also recomputes the chart when a transaction starts or ends (a TxProfile only
counts with one) and once a minute of station time, as "now" moves on.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bench.facts.smart import CSO, V16_FACTS, SmartFacts, smart_facts
from bench.ocpp.common.smart import ProfilesChanged
from bench.ocpp.v201.smart_charging import ChargingLimitChanged
from bench.smart.profiles import EXTERNAL, RECURRING, Profile
from bench.smart.store import Installed
from bench.smart.units import convert
from ui.models.bridge import StationBridge
from ui.theme import PlotColours, plot_colours, style_view

HORIZON_S = 24 * 3600  # the chart's span (issue 4: "the next 24 hours")
STALE_S = 60.0  # station seconds after which the chart's "now" is recomputed
COLUMNS = (
    "Profile",
    "Purpose",
    "Level",
    "Kind",
    "Start",
    "Valid from",
    "Valid to",
    "Unit",
    "Periods",
)
PERIODS = COLUMNS.index("Periods")
MIN_LABELLED = HORIZON_S / 24  # steps shorter than an hour get no value label (no room)
CHART_COLOUR = "#1f5fbf"
HARDWARE_COLOUR = "#95a5a6"
PURPOSE_COLOURS = {
    "ChargePointMaxProfile": "#c0392b",
    "ChargingStationMaxProfile": "#c0392b",
    "TxDefaultProfile": "#2e86de",
    "TxProfile": "#16a085",
    "ChargingStationExternalConstraints": "#8e44ad",
}


# ------------------------------------------------------------------ formatting
def offset_text(seconds: int) -> str:
    """A period start as +h:mm (days when past 24 h)."""
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"+{hours}:{minutes:02d}" + (f":{secs:02d}" if secs else "")
    return f"+{days}d {text[1:]}" if days else text


def limit_text(value: float, unit: str) -> str:
    if unit == "W":
        return f"{value / 1000:.1f} kW" if value >= 1000 else f"{value:.0f} W"
    return f"{value:.1f} A"


def when_text(value: datetime | None) -> str:
    return "—" if value is None else value.astimezone().strftime("%Y-%m-%d %H:%M")


def kind_text(profile: Profile) -> str:
    text = profile.kind
    if profile.kind == RECURRING and profile.recurrency:
        text += f" {profile.recurrency}"
    if profile.schedule.duration is not None:
        text += f", for {offset_text(profile.schedule.duration)[1:]}"
    return text


def start_text(profile: Profile) -> str:
    """Where the schedule starts (1.6 §7.13 startSchedule; else the transaction's start)."""
    if profile.schedule.start is not None:
        return when_text(profile.schedule.start)
    return "at transaction start"


def periods_text(profile: Profile) -> str:
    unit = profile.schedule.unit
    parts = []
    for period in profile.schedule.periods:
        phases = f" ({period.phases}φ)" if period.phases is not None else ""
        parts.append(f"{offset_text(period.start)} {limit_text(period.limit, unit)}{phases}")
    return "  ·  ".join(parts)


def purpose_text(entry: Installed, facts: SmartFacts = V16_FACTS, source: str = CSO) -> str:
    """The purpose as the version names it, with its transaction or its external source."""
    name = facts.purpose_name(entry.profile)
    transaction_id = facts.transaction_id(entry)
    if transaction_id is not None:
        # 2.0.1 ids are often UUIDs: their head tells them apart (the tooltip has it all).
        short = transaction_id if len(transaction_id) <= 12 else transaction_id[:8] + "…"
        name += f" (transaction {short})"
    if entry.profile.purpose == EXTERNAL or source != CSO:
        name += f" · set by {source}"  # K11.FR.05, K12.FR.04: EMS, SO or Other
    return name


# ------------------------------------------------------------------ the chart
class CompositeChart(pg.PlotWidget):
    """The composite schedule of one connector as a step line over the next 24 h."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
        self.setBackground(None)
        self.setObjectName("compositeChart")
        plot = self.getPlotItem()
        plot.showGrid(x=True, y=True, alpha=0.25)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.disableAutoRange()
        plot.setMouseEnabled(x=False, y=False)
        plot.getAxis("left").setWidth(64)
        plot.addLegend(offset=(-10, 4), labelTextSize="8pt", colCount=2)
        self.hardware = plot.plot(
            pen=pg.mkPen(HARDWARE_COLOUR, width=1.5, style=Qt.PenStyle.DotLine), name="hardware"
        )
        self.curve = plot.plot(
            pen=pg.mkPen(CHART_COLOUR, width=2.5),
            stepMode="center",
            fillLevel=0,
            brush=(31, 95, 191, 45),
            name="composite limit",
        )
        self.now_line = pg.InfiniteLine(
            angle=90, movable=False, pen=pg.mkPen("#e67e22", width=1.5, style=Qt.PenStyle.DashLine)
        )
        plot.addItem(self.now_line, ignoreBounds=True)
        self.labels: list[pg.TextItem] = []
        self.edges = np.zeros(0)
        self.limits = np.zeros(0)
        self.colours = plot_colours(self.palette())
        self.apply_colours(self.colours)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        # getattr: Qt may deliver a palette change while the chart is still being built.
        if event.type() == QEvent.Type.PaletteChange and getattr(self, "colours", None):
            colours = plot_colours(self.palette())
            if colours != self.colours:
                self.apply_colours(colours)

    def apply_colours(self, colours: PlotColours) -> None:
        """The palette changed: lines, labels, axes and legend in its colours."""
        self.colours = colours
        style_view(self, colours)
        self.hardware.setPen(pg.mkPen(colours.hardware, width=1.5, style=Qt.PenStyle.DotLine))
        self.curve.setPen(pg.mkPen(colours.schedule, width=2.5))
        self.curve.setBrush(pg.mkBrush(colours.schedule_fill))
        self.now_line.setPen(pg.mkPen(colours.now, width=1.5, style=Qt.PenStyle.DashLine))
        for label in self.labels:
            label.setColor(colours.schedule)

    def show_schedule(
        self, start: float, periods: list[dict[str, Any]], unit: str, hw: float
    ) -> None:
        """Draw ``periods`` (GetCompositeSchedule periods, seconds from ``start``)."""
        plot = self.getPlotItem()
        for label in self.labels:
            plot.removeItem(label)
        self.labels.clear()
        end = start + HORIZON_S
        if periods:
            edges = [start + p["startPeriod"] for p in periods] + [end]
            limits = [float(p["limit"]) for p in periods]
        else:
            edges, limits = [], []
        self.edges = np.asarray(edges, dtype=float)
        self.limits = np.asarray(limits, dtype=float)
        self.curve.setData(self.edges, self.limits) if limits else self.curve.setData([], [])
        self.hardware.setData([start, end], [hw, hw])
        self.now_line.setPos(start)
        plot.setLabel("left", "Limit", units=unit)
        top = max([hw, *limits, 1.0]) * 1.3  # headroom for the legend and the labels
        plot.setXRange(start, end, padding=0.0)
        plot.setYRange(0, top, padding=0.0)
        if len(limits) <= 12:
            # Few steps: write each value on its step so the chart reads without hovering.
            for left, right, value in zip(edges[:-1], edges[1:], limits, strict=True):
                if right - left < MIN_LABELLED:
                    continue
                label = pg.TextItem(
                    limit_text(value, unit), color=self.colours.schedule, anchor=(0.5, 1.1)
                )
                label.setPos((left + right) / 2, value)
                plot.addItem(label, ignoreBounds=True)
                self.labels.append(label)


# ------------------------------------------------------------------ the panel
class SmartPanel(QWidget):
    def __init__(
        self,
        bridge: StationBridge,
        parent: QWidget | None = None,
        *,
        csms: Callable[[], Any] | None = None,
        reporter: Any | None = None,
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.csms = csms  # the built-in CSMS, if any: where "New profile…" sends from
        self.reporter = reporter
        self.profile_dialog: Any = None
        self.cp = bridge.cp
        self.facts = smart_facts(self.cp)
        # A DC station's composite defaults to watts (2.0.1 K08: A only where AC).
        self.unit = "A" if self.cp.station.template.current_type == "AC" else "W"
        self.refreshes = 0
        self._chart_at: datetime | None = None
        self._signature: tuple[Any, ...] | None = None

        self.tree = QTreeWidget()
        self.tree.setObjectName("profileTree")
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        header = self.tree.header()
        header.setStretchLastSection(True)
        for column in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.empty = QLabel(
            "No charging profiles installed. Send a SetChargingProfile from the CSMS "
            f"({self.facts.set_ref}), or build one with New profile…, and it shows up here."
        )
        self.empty.setProperty("role", "muted")
        self.empty.setWordWrap(True)

        self.chart = CompositeChart()
        self.connector_box = QComboBox()
        self.connector_box.setObjectName("compositeConnector")
        for connector in self.cp.station.connectors:
            self.connector_box.addItem(self.facts.place_text(connector.id), connector.id)
        self.connector_box.addItem(self.facts.place_text(0), 0)
        self.connector_box.currentIndexChanged.connect(lambda _i: self.refresh_chart())
        self.unit_buttons: dict[str, QToolButton] = {}
        self._units = QButtonGroup(self)
        self._units.setExclusive(True)
        for unit, tip in (("A", "Amps per phase"), ("W", "Watts in total")):
            button = QToolButton()
            button.setText(unit)
            button.setObjectName(f"unit{unit}")
            button.setCheckable(True)
            button.setToolTip(tip)
            button.setStyleSheet(
                "QToolButton:checked { background: palette(highlight);"
                " color: palette(highlighted-text); font-weight: 600; }"
            )
            button.setChecked(unit == self.unit)
            button.toggled.connect(lambda on, u=unit: on and self.set_unit(u))
            self._units.addButton(button)
            self.unit_buttons[unit] = button
        self.now_label = QLabel()
        self.now_label.setObjectName("compositeNow")
        self.limit_label = QLabel()
        self.limit_label.setObjectName("limitInForce")
        self.limit_label.setWordWrap(True)

        chart_bar = QHBoxLayout()
        chart_bar.setContentsMargins(0, 0, 0, 0)
        title = QLabel("Composite schedule, next 24 h")
        title.setProperty("role", "cardTitle")
        chart_bar.addWidget(title)
        chart_bar.addSpacing(8)
        chart_bar.addWidget(self.connector_box)
        for button in self.unit_buttons.values():
            chart_bar.addWidget(button)
        chart_bar.addStretch(1)
        chart_bar.addWidget(self.now_label)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        heading = QLabel("Installed charging profiles")
        heading.setProperty("role", "cardTitle")
        self.new_button = QPushButton("New profile…")
        self.new_button.setObjectName("newProfile")
        self.new_button.setToolTip("Build a charging profile, preview it and send it")
        self.new_button.clicked.connect(self.open_profile_form)
        heading_row = QHBoxLayout()
        heading_row.addWidget(heading)
        heading_row.addStretch(1)
        heading_row.addWidget(self.new_button)
        top_layout.addLayout(heading_row)
        top_layout.addWidget(self.empty)
        top_layout.addWidget(self.tree, 1)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addLayout(chart_bar)
        bottom_layout.addWidget(self.limit_label)
        bottom_layout.addWidget(self.chart, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(bottom)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setSizes([240, 360])  # the tree shows several profiles, the chart the rest
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(split)

        # Profile changes arrive as core events; coalesce a burst into one refresh.
        self._pending = QTimer(self)
        self._pending.setSingleShot(True)
        self._pending.setInterval(0)
        self._pending.timeout.connect(self.refresh)
        self._limit_pending = QTimer(self)
        self._limit_pending.setSingleShot(True)
        self._limit_pending.setInterval(0)
        self._limit_pending.timeout.connect(self.refresh_limit)
        self._unsubscribe: Callable[[], None] | None = self.cp.subscribe(self._on_cp_event)
        bridge.changed.connect(self._maybe_refresh_chart)
        self.refresh()

    # ------------------------------------------------------------ events
    def _on_cp_event(self, event: Any) -> None:
        if isinstance(event, ProfilesChanged):
            timer = self._pending
        elif isinstance(event, ChargingLimitChanged) and self.isVisible():
            # Limits move with sharing and period boundaries; only the line of text follows.
            timer = self._limit_pending
        else:
            return
        if not timer.isActive():
            timer.start()

    def _maybe_refresh_chart(self) -> None:
        """On the bridge's coalesced tick: redo the chart if what it depends on moved."""
        if not self.isVisible():
            return
        signature = self._chart_signature()
        now = self.cp.clock.now()
        stale = self._chart_at is None or (now - self._chart_at).total_seconds() >= STALE_S
        if stale or signature != self._signature:
            self.refresh_chart()
        else:
            self.refresh_limit()  # the model's limit may follow the physics, not an event

    def _chart_signature(self) -> tuple[Any, ...]:
        # A TxProfile counts only during its transaction; the anchor of a Relative
        # TxDefaultProfile is the transaction start.
        return tuple(
            (c.id, c.transaction.started_at if c.transaction is not None else None)
            for c in self.cp.station.connectors
        )

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh_chart()

    # ------------------------------------------------------------ content
    def installed(self) -> list[Installed]:
        return sorted(
            self.cp.profile_entries(),
            key=lambda e: (e.connector_id, e.profile.purpose, -e.profile.stack_level, e.profile.id),
        )

    def refresh(self) -> None:
        self.refresh_profiles()
        self.refresh_chart()
        self.refreshes += 1

    def refresh_profiles(self) -> None:
        entries = self.installed()
        collapsed = {
            self.tree.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole)
            for i in range(self.tree.topLevelItemCount())
            if not self.tree.topLevelItem(i).isExpanded()
        }
        self.tree.clear()
        self.empty.setVisible(not entries)
        groups: dict[int, QTreeWidgetItem] = {}
        for entry in entries:
            group = groups.get(entry.connector_id)
            if group is None:
                group = QTreeWidgetItem(self.tree)
                group.setData(0, Qt.ItemDataRole.UserRole, entry.connector_id)
                group.setFirstColumnSpanned(True)
                font = group.font(0)
                font.setBold(True)
                group.setFont(0, font)
                groups[entry.connector_id] = group
            self._profile_item(group, entry)
        for connector_id, group in groups.items():
            count = group.childCount()
            name = self.facts.place_text(connector_id)
            group.setText(0, f"{name} — {count} profile{'s' if count != 1 else ''}")
            group.setExpanded(connector_id not in collapsed)  # keep what the user folded

    def _profile_item(self, group: QTreeWidgetItem, entry: Installed) -> QTreeWidgetItem:
        profile = entry.profile
        schedule = profile.schedule
        source = self.facts.source(self.cp, entry)
        item = QTreeWidgetItem(
            group,
            [
                f"#{profile.id}",
                purpose_text(entry, self.facts, source),
                str(profile.stack_level),
                kind_text(profile),
                start_text(profile),
                when_text(profile.valid_from),
                when_text(profile.valid_to),
                schedule.unit,
                periods_text(profile),
            ],
        )
        item.setData(0, Qt.ItemDataRole.UserRole, profile.id)
        colour = PURPOSE_COLOURS.get(self.facts.purpose_name(profile), CHART_COLOUR)
        item.setForeground(1, pg.mkColor(colour))
        installed = entry.installed_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        tip = f"Installed {installed}"
        if self.facts.version == "2.0.1":
            tip += f"; chargingLimitSource {source}"
        transaction_id = self.facts.transaction_id(entry)
        if transaction_id is not None:
            tip += f"; transaction {transaction_id}"
        if schedule.min_rate is not None:
            tip += f"; minChargingRate {limit_text(schedule.min_rate, schedule.unit)}"
        for column in range(len(COLUMNS)):
            item.setToolTip(column, tip if column != PERIODS else periods_text(profile))
        for period in schedule.periods:
            phases = f" on {period.phases} phases" if period.phases is not None else ""
            row = [""] * len(COLUMNS)
            row[3] = f"period from {offset_text(period.start)}"
            row[PERIODS] = limit_text(period.limit, schedule.unit) + phases
            QTreeWidgetItem(item, row)
        return item

    def set_unit(self, unit: str) -> None:
        if unit not in ("A", "W"):
            raise ValueError(f"unit {unit!r} is not A or W")
        self.unit = unit
        if not self.unit_buttons[unit].isChecked():
            self.unit_buttons[unit].setChecked(True)
        self.refresh_chart()

    @property
    def chart_connector(self) -> int:
        data = self.connector_box.currentData()
        return int(data) if data is not None else 1

    def composite(self) -> tuple[datetime, list[dict[str, Any]]]:
        """The composite schedule the chart shows: its start and its periods (1.6 §5.7, K08)."""
        found = self.facts.composite(self.cp, self.chart_connector, HORIZON_S, self.unit)
        return found.start, found.periods

    def refresh_chart(self) -> None:
        start, periods = self.composite()
        self._chart_at = self.cp.clock.now()
        self._signature = self._chart_signature()
        self.chart.show_schedule(start.timestamp(), periods, self.unit, self._hardware())
        self.now_label.setText(self._now_text(start, periods))
        self.refresh_limit()

    def refresh_limit(self) -> None:
        """The limit the station imposes on the charted connector now, and who imposes it."""
        place = self.chart_connector
        if place == 0:
            if self.facts.version != "2.0.1":
                self.limit_label.setText("")  # 1.6 keeps no station-wide limit apart
                return
            station = self.cp.station_limit()
            amps, owner = (station.amps if station is not None else None), ""
        else:
            smart = self.cp.connector(place).smart_limit
            amps = smart.amps if smart is not None else None
            owner = self.facts.limit_owner(smart.source if smart is not None else None)
        name = self.facts.place_text(place)
        if amps is None:
            text = f"{name}: no limit in force (hardware rating)"
        else:
            text = f"{name}: <b>{limit_text(amps, 'A')}</b> in force"
            if owner:
                text += f" — {owner}"
        self.limit_label.setText(text)

    def _hardware(self) -> float:
        """The rating the composite falls back to where no profile limits (for reference)."""
        supply = self.cp.supply()
        connectors = self.cp.station.connectors
        if self.chart_connector == 0:
            amps = sum(c.hardware_max_a for c in connectors)
        else:
            amps = self.cp.station.connector(self.chart_connector).hardware_max_a
        return convert(amps, "A", self.unit, supply, supply.phases)

    def _now_text(self, start: datetime, periods: list[dict[str, Any]]) -> str:
        if not periods:
            return ""
        text = f"Now: <b>{limit_text(float(periods[0]['limit']), self.unit)}</b>"
        if len(periods) > 1:
            at = start + timedelta(seconds=periods[1]["startPeriod"])
            text += (
                f" · next {at.astimezone().strftime('%H:%M')} → "
                f"{limit_text(float(periods[1]['limit']), self.unit)}"
            )
        return text

    def open_profile_form(self) -> Any:
        """The charging-profile form for this station (issue 10), pre-filled for it."""
        from ui.views.profile_dialog import open_for_station

        if self.profile_dialog is not None:
            self.profile_dialog.close()
        self.profile_dialog = open_for_station(
            self.bridge.run, self.csms, self.reporter, self.chart_connector, self
        )
        return self.profile_dialog

    def dispose(self) -> None:
        if self.profile_dialog is not None:
            self.profile_dialog.close()
        if self._unsubscribe is None:
            return  # already disposed
        self._pending.stop()
        self._limit_pending.stop()
        self._unsubscribe()
        self._unsubscribe = None
        self.bridge.changed.disconnect(self._maybe_refresh_chart)
