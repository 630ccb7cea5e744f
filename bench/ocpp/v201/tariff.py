"""Functional block I, tariff and cost (I01-I06): what the driver is told it costs.

The CSMS sends the driver's tariff as the ``personalMessage`` of an IdTokenInfo
(I01, I06) and the running or final cost in CostUpdated or a TransactionEvent
reply (I02, I03); the station shows them on the EVSE's display through
the display block. When the CSMS cannot tell (offline, no driver-specific
tariff), the fallback messages of TariffCostCtrlr are shown instead (I04, I05).
The transactions and authorization blocks call ``show_personal_message``,
``show_fallback_tariff`` and ``show_cost``.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from bench.model.changes import ConnectorChanged
from bench.ocpp.v201.block import Block, Evses, Handler, Services, Variables
from bench.ocpp.v201.ports import TextDisplay, TxLookup

log = logging.getLogger(__name__)


class TariffHost(Services, Variables, Evses, Protocol):
    """What block I uses of the station: its EVSEs and TariffCostCtrlr."""


class TariffCost(Block[TariffHost]):
    __slots__ = ("_display", "_transactions")

    def __init__(self, cp: TariffHost, transactions: TxLookup, display: TextDisplay) -> None:
        super().__init__(cp)
        self._transactions = transactions
        self._display = display

    def handlers(self) -> dict[str, Handler]:
        return {"CostUpdated": self.cost_updated}

    # ------------------------------------------------------------ configuration
    def _enabled(self, instance: str) -> bool:
        return (
            self.cp.variable("TariffCostCtrlr", "Available", instance) != "false"
            and self.cp.variable("TariffCostCtrlr", "Enabled", instance) != "false"
        )

    def currency(self) -> str:
        return self.cp.variable("TariffCostCtrlr", "Currency") or ""

    def format_cost(self, amount: float) -> str:
        return f"{amount:.2f} {self.currency()}".strip()

    # ------------------------------------------------------------ I02 CostUpdated
    async def cost_updated(self, req: dict[str, Any]) -> dict[str, Any]:
        """I02.FR.02: always answered; I02.FR.03: the running total is shown to the driver."""
        evse_id = self._evse_of(req["transactionId"])
        if evse_id is None:
            log.info(
                "%s: CostUpdated for unknown transaction %s",
                self.cp.station.id,
                req["transactionId"],
            )
        else:
            self.show_cost(evse_id, float(req["totalCost"]))
        return {}

    def _evse_of(self, transaction_id: str) -> int | None:
        for evse_id in self.cp.evse_ids():
            if self.cp.station.connector(evse_id).transaction is None:
                continue
            tx = self._transactions.active(evse_id)
            if tx is not None and tx.transaction_id == transaction_id:
                return evse_id
        return None

    # ------------------------------------------------------------ shown to the driver
    def show_personal_message(self, evse_id: int | None, message_content: dict[str, Any]) -> None:
        """I01.FR.03, I06.FR.03: the driver-specific tariff from IdTokenInfo.personalMessage."""
        if not self._enabled("Tariff"):
            return
        self._display.show_text(message_content["content"], evse_id, "InFront")

    def show_fallback_tariff(self, evse_id: int | None) -> None:
        """I04.FR.01: no driver-specific tariff (offline, or none sent): the fallback text."""
        text = self.cp.variable("TariffCostCtrlr", "TariffFallbackMessage")
        if self._enabled("Tariff") and text:
            self._display.show_text(text, evse_id, "InFront")

    def show_cost(
        self, evse_id: int | None, total_cost: float | None, *, final: bool = False
    ) -> None:
        """The running (I02.FR.03/04) or final (I03.FR.03) cost; None means the CSMS
        could not tell (offline at the end): the TotalCostFallbackMessage (I05.FR.02)."""
        if not self._enabled("Cost"):
            return
        if total_cost is None:
            text = self.cp.variable("TariffCostCtrlr", "TotalCostFallbackMessage") or ""
        else:
            label = "Total cost" if final else "Cost so far"
            text = f"{label}: {self.format_cost(total_cost)}"
        if text:
            self._display.show_text(text, evse_id, "InFront")

    # ------------------------------------------------------------ hooks
    def on_model_event(self, event: Any) -> None:
        # The driver has gone: what was shown for the session goes too.
        if isinstance(event, ConnectorChanged) and event.reason == "unplugged":
            connector = self.cp.station.connector(event.connector_id)
            if connector.transaction is None:
                self._display.clear_text(event.connector_id)
