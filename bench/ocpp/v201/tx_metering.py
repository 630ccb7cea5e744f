"""Meter values of the 2.0.1 transaction block: sampled, clock-aligned, triggered (J01, J02).

- TxStartedMeasurands go in the Started event (E01.FR.09), TxUpdatedMeasurands in an
  Updated/MeterValuePeriodic every TxUpdatedInterval (J02.FR.11), TxEndedMeasurands
  at the start, every TxEndedInterval and at the end in the Ended event (E06.FR.11).
- AlignedDataCtrlr.Interval from midnight: MeterValues for idle EVSEs and the station
  (evseId 0), an Updated/MeterValueClock for an EVSE in a transaction (J01.FR.14/22);
  none at all while a transaction runs with SendDuringIdle (J01.FR.20).
  AlignedDataCtrlr.TxEndedMeasurands every AlignedDataCtrlr.TxEndedInterval go in Ended.
- TriggerMessage MeterValues / TransactionEvent (F06.FR.06/07).
MeterValuesRequest is not transaction-related: it is sent only while accepted, never queued.
"""

from __future__ import annotations

import logging
from datetime import UTC, timedelta
from typing import TYPE_CHECKING, Any

from bench.ocpp.errors import CallError, CallTimeout, InvalidOutgoing, InvalidReply, LinkClosed
from bench.ocpp.v201.block import Block
from bench.ocpp.v201.tx_meter import Sampler, measurand_list, meter_value

if TYPE_CHECKING:
    from bench.model.connector import Connector
    from bench.ocpp.v201.tx_state import EvseSession

log = logging.getLogger(__name__)


