"""Functional blocks E (transactions), F (remote control) and J (meter values) of 2.0.1.

The transaction follows ``TxCtrlr.TxStartPoint``/``TxStopPoint`` (E01, E06): it
starts when the first configured start point is reached and ends when a configured
stop point that held during the transaction no longer does. Every change the CSMS
must hear of becomes one TransactionEventRequest with a seqNo counted from 0 per
transaction, the trigger that caused it and the charging state when it changed
(E01.FR.07/15/18, E02.FR.13/17); they all go through the persisted queue
(``tx_queue``). The physical side stays in the model: while a driver's
authorization is active and an EV is plugged, the model connector holds a
transaction (contactor closed, plug locked); when the authorization ends, it ends.

Three collaborators the block owns do the rest: remote control (F01-F05, E14) in
``tx_remote``, meter values in ``tx_metering``/``tx_meter``, the CSMS's replies in
``tx_replies``. Each gets the block's public methods (``guarded``, ``event``, ``end``,
...) through a small protocol of its own.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from bench.model.changes import ConnectorChanged, IdPresented, StationChanged
from bench.model.clock import wait_for
from bench.ocpp.v201.block import (
    Block,
    Evses,
    Handler,
    Messaging,
    Persistence,
    Services,
    Trigger,
    Variables,
)
from bench.ocpp.v201.ports import Authorizer, DriverCosts, ReservationGate, TxProfiles
from bench.ocpp.v201.tx_events import event_payload
from bench.ocpp.v201.tx_metering import Metering
from bench.ocpp.v201.tx_queue import TxQueue
from bench.ocpp.v201.tx_recovery import forget_open, persist_open, recover
from bench.ocpp.v201.tx_remote import RemoteControl
from bench.ocpp.v201.tx_replies import Replies
from bench.ocpp.v201.tx_state import (
    AUTH_BOUND_POINTS,
    EvseSession,
    IdToken,
    Tx201,
    TxSessions,
    charging_state,
    point_list,
    points_now,
    same_token,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from bench.model.connector import Connector

log = logging.getLogger(__name__)

__all__ = ["TransactionEventSent", "Transactions", "Tx201"]

# Model events whose own trigger reason is more specific than ChargingStateChanged (E02.FR.17).
_MODEL_TRIGGERS = {
    "plugged": "CablePluggedIn",
    "unplugged": "EVCommunicationLost",
    "limit": "ChargingRateChanged",  # a new smart-charging or local limit (K11.FR.04)
}
# Fault error codes -> ReasonEnumType when a fault ends a transaction (E06.FR.16).
_FAULT_REASONS = {
    "GroundFailure": "GroundFault",
    "OverCurrentFailure": "OvercurrentFault",
    "OverVoltage": "PowerQuality",
    "UnderVoltage": "PowerQuality",
}
_TOKEN_TYPES = frozenset(
    {"Central", "eMAID", "ISO14443", "ISO15693", "KeyCode", "Local", "MacAddress"}
)


@dataclass(frozen=True, slots=True)
class TransactionEventSent:
    """A TransactionEventRequest was made (queued; ``offline`` when made while offline)."""

    evse_id: int
    event_type: str
    trigger_reason: str
    seq_no: int
    transaction_id: str
    charging_state: str
    offline: bool = False


def token_of(id_tag: str) -> IdToken:
    """A badge shown to the bench as an idToken: ``TYPE:value`` picks the type, else ISO14443."""
    kind, sep, value = id_tag.partition(":")
    if sep and kind in _TOKEN_TYPES and value:
        return {"idToken": value, "type": kind}
    return {"idToken": id_tag, "type": "ISO14443"}


class TxHost(Services, Messaging, Variables, Persistence, Evses, Protocol):
    """What blocks E and J use of the station: model, timers, session, the controllers,
    the queue's database and the statuses it holds back."""


