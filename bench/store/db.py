"""Opening the bench's SQLite file and bringing its tables up to date.

One database file holds everything the store keeps (message log, offline
queues, configuration, state, authorization caches) for every station of a
run; 10,000 stations may share it.

Connections are opened in autocommit mode (``isolation_level=None``): a single
statement commits on its own and multi-statement work goes through
``transaction(conn)``, so nothing stays half-committed in an implicit
transaction that the sqlite3 module opened behind our back.

Schema migrations: each store module owns an ordered list of DDL steps (a
``Schema``) and registers it here. The version each module has reached is kept
per module in the ``schema_version`` table, so modules evolve independently
and import order never matters; ``PRAGMA user_version`` records the layout of
the store as a whole (``STORE_FORMAT``) so an older build refuses a file
written by a newer, incompatible one instead of corrupting it.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# Bump only for changes that older code cannot read (a new module's tables do not count).
STORE_FORMAT = 1

_BUSY_TIMEOUT_MS = 5000


class StoreFormatError(RuntimeError):
    """The file was written by a newer, incompatible store layout."""


class StoreOpenError(RuntimeError):
    """A file a user named cannot be the store; the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class Schema:
    """The ordered DDL steps of one store module; step *n* brings it to version *n*."""

    module: str
    steps: Sequence[str]

    @property
    def version(self) -> int:
        return len(self.steps)


_REGISTRY: dict[str, Schema] = {}


def register_schema(schema: Schema) -> Schema:
    """Make ``open_database`` apply ``schema``; returns it so modules can keep a handle."""
    existing = _REGISTRY.get(schema.module)
    if existing is not None and existing is not schema and existing.steps != schema.steps:
        raise ValueError(f"schema {schema.module!r} registered twice with different steps")
    _REGISTRY[schema.module] = schema
    return schema


def registered_schemas() -> list[Schema]:
    return list(_REGISTRY.values())


