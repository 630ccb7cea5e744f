"""The shape every 2.0.1 functional block has (ARCHITECTURE rule 3).

A block is one module per functional block of part 2 (authorization, transactions,
smart charging, ...). It gets the station's services at construction, never another
block: as few of the small roles below as it uses (``Services``: model, clock, tasks,
events; ``Messaging``: the OCPP session and whether the CSMS accepted us; ``Variables``:
the device model; ``Persistence``: the state store and database; ``Evses``: EVSEs and
their statuses; ``Link``: the connection and the boot; ``Power``: the power cycle),
combined in a protocol of its own, or the whole ``StationHost``. It
also gets a typed port of each other block it talks to (``bench.ocpp.v201.ports``),
and joins in through these hooks; all of them are optional. The charge point, which
plays every role, calls them in the order the blocks are listed in
``ChargePoint201.blocks``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from bench.ocpp.common.station_link import StationLink

if TYPE_CHECKING:
    from bench.kernel.supervisor import Supervisor
    from bench.model.clock import Clock
    from bench.model.events import Emitter
    from bench.model.station import Station
    from bench.ocpp.api import RebootKind
    from bench.ocpp.session import OcppSession
    from bench.ocpp.v201.device_model import AttributeType, DeviceModel
    from bench.ocpp.v201.status import ConnectorStatus
    from bench.store.config import StateStore
    from bench.store.faults import StoreHealth
    from bench.transport.config import LinkConfig

Handler = Callable[[dict[str, Any]], Awaitable[Any]]
# TriggerMessage (F06): requestedMessage -> send it; the argument is the request's "evse" or None.
Trigger = Callable[[dict[str, Any] | None], Coroutine[Any, Any, None]]


class Services(Protocol):
    """The station's model, time, background work and event bus."""

    @property
    def station(self) -> Station: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def tasks(self) -> Supervisor: ...
    @property
    def events(self) -> Emitter: ...

    def physics_rate_changed(self) -> None:
        """Something the physics times its next tick by changed (an allowance, monitors)."""
        ...

    def settle_physics(self) -> None:
        """Bring the measured values (Power, Temperature) up to now before they are read."""
        ...


class Messaging(Protocol):
    """The OCPP session to the CSMS and whether it may carry a request now."""

    @property
    def session(self) -> OcppSession: ...
    @property
    def accepted(self) -> bool: ...  # BootNotification accepted, link up
    @property
    def online(self) -> bool: ...  # link up
    @property
    def registration(self) -> str: ...  # the last BootNotification's status


class Variables(Protocol):
    """The device model: read a variable, write the station's own, announce a change."""

    @property
    def device_model(self) -> DeviceModel: ...
    def variable(
        self,
        component: str,
        variable: str,
        instance: str | None = None,
        attribute: AttributeType = ...,
    ) -> str | None: ...
    def flag(self, component: str, variable: str, instance: str | None = None) -> bool: ...
    def number(self, component: str, variable: str, instance: str | None = None) -> float: ...
    def set_own_variable(
        self, component: Any, variable: Any, value: str, attribute: AttributeType = ...
    ) -> None: ...
    def variable_changed(self, component: Any, variable: Any) -> None: ...


class Persistence(Protocol):
    """Where a block keeps what survives a restart."""

    @property
    def state(self) -> StateStore: ...
    @property
    def storage(self) -> StoreHealth: ...
    @property
    def db(self) -> sqlite3.Connection: ...


class Evses(Protocol):
    """The station's EVSEs and the statuses it reports for them (G01)."""

    def evse_ids(self) -> list[int]: ...
    def status_of(self, evse_id: int) -> ConnectorStatus: ...
    def resend_status(self, evse_id: int | None = None) -> None: ...
    def status_may_have_changed(self) -> None: ...  # recompute; send what changed


class Link(Protocol):
    """The station's own connection to the CSMS: how it connects, its state, the boot (B01)."""

    boot_reason: str | None  # the next BootNotification's reason (a trigger sets it)

    @property
    def link_config(self) -> LinkConfig: ...
    @property
    def link_state(self) -> str: ...
    def boot_now(self) -> None: ...
    async def send_heartbeat(self) -> None: ...
    async def drop_link(self) -> None: ...


class Power(Protocol):
    """The station's power cycle (Reset, firmware install)."""

    async def reboot(self, kind: RebootKind = ...) -> None: ...
    async def reboot_as(self, reason: str = "RemoteReset") -> None: ...


class StationHost(
    StationLink, Services, Messaging, Variables, Persistence, Evses, Link, Power, Protocol
):
    """Every service a block may use of the station it runs in: its services, not its blocks.

    ``ChargePoint201`` is the one implementation. The type names no block, so a
    block reaches another only through the port it was given at construction. A
    block that needs less asks for less (the roles above).
    """


# What a block was given of the station: ``StationHost`` or a protocol of fewer roles.
HostT = TypeVar("HostT")


class Block(Generic[HostT]):
    __slots__ = ("cp",)

    def __init__(self, cp: HostT) -> None:
        # ``cp``: the station's services this block uses, not the charge point's blocks.
        self.cp = cp

    def handlers(self) -> dict[str, Handler]:
        """CSMS-initiated actions this block answers."""
        return {}

    def triggers(self) -> dict[str, Trigger]:
        """MessageTriggerEnumType values this block can send on a TriggerMessage (F06)."""
        return {}

    def on_start(self) -> None:
        """Power on, before the first connection: recover what a previous run left."""

    def on_accepted(self) -> None:
        """After every accepted BootNotification and every reconnect while accepted."""

    def on_link_down(self) -> None:
        """The connection to the CSMS closed."""

    def on_model_event(self, event: Any) -> None:
        """The station model changed (bench.model events)."""

    def on_physics(self) -> None:
        """Every physics tick while a transaction runs."""

    def on_variable_changed(self, component: str, variable: str, instance: str | None) -> None:
        """A device-model value changed (SetVariables or the station itself)."""

    def on_reboot(self) -> None:
        """The station is about to power-cycle (Reset, firmware install)."""

    async def on_stop(self) -> None:
        """The station is shutting down: flush or persist what must survive."""
