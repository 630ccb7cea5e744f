"""The built-in CSMS's sessions as a live table model, and the filter in front of it.

Hundreds of stations may charge at once, each sending meter values, so the model
never rebuilds the table: the CSMS announces which session moved
(``SessionChanged`` on ``CentralSystem.events``), the model collects those keys and,
at most once per ``THROTTLE_MS``, re-reads just those sessions from the store. A
known session is replaced in place (one ``dataChanged`` per run of neighbouring
rows); new ones are appended in one insert. Selection, scroll and sort survive.

``SessionsFilterModel`` applies the core's ``SessionFilter`` (the rule the CLI export
uses too) and sorts on raw values (numbers as numbers, times as UTC text).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor

from bench.csms.server import CentralSystem
from bench.csms.sessions import V201, Session, SessionChanged, SessionFilter, SessionKey, parse_time
from bench.csms.sessions_csv import utc_text

COLUMNS = (
    "Station",
    "OCPP",
    "Transaction",
    "Connector",
    "Tag",
    "Start",
    "Stop",
    "Energy (kWh)",
    "Cost",
    "Stop reason",
    "Meter values",
)
(STATION, OCPP, TRANSACTION, CONNECTOR, TAG, START, STOP, ENERGY, COST, REASON, METER) = range(
    len(COLUMNS)
)
THROTTLE_MS = 250  # at most four table updates a second, however many stations charge
SESSION_ROLE = Qt.ItemDataRole.UserRole + 1  # the Session behind a row
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
OPEN_COLOUR = QColor("#2e9d4f")  # reads on light and dark palettes alike
_NUMERIC = (ENERGY, COST, METER)
_Index = QModelIndex | QPersistentModelIndex


def local_time(stored: str | None) -> str:
    value = parse_time(stored)
    if value is None:
        return stored or "—"
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def cost_text(session: Session) -> str:
    if session.cost is None:
        return "—"
    return f"{session.cost:.2f} {session.currency}" if session.currency else f"{session.cost:.2f}"


def connector_text(session: Session) -> str:
    if session.version == V201:
        return f"EVSE {session.evse_id}" if session.evse_id is not None else "—"
    return str(session.connector_id) if session.connector_id is not None else "—"


def display(session: Session, column: int) -> str:
    if column == STATION:
        return session.station
    if column == OCPP:
        return session.version
    if column == TRANSACTION:
        return session.transaction_id
    if column == CONNECTOR:
        return connector_text(session)
    if column == TAG:
        return session.id_tag or "—"
    if column == START:
        return local_time(session.start)
    if column == STOP:
        return "open" if session.active else local_time(session.stop)
    if column == ENERGY:
        return "—" if session.energy_kwh is None else f"{session.energy_kwh:.3f}"
    if column == COST:
        return cost_text(session)
    if column == REASON:
        return session.stop_reason or "—"
    return str(session.meter_values)


def sort_key(session: Session, column: int) -> Any:
    if column == ENERGY:
        return session.energy_wh if session.energy_wh is not None else float("-inf")
    if column == COST:
        return session.cost if session.cost is not None else float("-inf")
    if column == METER:
        return session.meter_values
    if column == START:
        return utc_text(session.start)
    if column == STOP:
        return "~" if session.active else utc_text(session.stop)  # open ones sort last
    if column == CONNECTOR:
        return (session.evse_id or 0) * 1000 + (session.connector_id or 0)
    if column == TRANSACTION and session.transaction_id.isdigit():
        return f"{int(session.transaction_id):020d}"  # 1.6 ids in number order
    return display(session, column).casefold()


def tooltip(session: Session, column: int) -> str | None:
    if column in (START, STOP):
        stamp = session.start if column == START else session.stop
        return f"{utc_text(stamp)} (UTC)" if stamp else None
    if column == CONNECTOR and session.version == V201 and session.connector_id is not None:
        return f"EVSE {session.evse_id}, connector {session.connector_id}"
    if column == ENERGY and session.energy_wh is not None:
        return f"{session.energy_wh:,.0f} Wh"
    return None


class CsmsSessionsModel(QAbstractTableModel):
    """One row per session; rows only ever change in place or get appended."""

    flushed = Signal(int, int)  # sessions added, sessions updated (after each batch)

    def __init__(
        self, csms: CentralSystem, parent: Any = None, *, throttle_ms: int = THROTTLE_MS
    ) -> None:
        super().__init__(parent)
        self.csms = csms
        self.sessions: list[Session] = []
        self._rows: dict[SessionKey, int] = {}
        self._dirty: set[SessionKey] = set()
        self._timer = QTimer(self, singleShot=True, interval=throttle_ms)
        self._timer.timeout.connect(self.flush)
        self._unsubscribe: Callable[[], None] | None = csms.events.subscribe(self._on_event)
        self._load()

    def _load(self) -> None:
        store = self.csms.store
        if store is None:  # not running: nothing to show until it is
            return
        self.beginResetModel()
        self.sessions = store.sessions.sessions()
        self._rows = {s.key: row for row, s in enumerate(self.sessions)}
        self.endResetModel()

    def _on_event(self, event: Any) -> None:
        if not isinstance(event, SessionChanged):
            return
        self._dirty.add(event.key)
        if not self._timer.isActive():  # not restarted: a steady stream still flushes
            self._timer.start()

    @property
    def pending(self) -> int:
        """Sessions announced but not yet re-read (for tests and the status line)."""
        return len(self._dirty)

    def flush(self) -> None:
        """Re-read the sessions announced since the last flush; update or append rows."""
        self._timer.stop()
        store = self.csms.store
        if store is None or not self._dirty:
            return
        keys, self._dirty = self._dirty, set()
        fresh: list[Session] = []
        changed: list[int] = []
        for key in keys:
            session = store.sessions.session(key)
            if session is None:
                continue
            row = self._rows.get(key)
            if row is None:
                fresh.append(session)
            else:
                self.sessions[row] = session
                changed.append(row)
        for first, last in _runs(sorted(changed)):
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))
        if fresh:
            fresh.sort(key=lambda s: (utc_text(s.start) if s.start else "~", s.key))
            start = len(self.sessions)
            self.beginInsertRows(QModelIndex(), start, start + len(fresh) - 1)
            for offset, session in enumerate(fresh):
                self._rows[session.key] = start + offset
                self.sessions.append(session)
            self.endInsertRows()
        self.flushed.emit(len(fresh), len(changed))

    def stop(self) -> None:
        self._timer.stop()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def stations(self) -> list[str]:
        return sorted({s.station for s in self.sessions})

    def tags(self) -> list[str]:
        return sorted({s.id_tag for s in self.sessions if s.id_tag})

    # ------------------------------------------------------------ Qt model
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.sessions)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = 0) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.sessions):
            return None
        session = self.sessions[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return display(session, column)
        if role == SESSION_ROLE:
            return session
        if role == SORT_ROLE:
            return sort_key(session, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip(session, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in _NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and column == STOP and session.active:
            return QBrush(OPEN_COLOUR)
        return None


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Sorted row numbers as (first, last) runs of neighbours: [1, 2, 3, 7] -> (1, 3), (7, 7)."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs


class SessionsFilterModel(QSortFilterProxyModel):
    """The rows ``SessionFilter`` keeps, sorted on raw values."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.where = SessionFilter()
        self.setSortRole(SORT_ROLE)

    def set_filter(self, where: SessionFilter) -> None:
        if where == self.where:
            return
        if hasattr(self, "beginFilterChange"):  # Qt 6.9+; invalidateRowsFilter is deprecated
            self.beginFilterChange()
            self.where = where
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.where = where
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        source = self.sourceModel()
        assert isinstance(source, CsmsSessionsModel)
        return self.where.matches(source.sessions[source_row])

    def visible_sessions(self) -> list[Session]:
        """The rows as shown: filtered, in the current sort order."""
        return [self.index(row, 0).data(SESSION_ROLE) for row in range(self.rowCount())]