class StoreConnection(sqlite3.Connection):
    """A connection that remembers which schemas it has already checked.

    Stores are created per station (10,000 of them on one connection), so the
    "is my table there?" check must be a set lookup, not a query.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.ensured_schemas: set[str] = set()
        from bench.store.group_commit import GroupCommit

        # The stores' write-behind while an event loop runs (bench/store/group_commit.py).
        self.group_commit = GroupCommit(self)

    def close(self) -> None:
        # What the stores still hold for the group goes to disk first (a clean close).
        group = getattr(self, "group_commit", None)
        if group is not None and group.pending:
            group.flush()
        super().close()


def open_database(
    path: str | Path, *, factory: type[StoreConnection] = StoreConnection
) -> sqlite3.Connection:
    """Open (creating if needed) the store at ``path`` and apply every registered schema.

    ``factory`` is the connection class (tests pass one that can be told to fail).
    WAL lets readers (the UI paging the log) run beside the writer; with WAL,
    ``synchronous=NORMAL`` keeps every committed transaction across a process
    crash and only risks the last ones on power loss, at a fraction of the cost
    of FULL.
    """
    target = str(path)
    if target != ":memory:" and not target.startswith("file:"):
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        from bench.store.group_commit import flush_file

        # What this process wrote through another connection and has not committed yet
        # must be visible to this one (a station restarted in the same process).
        flush_file(os.path.realpath(target))
    conn = sqlite3.connect(
        target,
        isolation_level=None,
        factory=factory,
        timeout=_BUSY_TIMEOUT_MS / 1000,
        uri=target.startswith("file:"),
    )
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        _check_format(conn)
        for schema in registered_schemas():
            ensure_schema(conn, schema)
    except BaseException:
        conn.close()
        raise
    return conn


def open_store_file(path: str | Path) -> sqlite3.Connection:
    """``open_database`` for a path a user gave (``run --db``): every way the file can be
    unusable (a directory, not SQLite, a read-only or full file system, a newer
    layout) becomes a ``StoreOpenError`` that names the file and the reason."""
    target = Path(path)
    if target.is_dir():
        raise StoreOpenError(f"{target} is a directory, not a database file")
    # SQLite opens an existing file on a read-only file system and only fails at the
    # first write, in the middle of a run: refuse it here instead.
    folder = next((p for p in (target, *target.parents) if p.exists()), None)
    if folder is not None and _read_only(folder):
        raise StoreOpenError(f"cannot use {target} as the database: the file system is read-only")
    if target.exists() and not os.access(target, os.W_OK):
        raise StoreOpenError(f"cannot use {target} as the database: the file is read-only")
    try:
        return open_database(target)
    except StoreFormatError as exc:
        raise StoreOpenError(f"{target} was written by a newer ocpp-bench: {exc}") from None
    except (OSError, sqlite3.Error) as exc:
        raise StoreOpenError(f"cannot use {target} as the database: {_why(target, exc)}") from None


def _why(target: Path, exc: BaseException) -> str:
    """The reason a store file could not be opened, in words a user acts on."""
    from bench.store.faults import FULL, READ_ONLY, storage_failure

    if type(exc) is sqlite3.DatabaseError:  # "file is not a database", "malformed"
        return f"not a SQLite database ({exc})"
    folder = next((p for p in (target, *target.parents) if p.exists()), None)
    if folder is not None and _read_only(folder):
        return "the file system is read-only"
    kind = storage_failure(exc)
    if kind == FULL:
        return "the disk is full"
    if kind == READ_ONLY:
        return "the file is read-only"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)


def _read_only(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # no statvfs (Windows): say what SQLite said instead
        return False


@contextmanager
def transaction(conn: sqlite3.Connection, *, immediate: bool = False) -> Iterator[None]:
    """Run the block in one transaction; joins an enclosing one if already open.

    ``immediate`` takes the write lock up front, which avoids a deadlock-prone
    lock upgrade when the block reads before it writes.
    """
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        # SQLite may already have rolled back (a full disk does that to some statements,
        # and a COMMIT that fails may leave the transaction open or not): only roll back
        # what is still open, so the original error is the one that propagates.
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def commit_pending(conn: sqlite3.Connection) -> None:
    """Commit an implicit transaction the sqlite3 module may have opened.

    Connections from ``open_database`` autocommit and need nothing; one opened
    elsewhere with the sqlite3 default keeps a transaction open after a write
    until told otherwise, which would void the "committed on return" promise of
    the queue and the config stores. An explicit ``transaction`` block on an
    autocommit connection is left alone: its owner commits.
    """
    if conn.in_transaction and conn.isolation_level is not None:
        conn.commit()


def rollback_pending(conn: sqlite3.Connection) -> None:
    """Roll back an implicit transaction left open by a write that failed.

    The counterpart of ``commit_pending`` for a refused write (a full disk): on a
    connection outside autocommit the failed statement's transaction may still be
    open, and committing it later would write what the caller has given up on.
    """
    if conn.in_transaction and conn.isolation_level is not None:
        conn.rollback()


def _check_format(conn: sqlite3.Connection) -> None:
    (fmt,) = conn.execute("PRAGMA user_version").fetchone()
    if fmt > STORE_FORMAT:
        raise StoreFormatError(
            f"store format {fmt} is newer than this build understands ({STORE_FORMAT})"
        )
    if fmt < STORE_FORMAT:
        # A fresh file (0) or an older compatible layout: claim it.
        conn.execute(f"PRAGMA user_version={STORE_FORMAT}")


def ensure_schema(conn: sqlite3.Connection, schema: Schema) -> None:
    """Apply the steps of ``schema`` that this database has not seen yet.

    Runs under ``BEGIN IMMEDIATE`` and re-reads the version inside the
    transaction, so two processes opening the same file cannot both apply a step.
    """
    seen = getattr(conn, "ensured_schemas", None)
    if seen is not None and schema.module in seen:
        return
    with transaction(conn, immediate=True):
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            " module TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID"
        )
        row = conn.execute(
            "SELECT version FROM schema_version WHERE module = ?", (schema.module,)
        ).fetchone()
        current = row[0] if row else 0
        if current > schema.version:
            raise StoreFormatError(
                f"schema {schema.module!r} is at version {current}, "
                f"newer than this build knows ({schema.version})"
            )
        for step in schema.steps[current:]:
            # Steps may hold several statements; execute() takes only one at a time
            # and executescript() would commit our transaction.
            for statement in _split_statements(step):
                conn.execute(statement)
        if current != schema.version:
            conn.execute(
                "INSERT INTO schema_version (module, version) VALUES (?, ?) "
                "ON CONFLICT(module) DO UPDATE SET version = excluded.version",
                (schema.module, schema.version),
            )
    if seen is not None:
        seen.add(schema.module)


def schema_version(conn: sqlite3.Connection, module: str) -> int:
    """The version ``module`` has reached in this database (0 if never applied)."""
    try:
        row = conn.execute(
            "SELECT version FROM schema_version WHERE module = ?", (module,)
        ).fetchone()
    except sqlite3.OperationalError:
        return 0
    return row[0] if row else 0


def _split_statements(script: str) -> list[str]:
    """Split a DDL script on ``;`` at statement ends (uses SQLite's own completeness test)."""
    statements: list[str] = []
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \t\r\n;"):
                statements.append(pending.strip())
            pending = ""
    if pending.strip(" \t\r\n;"):
        statements.append(pending.strip().rstrip(";"))
    return statements
