"""The charging profiles installed on one station (1.6 §3.13.2, §5.5, §5.16; version-neutral).

Replacement (1.6 §3.13.2, §5.16.3, §5.16.4): a new profile replaces any
installed profile with the same id, and the one with the same purpose and
stackLevel on the same connector. A TxDefaultProfile on connector 0 is
therefore not replaced by one on connector 1 (§3.13.1): the connector's own
profile shadows it there at that stack level.

The store keeps each profile's original JSON (``raw``) so the protocol
package can persist and report it unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bench.smart.profiles import Profile


@dataclass(frozen=True, slots=True)
class Installed:
    connector_id: int  # 0: the whole station
    profile: Profile
    raw: dict[str, Any]
    installed_at: datetime


class ProfileStore:
    __slots__ = ("entries",)

    def __init__(self, entries: list[Installed] | None = None) -> None:
        self.entries: list[Installed] = list(entries or [])

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[Installed]:
        return iter(self.entries)

    def replaced_by(self, connector_id: int, profile: Profile) -> list[Installed]:
        """The installed profiles that ``profile`` on ``connector_id`` would replace."""
        return [
            e
            for e in self.entries
            if e.profile.id == profile.id
            or (
                e.connector_id == connector_id
                and e.profile.purpose == profile.purpose
                and e.profile.stack_level == profile.stack_level
            )
        ]

    def count_after(self, connector_id: int, profile: Profile) -> int:
        """How many profiles would be installed after adding ``profile``."""
        return len(self.entries) - len(self.replaced_by(connector_id, profile)) + 1

    def install(self, entry: Installed) -> list[Installed]:
        """Add ``entry``, removing what it replaces; returns the replaced entries."""
        gone = self.replaced_by(entry.connector_id, entry.profile)
        self._drop(gone)
        self.entries.append(entry)
        return gone

    def clear(
        self,
        *,
        profile_id: int | None = None,
        connector_id: int | None = None,
        purpose: str | None = None,
        stack_level: int | None = None,
    ) -> list[Installed]:
        """Remove matching profiles (1.6 §5.5, errata 3.25/3.26); returns what was removed.

        With ``profile_id`` only that profile goes and the other criteria are
        ignored; otherwise every given criterion must match (logical AND), and
        no criteria at all clear everything.
        """
        if profile_id is not None:
            gone = [e for e in self.entries if e.profile.id == profile_id]
        else:
            gone = [
                e
                for e in self.entries
                if (connector_id is None or e.connector_id == connector_id)
                and (purpose is None or e.profile.purpose == purpose)
                and (stack_level is None or e.profile.stack_level == stack_level)
            ]
        self._drop(gone)
        return gone

    def remove_where(self, connector_id: int, purpose: str) -> list[Installed]:
        gone = [
            e
            for e in self.entries
            if e.connector_id == connector_id and e.profile.purpose == purpose
        ]
        self._drop(gone)
        return gone

    def of(self, purpose: str, connector_ids: tuple[int, ...]) -> list[Installed]:
        return [
            e
            for e in self.entries
            if e.profile.purpose == purpose and e.connector_id in connector_ids
        ]

    def _drop(self, gone: list[Installed]) -> None:
        if gone:
            ids = {id(e) for e in gone}
            self.entries = [e for e in self.entries if id(e) not in ids]
