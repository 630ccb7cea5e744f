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

Signed meter values (J01.FR.21, J02.FR.21; OCA note "Signed Meter Values in OCPP" §4):
with SampledDataCtrlr.SignReadings every sampled Energy.Active.Import.Register reading
of an EVSE in a TransactionEvent (Transaction.Begin in Started, Sample.Periodic and
Trigger in Updated, Transaction.Begin/End and periodic ones in Ended) carries a
signedMeterValue, one OCMF record per reading ("separate containers", note §4.1.2);
with AlignedDataCtrlr.SignReadings every clock-aligned one does (Updated/MeterValueClock,
Ended, MeterValues of an idle EVSE as a fiscal record) and triggered MeterValues too.
The note's finer SignStartedReadings/SignUpdatedReadings are not in the 2.0.1 device
model: the bench signs as if both were true. EVSE 0 (the grid meter) is not signed.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from bench.ocpp.errors import CallError, CallTimeout, InvalidOutgoing, InvalidReply, LinkClosed
from bench.ocpp.ocmf import Identity, MeterSigner
from bench.ocpp.v201.block import Messaging, Persistence, Services, Variables
from bench.ocpp.v201.tx_meter import ReadingSigner, Sampler, measurand_list, meter_value

if TYPE_CHECKING:
    from collections.abc import Callable

    from bench.model.connector import Connector
    from bench.ocpp.v201.tx_state import EvseSession, TxSessions

log = logging.getLogger(__name__)


class MeterHost(Services, Messaging, Variables, Persistence, Protocol):
    """What meter values use of the station: model, timers, session, controllers, the
    database the meter signer keeps its key in."""


class TxEvents(Protocol):
    """The transaction block as its meter values use it: report an Updated event."""

    def guarded(self, work: Callable[[], object]) -> None: ...
    def event(
        self,
        session: EvseSession,
        event_type: str,
        trigger: str,
        *,
        meter: list[dict[str, Any]] | None = None,
        force_state: bool = False,
        force_evse: bool = False,
    ) -> None: ...


