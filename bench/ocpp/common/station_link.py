"""What the shared OCPP helpers need of a station: its services, none of its blocks.

``transfer_jobs`` and ``tx_delivery`` run for a 1.6 or a 2.0.1 charge point (both
``ChargePointBase``); typing them on these protocols lets a block hand them the
narrow host it was built with instead of the whole charge point. ``DeliveryHost``
is what delivering queued transaction messages needs; ``StationLink`` adds what
file transfers need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bench.kernel.supervisor import Supervisor
    from bench.model.clock import Clock
    from bench.model.events import Emitter
    from bench.model.station import Station
    from bench.ocpp.session import OcppSession
    from bench.transport.config import LinkConfig


class DeliveryHost(Protocol):
    @property
    def station(self) -> Station: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def tasks(self) -> Supervisor: ...
    @property
    def session(self) -> OcppSession: ...
    @property
    def accepted(self) -> bool: ...
    @property
    def online(self) -> bool: ...

    def status_may_have_changed(self) -> None: ...

    def physics_rate_changed(self) -> None:
        """Something the physics times its next tick by changed (an energy allowance)."""
        ...


class StationLink(DeliveryHost, Protocol):
    @property
    def events(self) -> Emitter: ...
    @property
    def link_config(self) -> LinkConfig: ...

    async def wait_accepted(self, timeout: float) -> None: ...
