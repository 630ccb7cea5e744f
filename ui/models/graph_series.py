"""What the live graphs draw, worked out from sample columns (Qt-free, numpy only).

Two jobs the graph widget leaves to plain functions so they can be tested on numbers:

* ``fit_axis``: a y axis from zero that holds every trace, with ticks at round
  values and one tick at or above the highest value, so a flat trace along the
  top always has a labelled tick at or above it (5.5 kW reads against 0, 2, 4, 6,
  not against 2 and 4).
* ``split_phases``: three phase currents as a lab engineer reads them. Where the
  shown phases carry the same current (the usual balanced three-phase EV) one
  line stands for all of them and is labelled so ("L1 = L2 = L3"); where only
  two coincide, one line stands for that pair ("L1 = L3") and the third phase
  is its own line; where they all differ, each phase is its own solid line in its
  own colour. Lines that lie on top of each other cannot be told apart however
  they are dashed, and a vertical offset would misstate the values; a line that
  says which phases it stands for is read at a glance, and the readout gives
  each phase's exact value under the cursor. Where a phase leaves or rejoins a
  shared line, its own line also takes the neighbouring sample, so the step is
  drawn as an edge rather than as a gap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations

import numpy as np

MAX_INTERVALS = 4  # at most five labels on a plot about 100 px high
HEADROOM = 1.06  # the top tick sits a little below the frame: its label fits, traces too
SAME_FRACTION = 0.01  # phases closer than 1 % of the axis (about a pixel) coincide


@dataclass(frozen=True, slots=True)
class AxisFit:
    top: float  # the view's upper bound
    ticks: tuple[float, ...]  # labelled values, from 0 up to the first at or above the peak
    step: float


def fit_axis(peak: float) -> AxisFit:
    """A zero-based axis for values up to ``peak``: steps of 1, 2 or 5 x 10^n."""
    if not math.isfinite(peak) or peak <= 0:
        peak = 1.0
    exponent = math.floor(math.log10(peak / MAX_INTERVALS))
    step = 0.0
    intervals = 0
    for power in (exponent, exponent + 1):
        for mantissa in (1.0, 2.0, 5.0):
            step = mantissa * 10.0**power
            intervals = math.ceil(peak / step - 1e-9)
            if intervals <= MAX_INTERVALS:
                break
        else:
            continue
        break
    digits = max(0, -math.floor(math.log10(step)) + 1)
    ticks = tuple(round(k * step, digits) for k in range(intervals + 1))
    return AxisFit(top=ticks[-1] * HEADROOM, ticks=ticks, step=step)


def tick_text(value: float, step: float) -> str:
    """A tick label with as many decimals as the step needs (0.5 → "0.5", 5 → "5")."""
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    return f"{value:.{decimals}f}"


@dataclass(frozen=True, slots=True)
class PhaseGroup:
    label: str  # "L1 = L2 = L3", "L1 = L3"
    values: np.ndarray  # the shared value where these phases coincide, else NaN
    complete: bool  # every shown phase is in it


@dataclass(frozen=True, slots=True)
class PhaseLines:
    groups: tuple[PhaseGroup, ...]  # only the groups that coincide somewhere
    each: tuple[np.ndarray, ...]  # per phase: its value where it is on its own, else NaN


def split_phases(
    currents: tuple[np.ndarray, ...],
    names: tuple[str, ...],
    shown: tuple[bool, ...],
    tolerance: float,
) -> PhaseLines:
    """Split phase currents into shared lines and per-phase lines (see the module).

    At each sample the largest set of shown phases that coincide (within
    ``tolerance``) is drawn as one line; the phases outside it are drawn alone.
    """
    n = len(currents[0]) if currents else 0
    nothing = np.full(n, np.nan)
    present = [i for i, column in enumerate(currents) if shown[i] and not np.all(np.isnan(column))]
    grouped = {i: np.zeros(n, dtype=bool) for i in present}
    groups: list[PhaseGroup] = []
    for size in range(len(present), 1, -1):
        for members in combinations(present, size):
            stack = np.vstack([currents[i] for i in members])
            finite = np.all(np.isfinite(stack), axis=0)
            free = ~np.any(np.vstack([grouped[i] for i in members]), axis=0)
            with np.errstate(invalid="ignore"):
                spread = np.where(finite, stack.max(axis=0) - stack.min(axis=0), np.inf)
            active = finite & free & (spread <= tolerance)
            if not active.any():
                continue
            for i in members:
                grouped[i] |= active
            label = " = ".join(names[i] for i in members)
            values = np.where(active, stack.mean(axis=0), np.nan)
            groups.append(PhaseGroup(label, values, size == len(present)))
    each = []
    for i, column in enumerate(currents):
        if i not in present:
            each.append(nothing)
            continue
        alone = ~grouped[i] & np.isfinite(column)
        # Also the sample on each side of a stretch alone: the edge between the shared
        # level and the phase's own level is drawn (sample-and-hold), not a gap.
        near = alone.copy()
        near[1:] |= alone[:-1]
        near[:-1] |= alone[1:]
        each.append(np.where(near, column, np.nan))
    return PhaseLines(groups=tuple(groups), each=tuple(each))