class Metering:
    """The meter-value collaborator of the transaction block (owned by ``Transactions``).

    It samples and signs readings, keeps the sampling timers and sends MeterValues; a
    reading that belongs in a TransactionEvent goes back through ``TxEvents``.
    """

    __slots__ = ("cp", "sampler", "sessions", "tx")

    def __init__(self, cp: MeterHost, sessions: TxSessions, tx: TxEvents) -> None:
        self.cp = cp
        self.sessions = sessions
        self.tx = tx
        self.sampler = Sampler()

    def _connector(self, session: EvseSession) -> Connector:
        return self.cp.station.connector(session.evse_id)

    def meter_values(
        self, evse_id: int, measurands: list[str], context: str, at: datetime | None = None
    ) -> list[dict]:
        """The newest readings as a MeterValueType list (EVSE 0: the station's main meter),
        stamped ``at`` (default: now)."""
        self.cp.station.tick()
        if evse_id == 0:
            values = self.sampler.station_values(self.cp.station, measurands, context)
        else:
            connector = self.cp.station.connector(evse_id)
            values = self.sampler.values(connector, measurands, context)
        return [meter_value(at or self.cp.clock.now(), values)] if values else []

    def measurands(self, component: str, variable: str) -> list[str]:
        return measurand_list(self.cp.variable(component, variable))

    def reading(
        self,
        connector: Connector,
        measurands: list[str],
        context: str,
        *,
        component: str | None = None,
        for_ended: bool = False,
        at: datetime | None = None,
    ) -> list[dict]:
        """A MeterValueType list read now and stamped ``at`` (default: now), signed when
        ``component``'s SignReadings says so (default: AlignedDataCtrlr for Sample.Clock,
        SampledDataCtrlr otherwise)."""
        values = self.sampler.values(connector, measurands, context)
        if not values:
            return []
        out = [meter_value(at or self.cp.clock.now(), values)]
        if component is None:
            component = "AlignedDataCtrlr" if context == "Sample.Clock" else "SampledDataCtrlr"
        self._sign(connector.id, out, component, for_ended=for_ended)
        return out

    def sample_ended(
        self, session: EvseSession, component: str, context: str, at: datetime | None = None
    ) -> None:
        """Add a reading of the TxEndedMeasurands to the Ended event's meterValue (E06.FR.11)."""
        tx = session.tx
        if tx is not None:
            measurands = self.measurands(component, "TxEndedMeasurands")
            tx.ended_data.extend(
                self.reading(
                    self._connector(session),
                    measurands,
                    context,
                    component=component,
                    for_ended=True,
                    at=at,
                )
            )
            if context == "Transaction.End" and self.sampler.signer is not None:
                # The Ended event is made next: settle which of its values brings the key.
                self.sampler.signer.settle_ended(
                    tx.ended_data, tx.transaction_id, self._key_policy()
                )

    # ------------------------------------------------------------ signed meter values
    def meter_public_key(self) -> str:
        """The publicKey value of this station's meters (OCA note §3.2.2): what a CSMS
        registers to check signedMeterValues sent without a key."""
        return self._signer().meter.public_key

    def _signer(self) -> ReadingSigner:
        if self.sampler.signer is None:
            station = self.cp.station
            who = station.identity
            identity = Identity(
                gateway=f"{who.vendor} {who.model}",
                gateway_serial=who.serial_number,
                gateway_version=who.firmware_version,
                meter_serial=who.meter_serial_number or f"MTR-{station.id}",
                meter_vendor=who.vendor,
                meter_model=who.meter_type,
            )
            self.sampler.signer = ReadingSigner(MeterSigner(self.cp.db, station.id, identity))
        return self.sampler.signer

    def _key_policy(self) -> str:
        return self.cp.variable("OCPPCommCtrlr", "PublicKeyWithSignedMeterValue") or "Never"

    def _sign(
        self, evse_id: int, values: list[dict[str, Any]], component: str, *, for_ended: bool = False
    ) -> None:
        """J01.FR.21 / J02.FR.21: signed values where ``component``.SignReadings is true."""
        if evse_id == 0 or not values or not self.cp.flag(component, "SignReadings"):
            return
        session = self.sessions.get(evse_id)
        tx = session.tx if session is not None else None
        self._signer().sign(
            values,
            evse_id=evse_id,
            current_type=self.cp.station.template.current_type,
            key_policy=self._key_policy(),
            transaction_id=tx.transaction_id if tx is not None else None,
            id_token=tx.id_token if tx is not None else None,
            for_ended=for_ended,
        )

    def schedule_samples(self, session: EvseSession, only: str | None = None) -> None:
        """(Re)arm the TxUpdatedInterval and TxEndedInterval timers of ``session``; a timer
        that fired re-arms ``only`` itself, so it never pushes the other one back."""
        for key, variable, due in (
            (f"tx-upd-{session.evse_id}", "TxUpdatedInterval", self._periodic),
            (f"tx-endint-{session.evse_id}", "TxEndedInterval", self._ended_interval),
        ):
            if only is not None and variable != only:
                continue
            interval = self.cp.number("SampledDataCtrlr", variable)
            if interval <= 0 or session.tx is None:
                self.cp.tasks.cancel_timer(key)
                continue
            self.cp.tasks.later(key, interval, partial(due, session))

    def _periodic(self, session: EvseSession) -> None:
        """J02.FR.11: Updated/MeterValuePeriodic every TxUpdatedInterval."""
        if session.tx is None:
            return
        # The next sample first: one that fails (issue 11) must not end the sampling.
        self.schedule_samples(session, "TxUpdatedInterval")
        self.cp.station.tick()
        measurands = self.measurands("SampledDataCtrlr", "TxUpdatedMeasurands")
        values = self.reading(self._connector(session), measurands, "Sample.Periodic")
        if values:
            self.tx.guarded(
                lambda: self.tx.event(session, "Updated", "MeterValuePeriodic", meter=values)
            )

    def _ended_interval(self, session: EvseSession) -> None:
        if session.tx is None:
            return
        self.cp.station.tick()
        self.sample_ended(session, "SampledDataCtrlr", "Sample.Periodic")
        self.schedule_samples(session, "TxEndedInterval")

    def schedule_aligned(self, only: str | None = None) -> None:
        """(Re)arm the AlignedDataCtrlr Interval and TxEndedInterval timers; a timer that
        fired re-arms ``only`` itself: re-arming both would move the other one, due at the
        same boundary, to the next and starve it."""
        cp = self.cp
        for key, variable, due in (
            ("aligned", "Interval", self._aligned),
            ("tx-aligned-end", "TxEndedInterval", self._aligned_ended),
        ):
            if only is not None and variable != only:
                continue
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
            # The reading is stamped with the boundary it belongs to (J01: aligned data is
            # measured at the interval boundary), however late a busy loop runs the timer.
            cp.tasks.later(key, delay, partial(due, next_at))

    def _aligned(self, boundary: datetime) -> None:
        """J01.FR.14/22: clock-aligned readings; none while busy with SendDuringIdle (J01.FR.20)."""
        cp = self.cp
        cp.station.tick()
        busy = [s for s in self.sessions.values() if s.tx is not None]
        measurands = self.measurands("AlignedDataCtrlr", "Measurands")
        if measurands and not (busy and cp.flag("AlignedDataCtrlr", "SendDuringIdle")):
            for session in self.sessions.values():
                values = self.reading(
                    self._connector(session), measurands, "Sample.Clock", at=boundary
                )
                if session.tx is not None and values:
                    self.tx.guarded(
                        partial(self.tx.event, session, "Updated", "MeterValueClock", meter=values)
                    )
                elif values:
                    self.send_meter_values(session.evse_id, values)
            station = self.meter_values(0, measurands, "Sample.Clock", at=boundary)
            if station:
                self.send_meter_values(0, station)
        self.schedule_aligned("Interval")

    def _aligned_ended(self, boundary: datetime) -> None:
        self.cp.station.tick()
        for session in self.sessions.values():
            self.sample_ended(session, "AlignedDataCtrlr", "Sample.Clock", at=boundary)
        self.schedule_aligned("TxEndedInterval")

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
    async def trigger_event(self, evse: dict[str, Any] | None) -> None:
        """F06.FR.07: Updated/Trigger with the charging state and TxUpdatedMeasurands."""
        wanted = evse.get("id") if evse else None
        measurands = self.measurands("SampledDataCtrlr", "TxUpdatedMeasurands")
        self.cp.station.tick()
        for session in self.sessions.values():
            if session.tx is None or (wanted and session.evse_id != wanted):
                continue
            values = self.reading(self._connector(session), measurands, "Trigger")
            self.tx.guarded(
                partial(
                    self.tx.event,
                    session,
                    "Updated",
                    "Trigger",
                    meter=values,
                    force_state=True,
                    force_evse=True,
                )
            )

    async def trigger_meter(self, evse: dict[str, Any] | None) -> None:
        """F06.FR.06: MeterValues with the AlignedDataCtrlr.Measurands, per EVSE (F06.FR.11)."""
        measurands = self.measurands("AlignedDataCtrlr", "Measurands")
        ids = [evse["id"]] if evse and "id" in evse else list(self.sessions)
        for evse_id in ids:
            values = self.meter_values(evse_id, measurands, "Trigger")
            if values:
                self._sign(evse_id, values, "AlignedDataCtrlr")
                self.send_meter_values(evse_id, values)
