"""The built-in CSMS's sessions as a live table model, and the filter in front of it.

Hundreds of stations may charge at once, each sending meter values, so the model
never rebuilds the table: the CSMS announces which session moved
(``SessionChanged`` on ``CentralSystem.events``), the model collects those keys and,
at most once per ``THROTTLE_MS``, re-reads just those sessions from the store. A
known session is replaced in place (one ``dataChanged`` per run of neighbouring
rows); new ones are appended in one insert. Selection, scroll and sort survive.

The model sorts itself on raw values (numbers as numbers, times as instants);
``SessionsFilterModel`` in front of it applies the core's ``SessionFilter`` (the rule
the CLI export uses too).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
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

COLUMNS = (  # short headers: the table fits its half of a 1600 px console unscrolled
    "Station",
    "OCPP",
    "Tx",
    "Conn.",
    "Tag",
    "Start",
    "Stop",
    "kWh",
    "Cost",
    "Reason",
    "Values",
)
COLUMN_HELP = (
    "Station id",
    "OCPP version",
    "Transaction id",
    "Connector (1.6) or EVSE (2.0.1)",
    "Id tag / token that started the session",
    "Start, local time (with the date when not today)",
    "Stop, local time, or open while the session runs",
    "Energy in kWh",
    "Cost at the CSMS's price",
    "Stop reason",
    "Meter values received",
)
(STATION, OCPP, TRANSACTION, CONNECTOR, TAG, START, STOP, ENERGY, COST, REASON, METER) = range(
    len(COLUMNS)
)
THROTTLE_MS = 250  # at most four table updates a second, however many stations charge
SESSION_ROLE = Qt.ItemDataRole.UserRole + 1  # the Session behind a row
OPEN_COLOUR = QColor("#2e9d4f")  # reads on light and dark palettes alike
_NUMERIC = (ENERGY, COST, METER)
_Index = QModelIndex | QPersistentModelIndex


def local_time(stored: str | None, today: date | None = None) -> str:
    """Local wall time: ``HH:MM:SS`` on ``today``, ``YYYY-MM-DD HH:MM`` on other days."""
    value = parse_time(stored)
    if value is None:
        return stored or "—"
    local = value.astimezone()
    if local.date() == today:
        return local.strftime("%H:%M:%S")
    return local.strftime("%Y-%m-%d %H:%M")


def cost_text(session: Session) -> str:
    if session.cost is None:
        return "—"
    return f"{session.cost:.2f} {session.currency}" if session.currency else f"{session.cost:.2f}"


def connector_text(session: Session) -> str:
    if session.version == V201:
        return f"EVSE {session.evse_id}" if session.evse_id is not None else "—"
    return str(session.connector_id) if session.connector_id is not None else "—"


def display(session: Session, column: int, today: date | None = None) -> str:
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
        return local_time(session.start, today)
    if column == STOP:
        return "open" if session.active else local_time(session.stop, today)
    if column == ENERGY:
        return "—" if session.energy_kwh is None else f"{session.energy_kwh:.3f}"
    if column == COST:
        return cost_text(session)
    if column == REASON:
        return session.stop_reason or "—"
    return str(session.meter_values)


def _epoch(stored: str | None, missing: float) -> float:
    value = parse_time(stored)
    return value.timestamp() if value is not None else missing


def sort_keys(session: Session) -> tuple[Any, ...]:
    """Every column's sort value, computed once per version of a row.

    A sort compares them O(n log n) times, so they are plain numbers and strings:
    times as epoch seconds (an open session's stop is +inf: latest).
    """
    keys: list[Any] = [""] * len(COLUMNS)
    for column in (STATION, OCPP, TRANSACTION, TAG, REASON):
        keys[column] = display(session, column).casefold()
    keys[START] = _epoch(session.start, float("inf"))
    keys[STOP] = float("inf") if session.active else _epoch(session.stop, float("inf"))
    keys[ENERGY] = session.energy_wh if session.energy_wh is not None else float("-inf")
    keys[COST] = session.cost if session.cost is not None else float("-inf")
    keys[METER] = session.meter_values
    keys[CONNECTOR] = (session.evse_id or 0) * 1000 + (session.connector_id or 0)
    if session.transaction_id.isdigit():
        keys[TRANSACTION] = f"{int(session.transaction_id):020d}"  # 1.6 ids in number order
    return tuple(keys)


def tooltip(session: Session, column: int) -> str | None:
    if column in (START, STOP):
        stamp = session.start if column == START else session.stop
        return f"{local_time(stamp)} local, {utc_text(stamp)}" if stamp else None
    if column == CONNECTOR and session.version == V201 and session.connector_id is not None:
        return f"EVSE {session.evse_id}, connector {session.connector_id}"
    if column == TRANSACTION:
        return f"OCPP {session.version} transaction {session.transaction_id}"
    if column == TAG and session.id_tag:
        return session.id_tag
    if column == ENERGY and session.energy_wh is not None:
        return f"{session.energy_wh:,.0f} Wh"
    return None


class CsmsSessionsModel(QAbstractTableModel):
    """One row per session; rows change in place, new ones are added, none removed.

    The model sorts itself (``sort``): Python sorts thousands of rows on cached keys
    in milliseconds, where a proxy would call back into Python for every comparison.
    A re-sort is a layout change (selection kept), and happens only when the order
    can have changed: new rows, or running sessions when the sort column is one
    they change (stop, energy, cost, meter values).
    """

    flushed = Signal(int, int)  # sessions added, sessions updated (after each batch)

    def __init__(
        self, csms: CentralSystem, parent: Any = None, *, throttle_ms: int = THROTTLE_MS
    ) -> None:
        super().__init__(parent)
        self.csms = csms
        self.sessions: list[Session] = []
        self._rows: dict[SessionKey, int] = {}
        self._dirty: set[SessionKey] = set()
        self._keys: dict[SessionKey, tuple[Any, ...]] = {}  # sort_keys of each session
        self._sort: tuple[int, Qt.SortOrder] | None = None  # None: oldest start first
        self._stations: set[str] = set()  # kept as rows come, for the filter pickers
        self._tags: set[str] = set()
        self._timer = QTimer(self, singleShot=True, interval=throttle_ms)
        self._timer.timeout.connect(self.flush)
        self._today = self._local_today()
        self._unsubscribe: Callable[[], None] | None = csms.events.subscribe(self._on_event)
        self._load()

    def _local_today(self) -> date:
        return self.csms.clock.now().astimezone().date()

    def _load(self) -> None:
        store = self.csms.store
        if store is None:  # not running: nothing to show until it is
            return
        self.beginResetModel()
        self.sessions = store.sessions.sessions()
        self._keys.clear()
        self._order()
        self._stations = {s.station for s in self.sessions}
        self._tags = {s.id_tag for s in self.sessions if s.id_tag}
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
        """Re-read the sessions announced since the last flush; update or add rows."""
        self._timer.stop()
        store = self.csms.store
        if store is None or not self._dirty:
            return
        keys, self._dirty = self._dirty, set()
        self._today = self._local_today()
        fresh: list[Session] = []
        changed: list[int] = []  # rows whose every column may have changed
        moving: list[int] = []  # rows of running sessions: stop, energy, cost, count
        for key in keys:
            session = store.sessions.session(key)
            if session is None:
                continue
            self._stations.add(session.station)
            if session.id_tag:  # a 2.0.1 token may come with a later event
                self._tags.add(session.id_tag)
            self._keys.pop(key, None)
            row = self._rows.get(key)
            if row is None:
                fresh.append(session)
                continue
            old = self.sessions[row]
            self.sessions[row] = session
            # A 2.0.1 session may learn its tag, EVSE or start from a later event.
            (moving if _identity(old) == _identity(session) else changed).append(row)
        for first, last in _runs(sorted(changed)):
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))
        for first, last in _runs(sorted(moving)):
            self.dataChanged.emit(self.index(first, STOP), self.index(last, METER))
        if fresh:
            start = len(self.sessions)
            self.beginInsertRows(QModelIndex(), start, start + len(fresh) - 1)
            for offset, session in enumerate(fresh):
                self._rows[session.key] = start + offset
                self.sessions.append(session)
            self.endInsertRows()
        column = self._sort[0] if self._sort is not None else START
        if fresh or changed or (moving and STOP <= column <= METER):
            self._resort()
        self.flushed.emit(len(fresh), len(changed) + len(moving))

    # ------------------------------------------------------------ order
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._sort = (column, order) if 0 <= column < len(COLUMNS) else None
        self._resort()

    def _sort_key(self, session: Session) -> tuple[Any, ...]:
        keys = self._keys.get(session.key)
        if keys is None:
            keys = self._keys[session.key] = sort_keys(session)
        return keys

    def _ordered(self) -> list[Session]:
        column, order = self._sort or (START, Qt.SortOrder.AscendingOrder)
        return sorted(
            self.sessions,
            key=lambda s: (self._sort_key(s)[column], self._sort_key(s)[START], s.key),
            reverse=order == Qt.SortOrder.DescendingOrder,
        )

    def _order(self) -> None:
        self.sessions = self._ordered()
        self._rows = {s.key: row for row, s in enumerate(self.sessions)}

    def _resort(self) -> None:
        """Apply the chosen order as one layout change; nothing at all if no row moves."""
        ordered = self._ordered()
        if [s.key for s in ordered] == [s.key for s in self.sessions]:
            return
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        held = [(self.sessions[i.row()].key, i.column()) for i in persistent]
        self.sessions = ordered
        self._rows = {s.key: row for row, s in enumerate(ordered)}
        self.changePersistentIndexList(
            persistent, [self.index(self._rows[key], column) for key, column in held]
        )
        self.layoutChanged.emit()

    def stop(self) -> None:
        self._timer.stop()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def stations(self) -> list[str]:
        return sorted(self._stations)

    def tags(self) -> list[str]:
        return sorted(self._tags)

    # ------------------------------------------------------------ Qt model
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.sessions)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return COLUMN_HELP[section]
        return None

    def data(self, index: _Index, role: int = 0) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.sessions):
            return None
        session = self.sessions[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return display(session, column, self._today)
        if role == SESSION_ROLE:
            return session
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip(session, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in _NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and column == STOP and session.active:
            return QBrush(OPEN_COLOUR)
        return None


def _identity(session: Session) -> tuple[Any, ...]:
    return (session.evse_id, session.connector_id, session.id_tag, session.start)


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
    """The rows ``SessionFilter`` keeps, in the order of the source model.

    Sorting is passed on to ``CsmsSessionsModel.sort`` (see there why); the proxy
    itself never sorts, so it keeps the source's order.
    """

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.where = SessionFilter()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        source = self.sourceModel()
        assert isinstance(source, CsmsSessionsModel)
        source.sort(column, order)

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
