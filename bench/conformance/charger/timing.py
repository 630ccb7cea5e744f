"""Time-limit checks of the charger cases: "send X after the interval", "every x seconds".

A station's timers are its own; the bench sees when frames arrive. An interval is
met when the gap is at least the interval less a little (clock granularity, the
network) and at most the interval plus a margin for a busy station and link.
"""

from __future__ import annotations

from bench.conformance.charger.run import ChargerRun

EARLY_S = 0.5  # a frame this much early still counts as on time
LATE_FACTOR, LATE_S = 1.5, 5.0  # later than interval x 1.5 + 5 s is late


def interval_check(
    ctx: ChargerRun, step: int | None, message: str, first: float, second: float, interval: float
) -> bool:
    gap = second - first
    ok = interval - EARLY_S <= gap <= interval * LATE_FACTOR + LATE_S
    return ctx.check_that(
        step,
        message,
        "(interval)",
        ok,
        f"about {interval:g} s after the previous one",
        f"{gap:.1f} s after",
    )
