"""The shape of a station the graphs need, for a station the bench does not simulate.

A recorded session (``bundle_source``) and a proxied charger (``proxied_source``) have
no model station; the graph view reads only its connectors' ids and whether it is AC
or DC on how many phases, which these small records carry.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ConnectorShape:
    id: int


@dataclass(frozen=True, slots=True)
class TemplateShape:
    current_type: str
    phases: int


@dataclass(frozen=True, slots=True)
class StationShape:
    connectors: tuple[ConnectorShape, ...]
    template: TemplateShape
