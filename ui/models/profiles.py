"""The CSMS profiles as a list model: the built-in CSMS first, then the user's by name."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from bench.store.workspace import CsmsProfile

PROFILE_ROLE = Qt.ItemDataRole.UserRole + 1

SECURITY_LABELS: dict[int, str] = {
    0: "0 · no security",
    1: "1 · Basic auth, no TLS",
    2: "2 · TLS + Basic auth",
    3: "3 · TLS + client certificate",
}


# The built-in CSMS answers each station in the version it connects with (subprotocols
# ocpp1.6 and ocpp2.0.1); its profile's ocpp_version is only the default for new stations.
BUILTIN_VERSIONS_LABEL = "OCPP 1.6 and 2.0.1"


def versions_label(profile: CsmsProfile) -> str:
    """What the profile's CSMS speaks, as the lists and forms show it."""
    return BUILTIN_VERSIONS_LABEL if profile.builtin else f"OCPP {profile.ocpp_version}"


def describe(profile: CsmsProfile) -> str:
    """One line for a list or a combo box tooltip (never the password)."""
    extra = " · built in" if profile.builtin else ""
    level = profile.security_profile
    return f"{profile.url} · {versions_label(profile)} · security profile {level}{extra}"


class ProfileListModel(QAbstractListModel):
    def __init__(self, profiles: list[CsmsProfile] | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self.profiles: list[CsmsProfile] = list(profiles or [])

    def reload(self, profiles: list[CsmsProfile]) -> None:
        self.beginResetModel()
        self.profiles = list(profiles)
        self.endResetModel()

    def row_of(self, name: str) -> int:
        return next((i for i, p in enumerate(self.profiles) if p.name == name), -1)

    def profile(self, row: int) -> CsmsProfile | None:
        return self.profiles[row] if 0 <= row < len(self.profiles) else None

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.profiles)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        profile = self.profile(index.row()) if index.isValid() else None
        if profile is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return profile.name
        if role == Qt.ItemDataRole.ToolTipRole:
            return describe(profile)
        if role == PROFILE_ROLE:
            return profile
        return None
