"""Network faults on a proxied station's legs (issue 17): per station, per side, kept.

Each proxied station has one ``NetworkFaults`` per side ("charger": the leg between
the charger and the bench, "csms": the leg between the bench and the CSMS). Every
leg the proxy opens for that station is wrapped in it as it connects, so a fault
set once applies to the open leg at once and to the fresh legs of each reconnect,
until ``off`` clears it. A station's faults outlive its connection on purpose: a
charger that reboots comes back into the same bad network.

What happens to frames is ``bench.transport.impair``'s (latency, loss, duplicate,
reorder, bandwidth, halfopen, flap). The two faults that act when a connection
opens are the CSMS side's only: ``dnsfail`` and ``tlsfail`` make the proxy's
upstream connection fail, and the charger hears the proxy's 502 as it would for a
CSMS it cannot reach. On the charger side the charger resolves names and makes
its own TLS handshake, out of the proxy's hands, so they are refused there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.model.clock import Timers
from bench.proxy.station import CHARGER, CSMS
from bench.transport.impair import ImpairedLink, NetworkFaults
from bench.transport.impair_spec import (
    NO_IMPAIRMENT,
    Impairment,
    ImpairmentError,
    parse_impairment,
)

__all__ = ["SIDES", "LegFaults", "check_side"]

SIDES = (CHARGER, CSMS)


def check_side(side: str, impairment: Impairment) -> None:
    """``ImpairmentError`` for a side that is not a leg, or a fault that side cannot have."""
    if side not in SIDES:
        raise ImpairmentError(f"side must be {CHARGER!r} or {CSMS!r}, got {side!r}")
    if side == CHARGER and (impairment.dns_fail or impairment.tls_fail):
        raise ImpairmentError(
            "dnsfail and tlsfail act where the charger opens its connection, out of the "
            "proxy's hands; set them on the csms side (the proxy's upstream connection)"
        )


class LegFaults:
    """The network faults of every proxied station's legs, by station id and side."""

    def __init__(
        self,
        timers: Timers,
        *,
        charger_default: Impairment = NO_IMPAIRMENT,
        on_change: Callable[[str, str, Impairment], None] | None = None,
    ) -> None:
        check_side(CHARGER, charger_default)
        self.timers = timers
        # What a station that has no faults of its own yet starts with (--impair).
        self.charger_default = charger_default
        self._faults: dict[tuple[str, str], NetworkFaults] = {}
        self._on_change = on_change

    def of(self, station_id: str, side: str) -> NetworkFaults:
        """The faults of one leg of ``station_id``, made on first use."""
        key = (station_id, side)
        found = self._faults.get(key)
        if found is None:
            check_side(side, NO_IMPAIRMENT)
            found = self._faults[key] = NetworkFaults(self.timers, seed=f"{station_id}:{side}")
            if side == CHARGER and self.charger_default.active:
                found.set(self.charger_default)
        return found

    def apply(self, station_id: str, spec: str, side: str = CHARGER) -> Impairment:
        """Change one leg's faults by a spec string ("latency 800ms", "off"); what is in
        force now. ``ImpairmentError`` (a ``ValueError``) leaves them as they were."""
        faults = self.of(station_id, side)
        wanted = parse_impairment(spec, faults.current)
        check_side(side, wanted)
        faults.set(wanted)
        if self._on_change is not None:
            self._on_change(station_id, side, wanted)
        return wanted

    def current(self, station_id: str, side: str = CHARGER) -> Impairment:
        found = self._faults.get((station_id, side))
        if found is not None:
            return found.current
        check_side(side, NO_IMPAIRMENT)
        return self.charger_default if side == CHARGER else NO_IMPAIRMENT

    def wrap(self, station_id: str, side: str, link: Any) -> ImpairedLink:
        """``link`` inside the faults of that leg (a ``LegWrapper`` of bench.proxy.server)."""
        return self.of(station_id, side).wrap(link, direct_when_clear=False)

    def refusal(self, station_id: str) -> str | None:
        """Why the upstream connection of ``station_id`` must fail now (dnsfail, tlsfail)."""
        faults = self._faults.get((station_id, CSMS))
        if faults is None:
            return None
        impairment = faults.current
        if impairment.dns_fail:
            faults.counters.failed_opens += 1
            return "the CSMS host name no longer resolves (impair dnsfail)"
        if impairment.tls_fail:
            faults.counters.failed_opens += 1
            return "the TLS handshake with the CSMS failed (impair tlsfail)"
        return None

    def describe(self, station_id: str) -> str:
        """Both legs' faults in words: ``charger leg: latency 800ms; csms leg: off``."""
        return "; ".join(
            f"{side} leg: {self.current(station_id, side).describe()}" for side in SIDES
        )
