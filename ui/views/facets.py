"""The facet a panel is built around (``ChargePointApi.facet``), or a clear error."""

from __future__ import annotations

from typing import TypeVar

from bench.ocpp.api import ChargePointApi

F = TypeVar("F")


def required(cp: ChargePointApi, kind: type[F]) -> F:
    """``cp``'s ``kind`` facet; a panel is only built for a station that has it."""
    found = cp.facet(kind)
    if found is None:
        raise ValueError(f"{cp.station_id} has no {kind.__name__}")
    return found
