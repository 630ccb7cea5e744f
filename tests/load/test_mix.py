"""The mix file: shipped mixes, checks on a user's file, shares met over any run of stations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.load.mix import MixError, load_mix, parse_mix, shipped_mixes


def test_the_three_shipped_mixes_load_by_name():
    assert shipped_mixes() == ["boot-storm", "reconnect-storm", "steady-charging"]
    steady = load_mix("steady-charging")
    assert steady.charging is not None and steady.charging.share == 0.5
    assert steady.charging.meter_interval_s == 60
    storm = load_mix("reconnect-storm").reconnect_storm
    assert storm is not None and storm.down_s > 0
    assert load_mix("boot-storm").charging is None


def test_a_mix_file_by_path_is_read_and_a_misspelt_field_is_refused(tmp_path: Path):
    good = tmp_path / "mine.json"
    good.write_text(json.dumps({"stations": 7, "groups": [{"share": 1, "station": "dc-50kw"}]}))
    mix = load_mix(str(good))
    assert (mix.name, mix.stations, mix.groups[0].station) == ("mine", 7, "dc-50kw")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"stations": 7, "charing": {}}))
    with pytest.raises(MixError, match="charing"):
        load_mix(str(bad))


def test_an_unknown_mix_name_lists_the_shipped_ones():
    with pytest.raises(MixError, match="steady-charging"):
        load_mix("no-such-mix")


def test_group_shares_and_the_charging_share_hold_over_a_hundred_consecutive_stations():
    mix = parse_mix(
        {
            "groups": [{"share": 3, "station": "ac-11kw"}, {"share": 1, "ocpp": "2.0.1"}],
            "charging": {"share": 0.5},
        }
    )
    groups = [mix.group_for(n).ocpp for n in range(1000, 1100)]
    assert 70 <= groups.count(None) <= 80
    assert 45 <= sum(mix.charges(n) for n in range(1000, 1100)) <= 55


def test_a_group_with_an_unknown_ocpp_version_is_refused():
    with pytest.raises(MixError, match=r"1\.5"):
        parse_mix({"groups": [{"share": 1, "ocpp": "1.5"}]})


def test_a_remote_start_share_is_a_fraction_and_marks_the_mix_as_needing_the_csms():
    mix = parse_mix({"charging": {"share": 1, "remote_start_share": 0.25}})
    assert mix.charging is not None and mix.charging.remote_start_share == 0.25
    assert mix.remote_starts
    assert not load_mix("steady-charging").remote_starts  # shipped mixes start locally
    with pytest.raises(MixError, match="remote_start_share"):
        parse_mix({"charging": {"remote_start_share": 1.5}})
