"""Persisted configuration, station state and authorization cache (bench/store/config.py,
bench/store/authcache.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.store.authcache import AuthCache
from bench.store.config import ConfigStore, StateStore
from bench.store.db import open_database


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "bench.db"


# -- ConfigStore -----------------------------------------------------------


def test_configuration_values_survive_reopening_the_database(db_path: Path):
    conn = open_database(db_path)
    store = ConfigStore(conn)
    store.save("CP-1", "HeartbeatInterval", "300")
    store.save_many("CP-1", {"MeterValueSampleInterval": "60", "HeartbeatInterval": "600"})
    conn.close()

    reopened = open_database(db_path)
    assert ConfigStore(reopened).load("CP-1") == {
        "HeartbeatInterval": "600",
        "MeterValueSampleInterval": "60",
    }
    reopened.close()


def test_configuration_of_two_stations_is_kept_apart(db_path: Path):
    conn = open_database(db_path)
    store = ConfigStore(conn)
    store.save("CP-1", "HeartbeatInterval", "300")
    store.save("CP-2", "HeartbeatInterval", "30")
    store.save("CP-2", "LocalPreAuthorize", "true")

    assert store.load("CP-1") == {"HeartbeatInterval": "300"}
    assert store.clear("CP-2") == 2
    assert store.load("CP-2") == {}
    assert store.load("CP-1") == {"HeartbeatInterval": "300"}
    assert store.delete("CP-1", "HeartbeatInterval") is True
    assert store.delete("CP-1", "HeartbeatInterval") is False
    conn.close()


def test_configuration_values_must_be_strings_and_save_many_is_all_or_nothing(db_path: Path):
    """1.6 §9: configuration values are exchanged as strings."""
    conn = open_database(db_path)
    store = ConfigStore(conn)
    with pytest.raises(TypeError):
        store.save("CP-1", "HeartbeatInterval", 300)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        store.save_many("CP-1", {"A": "1", "B": 2})  # type: ignore[dict-item]
    assert store.load("CP-1") == {}
    conn.close()


# -- StateStore ------------------------------------------------------------


def test_station_state_round_trips_json_values_across_reopen(db_path: Path):
    conn = open_database(db_path)
    state = StateStore(conn)
    state.put("CP-1", "energy_wh", 123456.5)
    state.put("CP-1", "firmware", {"version": "1.2.3", "installed": True})
    state.put("CP-1", "energy_wh", 123500.0)
    state.put("CP-2", "energy_wh", 7)
    conn.close()

    reopened = open_database(db_path)
    state = StateStore(reopened)
    assert state.get("CP-1", "energy_wh") == 123500.0
    assert state.get("CP-1", "firmware") == {"version": "1.2.3", "installed": True}
    assert state.get("CP-2", "energy_wh") == 7
    assert state.get("CP-1", "missing", default="none") == "none"
    assert state.names("CP-1") == ["energy_wh", "firmware"]
    assert state.delete("CP-1", "firmware") is True
    assert state.clear("CP-2") == 1
    assert state.get("CP-2", "energy_wh") is None
    reopened.close()


# -- AuthCache -------------------------------------------------------------


ACCEPTED = {"status": "Accepted", "expiryDate": "2026-12-31T23:59:59Z", "parentIdTag": "P1"}


def test_auth_cache_entries_survive_a_restart(db_path: Path):
    """1.6 §3.5.1: cache values SHOULD be persisted across reboots."""
    conn = open_database(db_path)
    cache = AuthCache(conn, "CP-1")
    cache.put("TAG-1", ACCEPTED)
    cache.put("TAG-2", {"status": "Blocked"})
    conn.close()

    reopened = open_database(db_path)
    cache = AuthCache(reopened, "CP-1")
    assert len(cache) == 2
    assert cache.get("TAG-1") == ACCEPTED
    assert cache.get("TAG-2") == {"status": "Blocked"}
    assert cache.get("TAG-3") is None
    reopened.close()


def test_auth_cache_updates_an_entry_and_lists_least_recently_updated_first(db_path: Path):
    """1.6 §3.5.1: an entry is updated on new IdTagInfo; eviction needs the oldest first."""
    conn = open_database(db_path)
    cache = AuthCache(conn, "CP-1")
    cache.put("A", ACCEPTED)
    cache.put("B", ACCEPTED)
    cache.put("C", {"status": "Invalid"})
    cache.put("A", {"status": "Expired"})

    assert len(cache) == 3
    assert cache.get("A") == {"status": "Expired"}
    entries = cache.entries()
    assert [e.id_tag for e in entries] == ["B", "C", "A"]
    assert entries[0].status == "Accepted" and entries[0].expiry_date == "2026-12-31T23:59:59Z"
    conn.close()


def test_auth_cache_ignores_the_case_of_id_tags(db_path: Path):
    """1.6 §7.28: IdToken is a CiString20Type, case-insensitive."""
    conn = open_database(db_path)
    cache = AuthCache(conn, "CP-1")
    cache.put("abc123", ACCEPTED)
    cache.put("ABC123", {"status": "Blocked"})
    assert len(cache) == 1
    assert cache.get("Abc123") == {"status": "Blocked"}
    assert "ABC123" in cache and "nope" not in cache
    conn.close()


def test_auth_cache_clear_only_empties_its_own_station(db_path: Path):
    """1.6 §5.4: ClearCache.req clears this Charge Point's cache."""
    conn = open_database(db_path)
    one, two = AuthCache(conn, "CP-1"), AuthCache(conn, "CP-2")
    one.put("A", ACCEPTED)
    one.put("B", ACCEPTED)
    two.put("A", {"status": "Blocked"})

    assert two.get("A") == {"status": "Blocked"} and one.get("A") == ACCEPTED
    assert one.clear() == 2
    assert len(one) == 0 and len(two) == 1
    assert two.remove("A") is True and two.remove("A") is False
    conn.close()
