"""Network faults on a station's link, from the app (issue 17, part 2).

The presets are spec strings of ``bench.transport.impair_spec``, the same words
the step language (``impair ...``) and ``ocpp-bench run --impair`` take; a bad
one raises ``ValueError`` with the parser's sentence, which ``perform`` shows.
The target is anything with ``station_id``, ``impair(spec)`` and ``impairment()``:
a bench station (``ChargePointApi``) or one leg of a proxied station
(``ui.operations.proxy.ProxiedLeg``).
"""

from __future__ import annotations

from typing import Protocol

from bench.transport.impair_spec import Impairment


class FaultTarget(Protocol):
    """A link whose network faults the user sets: a station's, or a proxied leg."""

    @property
    def station_id(self) -> str: ...

    def impair(self, spec: str) -> Impairment: ...

    def impairment(self) -> Impairment: ...


# (menu label, spec string): what a lab engineer reaches for first.
PRESETS: tuple[tuple[str, str], ...] = (
    ("Latency 800 ms ± 200 ms", "latency 800ms jitter 200ms"),
    ("Frame loss 5 %", "loss 5%"),
    ("Duplicated frames 5 %", "duplicate 5%"),
    ("Reordered frames 10 %", "reorder 10%"),
    ("Bandwidth 64 kbit/s", "bandwidth 64kbit"),
    ("Half-open link (no data, no pongs)", "halfopen"),
    ("Link drops every 30 s", "flap 30s"),
    ("TLS handshake fails", "tlsfail"),
    ("DNS name stops resolving", "dnsfail"),
)


def impair(cp: FaultTarget, spec: str) -> str:
    """Add the faults of ``spec`` to the station's link; the faults now in force, in words."""
    return cp.impair(spec).describe()


def clear(cp: FaultTarget) -> str:
    return cp.impair("off").describe()


def active(cp: FaultTarget) -> str:
    """The faults in force, in words ("off" for none)."""
    return cp.impairment().describe()
