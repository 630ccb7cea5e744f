"""What the user set up in the desktop app: saved stations, CSMS profiles, small settings.

The desktop app restores these on its next start. They live in the same SQLite
file as the message log (``bench.store.db``), one table per kind:

* ``csms_profiles``: named CSMS targets (URL, OCPP version, security profile,
  Basic-auth password, certificate files). The password is kept in clear in
  this file: the bench must send it on every connection (whitepaper A00.FR.203),
  so it cannot be hashed; the file is the user's own data folder.
* ``saved_stations``: each station's id, template, EV default, profile name,
  virtual-time speed and whether it was running, in the order they were added.
* ``workspace_settings``: named JSON values (the built-in CSMS's tag list, a
  "first start done" flag).

Qt-free and OCPP-free: the records are plain data; ``CsmsProfile.link_config``
is the one bridge to the transport layer.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from bench.store.db import Schema, commit_pending, ensure_schema, register_schema, transaction
from bench.transport.config import LinkConfig

__all__ = [
    "OCPP_VERSIONS",
    "WORKSPACE_SCHEMA",
    "CsmsProfile",
    "SavedStation",
    "WorkspaceStore",
]

# What a profile may name; only 1.6 runs today (bench.runtime refuses the others).
OCPP_VERSIONS = ("1.6", "2.0.1")
_SUBPROTOCOLS = {"1.6": "ocpp1.6", "2.0.1": "ocpp2.0.1"}

WORKSPACE_SCHEMA = register_schema(
    Schema(
        "workspace",
        [
            """
            CREATE TABLE csms_profiles (
                name TEXT PRIMARY KEY,
                url TEXT NOT NULL,
                ocpp_version TEXT NOT NULL,
                security_profile INTEGER NOT NULL,
                password TEXT,
                ca_file TEXT,
                cert_file TEXT,
                key_file TEXT
            ) WITHOUT ROWID;
            CREATE TABLE saved_stations (
                station_id TEXT PRIMARY KEY,
                position INTEGER NOT NULL,
                template TEXT NOT NULL,
                ev_template TEXT NOT NULL,
                profile TEXT NOT NULL,
                speed REAL NOT NULL,
                running INTEGER NOT NULL
            ) WITHOUT ROWID;
            CREATE TABLE workspace_settings (
                name TEXT PRIMARY KEY,
                value TEXT NOT NULL
            ) WITHOUT ROWID;
            """,
        ],
    )
)


@dataclass(frozen=True, slots=True)
class CsmsProfile:
    """A named CSMS target. ``builtin`` marks the app's own CSMS (never stored)."""

    name: str
    url: str
    ocpp_version: str = "1.6"
    security_profile: int = 0
    # repr=False: a profile printed into a log line must not carry the password.
    password: str | None = field(default=None, repr=False)
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    builtin: bool = False

    def link_config(self, station_id: str) -> LinkConfig:
        """The link settings of ``station_id`` under this profile.

        Only the fields the security profile uses are passed on (whitepaper
        §2.3-§2.5), so a password kept while the user tries profile 0 is not sent.
        Raises ``ValueError`` with a clear message for an unusable combination.
        """
        if self.ocpp_version not in OCPP_VERSIONS:
            raise ValueError(
                f"profile {self.name!r}: OCPP {self.ocpp_version} is not available yet "
                f"(available: {', '.join(OCPP_VERSIONS)})"
            )
        level = self.security_profile
        uses_password = level in (1, 2) or (level == 3 and bool(self.password))
        if level == 1 and self.url.lower().startswith("wss:"):
            # Whitepaper §2.3: profile 1 is Basic auth over an unsecured transport.
            raise ValueError(
                f"profile {self.name!r}: security profile 1 uses ws://; "
                "choose profile 2 for Basic auth over TLS"
            )
        try:
            return LinkConfig(
                url=self.url,
                station_id=station_id,
                subprotocol=_SUBPROTOCOLS[self.ocpp_version],
                security_profile=level,
                password=(self.password or None) if uses_password else None,
                ca_file=(self.ca_file or None) if self.secure else None,
                cert_file=(self.cert_file or None) if level == 3 else None,
                key_file=(self.key_file or None) if level == 3 else None,
            )
        except ValueError as exc:
            raise ValueError(f"profile {self.name!r}: {exc}") from None

    @property
    def secure(self) -> bool:
        return self.url.lower().startswith("wss:")

    def check(self) -> None:
        """Raise ``ValueError`` if this profile cannot be used (checked before saving)."""
        if not self.name.strip():
            raise ValueError("a CSMS profile needs a name")
        self.link_config("CHECK")


