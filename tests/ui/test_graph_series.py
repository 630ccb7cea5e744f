"""The numbers behind the graphs: axes with a tick at or above the peak, phases split honestly."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ui.models.graph_series import fit_axis, split_phases, tick_text

NAMES = ("L1", "L2", "L3")
NAN = math.nan


@pytest.mark.parametrize(
    ("peak", "ticks"),
    [
        (0.0, ["0.0", "0.5", "1.0"]),
        (0.85, ["0.0", "0.5", "1.0"]),
        (5.5, ["0", "2", "4", "6"]),
        (10.0, ["0", "5", "10"]),
        (11.04, ["0", "5", "10", "15"]),
        (16.0, ["0", "5", "10", "15", "20"]),
        (125.0, ["0", "50", "100", "150"]),
    ],
)
def test_an_axis_ends_on_a_round_tick_at_or_above_the_peak_with_room_for_its_label(peak, ticks):
    fit = fit_axis(peak)
    assert [tick_text(v, fit.step) for v in fit.ticks] == ticks
    assert fit.ticks[-1] >= peak
    assert fit.ticks[-1] < fit.top <= fit.ticks[-1] * 1.1
    assert 2 <= len(fit.ticks) <= 5


def test_an_axis_without_data_still_has_a_readable_range():
    assert fit_axis(NAN).ticks == fit_axis(0.0).ticks == (0.0, 0.5, 1.0)


def test_equal_phases_become_one_line_named_after_all_of_them():
    same = np.array([16.0, 16.0, 10.0])
    lines = split_phases((same, same.copy(), same.copy()), NAMES, (True, True, True), 0.2)
    assert [(g.label, g.complete) for g in lines.groups] == [("L1 = L2 = L3", True)]
    assert list(lines.groups[0].values) == [16.0, 16.0, 10.0]
    assert all(np.all(np.isnan(each)) for each in lines.each)


def test_phases_within_the_tolerance_coincide_and_the_shared_line_is_their_mean():
    l1, l2, l3 = np.array([16.0]), np.array([16.1]), np.array([15.9])
    lines = split_phases((l1, l2, l3), NAMES, (True, True, True), 0.25)
    assert lines.groups[0].label == "L1 = L2 = L3"
    assert lines.groups[0].values[0] == pytest.approx(16.0)


def test_one_phase_apart_leaves_a_pair_line_and_its_own_line_with_edges():
    l1 = np.full(6, 16.0)
    l2 = np.array([16.0, 16.0, 8.0, 8.0, 16.0, 16.0])
    lines = split_phases((l1, l2, l1.copy()), NAMES, (True, True, True), 0.2)
    labels = [(g.label, g.complete) for g in lines.groups]
    assert labels == [("L1 = L2 = L3", True), ("L1 = L3", False)]
    assert list(np.isnan(lines.groups[0].values)) == [False, False, True, True, False, False]
    assert list(np.isnan(lines.groups[1].values)) == [True, True, False, False, True, True]
    # L2 alone at 2 and 3, plus one sample either side so its steps are drawn.
    assert list(np.nan_to_num(lines.each[1], nan=-1)) == [-1, 16.0, 8.0, 8.0, 16.0, -1]
    assert np.all(np.isnan(lines.each[0])) and np.all(np.isnan(lines.each[2]))


def test_hidden_phases_are_left_out_of_every_line():
    same = np.full(3, 10.0)
    lines = split_phases((same, same.copy(), same.copy()), NAMES, (True, False, True), 0.2)
    assert [g.label for g in lines.groups] == ["L1 = L3"]
    assert np.all(np.isnan(lines.each[1]))


def test_a_single_line_station_has_no_shared_line():
    l1 = np.array([16.0, 16.0])
    missing = np.full(2, NAN)
    lines = split_phases((l1, missing, missing), NAMES, (True, True, True), 0.2)
    assert lines.groups == ()
    assert list(lines.each[0]) == [16.0, 16.0]