class Metering(Block):
    """The meter-value half of the transaction block (mixed into ``Transactions``)."""

    __slots__ = ()
    sessions: dict[int, EvseSession]
    sampler: Sampler

    def _guarded(self, work: Any) -> None:  # Transactions: runs model changes safely
        raise NotImplementedError

    def _event(self, session: EvseSession, event_type: str, trigger: str, **kw: Any) -> None:
        raise NotImplementedError  # Transactions: makes and queues one TransactionEvent

    def _connector(self, session: EvseSession) -> Connector:
        return self.cp.station.connector(session.evse_id)

    def meter_values(self, evse_id: int, measurands: list[str], context: str) -> list[dict]:
        """The newest readings as a MeterValueType list (EVSE 0: the station's main meter)."""
        self.cp.station.tick()
        if evse_id == 0:
            values = self.sampler.station_values(self.cp.station, measurands, context)
        else:
            connector = self.cp.station.connector(evse_id)
            values = self.sampler.values(connector, measurands, context)
        return [meter_value(self.cp.clock.now(), values)] if values else []

    def _measurands(self, component: str, variable: str) -> list[str]:
        return measurand_list(self.cp.variable(component, variable))

    def _reading(self, connector: Connector, measurands: list[str], context: str) -> list[dict]:
        values = self.sampler.values(connector, measurands, context)
        return [meter_value(self.cp.clock.now(), values)] if values else []

    def _sample_ended(self, session: EvseSession, component: str, context: str) -> None:
        """Add a reading of the TxEndedMeasurands to the Ended event's meterValue (E06.FR.11)."""
        tx = session.tx
        if tx is not None:
            measurands = self._measurands(component, "TxEndedMeasurands")
            tx.ended_data.extend(self._reading(self._connector(session), measurands, context))

    def _schedule_samples(self, session: EvseSession) -> None:
        for key, variable, due in (
            (f"tx-upd-{session.evse_id}", "TxUpdatedInterval", self._periodic),
            (f"tx-endint-{session.evse_id}", "TxEndedInterval", self._ended_interval),
        ):
            interval = self.cp.number("SampledDataCtrlr", variable)
            if interval <= 0 or session.tx is None:
                self.cp.tasks.cancel_timer(key)
                continue
            self.cp.tasks.later(key, self.cp.clock.real_seconds(interval), lambda d=due: d(session))

    def _periodic(self, session: EvseSession) -> None:
        """J02.FR.11: Updated/MeterValuePeriodic every TxUpdatedInterval."""
        if session.tx is None:
            return
        self.cp.station.tick()
        measurands = self._measurands("SampledDataCtrlr", "TxUpdatedMeasurands")
        values = self._reading(self._connector(session), measurands, "Sample.Periodic")
        if values:
            self._guarded(
                lambda: self._event(session, "Updated", "MeterValuePeriodic", meter=values)
            )
        self._schedule_samples(session)

    def _ended_interval(self, session: EvseSession) -> None:
        if session.tx is None:
            return
        self.cp.station.tick()
        self._sample_ended(session, "SampledDataCtrlr", "Sample.Periodic")
        self._schedule_samples(session)

    def _schedule_aligned(self) -> None:
        cp = self.cp
        for key, variable, due in (
            ("aligned", "Interval", self._aligned),
            ("tx-aligned-end", "TxEndedInterval", self._aligned_ended),
        ):
            interval = cp.number("AlignedDataCtrlr", variable)
            busy = any(s.tx is not None for s in self.sessions.values())
            if interval <= 0 or (key != "aligned" and not busy):
                cp.tasks.cancel_timer(key)
                continue
            now = cp.clock.now().astimezone(UTC)
            midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
            elapsed = (now - midnight).total_seconds()
            next_at = midnight + timedelta(seconds=(elapsed // interval + 1) * interval)
            delay = (next_at - now).total_seconds()
            cp.tasks.later(key, cp.clock.real_seconds(delay), due)

    def _aligned(self) -> None:
        """J01.FR.14/22: clock-aligned readings; none while busy with SendDuringIdle (J01.FR.20)."""
        cp = self.cp
        cp.station.tick()
        busy = [s for s in self.sessions.values() if s.tx is not None]
        measurands = self._measurands("AlignedDataCtrlr", "Measurands")
        if measurands and not (busy and cp.flag("AlignedDataCtrlr", "SendDuringIdle")):
            for session in self.sessions.values():
                values = self._reading(self._connector(session), measurands, "Sample.Clock")
                if session.tx is not None and values:
                    self._guarded(
                        lambda s=session, v=values: self._event(
                            s, "Updated", "MeterValueClock", meter=v
                        )
                    )
                elif values:
                    self.send_meter_values(session.evse_id, values)
            station = self.meter_values(0, measurands, "Sample.Clock")
            if station:
                self.send_meter_values(0, station)
        self._schedule_aligned()

    def _aligned_ended(self) -> None:
        self.cp.station.tick()
        for session in self.sessions.values():
            self._sample_ended(session, "AlignedDataCtrlr", "Sample.Clock")
        self._schedule_aligned()

    def send_meter_values(self, evse_id: int, values: list[dict[str, Any]]) -> None:
        """MeterValuesRequest (J01): not transaction-related, so sent only while accepted."""
        if self.cp.accepted:
            payload = {"evseId": evse_id, "meterValue": values}
            self.cp.tasks.spawn(self._send_direct(payload), name="meter-values")

    async def _send_direct(self, payload: dict[str, Any]) -> None:
        try:
            await self.cp.session.call("MeterValues", payload)
        except (CallError, CallTimeout, InvalidReply, InvalidOutgoing, LinkClosed) as exc:
            log.warning("%s: MeterValues not delivered: %s", self.cp.station.id, exc)

    # ------------------------------------------------------------ triggers (F06)
    async def _trigger_event(self, evse: dict[str, Any] | None) -> None:
        """F06.FR.07: Updated/Trigger with the charging state and TxUpdatedMeasurands."""
        wanted = evse.get("id") if evse else None
        measurands = self._measurands("SampledDataCtrlr", "TxUpdatedMeasurands")
        self.cp.station.tick()
        for session in self.sessions.values():
            if session.tx is None or (wanted and session.evse_id != wanted):
                continue
            values = self._reading(self._connector(session), measurands, "Trigger")
            self._guarded(
                lambda s=session, v=values: self._event(
                    s, "Updated", "Trigger", meter=v, force_state=True
                )
            )

    async def _trigger_meter(self, evse: dict[str, Any] | None) -> None:
        """F06.FR.06: MeterValues with the AlignedDataCtrlr.Measurands, per EVSE (F06.FR.11)."""
        measurands = self._measurands("AlignedDataCtrlr", "Measurands")
        ids = [evse["id"]] if evse and "id" in evse else list(self.sessions)
        for evse_id in ids:
            values = self.meter_values(evse_id, measurands, "Trigger")
            if values:
                self.send_meter_values(evse_id, values)
