"""The shape every 2.0.1 functional block has (ARCHITECTURE rule 3).

A block is one module per functional block of part 2 (authorization, transactions,
smart charging, ...). It gets the station's services at construction (``StationHost``:
model, clock, tasks, session, events, device model; never another block) plus a
typed port of each other block it talks to (``bench.ocpp.v201.ports``), and joins in
through these hooks; all of them are optional. The charge point calls them in the
order the blocks are listed in ``ChargePoint201.blocks``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, Protocol

from bench.ocpp.common.station_link import StationLink

if TYPE_CHECKING:
    from bench.ocpp.api import RebootKind
    from bench.ocpp.v201.device_model import AttributeType, DeviceModel
    from bench.ocpp.v201.status import ConnectorStatus
    from bench.store.config import StateStore
    from bench.store.faults import StoreHealth

Handler = Callable[[dict[str, Any]], Awaitable[Any]]
# TriggerMessage (F06): requestedMessage -> send it; the argument is the request's "evse" or None.
Trigger = Callable[[dict[str, Any] | None], Coroutine[Any, Any, None]]


class StationHost(StationLink, Protocol):
    """What a block may use of the station it runs in: its services, not its blocks.

    ``ChargePoint201`` is the one implementation. The type names no block, so a
    block reaches another only through the port it was given at construction.
    """

    boot_reason: str | None  # the next BootNotification's reason (a trigger sets it)

    @property
    def state(self) -> StateStore: ...
    @property
    def storage(self) -> StoreHealth: ...
    @property
    def db(self) -> sqlite3.Connection: ...
    @property
    def device_model(self) -> DeviceModel: ...
    @property
    def registration(self) -> str: ...
    @property
    def link_state(self) -> str: ...

    # device model
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

    # EVSEs and their statuses
    def evse_ids(self) -> list[int]: ...
    def status_of(self, evse_id: int) -> ConnectorStatus: ...
    def resend_status(self, evse_id: int | None = None) -> None: ...

    # the station's own link and power
    def boot_now(self) -> None: ...
    async def send_heartbeat(self) -> None: ...
    async def drop_link(self) -> None: ...
    async def reboot(self, kind: RebootKind = ...) -> None: ...
    async def reboot_as(self, reason: str = "RemoteReset") -> None: ...


class Block:
    __slots__ = ("cp",)

    def __init__(self, cp: StationHost) -> None:
        # ``cp``: the station's services (``StationHost``), not the charge point's blocks.
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
