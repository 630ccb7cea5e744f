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
from typing import TYPE_CHECKING, Any

from bench.ocpp.errors import CallError, CallTimeout, InvalidReply, LinkClosed
from bench.ocpp.v16.metering import meter_value, sampled_values

if TYPE_CHECKING:
    from bench.model.connector import Connector
    from bench.ocpp.v16.charge_point import ChargePoint16

log = logging.getLogger(__name__)


class MeterValues:
    """Mixed into ``Transactions``, which holds the state these methods use."""

    __slots__ = ()
    if TYPE_CHECKING:
        cp: ChargePoint16
        _tx_data: dict[int, list[dict[str, Any]]]

        def enqueue(
            self, action: str, payload: dict[str, Any], *, local: str | None = None
        ) -> int: ...

        def _save_register(self, connector: Connector) -> None: ...

    def cancel_timers(self) -> None:
        self.cp.tasks.cancel_timers("sample-")
        self.cp.tasks.cancel_timer("aligned")

    def on_interval_change(self, name: str) -> None:
        if name == "MeterValueSampleInterval":
            for connector in self.cp.station.connectors:
                if connector.transaction is not None:
                    self._schedule_sample(connector)
        else:
            self._schedule_aligned()

    def _schedule_sample(self, connector: Connector) -> None:
        interval = self.cp.config.value("MeterValueSampleInterval")
        key = f"sample-{connector.id}"
        if interval <= 0:
            self.cp.tasks.cancel_timer(key)
            return
        self.cp.tasks.later(key, interval, lambda: self._sample(connector))

    def _sample(self, connector: Connector) -> None:
        if connector.transaction is None:
            return
        # The next sample first: one that fails (issue 11) must not end the sampling.
        self._schedule_sample(connector)
        self.cp.station.tick()
        items = self.cp.config.value("MeterValuesSampledData")
        self._send_meter_values(connector, items, "Sample.Periodic")
        self._add_tx_data(connector, "StopTxnSampledData", "Sample.Periodic")
        self._save_register(connector)

    def _schedule_aligned(self) -> None:
        interval = self.cp.config.value("ClockAlignedDataInterval")
        if interval <= 0:
            self.cp.tasks.cancel_timer("aligned")
            return
        now = self.cp.clock.now().astimezone(UTC)
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        elapsed = (now - midnight).total_seconds()
        next_at = midnight + timedelta(seconds=(elapsed // interval + 1) * interval)
        delay = (next_at - now).total_seconds()
        self.cp.tasks.later("aligned", delay, lambda: self._aligned(next_at))

    def _aligned(self, boundary: datetime) -> None:
        # Stamped with the boundary itself (1.6 §3.16.2: clock-aligned data is measured at
        # the interval boundary), however late a busy event loop ran the timer.
        self.cp.station.tick()
        items = self.cp.config.value("MeterValuesAlignedData")
        for connector in self.cp.station.connectors:
            self._send_meter_values(connector, items, "Sample.Clock", at=boundary)
            if connector.transaction is not None:
                self._add_tx_data(connector, "StopTxnAlignedData", "Sample.Clock", at=boundary)
        self._schedule_aligned()

    def _send_meter_values(
        self, connector: Connector, items: list[str], context: str, at: datetime | None = None
    ) -> None:
        values = sampled_values(connector, items, context)
        if not values:
            return
        payload: dict[str, Any] = {
            "connectorId": connector.id,
            "meterValue": [meter_value(at or self.cp.clock.now(), values)],
        }
        tx = connector.transaction
        if tx is not None:
            payload["transactionId"] = tx.protocol_id if tx.protocol_id is not None else 0
            self.enqueue("MeterValues", payload, local=tx.local_key)
        elif self.cp.accepted:
            # Outside a transaction meter values are not transaction-related: no queueing.
            self.cp.tasks.spawn(self._send_direct("MeterValues", payload), name="meter")

    async def _send_direct(self, action: str, payload: dict[str, Any]) -> None:
        try:
            await self.cp.session.call(action, payload)
        except (CallError, CallTimeout, InvalidReply, LinkClosed) as exc:
            log.info("%s: %s not delivered: %s", self.cp.station.id, action, exc)

    def _add_tx_data(
        self, connector: Connector, key: str, context: str, at: datetime | None = None
    ) -> None:
        data = self._tx_data.get(connector.id)
        if data is None:
            return
        values = sampled_values(connector, self.cp.config.value(key), context)
        if values:
            data.append(meter_value(at or self.cp.clock.now(), values))
