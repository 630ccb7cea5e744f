"""The stations list: one row per station, with its link badge and OCPP version.

The bench's own stations come first (a ``StationBridge`` each); after them, the
real chargers seen through the proxy (a ``ProxiedSource`` each, issue 17), marked
as proxied by their badge, their subtitle and an icon of their own. A proxied
row stays when its charger leaves, badged "disconnected", until the app closes.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from ui.models.badges import link_badge
from ui.models.bridge import StationBridge
from ui.models.proxied_source import ProxiedSource

BADGE_ROLE = Qt.ItemDataRole.UserRole + 1  # (label, colour)
VERSION_ROLE = Qt.ItemDataRole.UserRole + 2
SUBTITLE_ROLE = Qt.ItemDataRole.UserRole + 3
BRIDGE_ROLE = Qt.ItemDataRole.UserRole + 4
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 5  # the bridge, or the ProxiedSource of a proxied row
PROXIED_ROLE = Qt.ItemDataRole.UserRole + 6  # True on a proxied charger's row

# A proxied row's link badge: white text on each (WCAG AA, ui.models.badges).
PROXIED_BADGE = ("proxied", "#0f6b73")
PROXIED_GONE_BADGE = ("disconnected", "#b03a2e")


class StationListModel(QAbstractListModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.bridges: list[StationBridge] = []
        self.proxied: list[ProxiedSource] = []  # rows after the bridges'
        self._rows: dict[int, int] = {}  # id(bridge) -> row, rebuilt when stale

    def add(self, bridge: StationBridge) -> None:
        # Before the proxied rows: the bench's own stations keep the rows they had.
        row = len(self.bridges)
        self.beginInsertRows(QModelIndex(), row, row)
        self.bridges.append(bridge)
        self.endInsertRows()
        bridge.changed.connect(lambda b=bridge: self._row_changed(b))

    def remove(self, station_id: str) -> StationBridge | None:
        for row, bridge in enumerate(self.bridges):
            if bridge.station_id == station_id:
                self.beginRemoveRows(QModelIndex(), row, row)
                self.bridges.pop(row)
                self.endRemoveRows()
                return bridge
        return None

    def replace(self, bridge: StationBridge) -> StationBridge | None:
        """Put ``bridge`` in the row of the station with the same id (a restarted station)."""
        for row, old in enumerate(self.bridges):
            if old.station_id == bridge.station_id:
                self.bridges[row] = bridge
                bridge.changed.connect(lambda b=bridge: self._row_changed(b))
                index = self.index(row)
                self.dataChanged.emit(index, index)
                return old
        return None

    def bridge(self, row: int) -> StationBridge | None:
        return self.bridges[row] if 0 <= row < len(self.bridges) else None

    def add_proxied(self, source: ProxiedSource) -> None:
        row = len(self.bridges) + len(self.proxied)
        self.beginInsertRows(QModelIndex(), row, row)
        self.proxied.append(source)
        self.endInsertRows()
        source.changed.connect(lambda s=source: self._proxied_changed(s))

    def proxied_source(self, row: int) -> ProxiedSource | None:
        n = row - len(self.bridges)
        return self.proxied[n] if 0 <= n < len(self.proxied) else None

    def _proxied_changed(self, source: ProxiedSource) -> None:
        if source in self.proxied:
            index = self.index(len(self.bridges) + self.proxied.index(source))
            self.dataChanged.emit(index, index)

    def _row_changed(self, bridge: StationBridge) -> None:
        # Rows change ~1,000 times a second with 1,000 stations: look the row up by
        # identity from a cache instead of scanning the list each time.
        row = self._rows.get(id(bridge))
        if row is None or row >= len(self.bridges) or self.bridges[row] is not bridge:
            self._rows = {id(b): i for i, b in enumerate(self.bridges)}
            row = self._rows.get(id(bridge))
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.bridges) + len(self.proxied)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        bridge = self.bridge(index.row()) if index.isValid() else None
        if bridge is None:
            source = self.proxied_source(index.row()) if index.isValid() else None
            return None if source is None else _proxied_data(source, role)
        if role == ENTRY_ROLE:
            return bridge
        cp = bridge.cp
        if role == Qt.ItemDataRole.DisplayRole:
            return bridge.station_id
        if role == BADGE_ROLE:
            return link_badge(cp)
        if role == VERSION_ROLE:
            return f"OCPP {cp.version}"
        if role == SUBTITLE_ROLE:
            identity = cp.station.identity
            n = len(cp.station.connectors)
            return f"{identity.model} · {n} connector{'s' if n != 1 else ''}"
        if role == BRIDGE_ROLE:
            return bridge
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{bridge.station_id}: {link_badge(cp)[0]} · {cp.network().url}"
        return None


def _proxied_data(source: ProxiedSource, role: int) -> Any:
    """A proxied charger's row: what its frames said, marked as proxied."""
    if role == Qt.ItemDataRole.DisplayRole:
        return source.station_id
    if role == BADGE_ROLE:
        return PROXIED_BADGE if source.connected else PROXIED_GONE_BADGE
    if role == VERSION_ROLE:
        return f"OCPP {source.version}"
    if role == SUBTITLE_ROLE:
        statuses = source.statuses()
        return "Proxied charger" + (f" · {', '.join(statuses)}" if statuses else "")
    if role == ENTRY_ROLE:
        return source
    if role == PROXIED_ROLE:
        return True
    if role == Qt.ItemDataRole.ToolTipRole:
        state = "connected" if source.connected else "disconnected"
        upstream = source.server.upstream if source.server is not None else "—"
        return f"{source.station_id}: a real charger proxied to {upstream}, {state}"
    return None
