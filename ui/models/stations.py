"""The stations list: one row per running station, with its link badge and OCPP version."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from ui.models.badges import link_badge
from ui.models.bridge import StationBridge

BADGE_ROLE = Qt.ItemDataRole.UserRole + 1  # (label, colour)
VERSION_ROLE = Qt.ItemDataRole.UserRole + 2
SUBTITLE_ROLE = Qt.ItemDataRole.UserRole + 3
BRIDGE_ROLE = Qt.ItemDataRole.UserRole + 4


class StationListModel(QAbstractListModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.bridges: list[StationBridge] = []
        self._rows: dict[int, int] = {}  # id(bridge) -> row, rebuilt when stale

    def add(self, bridge: StationBridge) -> None:
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
        return 0 if parent.isValid() else len(self.bridges)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        bridge = self.bridge(index.row()) if index.isValid() else None
        if bridge is None:
            return None
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
