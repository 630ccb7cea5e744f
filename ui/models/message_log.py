"""The message log as a Qt table model that pages rows from SQLite (virtualized).

The model holds the row count of the filtered view, a small LRU of pages of
rows, and the id of the newest row it has announced. Nothing else: a million
rows in the log cost a few pages of memory. ``poll`` (called by a timer) asks
SQLite how many matching rows arrived after that id and appends them with one
``beginInsertRows`` per batch.

Paging uses only ``MessageLog``'s public queries. SQLite's OFFSET walks the
rows it skips, so a page in the lower half of the view is read from the newest
end (``newest_first`` with a small offset): the tail, which is where the user
looks almost always, is read in constant time however long the log is.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from bench.kernel.frames import FrameRecord
from bench.store.messages import MessageLog

PAGE_SIZE = 200
MAX_PAGES = 12  # at most 2,400 rows held, whatever the log's size
SUMMARY_CHARS = 140

COLUMNS = ("Time", "Station", "Dir", "Type", "Action", "Message id", "Latency", "Summary")
ERROR_BACKGROUND = QColor("#f8d7da")
INVALID_BACKGROUND = QColor("#fff3cd")
ERROR_FOREGROUND = QColor("#842029")
INVALID_FOREGROUND = QColor("#664d03")
ROW_ID_ROLE = Qt.ItemDataRole.UserRole + 1
RECORD_ROLE = Qt.ItemDataRole.UserRole + 2


@dataclass(frozen=True, slots=True)
class LogFilter:
    """What the view shows; None or "" means no restriction."""

    station: str | None = None
    direction: str | None = None
    type: str | None = None
    action: str | None = None
    text: str | None = None

    def kwargs(self) -> dict[str, Any]:
        return {
            "station": self.station or None,
            "direction": self.direction or None,
            "type": self.type or None,
            "action": self.action or None,
            "text": self.text or None,
        }


def summary(payload: Any) -> str:
    if isinstance(payload, str):
        text = payload
    else:
        text = json.dumps(payload, ensure_ascii=False, separators=(", ", ": "))
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"


REPLY_TYPES = ("CALLRESULT", "CALLERROR")


def find_partner(log: MessageLog, row_id: int, rec: FrameRecord) -> FrameRecord | None:
    """The other half of ``rec``'s exchange: the reply to a CALL, or the CALL of a reply.

    OCPP-J 1.6 §4.1.1: a reply carries its request's message id and travels the
    other way. Ids are only unique per sender and per connection, so of the
    frames with the same station and id, the nearest one in log order wins: the
    first reply after a CALL, or the last CALL before a reply.
    """
    if rec.id is None or rec.type == "MALFORMED":
        return None
    other = "rx" if rec.direction == "tx" else "tx"
    # A proxied frame's partner is the one on the same leg (bench.proxy).
    rows = log.query_with_ids(station=rec.station, msg_id=rec.id, direction=other, leg=rec.leg)
    if rec.type == "CALL":
        later = [(rid, r) for rid, r in rows if rid > row_id and r.type in REPLY_TYPES]
        return later[0][1] if later else None
    if rec.type in REPLY_TYPES:
        earlier = [(rid, r) for rid, r in rows if rid < row_id and r.type == "CALL"]
        return earlier[-1][1] if earlier else None
    return None


def is_error(rec: FrameRecord) -> bool:
    return rec.type == "CALLERROR"


def is_invalid(rec: FrameRecord) -> bool:
    return rec.valid is False or rec.type == "MALFORMED"


class MessageLogModel(QAbstractTableModel):
    def __init__(self, log: MessageLog, parent: Any = None) -> None:
        super().__init__(parent)
        self.log = log
        self.filter = LogFilter()
        self._rows = 0
        self._max_id = 0  # newest row id the view has accounted for
        self._pages: OrderedDict[int, list[tuple[int, FrameRecord]]] = OrderedDict()
        self.reload()

    # ------------------------------------------------------------ filter and tail
    def set_filter(self, log_filter: LogFilter) -> None:
        if log_filter == self.filter:
            return
        self.filter = log_filter
        self.reload()

    def reload(self) -> None:
        self.beginResetModel()
        self._pages.clear()
        self._max_id = self.log.last_id()
        self._rows = self.log.count(**self.filter.kwargs(), until=None)
        # Rows newer than _max_id arrive through poll(); count only up to it.
        newer = self.log.count(**self.filter.kwargs(), after_id=self._max_id)
        self._rows -= newer
        self.endResetModel()

    def poll(self) -> int:
        """Append rows that arrived since the last poll; returns how many."""
        last = self.log.last_id()
        if last <= self._max_id:
            return 0
        new = self.log.count(**self.filter.kwargs(), after_id=self._max_id)
        new -= self.log.count(**self.filter.kwargs(), after_id=last)
        self._max_id = last
        if new <= 0:
            return 0
        first = self._rows
        self.beginInsertRows(QModelIndex(), first, first + new - 1)
        self._rows += new
        # The last page may be partial and cached: drop it so it is read again.
        self._pages.pop(first // PAGE_SIZE, None)
        self.endInsertRows()
        return new

    # ------------------------------------------------------------ paging
    def record(self, row: int) -> tuple[int, FrameRecord] | None:
        if not 0 <= row < self._rows:
            return None
        page_no = row // PAGE_SIZE
        page = self._pages.get(page_no)
        within = row - page_no * PAGE_SIZE
        if page is None or within >= len(page):
            page = self._fetch(page_no)
        else:
            self._pages.move_to_end(page_no)
        return page[within] if within < len(page) else None

    def _fetch(self, page_no: int) -> list[tuple[int, FrameRecord]]:
        start = page_no * PAGE_SIZE
        end = min(start + PAGE_SIZE, self._rows)
        filters = self.filter.kwargs()
        if start < self._rows // 2:
            rows = self.log.query_with_ids(limit=end - start, offset=start, **filters)
            rows = [r for r in rows if r[0] <= self._max_id]
        else:
            # From the newest end: skip what the view has not announced yet, then
            # the rows below this page.
            unseen = self.log.count(**filters, after_id=self._max_id)
            rows = self.log.query_with_ids(
                limit=end - start,
                offset=unseen + (self._rows - end),
                newest_first=True,
                **filters,
            )
            rows.reverse()
        self._pages[page_no] = rows
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)
        return rows

    def partner(self, row: int) -> FrameRecord | None:
        """The request or reply paired with the frame at ``row`` (see ``find_partner``)."""
        item = self.record(row)
        return find_partner(self.log, *item) if item is not None else None

    @property
    def cached_rows(self) -> int:
        return sum(len(p) for p in self._pages.values())

    # ------------------------------------------------------------ Qt model
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._rows

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid():
            return None
        item = self.record(index.row())
        if item is None:
            return None
        row_id, rec = item
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(rec, index.column())
        if role == Qt.ItemDataRole.BackgroundRole:
            if is_error(rec):
                return QBrush(ERROR_BACKGROUND)
            if is_invalid(rec):
                return QBrush(INVALID_BACKGROUND)
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if is_error(rec):
                return QBrush(ERROR_FOREGROUND)
            if is_invalid(rec):
                return QBrush(INVALID_FOREGROUND)
            return None
        if role == Qt.ItemDataRole.ToolTipRole and (is_error(rec) or is_invalid(rec)):
            return rec.error or ("schema-invalid" if rec.valid is False else rec.type)
        if role == ROW_ID_ROLE:
            return row_id
        if role == RECORD_ROLE:
            return rec
        return None

    @staticmethod
    def _display(rec: FrameRecord, column: int) -> str:
        if column == 0:
            return datetime.fromtimestamp(rec.ts).strftime("%H:%M:%S.%f")[:-3]
        if column == 1:
            return rec.station
        if column == 2:
            arrow = "→" if rec.direction == "tx" else "←"
            # A proxied frame is logged once per leg it crossed (bench.proxy).
            return arrow if rec.leg is None else f"{arrow} {rec.leg}"
        if column == 3:
            return rec.type
        if column == 4:
            return rec.action or ""
        if column == 5:
            return rec.id or ""
        if column == 6:
            return f"{rec.latency_ms:.1f} ms" if rec.latency_ms is not None else ""
        if rec.type == "CALLERROR":
            return f"{rec.error or '?'}: {summary(rec.payload)}"
        return summary(rec.payload)
