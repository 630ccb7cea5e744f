"""1.6 meter values of the transactions block: periodic, clock-aligned, transactionData.

Sampled values every ``MeterValueSampleInterval`` from the start of a transaction,
clock-aligned values every ``ClockAlignedDataInterval`` from midnight (1.6 §3.16,
§4.7); ``StopTxnSampledData``/``StopTxnAlignedData`` collect the StopTransaction's
``transactionData``. Inside a transaction they are transaction-related messages and
go through the queue (``Transactions.enqueue``); outside one they are sent directly.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from bench.ocpp.errors import CallError, CallTimeout, InvalidReply, LinkClosed
from bench.ocpp.v16.metering import meter_value, sampled_values

if TYPE_CHECKING:
    from bench.kernel.supervisor import Supervisor
    from bench.model.clock import Clock
    from bench.model.connector import Connector
    from bench.model.station import Station
    from bench.ocpp.session import OcppSession
    from bench.ocpp.v16.config import Configuration
    from bench.ocpp.v16.ports import LinkState

log = logging.getLogger(__name__)


class TxQueueing(Protocol):
    """What meter values use of the transactions block that owns them."""

    def enqueue(self, action: str, payload: dict[str, Any], *, local: str | None = None) -> int:
        """Queue a transaction-related message."""
        ...

    def save_register(self, connector: Connector) -> None:
        """Persist the connector's energy register (it outlives a restart)."""
        ...


class MeterValues:
    """The meter values of the 1.6 transactions block, and each transaction's transactionData."""

    __slots__ = (
        "_clock",
        "_config",
        "_link",
        "_session",
        "_station",
        "_tasks",
        "_transactions",
        "_tx_data",
    )

    def __init__(
        self,
        station: Station,
        *,
        clock: Clock,
        config: Configuration,
        tasks: Supervisor,
        session: OcppSession,
        link: LinkState,
        transactions: TxQueueing,
    ) -> None:
        self._station = station
        self._clock = clock
        self._config = config
        self._tasks = tasks
        self._session = session  # meter values outside a transaction are sent directly
        self._link = link
        # Inside a transaction they are queued with it; the register outlives a restart.
        self._transactions = transactions
        self._tx_data: dict[int, list[dict[str, Any]]] = {}  # connector id -> transactionData

    def cancel_timers(self) -> None:
        self._tasks.cancel_timers("sample-")
        self._tasks.cancel_timer("aligned")

    # ------------------------------------------------------------ transactionData
    def open_tx_data(self, connector: Connector) -> None:
        """A transaction began on ``connector``: collect its StopTransaction transactionData."""
        self._tx_data[connector.id] = []

    def take_tx_data(self, connector: Connector) -> list[dict[str, Any]]:
        """The transactionData collected for ``connector``'s transaction (and stop collecting)."""
        return self._tx_data.pop(connector.id, [])

    def on_interval_change(self, name: str) -> None:
        if name == "MeterValueSampleInterval":
            for connector in self._station.connectors:
                if connector.transaction is not None:
                    self.schedule_sample(connector)
        else:
            self.schedule_aligned()

    def schedule_sample(self, connector: Connector) -> None:
        interval = self._config.value("MeterValueSampleInterval")
        key = f"sample-{connector.id}"
        if interval <= 0:
            self._tasks.cancel_timer(key)
            return
        self._tasks.later(key, interval, lambda: self._sample(connector))

    def _sample(self, connector: Connector) -> None:
        if connector.transaction is None:
            return
        # The next sample first: one that fails (issue 11) must not end the sampling.
        self.schedule_sample(connector)
        self._station.tick()
        items = self._config.value("MeterValuesSampledData")
        self._send_meter_values(connector, items, "Sample.Periodic")
        self.add_tx_data(connector, "StopTxnSampledData", "Sample.Periodic")
        self._transactions.save_register(connector)

    def schedule_aligned(self) -> None:
        interval = self._config.value("ClockAlignedDataInterval")
        if interval <= 0:
            self._tasks.cancel_timer("aligned")
            return
        now = self._clock.now().astimezone(UTC)
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        elapsed = (now - midnight).total_seconds()
        next_at = midnight + timedelta(seconds=(elapsed // interval + 1) * interval)
        delay = (next_at - now).total_seconds()
        self._tasks.later("aligned", delay, lambda: self._aligned(next_at))

    def _aligned(self, boundary: datetime) -> None:
        # Stamped with the boundary itself (1.6 §3.16.2: clock-aligned data is measured at
        # the interval boundary), however late a busy event loop ran the timer.
        self._station.tick()
        items = self._config.value("MeterValuesAlignedData")
        for connector in self._station.connectors:
            self._send_meter_values(connector, items, "Sample.Clock", at=boundary)
            if connector.transaction is not None:
                self.add_tx_data(connector, "StopTxnAlignedData", "Sample.Clock", at=boundary)
        self.schedule_aligned()

    def _send_meter_values(
        self, connector: Connector, items: list[str], context: str, at: datetime | None = None
    ) -> None:
        values = sampled_values(connector, items, context)
        if not values:
            return
        payload: dict[str, Any] = {
            "connectorId": connector.id,
            "meterValue": [meter_value(at or self._clock.now(), values)],
        }
        tx = connector.transaction
        if tx is not None:
            payload["transactionId"] = tx.protocol_id if tx.protocol_id is not None else 0
            self._transactions.enqueue("MeterValues", payload, local=tx.local_key)
        elif self._link.accepted:
            # Outside a transaction meter values are not transaction-related: no queueing.
            self._tasks.spawn(self._send_direct("MeterValues", payload), name="meter")

    async def _send_direct(self, action: str, payload: dict[str, Any]) -> None:
        try:
            await self._session.call(action, payload)
        except (CallError, CallTimeout, InvalidReply, LinkClosed) as exc:
            log.info("%s: %s not delivered: %s", self._station.id, action, exc)

    def add_tx_data(
        self, connector: Connector, key: str, context: str, at: datetime | None = None
    ) -> None:
        data = self._tx_data.get(connector.id)
        if data is None:
            return
        values = sampled_values(connector, self._config.value(key), context)
        if values:
            data.append(meter_value(at or self._clock.now(), values))
