"""The line ``ocpp-bench run`` ends with when the disk refused writes (bench/unsaved.py)."""

from __future__ import annotations

from collections import Counter

from bench.unsaved import LostFrames, Unsaved


def test_the_line_names_each_kind_of_loss_and_where_it_was_meant_to_go():
    lost = Unsaved(
        database="station.db",
        reason="database or disk is full",
        messages=Counter({"MeterValues": 26, "StopTransaction": 1}),
        values=3,
        resend=2,
        frames=(LostFrames("station.db", 100, 20), LostFrames("frames.jsonl", 5, 0)),
    )
    assert lost.line() == (
        "not saved, the disk refused the writes (database or disk is full): "
        "27 queued messages (MeterValues 26, StopTransaction 1), 3 station values and "
        "120 logged frames (20 dropped during the run) for station.db, "
        "5 logged frames for frames.jsonl; "
        "2 delivered messages were not removed from station.db "
        "and will be sent again on the next start"
    )


def test_nothing_lost_is_nothing_to_say():
    assert not Unsaved(database="station.db", reason="database or disk is full")
