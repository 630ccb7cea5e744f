"""Disks that refuse writes, for the tests of issue 11: a fake one and real tiny ones.

``FailingConnection`` is a real SQLite connection (a ``StoreConnection``): every
read, and every write it lets through, is real SQLite on a real file. It is a
fake in one way only: while ``fail_writes`` is set, a statement that would write
raises ``sqlite3.OperationalError('database or disk is full')``, the error SQLite
raises on a full disk. Why a fake at all: a real full disk fills at a moment the
test cannot choose, while these tests must say which writes fail (only those
made while the station is offline, say) and then let the disk recover.

``tmpfs`` mounts a real tmpfs of a given size (read-only if asked). Mounting
needs root; without it the fixture using it skips and says why.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.store.db import StoreConnection

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")
FULL = "database or disk is full"


class FailingConnection(StoreConnection):
    """A real connection whose writes fail with SQLITE_FULL's message while told to."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fail_writes = False
        self.refused = 0  # writes refused so far

    def _check(self, sql: str) -> None:
        if self.fail_writes and sql.lstrip().upper().startswith(_WRITES):
            self.refused += 1
            raise sqlite3.OperationalError(FULL)

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:  # type: ignore[override]
        self._check(sql)
        return super().execute(sql, *args)

    def executemany(self, sql: str, *args: Any) -> sqlite3.Cursor:  # type: ignore[override]
        self._check(sql)
        return super().executemany(sql, *args)

    def executescript(self, sql: str) -> sqlite3.Cursor:  # type: ignore[override]
        self._check(sql)
        return super().executescript(sql)


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


@contextlib.contextmanager
def tmpfs(
    where: Path,
    size: str = "256k",
    *,
    read_only: bool = False,
    prepare: Callable[[Path], None] | None = None,
) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``where`` for the block; ``prepare`` fills it
    before it is remounted read-only. Skips the test when mounting is not allowed."""
    if not is_root():
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        if prepare is not None:
            prepare(where)
        if read_only:
            subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True)
        yield where
    finally:
        unmounted = subprocess.run(["umount", str(where)], capture_output=True)
        if unmounted.returncode != 0:  # something still holds a file open: detach it
            subprocess.run(["umount", "-l", str(where)], check=True)
