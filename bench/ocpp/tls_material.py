"""TLS material a station hands to its transport as files (version-neutral).

The WebSocket transport reads its trust anchors and client certificate from
files; a station keeps them in its database. These helpers write them beside
the station's database (``<db folder>/certificates/<station>/``), private keys
readable by the owner only, and leave an unchanged file alone so a reconnect
does not rewrite it.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path


def material_dir(db: sqlite3.Connection, station_id: str) -> Path:
    """The folder for one station's TLS files."""
    row = db.execute("PRAGMA database_list").fetchone()
    db_file = row[2] if row else ""
    root = Path(db_file).parent if db_file else Path(tempfile.gettempdir()) / "ocpp-bench"
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in station_id)
    return root / "certificates" / (safe or "station")


def write_material(folder: Path, name: str, text: str, *, private: bool = False) -> str:
    """Write ``text`` to ``folder/name`` unless it already holds it; returns the path."""
    path = folder / name
    data = text.encode()
    try:
        if path.read_bytes() == data:
            return str(path)
    except OSError:
        pass
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return str(path)
