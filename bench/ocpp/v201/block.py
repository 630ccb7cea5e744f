"""The shape every 2.0.1 functional block has (ARCHITECTURE rule 3).

A block is one module per functional block of part 2 (authorization, transactions,
smart charging, ...). It gets the charge point at construction and joins in through
these hooks; all of them are optional. The charge point calls them in the order the
blocks are listed in ``ChargePoint201.blocks``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.ocpp.v201.charge_point import ChargePoint201

Handler = Callable[[dict[str, Any]], Awaitable[Any]]
# TriggerMessage (F06): requestedMessage -> send it; the argument is the request's "evse" or None.
Trigger = Callable[[dict[str, Any] | None], Awaitable[None]]


class Block:
    __slots__ = ("cp",)

    def __init__(self, cp: ChargePoint201) -> None:
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