@dataclass(frozen=True, slots=True)
class SavedStation:
    """One station as the user set it up; ``running`` says whether it was started."""

    station_id: str
    template: str
    ev_template: str
    profile: str
    speed: float = 1.0
    running: bool = True


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class WorkspaceStore:
    """Reads and writes the saved workspace; every write is committed on return."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        ensure_schema(conn, WORKSPACE_SCHEMA)
        self.conn = conn

    # ------------------------------------------------------------ CSMS profiles
    def profiles(self) -> list[CsmsProfile]:
        rows = self.conn.execute(
            "SELECT name, url, ocpp_version, security_profile, password, ca_file, cert_file,"
            " key_file FROM csms_profiles ORDER BY name COLLATE NOCASE"
        ).fetchall()
        return [CsmsProfile(*row) for row in rows]

    def save_profile(self, profile: CsmsProfile, *, old_name: str | None = None) -> None:
        """Insert or replace ``profile``; renaming (``old_name``) moves its stations along."""
        if profile.builtin:
            raise ValueError("the built-in CSMS profile is not stored")
        with transaction(self.conn, immediate=True):
            if old_name is not None and old_name != profile.name:
                self.conn.execute("DELETE FROM csms_profiles WHERE name = ?", (old_name,))
                self.conn.execute(
                    "UPDATE saved_stations SET profile = ? WHERE profile = ?",
                    (profile.name, old_name),
                )
            self.conn.execute(
                "INSERT INTO csms_profiles (name, url, ocpp_version, security_profile, password,"
                " ca_file, cert_file, key_file) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(name) DO UPDATE SET url = excluded.url,"
                " ocpp_version = excluded.ocpp_version,"
                " security_profile = excluded.security_profile, password = excluded.password,"
                " ca_file = excluded.ca_file, cert_file = excluded.cert_file,"
                " key_file = excluded.key_file",
                (
                    profile.name,
                    profile.url,
                    profile.ocpp_version,
                    profile.security_profile,
                    profile.password,
                    profile.ca_file,
                    profile.cert_file,
                    profile.key_file,
                ),
            )
        commit_pending(self.conn)

    def delete_profile(self, name: str) -> None:
        """Forget a profile; refused while a saved station still uses it."""
        users = self.stations_using(name)
        if users:
            shown = ", ".join(users[:3]) + (" …" if len(users) > 3 else "")
            raise ValueError(f"CSMS profile {name!r} is used by {len(users)} station(s): {shown}")
        self.conn.execute("DELETE FROM csms_profiles WHERE name = ?", (name,))
        commit_pending(self.conn)

    def stations_using(self, profile: str) -> list[str]:
        rows = self.conn.execute(
            "SELECT station_id FROM saved_stations WHERE profile = ? ORDER BY position",
            (profile,),
        ).fetchall()
        return [row[0] for row in rows]

    # ------------------------------------------------------------ stations
    def stations(self) -> list[SavedStation]:
        """The saved stations in the order they were first added."""
        rows = self.conn.execute(
            "SELECT station_id, template, ev_template, profile, speed, running"
            " FROM saved_stations ORDER BY position"
        ).fetchall()
        return [SavedStation(s, t, e, p, sp, bool(r)) for s, t, e, p, sp, r in rows]

    def save_station(self, station: SavedStation) -> None:
        """Insert (at the end) or update in place."""
        self.conn.execute(
            "INSERT INTO saved_stations (station_id, position, template, ev_template, profile,"
            " speed, running) VALUES (?, (SELECT coalesce(max(position), 0) + 1"
            " FROM saved_stations), ?, ?, ?, ?, ?)"
            " ON CONFLICT(station_id) DO UPDATE SET template = excluded.template,"
            " ev_template = excluded.ev_template, profile = excluded.profile,"
            " speed = excluded.speed, running = excluded.running",
            (
                station.station_id,
                station.template,
                station.ev_template,
                station.profile,
                station.speed,
                int(station.running),
            ),
        )
        commit_pending(self.conn)

    def set_running(self, station_id: str, running: bool) -> None:
        self.conn.execute(
            "UPDATE saved_stations SET running = ? WHERE station_id = ?",
            (int(running), station_id),
        )
        commit_pending(self.conn)

    def delete_station(self, station_id: str) -> None:
        self.conn.execute("DELETE FROM saved_stations WHERE station_id = ?", (station_id,))
        commit_pending(self.conn)

    # ------------------------------------------------------------ settings
    def setting(self, name: str, default: Any = None) -> Any:
        """A named JSON value, or ``default`` if it was never set."""
        row = self.conn.execute(
            "SELECT value FROM workspace_settings WHERE name = ?", (name,)
        ).fetchone()
        return default if row is None else json.loads(row[0])

    def set_setting(self, name: str, value: Any) -> None:
        self.conn.execute(
            "INSERT INTO workspace_settings (name, value) VALUES (?, ?)"
            " ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            (name, _dumps(value)),
        )
        commit_pending(self.conn)
