"""The CSMS tag list on disk (bench/csms/tag_store.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.csms.config import ConfigError, TagEntry, load_tags
from bench.csms.tag_store import TagStore


def test_a_saved_tag_list_loads_back_with_status_expiry_and_parent(tmp_path: Path):
    """1.6 §7.28 IdTagInfo: status, expiryDate and parentIdTag all survive the round trip."""
    store = TagStore(tmp_path / "data")
    assert store.load() is None  # nothing saved yet: the caller keeps its defaults
    tags = {
        "CARD-1": TagEntry("Accepted"),
        "CARD-2": TagEntry("Blocked", parent_id_tag="FLEET"),
        "CARD-3": TagEntry("Accepted", expiry_date=datetime(2030, 1, 1, tzinfo=UTC)),
    }
    store.save(tags)
    assert store.load() == tags
    assert load_tags(store.path) == tags  # the same file the CSMS CLI reads with --tags
    assert not store.path.with_name(store.path.name + ".tmp").exists()


def test_saving_replaces_the_previous_list(tmp_path: Path):
    store = TagStore(tmp_path)
    store.save({"A": TagEntry("Accepted"), "B": TagEntry("Invalid")})
    store.save({"B": TagEntry("Expired")})
    assert store.load() == {"B": TagEntry("Expired")}


def test_a_corrupt_file_is_reported_not_ignored(tmp_path: Path):
    store = TagStore(tmp_path)
    store.path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid JSON"):
        store.load()
