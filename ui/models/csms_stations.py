"""The stations the built-in CSMS knows, as a table model of ``StationInfo`` snapshots.

``refresh`` takes fresh snapshots (``CentralSystem.station``) of the connected
stations and of those seen this session, so a station that drops off stays in
the list marked offline rather than vanishing under the user's cursor.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from bench.csms.registry import StationInfo, UnknownStation
from bench.csms.server import CentralSystem

COLUMNS = ("Station", "Link", "Registration", "Model", "Firmware", "Heartbeat", "Connectors", "Tx")
_Index = QModelIndex | QPersistentModelIndex
REGISTRATION_COLOURS = {
    "Accepted": QColor("#2e7d32"),
    "Pending": QColor("#b35900"),
    "Rejected": QColor("#c0392b"),
}
OFFLINE_COLOUR = QColor("#7f8c8d")


def age(since: datetime | None, now: datetime) -> str:
    if since is None:
        return "—"
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago"


def connectors_text(info: StationInfo) -> str:
    parts = [
        f"{cid}: {row.status}" + (f" ({row.error_code})" if row.error_code != "NoError" else "")
        for cid, row in sorted(info.connectors.items())
        if cid != 0
    ]
    return ", ".join(parts) or "—"


def boot_facts(boot: dict[str, Any] | None) -> tuple[str, str]:
    """("vendor model", firmware) from the last BootNotification, either version.

    1.6 puts the fields at the top (chargePointVendor, chargePointModel,
    firmwareVersion, 1.6 §6.2); 2.0.1 nests them in ``chargingStation`` (vendorName,
    model, firmwareVersion; B01, ChargingStationType).
    """
    boot = boot or {}
    station = boot.get("chargingStation")
    if isinstance(station, dict):
        vendor, model = station.get("vendorName", ""), station.get("model", "")
        firmware = station.get("firmwareVersion")
    else:
        vendor, model = boot.get("chargePointVendor", ""), boot.get("chargePointModel", "")
        firmware = boot.get("firmwareVersion")
    return f"{vendor} {model}".strip() or "—", firmware or "—"


class CsmsStationsModel(QAbstractTableModel):
    def __init__(self, csms: CentralSystem, parent: Any = None) -> None:
        super().__init__(parent)
        self.csms = csms
        self.infos: list[StationInfo] = []
        self._seen: set[str] = set()
        self._now = csms.clock.now()

    def station_ids(self) -> list[str]:
        return [info.id for info in self.infos]

    def connected_ids(self) -> list[str]:
        return [info.id for info in self.infos if info.connected]

    def refresh(self) -> None:
        csms = self.csms
        if csms.store is None:  # stopped: keep showing the last snapshots
            return
        self._seen.update(csms.connected_stations())
        infos = []
        for station_id in sorted(self._seen):
            try:
                infos.append(csms.station(station_id))
            except UnknownStation:
                continue
        self._now = csms.clock.now()
        if [i.id for i in infos] == [i.id for i in self.infos]:
            self.infos = infos  # same rows: repaint in place, keep selection and scroll
            if infos:
                self.dataChanged.emit(
                    self.index(0, 0), self.index(len(infos) - 1, len(COLUMNS) - 1)
                )
            return
        self.beginResetModel()
        self.infos = infos
        self.endResetModel()

    # ------------------------------------------------------------ Qt model
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.infos)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = 0) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.infos):
            return None
        info = self.infos[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(info, column)
        if role == Qt.ItemDataRole.ForegroundRole:
            if not info.connected:
                return QBrush(OFFLINE_COLOUR)
            if column == 2 and info.registration in REGISTRATION_COLOURS:
                return QBrush(REGISTRATION_COLOURS[info.registration])
        if role == Qt.ItemDataRole.ToolTipRole and column == 6:
            return connectors_text(info)
        if role == Qt.ItemDataRole.ToolTipRole and column == 1 and info.subprotocol:
            return f"WebSocket subprotocol {info.subprotocol}"
        return None

    def _display(self, info: StationInfo, column: int) -> str:
        if column == 0:
            return info.id
        if column == 1:
            return "online" if info.connected else "offline"
        if column == 2:
            return info.registration or "not booted"
        if column == 3:
            return boot_facts(info.boot)[0]
        if column == 4:
            return boot_facts(info.boot)[1]
        if column == 5:
            return age(info.last_heartbeat, self._now)
        if column == 6:
            return connectors_text(info)
        return ", ".join(f"#{tx.id} ({tx.id_tag})" for tx in info.transactions) or "—"
