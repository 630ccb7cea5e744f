"""The Local Authorization List: its SQLite store and the SendLocalList rules (1.6 §5.15)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bench.kernel.supervisor import Supervisor
from bench.model.clock import ManualClock
from bench.model.templates import build_station, load_station_template
from bench.model.transaction import Reservation
from bench.ocpp.session import OcppSession
from bench.ocpp.v16.config import Configuration
from bench.ocpp.v16.keys import ALL_KEYS
from bench.ocpp.v16.local_list import LocalAuthList
from bench.ocpp.v16.reservation import matches
from bench.ocpp.v16.status import StatusReport
from bench.store.db import open_database
from bench.store.locallist import LocalListStore
from bench.transport.memory import memory_pair

OK = {"status": "Accepted"}


@pytest.fixture
def db(tmp_path: Path):
    conn = open_database(tmp_path / "store.db")
    yield conn
    conn.close()


class Offline:
    """The link and status ports of a charge point that is not connected."""

    online = False
    accepted = False

    def status_may_have_changed(self) -> None:
        pass

    def status_of(self, connector_id: int) -> StatusReport:
        return StatusReport("Available")


def make_list(db, **keys: str) -> tuple[LocalAuthList, Configuration]:
    """A LocalAuthList with its real collaborators (config, store, manual clock), offline."""
    config = Configuration(ALL_KEYS, {})
    for name, value in keys.items():
        config.set(name, value)
    clock = ManualClock(datetime(2025, 1, 1, tzinfo=UTC))
    station = build_station("CP1", load_station_template("ac-11kw"), clock)
    session = OcppSession(
        memory_pair(("station", "csms"))[0], version="1.6", station_id="CP1", handlers={}
    )
    local_list = LocalAuthList(
        station,
        db=db,
        clock=clock,
        config=config,
        tasks=Supervisor("CP1", clock=clock),
        session=session,
        link=Offline(),
        statuses=Offline(),
    )
    return local_list, config


def req(version: int, kind: str, *entries: tuple[str, dict[str, Any] | None]) -> dict[str, Any]:
    items = []
    for tag, info in entries:
        item: dict[str, Any] = {"idTag": tag}
        if info is not None:
            item["idTagInfo"] = info
        items.append(item)
    return {"listVersion": version, "updateType": kind, "localAuthorizationList": items}


def test_the_store_starts_empty_at_version_zero(db) -> None:
    store = LocalListStore(db, "CP1")
    assert store.version == 0
    assert len(store) == 0
    assert store.get("A") is None


def test_a_full_replacement_and_a_differential_update_survive_reopening_the_file(
    tmp_path: Path,
) -> None:
    """1.6 §3.5.2: the list SHOULD be kept in non-volatile memory across reboots."""
    path = tmp_path / "store.db"
    conn = open_database(path)
    store = LocalListStore(conn, "CP1")
    store.replace(3, {"A": OK, "B": {"status": "Blocked"}})
    store.apply(4, [("B", None), ("C", {"status": "Accepted", "parentIdTag": "P"})])
    conn.close()
    conn = open_database(path)
    store = LocalListStore(conn, "CP1")
    assert store.version == 4
    assert store.entries() == {"A": OK, "C": {"status": "Accepted", "parentIdTag": "P"}}
    conn.close()


def test_id_tags_are_case_insensitive_in_the_store(db) -> None:
    """1.6 §7.15, §7.28: IdToken is a CiString."""
    store = LocalListStore(db, "CP1")
    store.replace(1, {"abc": OK})
    assert store.get("ABC") == OK
    store.apply(2, [("ABC", {"status": "Blocked"})])
    assert len(store) == 1
    assert store.get("abc") == {"status": "Blocked"}


def test_two_stations_keep_separate_lists_in_one_file(db) -> None:
    one, two = LocalListStore(db, "CP1"), LocalListStore(db, "CP2")
    one.replace(5, {"A": OK})
    assert two.version == 0 and "A" not in two
    assert one.version == 5 and "A" in one


def test_a_differential_update_adds_updates_and_deletes_entries(db) -> None:
    """1.6 §7.1: with idTagInfo an entry is added or updated, without it deleted."""
    lst, _config = make_list(db)
    assert lst.update(req(1, "Full", ("A", OK), ("B", OK))) == "Accepted"
    assert lst.update(req(2, "Differential", ("A", None), ("B", {"status": "Blocked"}))) == (
        "Accepted"
    )
    assert lst.update(req(3, "Differential", ("C", OK))) == "Accepted"
    assert lst.store.entries() == {"B": {"status": "Blocked"}, "C": OK}
    assert lst.version == 3


@pytest.mark.parametrize("version", [1, 2])
def test_a_differential_update_that_is_not_newer_gets_version_mismatch(db, version: int) -> None:
    """1.6 §7.47 VersionMismatch: differential version less than or equal to the current."""
    lst, _config = make_list(db)
    lst.update(req(2, "Full", ("A", OK)))
    assert lst.update(req(version, "Differential", ("B", OK))) == "VersionMismatch"
    assert "B" not in lst.store


def test_get_local_list_version_is_zero_for_an_empty_list_and_minus_one_when_disabled(db) -> None:
    """1.6 §5.10."""
    lst, config = make_list(db)
    assert lst.version == 0
    lst.update(req(7, "Full"))
    assert lst.version == 0  # empty, whatever version came with it
    lst.update(req(8, "Full", ("A", OK)))
    assert lst.version == 8
    config.set("LocalAuthListEnabled", "false")
    assert lst.version == -1


@pytest.mark.parametrize(
    ("request_", "why"),
    [
        (req(1, "Full", ("A", OK), ("a", OK)), "duplicate idTags (§6.41)"),
        (req(1, "Full", ("A", None)), "Full entry without idTagInfo (§7.1)"),
        (req(0, "Full", ("A", OK)), "listVersion 0 (errata 3.52)"),
        (req(1, "Full", ("A", OK), ("B", OK), ("C", OK), ("D", OK)), "over SendLocalListMaxLength"),
    ],
)
def test_a_malformed_or_oversized_request_fails_and_leaves_the_list_alone(
    db, request_: dict[str, Any], why: str
) -> None:
    lst, _config = make_list(db, SendLocalListMaxLength="3")
    lst.update(req(1, "Full", ("KEEP", OK)))
    assert lst.update(request_) == "Failed", why
    assert lst.store.entries() == {"KEEP": OK}


def test_a_list_that_would_outgrow_local_auth_list_max_length_fails(db) -> None:
    """1.6 §9.2.2 LocalAuthListMaxLength bounds the stored list, not one request."""
    lst, _config = make_list(db, LocalAuthListMaxLength="2")
    assert lst.update(req(1, "Full", ("A", OK), ("B", OK))) == "Accepted"
    assert lst.update(req(2, "Differential", ("C", OK))) == "Failed"
    # Deleting one while adding one keeps it within bounds.
    assert lst.update(req(2, "Differential", ("A", None), ("C", OK))) == "Accepted"
    assert set(lst.store.entries()) == {"B", "C"}


def test_a_disabled_list_answers_not_supported_and_authorizes_nobody(db) -> None:
    """1.6 §9.2.1 LocalAuthListEnabled."""
    lst, config = make_list(db)
    lst.update(req(1, "Full", ("A", OK)))
    config.set("LocalAuthListEnabled", "false")
    assert lst.update(req(2, "Full", ("B", OK))) == "NotSupported"
    assert lst.lookup("A") is None
    assert not lst.knows("A")


def test_an_expired_entry_reads_as_expired_without_changing_the_list(db) -> None:
    """1.6 §3.5.4; §3.5.2: only SendLocalList changes the list."""
    lst, _config = make_list(db)
    info = {"status": "Accepted", "expiryDate": "2024-12-31T23:00:00Z"}
    lst.update(req(1, "Full", ("A", info)))
    assert lst.lookup("A") == {**info, "status": "Expired"}
    assert lst.store.get("A") == info


def test_a_reservation_matches_its_tag_its_parent_and_tags_of_the_same_group() -> None:
    """1.6 §5.13: the incoming idTag or parent idTag against the reservation's."""
    res = Reservation(1, "CHILD-A", datetime(2030, 1, 1, tzinfo=UTC), "FLEET")
    assert matches(res, "child-a", None)
    assert matches(res, "CHILD-B", "FLEET")
    assert matches(res, "FLEET", None)
    assert not matches(res, "OTHER", None)
    assert not matches(res, "OTHER", "ELSEWHERE")