class Transactions(Block[TxHost]):
    __slots__ = (
        "_auth",
        "_reservations",
        "_resync",
        "_smart",
        "_syncing",
        "metering",
        "queue",
        "remote",
        "replies",
        "sessions",
    )

    def __init__(
        self,
        cp: TxHost,
        sessions: TxSessions,
        auth: Authorizer,
        reservations: ReservationGate,
        smart: TxProfiles,
        tariff: DriverCosts,
    ) -> None:
        super().__init__(cp)
        self.sessions = sessions  # shared, read by the blocks that need what runs (TxLookup)
        self._auth = auth
        self._reservations = reservations
        self.remote = RemoteControl(cp, self, auth, smart)  # F01-F03, F05, E14
        self._smart = smart
        # K15: an ISO 15118 EV's schedule agreed: its contactor may close.
        smart.watch_energy(self.sync)  # a bound method: a third of a lambda's size
        self.metering = Metering(cp, sessions, self)  # J01, J02
        self.replies = Replies(cp, sessions, self, auth, tariff)  # E05, C10, I01-I03
        self.queue = TxQueue(cp, self.replies)
        self._syncing = False
        # EVSEs changed during a sync; dict keys as a set (empty: 64 bytes, a set 216).
        self._resync: dict[int, None] = {}

    # ------------------------------------------------------------ interface (v201_common)
    def active(self, evse_id: int) -> Tx201 | None:
        return self.sessions.active(evse_id)

    def transaction_ids(self) -> list[str]:
        return self.sessions.transaction_ids()

    def stop(self, evse_id: int, stopped_reason: str, trigger_reason: str) -> None:
        """End the transaction on ``evse_id`` now (no-op without one)."""
        session = self.sessions[evse_id]
        if session.tx is not None:
            self.guarded(lambda: self.end(session, trigger_reason, stopped_reason))

    async def end_for_reset(self, evse_id: int | None) -> None:
        """End transactions with ImmediateReset/ResetCommand and deliver them (B12.FR.02/04/08)."""
        for session in self.sessions.values():
            if evse_id is None or session.evse_id == evse_id:
                self.stop(session.evse_id, "ImmediateReset", "ResetCommand")
                session.authorized = None
        if self.cp.accepted and len(self.queue):
            try:
                # Bounded by the call timeout, on the same (wall) timers as that timeout.
                await wait_for(
                    self.cp.clock.wall, self.queue.drained(), self.cp.session.call_timeout + 1.0
                )
            except TimeoutError:
                log.warning("%s: Ended events not delivered before reset", self.cp.station.id)

    async def drained(self) -> None:
        await self.queue.drained()

    def meter_public_key(self) -> str:
        """The publicKey of this station's meters (OCA note §3.2.2)."""
        return self.metering.meter_public_key()

    def connector(self, session: EvseSession) -> Connector:
        """The model connector of ``session``'s EVSE."""
        return self.cp.station.connector(session.evse_id)

    # ------------------------------------------------------------ block hooks
    def handlers(self) -> dict[str, Handler]:
        return self.remote.handlers()

    def triggers(self) -> dict[str, Trigger]:
        m = self.metering
        return {"TransactionEvent": m.trigger_event, "MeterValues": m.trigger_meter}

    def on_start(self) -> None:
        self._recover()

    def on_accepted(self) -> None:
        self.queue.start()
        self.metering.schedule_aligned()

    def on_link_down(self) -> None:
        self.queue.link_down()

    def on_reboot(self) -> None:
        # A reboot not preceded by end_for_reset (e.g. a firmware install) still ends them.
        for session in self.sessions.values():
            self.stop(session.evse_id, "Reboot", "AbnormalCondition")
            session.authorized = None
        self.cp.tasks.cancel_timers("tx-")

    async def on_stop(self) -> None:
        # Open transactions stay on disk: the next start ends them with PowerLoss. What is
        # queued goes out first while we can (the caller bounds the wait).
        self.cp.tasks.cancel_timers("tx-")
        self.cp.tasks.cancel_timer("aligned")
        if self.cp.accepted and len(self.queue):
            await self.queue.drained()

    def on_variable_changed(self, component: str, variable: str, instance: str | None) -> None:
        if component == "SampledDataCtrlr" and variable in ("TxUpdatedInterval", "TxEndedInterval"):
            for session in self.sessions.values():
                if session.tx is not None:
                    self.metering.schedule_samples(session)
        elif component == "AlignedDataCtrlr" and variable in ("Interval", "TxEndedInterval"):
            self.metering.schedule_aligned()

    def on_physics(self) -> None:
        # MaxEnergyOnInvalidId used up: stop the energy, keep the transaction (E05.FR.02/03).
        for session in self.sessions.values():
            limit = session.allowance_wh
            connector = self.cp.station.connector(session.evse_id)
            if limit is not None and connector.energy_wh >= limit:
                session.allowance_wh = None
                session.energy_blocked = True
                self.sync(session.evse_id, "ChargingStateChanged")

    def retime_physics(self) -> None:
        """An allowance was set: the next physics tick is timed anew."""
        self.cp.physics_rate_changed()

    def seconds_to_allowance(self) -> float | None:
        """Virtual seconds until a transaction uses up MaxEnergyOnInvalidId at the power
        drawn now, or None (the physics times its next tick by it)."""
        due: float | None = None
        for session in self.sessions.values():
            limit = session.allowance_wh
            if limit is None:
                continue
            connector = self.cp.station.connector(session.evse_id)
            if connector.power_w <= 0.0:
                continue
            seconds = max(0.0, limit - connector.energy_wh) / connector.power_w * 3600.0
            if due is None or seconds < due:
                due = seconds
        return due

    def on_model_event(self, event: Any) -> None:
        if not isinstance(event, IdPresented | ConnectorChanged | StationChanged):
            return
        if event.station_id and event.station_id != self.cp.station.id:
            return
        if isinstance(event, IdPresented):
            self.cp.tasks.spawn(self.present(token_of(event.id_tag), event.connector_id), "present")
        elif isinstance(event, ConnectorChanged):
            if self._syncing:
                self._resync[event.connector_id] = None
                return
            if event.reason == "plugged":
                self._on_plugged(self.sessions[event.connector_id])
            elif event.reason == "unplugged":
                self._on_unplugged(self.sessions[event.connector_id])
            trigger = _MODEL_TRIGGERS.get(event.reason)
            if event.reason == "fault":
                trigger = "AbnormalCondition"
            self.sync(event.connector_id, trigger)
        else:
            if self._syncing:
                self._resync.update(dict.fromkeys(self.sessions))
                return
            trigger = "AbnormalCondition" if event.reason == "fault" else None
            for evse_id in self.sessions:
                self.sync(evse_id, trigger)

    # ------------------------------------------------------------ the driver's token
    async def present(
        self,
        token: IdToken,
        evse_id: int | None = None,
        *,
        request_extra: dict[str, Any] | None = None,
    ) -> None:
        """A token shown at the station: stop its own authorization, or authorize (C01, E07).

        ``request_extra``: what the AuthorizeRequest carries besides the token (a
        contract's certificate or its hash data, C07.FR.02/06)."""
        sessions = list(self.sessions.values())
        for session in sessions:
            if same_token(session.locked_for, token):
                # E05.FR.11, E09.FR.03, E10.FR.01: the owner takes the cable back.
                session.locked_for = None
                self.guarded(self.connector(session).unlock)
                if session.authorized is None:
                    return
        for session in sessions:
            if same_token(session.authorized, token):
                self.stop_authorization(session, "Local", "StopAuthorized", token)  # E07.FR.01a
                return
        info = await self._auth.authorize(token, evse_id, request_extra=request_extra)
        if info.get("status") != "Accepted":
            return  # E02.FR.20: an authorization that fails changes no transaction
        if self._auth.is_master_pass(info):
            self._master_pass(token, evse_id)  # C16: stops, never starts (C16.FR.03)
            return
        group = info.get("groupIdToken")
        if group is not None:
            for session in sessions:
                if session.authorized is not None and same_token(session.group, group):
                    self.stop_authorization(session, "Local", "StopAuthorized", token)  # E07.FR.01b
                    return
        target = self._pick(evse_id, token, group)
        if target is None:
            log.info("%s: no EVSE free for %s", self.cp.station.id, token["idToken"])
            return
        self.authorize(target, token, group, "Authorized")

    def authorize(
        self, session: EvseSession, token: IdToken, group: IdToken | None, trigger: str
    ) -> None:
        """Grant ``token`` the EVSE: energy may flow once an EV is plugged (E01-E03, F01/F02)."""
        session.authorized = token
        session.group = group
        session.token_reported = False
        session.pending_trigger = trigger
        session.stop_hint = None
        session.reservation_id = self._reservations.consume(session.evse_id, token, group)
        if session.tx is not None:
            session.tx.id_token = token
        connector = self.connector(session)
        timeout = self.cp.number("TxCtrlr", "EVConnectionTimeOut")
        if not connector.plugged and timeout > 0:
            self.cp.tasks.later(
                f"tx-evconn-{session.evse_id}",
                timeout,
                lambda: self._connection_timed_out(session),
            )
        self.sync(session.evse_id, trigger)

    def stop_authorization(
        self, session: EvseSession, reason: str, trigger: str, token: IdToken | None = None
    ) -> None:
        """The authorization ends (E07 card, F03 remote): the transaction ends or loses energy."""
        self.cp.tasks.cancel_timer(f"tx-evconn-{session.evse_id}")
        tx = session.tx
        session.authorized = None
        session.group = None
        session.pending_trigger = None
        if tx is None:
            self.sync(session.evse_id)
            return
        if self.stop_points() & AUTH_BOUND_POINTS:
            # E07 (TxStopPoint Authorized/PowerPathClosed), F03.FR.03: Ended.
            self.guarded(lambda: self.end(session, trigger, reason, token))
        else:
            # E07 alternative, F03.FR.02: Updated; the transaction ends when the EV leaves.
            session.stop_hint = reason
            self.guarded(lambda: self._sync_one(session.evse_id, trigger, token))

    def _master_pass(self, token: IdToken, evse_id: int | None) -> None:
        """C16: a Master Pass ends transactions with stoppedReason MasterPass.

        Shown at one EVSE's reader it ends that EVSE's transaction: the bench's stand-in
        for the driver picking one on the station's screen (C16.FR.01); shown at the
        station's common reader it ends them all (C16.FR.01 "all", C16.FR.02).
        """
        chosen = [self.sessions[evse_id]] if evse_id else list(self.sessions.values())
        for session in chosen:
            if session.tx is not None:
                self.guarded(partial(self.end, session, "StopAuthorized", "MasterPass", token))

    def _pick(
        self, evse_id: int | None, token: IdToken, group: IdToken | None
    ) -> EvseSession | None:
        ids = [evse_id] if evse_id else list(self.sessions)
        usable = [
            self.sessions[i] for i in ids if self.may_authorize(self.sessions[i], token, group)
        ]
        plugged = [s for s in usable if self.connector(s).plugged]
        reserved = [s for s in usable if self._reservations.for_evse(s.evse_id) is not None]
        chosen = plugged or reserved or usable
        return chosen[0] if chosen else None

    def may_authorize(self, session: EvseSession, token: IdToken, group: IdToken | None) -> bool:
        """Free of another authorization, operative, healthy, not reserved for someone else."""
        connector = self.connector(session)
        if session.authorized is not None or not connector.operative or not self.cp.station.powered:
            return False
        if connector.blocking_fault is not None:
            return False
        # H01, F01.FR.21/22: the reserved idToken or a member of the reserved group only.
        return self._reservations.allows(session.evse_id, token, group)

    def _connection_timed_out(self, session: EvseSession) -> None:
        """EVConnectionTimeOut: authorization ends (C01.FR.26, E03.FR.05/15, F02.FR.07/08)."""
        if session.authorized is None or self.connector(session).plugged:
            return
        session.authorized = None
        session.group = None
        session.pending_trigger = None
        if session.tx is None:
            self.sync(session.evse_id)
        elif "ParkingBayOccupancy" in self.stop_points():
            session.tx.seen -= AUTH_BOUND_POINTS
            self.sync(session.evse_id, "EVConnectTimeout")
        else:
            self.guarded(lambda: self.end(session, "EVConnectTimeout", "Timeout"))
            # The authorization the transaction started with is gone: the next one is a
            # start point reached again (TC_F_04_CS: a new remote start after the timeout).
            self.sync(session.evse_id)

    def _on_plugged(self, session: EvseSession) -> None:
        self.cp.tasks.cancel_timer(f"tx-evconn-{session.evse_id}")
        if session.authorized is None and not self.cp.flag("AuthCtrlr", "Enabled"):
            # Authorization switched off: everyone may charge (C01, NoAuthorization).
            session.authorized = {"idToken": "", "type": "NoAuthorization"}
            session.token_reported = False

    def _on_unplugged(self, session: EvseSession) -> None:
        token = session.authorized
        if token is not None and self.cp.flag("TxCtrlr", "StopTxOnEVSideDisconnect"):
            # E09.FR.01: deauthorized; the cable stays locked for its owner unless
            # UnlockOnEVSideDisconnect (E09.FR.02/03).
            session.authorized = None
            session.group = None
            session.stop_hint = session.stop_hint or "EVDisconnected"
            if not self.cp.flag("OCPPCommCtrlr", "UnlockOnEVSideDisconnect"):
                session.locked_for = token

    # ------------------------------------------------------------ evaluation
    def guarded(self, work: Callable[[], object]) -> None:
        """Run ``work`` with model events from our own actions deferred, then re-check."""
        if self._syncing:
            work()
            return
        self._syncing = True
        try:
            work()
            for _ in range(10):
                if not self._resync:
                    break
                pending, self._resync = self._resync, {}
                for evse_id in sorted(pending):
                    self._sync_one(evse_id, None)
        finally:
            self._syncing = False

    def sync(self, evse_id: int, trigger: str | None = None) -> None:
        """Bring power and transaction of ``evse_id`` in line with the model, reporting changes."""
        self.guarded(lambda: self._sync_one(evse_id, trigger))

    def start_points(self) -> set[str]:
        return point_list(self.cp.variable("TxCtrlr", "TxStartPoint"))

    def stop_points(self) -> set[str]:
        return point_list(self.cp.variable("TxCtrlr", "TxStopPoint"))

    def _sync_one(self, evse_id: int, trigger: str | None, token: IdToken | None = None) -> None:
        session = self.sessions[evse_id]
        connector = self.connector(session)
        self._apply_power(connector, session)
        points = points_now(connector, session, self.cp.flag("SampledDataCtrlr", "SignReadings"))
        # A start point starts a transaction when it is reached, not while it holds: an EV
        # left plugged after its transaction ended does not start another (E01).
        before, session.points = session.points, points
        tx = session.tx
        if tx is None:
            reached = self.start_points() & (points - before)
            if reached:
                if trigger == "CablePluggedIn" and not reached & {"EVConnected", "Authorized"}:
                    trigger = "EVDetected"
                if "DataSigned" in reached and trigger != "RemoteStart":
                    trigger = "SignedDataReceived"  # TC_E_11_CS: started by the signed value
                # E03.FR.12: the signed value and the energy that follows it are two events.
                split = (
                    trigger == "SignedDataReceived"
                    and charging_state(connector, session) == "Charging"
                )
                self._start(
                    session, trigger or "ChargingStateChanged", "EVConnected" if split else None
                )
                if split and session.tx is not None:
                    self.event(session, "Updated", "ChargingStateChanged")
                if session.tx is not None:
                    # What holds at the start counts as seen: losing it is a stop point (E06).
                    session.tx.seen |= points
            return
        tx.seen |= points
        lost = (self.stop_points() & tx.seen) - points
        if lost:
            self.end(session, *self._why_lost(session, connector, lost, trigger))
            return
        state = charging_state(connector, session)
        if trigger == "CablePluggedIn" and state == "Charging" and tx.charging_state != state:
            # E03.FR.12: the cable and the energy it lets flow at once are two events, sent
            # as two messages: the cable (EVConnected), then the charging state.
            self.event(session, "Updated", trigger, id_token=token, state="EVConnected")
            self.event(session, "Updated", "ChargingStateChanged")
            return
        if trigger is not None or state != tx.charging_state:
            self.event(session, "Updated", trigger or "ChargingStateChanged", id_token=token)

    def _why_lost(
        self, session: EvseSession, connector: Connector, lost: set[str], trigger: str | None
    ) -> tuple[str, str]:
        """(triggerReason, stoppedReason) for a stop point that no longer holds (E06)."""
        if not connector.plugged:
            if lost == {"ParkingBayOccupancy"}:
                return "EVDeparted", session.stop_hint or "EVDisconnected"
            return "EVCommunicationLost", session.stop_hint or "EVDisconnected"
        fault = connector.blocking_fault
        if fault is not None:
            reason = _FAULT_REASONS.get(fault.error_code, "Other")
            return "AbnormalCondition", reason  # E06.FR.16
        if lost == {"EnergyTransfer"}:
            return trigger or "ChargingStateChanged", session.stop_hint or "StoppedByEV"
        return trigger or "Deauthorized", session.stop_hint or "DeAuthorized"

    def _apply_power(self, connector: Connector, session: EvseSession) -> None:
        """The model holds a transaction exactly while an authorized driver's EV is plugged."""
        want = session.authorized is not None and connector.plugged
        if want and connector.transaction is None:
            token = session.authorized or {}
            connector.begin_transaction(
                token.get("idToken", ""),
                connector.energy_wh,
                self.cp.clock.now(),
                reservation_id=session.reservation_id,
            )
        elif not want and connector.transaction is not None:
            keep_locked = session.authorized is not None or session.locked_for is not None
            connector.end_transaction(unlock=not keep_locked)
        if connector.transaction is None:
            return
        held = self._smart.energy_held(session.evse_id)
        if session.energy_blocked or held:
            connector.open_contactor()
        elif session.schedule_wait:
            connector.close_contactor()  # K15: PowerDeliveryReq Start, the schedule agreed
        session.schedule_wait = held

    # ------------------------------------------------------------ start / events / end
    def _start(self, session: EvseSession, trigger: str, state: str | None = None) -> None:
        connector = self.connector(session)
        self.cp.station.tick()
        tx_id = session.next_tx_id or str(uuid.uuid4())  # E01.FR.08: never the same twice
        session.next_tx_id = None
        tx = Tx201(tx_id, session.evse_id, self.cp.clock.now(), connector.energy_wh)
        tx.id_token = session.authorized
        session.tx = tx
        self.metering.sampler.reset(session.evse_id, connector.meter.energy_wh)
        self.metering.sample_ended(session, "SampledDataCtrlr", "Transaction.Begin")
        started = self.metering.measurands("SampledDataCtrlr", "TxStartedMeasurands")
        self.event(
            session,
            "Started",
            trigger,
            meter=self.metering.reading(connector, started, "Transaction.Begin"),
            state=state,
        )
        self.metering.schedule_samples(session)
        self.metering.schedule_aligned()

    def end(
        self,
        session: EvseSession,
        trigger: str,
        reason: str,
        token: IdToken | None = None,
        *,
        unlock: bool = True,
    ) -> None:
        tx = session.tx
        if tx is None:
            return
        connector = self.connector(session)
        self.cp.station.tick()
        if not unlock and session.authorized is not None:
            session.locked_for = session.authorized
        session.authorized = None
        session.group = None
        session.energy_blocked = False
        session.schedule_wait = False
        session.allowance_wh = None
        session.pending_trigger = None
        self.cp.tasks.cancel_timer(f"tx-evconn-{session.evse_id}")
        self._apply_power(connector, session)
        self.metering.sample_ended(session, "SampledDataCtrlr", "Transaction.End")
        self.event(session, "Ended", trigger, meter=tx.ended_data, reason=reason, id_token=token)
        session.tx = None
        session.stop_hint = None
        connector.apply_pending_operative()  # G03.FR.06: a Scheduled change, now idle
        self.cp.tasks.cancel_timer(f"tx-upd-{session.evse_id}")
        self.cp.tasks.cancel_timer(f"tx-endint-{session.evse_id}")
        forget_open(self.cp, session.evse_id)

    def event(
        self,
        session: EvseSession,
        event_type: str,
        trigger: str,
        *,
        meter: list[dict[str, Any]] | None = None,
        reason: str | None = None,
        id_token: IdToken | None = None,
        force_state: bool = False,
        force_evse: bool = False,
        state: str | None = None,
    ) -> None:
        """Make one TransactionEventRequest (``tx_events.event_payload`` says what it
        holds), persist the transaction's progress and queue the event (E01.FR.07)."""
        tx = session.tx
        assert tx is not None
        cp = self.cp
        payload, state = event_payload(
            cp,
            session,
            tx,
            self.connector(session),
            event_type,
            trigger,
            meter=meter,
            reason=reason,
            id_token=id_token,
            force_state=force_state,
            force_evse=force_evse,
            state=state,
        )
        tx.seq_no += 1
        tx.charging_state = state
        self._persist(tx)
        self.queue.push(payload, session.evse_id)
        cp.events.emit(
            TransactionEventSent(
                session.evse_id,
                event_type,
                payload["triggerReason"],
                payload["seqNo"],
                tx.transaction_id,
                state,
                bool(payload.get("offline")),
            )
        )

    # ------------------------------------------------------------ persistence (restart)
    def _persist(self, tx: Tx201) -> None:
        persist_open(self.cp, tx)

    def _recover(self) -> None:
        recover(self.cp, self.queue, list(self.sessions))
