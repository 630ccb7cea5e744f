"""Opening the store and migrating its schema (bench/store/db.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bench.store.db import (
    STORE_FORMAT,
    Schema,
    StoreFormatError,
    ensure_schema,
    open_database,
    registered_schemas,
    schema_version,
    transaction,
)


def test_open_database_creates_the_folder_and_sets_wal_normal_and_foreign_keys(tmp_path: Path):
    path = tmp_path / "deep" / "er" / "bench.db"
    conn = open_database(path)
    assert path.exists()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA user_version").fetchone()[0] == STORE_FORMAT
    conn.close()


def test_open_database_creates_the_tables_of_every_store_module(tmp_path: Path):
    conn = open_database(tmp_path / "bench.db")
    modules = {s.module for s in registered_schemas()}
    assert {"messages", "offline_queue", "config", "state", "auth_cache"} <= modules
    for module in modules:
        assert schema_version(conn, module) >= 1
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"messages", "offline_queue", "config_values", "station_state", "auth_cache"} <= tables
    conn.close()


def test_migrations_apply_only_the_steps_a_file_has_not_seen(tmp_path: Path):
    path = tmp_path / "bench.db"
    v1 = Schema("widgets", ["CREATE TABLE widgets (id INTEGER PRIMARY KEY, name TEXT)"])
    conn = open_database(path)
    ensure_schema(conn, v1)
    conn.execute("INSERT INTO widgets (name) VALUES ('kept')")
    conn.close()

    v2 = Schema(
        "widgets",
        [
            v1.steps[0],
            "ALTER TABLE widgets ADD COLUMN colour TEXT;"
            " CREATE INDEX widgets_name ON widgets (name);",
        ],
    )
    conn = open_database(path)
    ensure_schema(conn, v2)
    ensure_schema(conn, v2)  # idempotent
    assert schema_version(conn, "widgets") == 2
    assert conn.execute("SELECT name, colour FROM widgets").fetchall() == [("kept", None)]
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "widgets_name" in indexes
    conn.close()


def test_a_failing_migration_step_leaves_the_file_untouched(tmp_path: Path):
    conn = open_database(tmp_path / "bench.db")
    broken = Schema("broken", ["CREATE TABLE ok_table (x); CREATE TABLE ok_table (x);"])
    with pytest.raises(sqlite3.OperationalError):
        ensure_schema(conn, broken)
    assert schema_version(conn, "broken") == 0
    assert conn.execute("SELECT name FROM sqlite_master WHERE name='ok_table'").fetchone() is None
    conn.close()


def test_a_file_from_a_newer_build_is_refused(tmp_path: Path):
    path = tmp_path / "bench.db"
    conn = open_database(path)
    ensure_schema(conn, Schema("gadgets", ["CREATE TABLE g (x)", "CREATE TABLE h (x)"]))
    conn.close()

    conn = open_database(path)
    with pytest.raises(StoreFormatError):
        ensure_schema(conn, Schema("gadgets", ["CREATE TABLE g (x)"]))
    conn.execute(f"PRAGMA user_version={STORE_FORMAT + 1}")
    conn.close()
    with pytest.raises(StoreFormatError):
        open_database(path)


def test_transaction_commits_on_success_and_rolls_back_on_error(tmp_path: Path):
    conn = open_database(tmp_path / "bench.db")
    conn.execute("CREATE TABLE t (x)")
    with transaction(conn):
        conn.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(RuntimeError), transaction(conn):
        conn.execute("INSERT INTO t VALUES (2)")
        raise RuntimeError("boom")
    assert conn.execute("SELECT x FROM t").fetchall() == [(1,)]
    assert not conn.in_transaction
    conn.close()
