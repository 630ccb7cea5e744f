"""The saved workspace: CSMS profiles, stations and settings survive reopening the file."""

from __future__ import annotations

import pytest

from bench.store.db import open_database
from bench.store.workspace import CsmsProfile, SavedStation, WorkspaceStore

SECRET = "s3cret-authorization-key"


def reopen(path) -> WorkspaceStore:
    return WorkspaceStore(open_database(path))


def test_profiles_and_stations_survive_closing_and_reopening_the_database(tmp_path):
    path = tmp_path / "bench.db"
    store = reopen(path)
    lab = CsmsProfile("Lab CSMS", "ws://lab.example:9000/ocpp", security_profile=1, password=SECRET)
    store.save_profile(lab)
    store.save_station(SavedStation("CP-2", "dc-50kw", "compact-ev", "Lab CSMS", 60.0, False))
    store.save_station(SavedStation("CP-1", "ac-11kw", "family-ev", "Built-in CSMS"))
    store.set_setting("tags", {"TAG-1": {"status": "Blocked"}})
    store.conn.close()

    again = reopen(path)
    assert again.profiles() == [lab]
    assert again.profiles()[0].password == SECRET
    assert [s.station_id for s in again.stations()] == ["CP-2", "CP-1"]  # order of adding
    assert again.stations()[0] == SavedStation(
        "CP-2", "dc-50kw", "compact-ev", "Lab CSMS", 60.0, False
    )
    assert again.setting("tags") == {"TAG-1": {"status": "Blocked"}}
    assert again.setting("never-set", "default") == "default"
    again.conn.close()


def test_updating_a_station_keeps_its_place_in_the_list(tmp_path):
    store = reopen(tmp_path / "bench.db")
    for sid in ("A", "B", "C"):
        store.save_station(SavedStation(sid, "ac-11kw", "family-ev", "Built-in CSMS"))
    store.save_station(SavedStation("A", "dc-50kw", "dc-fast-ev", "Built-in CSMS", 2.0))
    store.set_running("B", False)
    store.delete_station("C")
    stations = store.stations()
    assert [s.station_id for s in stations] == ["A", "B"]
    assert stations[0].template == "dc-50kw" and stations[0].speed == 2.0
    assert stations[1].running is False
    store.conn.close()


def test_renaming_a_profile_moves_its_stations_and_a_used_profile_cannot_be_deleted(tmp_path):
    store = reopen(tmp_path / "bench.db")
    store.save_profile(CsmsProfile("Old", "ws://h:1/"))
    store.save_station(SavedStation("CP-1", "ac-11kw", "family-ev", "Old"))
    store.save_profile(CsmsProfile("New", "ws://h:2/"), old_name="Old")
    assert [p.name for p in store.profiles()] == ["New"]
    assert store.stations()[0].profile == "New"
    with pytest.raises(ValueError, match="used by 1 station"):
        store.delete_profile("New")
    store.delete_station("CP-1")
    store.delete_profile("New")
    assert store.profiles() == []
    store.conn.close()


def test_the_built_in_profile_is_never_stored(tmp_path):
    store = reopen(tmp_path / "bench.db")
    with pytest.raises(ValueError, match="built-in"):
        store.save_profile(CsmsProfile("Built-in CSMS", "ws://127.0.0.1:1/", builtin=True))
    store.conn.close()


def test_a_profile_never_shows_its_password_in_its_repr():
    profile = CsmsProfile("Lab", "ws://lab:9000/", security_profile=1, password=SECRET)
    assert SECRET not in repr(profile)
    assert SECRET not in str(profile)


def test_the_link_config_passes_only_what_the_security_profile_uses():
    """Whitepaper §2.2-§2.5: profile 0 sends no password; 3 uses a client certificate."""
    kept = CsmsProfile("Lab", "ws://lab:9000/", security_profile=0, password=SECRET)
    cfg = kept.link_config("CP-1")
    assert cfg.password is None and cfg.profile == 0
    basic = CsmsProfile("Lab", "ws://lab:9000/", security_profile=1, password=SECRET)
    assert basic.link_config("CP-1").password == SECRET
    assert basic.link_config("CP-1").profile == 1
    tls = CsmsProfile(
        "Lab",
        "wss://lab:9000/",
        security_profile=3,
        password=SECRET,
        ca_file="/ca.pem",
        cert_file="/c.pem",
        key_file="/c.key",
    )
    cfg3 = tls.link_config("CP-1")
    assert (cfg3.profile, cfg3.ca_file, cfg3.cert_file, cfg3.key_file) == (
        3,
        "/ca.pem",
        "/c.pem",
        "/c.key",
    )


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        (CsmsProfile("X", "http://lab:9000/"), "must start with ws:// or wss://"),
        (CsmsProfile("X", "ws://lab:9000/", security_profile=1), "needs a password"),
        (CsmsProfile("X", "ws://lab/", security_profile=2, password="p"), "needs a wss:// URL"),
        (CsmsProfile("X", "wss://lab/", security_profile=1, password="p"), "uses ws://"),
        (CsmsProfile("X", "wss://lab/", security_profile=3), "client certificate"),
        (CsmsProfile("X", "ws://lab/", ocpp_version="2.1"), "not available yet"),
        (CsmsProfile(" ", "ws://lab/"), "needs a name"),
    ],
)
def test_an_unusable_profile_is_refused_with_a_clear_message(profile, message):
    with pytest.raises(ValueError, match=message):
        profile.check()
