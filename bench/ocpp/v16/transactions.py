"""1.6 transactions: start/stop, meter values and the transaction-message queue.

- Start/Stop/MeterValues-in-a-transaction are transaction-related messages
  (1.6 §3.7): they always go through the persisted ``OfflineQueue`` and are
  delivered in order, retried per ``TransactionMessageAttempts`` and
  ``TransactionMessageRetryInterval`` (§3.7.1), and survive a process restart.
- A transaction started offline has no transactionId until its
  StartTransaction.conf arrives; later messages carry a local key in the queue
  and get the id patched in on delivery. Delivery (order, retries, dropping what
  cannot be sent) is ``common.tx_delivery``, shared with 2.0.1.
- Sampled and clock-aligned meter values, and the StopTransaction's
  ``transactionData``, are in ``tx_meter_values`` (§3.16).
- A connector's status waits for the transaction message that changed it: Charging
  follows the StartTransaction the CSMS answered, Finishing/Available/Unavailable
  follow the StopTransaction (1.6 §4.8, §4.9, §5.2, §5.11), so a CSMS never sees a
  charging connector without a transaction or an Unavailable one that still charges.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bench.ocpp.charge_point_base import AuthorizationResult
from bench.ocpp.common.station_link import DeliveryHost
from bench.ocpp.common.timestamps import iso
from bench.ocpp.common.tx_delivery import TxDelivery
from bench.ocpp.v16.tx_meter_values import MeterValues
from bench.store.queue import OfflineQueue

if TYPE_CHECKING:
    import sqlite3

    from bench.kernel.supervisor import Supervisor
    from bench.model.clock import Clock
    from bench.model.connector import Connector
    from bench.model.events import Emitter
    from bench.model.station import Station
    from bench.ocpp.v16.authorization import Authorizer
    from bench.ocpp.v16.config import Configuration
    from bench.ocpp.v16.local_list import LocalAuthList
    from bench.ocpp.v16.reservation import Reservations
    from bench.ocpp.v16.smart_charging import SmartCharging
    from bench.store.config import StateStore
    from bench.store.faults import StoreHealth
    from bench.store.queue import QueuedMessage

log = logging.getLogger(__name__)

TX_ACTIONS = ("StartTransaction", "StopTransaction", "MeterValues")
# The verdict on an idTag the station did not authorize: it could start or stop nothing.
IGNORED = "Ignored"
# How long after a refused StartTransaction.conf the session is deauthorized (seconds).
DEAUTHORIZE_AFTER_S = 0.1


class Transactions:
    __slots__ = (
        "_authorizer",
        "_clock",
        "_config",
        "_counter",
        "_events",
        "_invalid_allowance",
        "_link",
        "_local_list",
        "_locked_for",
        "_reservations",
        "_smart",
        "_state",
        "_station",
        "_tasks",
        "_tx_id_cache",
        "_waiting",
        "delivery",
        "meter_values",
        "pending_profile",
        "queue",
    )

    def __init__(
        self,
        station: Station,
        *,
        db: sqlite3.Connection,
        storage: StoreHealth,
        clock: Clock,
        config: Configuration,
        tasks: Supervisor,
        state: StateStore,
        events: Emitter,
        link: DeliveryHost,
        authorizer: Authorizer,
        reservations: Reservations,
        smart: SmartCharging,
        local_list: LocalAuthList,
    ) -> None:
        self._station = station
        self._clock = clock
        self._config = config
        self._tasks = tasks
        self._state = state
        self._events = events  # AuthorizationResult
        self._link = link  # accepted/online, status_may_have_changed; delivery's host
        self._authorizer = authorizer
        self._reservations = reservations
        self._smart = smart
        self._local_list = local_list
        # Virtual stamps; a refused write is held in memory and reported to ``storage``.
        self.queue = OfflineQueue(db, station.id, clock=clock, health=storage)
        self._waiting: dict[
            int, str
        ] = {}  # connector id -> idTag authorized, waiting for the cable
        self.delivery = TxDelivery(
            link,
            self.queue,
            name="tx-queue",
            owner=self,
        )
        self.meter_values = MeterValues(
            station,
            clock=clock,
            config=config,
            tasks=tasks,
            session=link.session,
            link=link,
            transactions=self,
        )
        self._counter = int(state.get(station.id, "tx_counter", 0) or 0)
        # A TxProfile that came with RemoteStartTransaction (1.6 §5.16.2), per connector.
        self.pending_profile: tuple[int, dict[str, Any]] | None = None
        self._locked_for: dict[int, str] = {}  # cables kept locked for their owner's idTag
        self._invalid_allowance: dict[int, int] = {}  # connector -> register limit in Wh
        self._tx_id_cache: dict[str, int] | None = None  # local key -> the CSMS's transactionId

    # ------------------------------------------------------------ meter values
    def cancel_timers(self) -> None:
        """Stop sampling (a reset): the meter-value timers end."""
        self.meter_values.cancel_timers()

    def on_interval_change(self, name: str) -> None:
        """MeterValueSampleInterval or ClockAlignedDataInterval changed (1.6 §9.1)."""
        self.meter_values.on_interval_change(name)

    # ------------------------------------------------------------ id presentation
    def on_model_event(self, event: Any) -> None:
        name = type(event).__name__
        if name == "IdPresented":
            self._tasks.spawn(self.on_id_presented(event.id_tag, event.connector_id), "present")
        elif name == "ConnectorChanged":
            connector = self._station.connector(event.connector_id)
            if event.reason == "plugged":
                self._on_plugged(connector)
            elif event.reason == "unplugged":
                self._on_unplugged(connector)

    async def on_id_presented(self, id_tag: str, connector_id: int | None) -> None:
        station = self._station
        if self._release_cable(id_tag):
            return
        # Stop: the same idTag ends its own transaction without Authorize (1.6 §4.1).
        for connector in station.connectors:
            tx = connector.transaction
            if tx is not None and tx.id_tag == id_tag:
                self.stop(connector, "Local", id_tag=id_tag)
                return
        if not self._authorizing_helps(station):
            # 1.6 §3.10: only the starting idTag, or one of its group, stops a session.
            # With every connector busy and no running session in a group, another
            # idTag can neither start nor stop one: no Authorize.req (OCTT TC_068_CS).
            log.info("%s: idTag %s can start or stop nothing here", station.id, id_tag)
            self._events.emit(AuthorizationResult(id_tag, IGNORED, None))
            return
        info = await self._authorizer.authorize(id_tag)
        status = info.get("status", "Invalid")
        target = self.pick_connector(connector_id, id_tag, info.get("parentIdTag"))
        self._events.emit(AuthorizationResult(id_tag, status, target.id if target else None))
        if status != "Accepted":
            log.info("%s: idTag %s not accepted (%s)", station.id, id_tag, status)
            return
        # Stop by a different tag that shares the parent idTag (1.6 §3.10).
        parent = info.get("parentIdTag")
        if parent:
            for connector in station.connectors:
                tx = connector.transaction
                if tx is not None and tx.parent_id_tag == parent:
                    self.stop(connector, "Local", id_tag=id_tag)
                    return
        if target is None:
            log.info("%s: no connector free for %s", station.id, id_tag)
            return
        self.begin_or_wait(target, id_tag, parent_id_tag=parent)

    def _authorizing_helps(self, station: Any) -> bool:
        """Could an idTag other than a running session's start or stop anything?"""
        return any(
            (c.transaction is not None and c.transaction.parent_id_tag)
            or self.can_start(c, restart=True)
            for c in station.connectors
        )

    def pick_connector(
        self, connector_id: int | None, id_tag: str | None = None, parent_id_tag: str | None = None
    ) -> Connector | None:
        """The connector a start for ``id_tag`` goes to (``connector_id`` if it may), or None."""
        station = self._station
        if connector_id:
            connector = station.connector(connector_id)
            named = self.can_start(connector, id_tag, parent_id_tag, restart=True)
            return connector if named else None
        candidates = [c for c in station.connectors if self.can_start(c, id_tag, parent_id_tag)]
        plugged = [c for c in candidates if c.plugged]
        # A connector reserved for this tag beats a free one (1.6 §5.13).
        reserved = [c for c in candidates if c.reservation is not None]
        # A Finishing one only when nothing else is free: its EV may belong to someone else.
        finishing = [
            c
            for c in station.connectors
            if c.finishing and self.can_start(c, id_tag, parent_id_tag, restart=True)
        ]
        for group in (plugged, reserved, candidates, finishing):
            if group:
                return group[0]
        return None

    def can_start(
        self,
        connector: Connector,
        id_tag: str | None = None,
        parent_id_tag: str | None = None,
        *,
        restart: bool = False,
    ) -> bool:
        """May a transaction start on ``connector`` (for ``id_tag``, when given)?

        With an idTag the reservations are checked too (1.6 §5.13: a reserved
        connector refuses every tag but the reserved one and its group). A Finishing
        connector takes a new session only when ``restart``: the user starts again on
        that connector (1.6 §4.9 Finishing -> Preparing, "presents idTag again"; a
        RemoteStartTransaction naming it is the same).
        """
        return (
            connector.transaction is None
            and connector.operative
            and connector.fault is None
            and self._station.fault is None
            and (restart or not connector.finishing)
            and (id_tag is None or self._reservations.allows(connector, id_tag, parent_id_tag))
        )

    def begin_or_wait(
        self,
        connector: Connector,
        id_tag: str,
        *,
        parent_id_tag: str | None = None,
        reservation_id: int | None = None,
    ) -> None:
        reservations = self._reservations
        if parent_id_tag is None:
            parent_id_tag = reservations.parent_of(id_tag)
        if not reservations.allows(connector, id_tag, parent_id_tag):
            # 1.6 §5.13: reserved for another idTag (a remote start lands here too).
            log.info(
                "%s: connector %d is reserved; %s may not start",
                self._station.id,
                connector.id,
                id_tag,
            )
            return
        if connector.plugged:
            if reservation_id is None:
                reservation_id = reservations.claim(connector, id_tag, parent_id_tag)
            self.start(
                connector, id_tag, parent_id_tag=parent_id_tag, reservation_id=reservation_id
            )
            return
        # Authorized before the cable: Preparing until plugged or ConnectionTimeOut (§9.1.6).
        self._waiting[connector.id] = id_tag
        timeout = self._config.value("ConnectionTimeOut")
        if timeout > 0:
            self._tasks.later(
                f"conn-timeout-{connector.id}",
                timeout,
                lambda: self._connection_timed_out(connector.id),
            )
        self._link.status_may_have_changed()

    def is_waiting_for_cable(self, connector_id: int) -> bool:
        return connector_id in self._waiting

    def _connection_timed_out(self, connector_id: int) -> None:
        if self._waiting.pop(connector_id, None) is not None:
            log.info(
                "%s: connector %d: no cable within ConnectionTimeOut",
                self._station.id,
                connector_id,
            )
            self._link.status_may_have_changed()

    def _on_plugged(self, connector: Connector) -> None:
        if connector.id in self._waiting and not self.can_start(connector, restart=True):
            # A faulted connector (a lock that cannot engage: ConnectorLockFailure, 1.6
            # §7.6) starts nothing; the authorization waits on until the connection
            # timeout (OCTT TC_024_CS).
            return
        id_tag = self._waiting.pop(connector.id, None)
        self._tasks.cancel_timer(f"conn-timeout-{connector.id}")
        if id_tag is not None and connector.transaction is None:
            reservations = self._reservations
            parent = reservations.parent_of(id_tag)
            reservation_id = reservations.claim(connector, id_tag, parent)
            self.start(connector, id_tag, parent_id_tag=parent, reservation_id=reservation_id)

    def _on_unplugged(self, connector: Connector) -> None:
        config = self._config
        unlock = config.get_bool("UnlockConnectorOnEVSideDisconnect")
        tx = connector.transaction
        if tx is not None and config.get_bool("StopTransactionOnEVSideDisconnect"):
            # §9.1.33: with the key false the cable stays locked until its owner returns.
            if not unlock:
                self._locked_for[connector.id] = tx.id_tag
            self.stop(connector, "EVDisconnected", unlock=unlock)
        if unlock and connector.locked:
            connector.unlock()

    def _release_cable(self, id_tag: str) -> bool:
        """The owner of a cable kept locked after an EV-side disconnect takes it back."""
        for connector_id, owner in list(self._locked_for.items()):
            if owner.lower() == id_tag.lower():
                del self._locked_for[connector_id]
                self._station.connector(connector_id).unlock()
                return True
        return False

    # ------------------------------------------------------------ start / stop
    def start(
        self,
        connector: Connector,
        id_tag: str,
        *,
        parent_id_tag: str | None = None,
        reservation_id: int | None = None,
    ) -> None:
        now = self._clock.now()
        meter_start = int(connector.energy_wh)
        tx = connector.begin_transaction(id_tag, meter_start, now, reservation_id=reservation_id)
        self._counter += 1
        local = f"{self._station.id}#{self._counter}"
        self._state.put(self._station.id, "tx_counter", self._counter)
        tx.local_key = local
        tx.parent_id_tag = parent_id_tag
        payload: dict[str, Any] = {
            "connectorId": connector.id,
            "idTag": id_tag,
            "meterStart": meter_start,
            "timestamp": iso(now),
        }
        if reservation_id is not None:
            payload["reservationId"] = reservation_id
        self._persist_open(connector, local, id_tag, meter_start, now)
        profile = None
        if self.pending_profile is not None and self.pending_profile[0] == connector.id:
            profile = self.pending_profile[1]
            self.pending_profile = None
        # Installs the remote start's TxProfile (1.6 §5.16.2) and applies the limits in force.
        self._smart.transaction_started(connector, profile)
        meter_values = self.meter_values
        meter_values.open_tx_data(connector)
        meter_values.add_tx_data(connector, "StopTxnSampledData", "Transaction.Begin")
        self.enqueue("StartTransaction", payload, local=local, holds=connector.id)
        meter_values.schedule_sample(connector)
        meter_values.schedule_aligned()
        self._link.status_may_have_changed()

    def stop(
        self, connector: Connector, reason: str, *, id_tag: str | None = None, unlock: bool = True
    ) -> None:
        tx = connector.transaction
        if tx is None:
            return
        now = self._clock.now()
        self._tasks.cancel_timer(f"sample-{connector.id}")
        # Ending settles the meter and opens the contactor, so nothing flows after the
        # register is read: meterStop is exactly where the next meterStart begins (§4.8).
        ended = connector.end_transaction(unlock=unlock)
        self.meter_values.add_tx_data(connector, "StopTxnSampledData", "Transaction.End")
        local = tx.local_key
        # end_transaction reads the register into meter_stop_wh.
        assert ended.meter_stop_wh is not None
        payload: dict[str, Any] = {
            "meterStop": int(ended.meter_stop_wh),
            "timestamp": iso(now),
            "reason": reason,
            "transactionId": tx.protocol_id if tx.protocol_id is not None else 0,
        }
        if id_tag:
            payload["idTag"] = id_tag
        data = self.meter_values.take_tx_data(connector)
        if data:
            payload["transactionData"] = data
        # Its TxProfiles cease and a shared ChargePointMaxProfile is split anew (1.6 §3.13).
        self._smart.transaction_ended(connector)
        self._forget_open(connector)
        self.save_register(connector)
        self.enqueue("StopTransaction", payload, local=local, holds=connector.id)
        self._link.status_may_have_changed()

    # ------------------------------------------------------------ restart recovery
    def _persist_open(
        self, connector: Connector, local: str, id_tag: str, meter_start: int, started: datetime
    ) -> None:
        self._state.put(
            self._station.id,
            f"open_tx_{connector.id}",
            {
                "local": local,
                "id_tag": id_tag,
                "meter_start": meter_start,
                "started": started.timestamp(),
            },
        )

    def _forget_open(self, connector: Connector) -> None:
        self._state.put(self._station.id, f"open_tx_{connector.id}", None)

    def save_register(self, connector: Connector) -> None:
        # The instant goes with the reading: a restart resumes the clock from it.
        record = {"wh": connector.meter.energy_wh, "at": self._clock.now().timestamp()}
        self._state.put(self._station.id, f"energy_{connector.id}", record)

    def recover_after_restart(self) -> None:
        """A transaction left open by a previous process ends with reason PowerLoss (§7.8)."""
        station_id = self._station.id
        saved = {
            c.id: (
                self._state.get(station_id, f"energy_{c.id}"),
                self._state.get(station_id, f"open_tx_{c.id}"),
            )
            for c in self._station.connectors
        }
        # Never before what the previous run wrote (issue 11: a PowerLoss stop stamped
        # before its own start after a restart at high speed).
        instants = [
            float(record[key])
            for register, left in saved.values()
            for record, key in ((register, "at"), (left, "started"))
            if isinstance(record, dict) and record.get(key) is not None
        ]
        if instants:
            self._clock.resume_at(datetime.fromtimestamp(max(instants), UTC))
        for connector in self._station.connectors:
            register, left = saved[connector.id]
            energy = register.get("wh") if isinstance(register, dict) else register
            if energy is not None and energy > connector.meter.energy_wh:
                connector.meter.energy_wh = float(energy)
            if not left or connector.transaction is not None:
                continue
            payload = {
                "meterStop": int(max(left["meter_start"], connector.meter.energy_wh)),
                "timestamp": iso(self._clock.now()),
                "reason": "PowerLoss",
                "transactionId": 0,
            }
            self.enqueue("StopTransaction", payload, local=left["local"])
            self._forget_open(connector)

    # ------------------------------------------------------------ queue
    def enqueue(
        self,
        action: str,
        payload: dict[str, Any],
        *,
        local: str | None = None,
        holds: int | None = None,
    ) -> int:
        """Queue a transaction-related message; returns its queue id.

        ``holds``: the connector whose status waits until the CSMS has this Start- or
        StopTransaction (see the module docstring).
        """
        meta = {"local": local} if local else None
        return self.delivery.push(action, payload, meta, holds=holds)

    def holds_status(self, connector_id: int) -> bool:
        """Does a queued Start/StopTransaction keep this connector's status back?

        Connector 0, the Charge Point as a whole, waits for any of them: it turns
        Unavailable with the last connector's scheduled change (§5.2).
        """
        if connector_id == 0:
            return self.delivery.holding
        return self.delivery.holds_status(connector_id)

    async def drained(self) -> None:
        await self.delivery.drained()

    def on_link_up(self) -> None:
        self.delivery.start()

    def on_link_down(self) -> None:
        self.delivery.stop()

    def delivery_limits(self) -> tuple[int, float]:
        config = self._config  # 1.6 §3.7.1
        return (
            config.value("TransactionMessageAttempts"),
            config.value("TransactionMessageRetryInterval"),
        )

    def _tx_ids(self) -> dict[str, int]:
        # Read once and kept: every queued message's delivery asks (issue 15).
        ids = self._tx_id_cache
        if ids is None:
            ids = self._tx_id_cache = self._state.get(self._station.id, "tx_ids") or {}
        return ids

    def _tx_id_for(self, local: str | None) -> int | None:
        if local is None:
            return None
        return self._tx_ids().get(local)

    def _learn_tx_id(self, local: str, transaction_id: int) -> None:
        ids = self._tx_ids()
        ids[local] = transaction_id
        # Bounded: only ids of transactions that may still have queued messages matter.
        if len(ids) > 200:
            ids = self._tx_id_cache = dict(list(ids.items())[-100:])
        self._state.put(self._station.id, "tx_ids", ids)

    def delivery_payload(self, item: QueuedMessage) -> dict[str, Any] | None:
        """The payload to send, with the transactionId learnt since it was queued (§3.7)."""
        payload = dict(item.payload)
        local = (item.meta or {}).get("local")
        if item.action in ("StopTransaction", "MeterValues") and local:
            tx_id = self._tx_id_for(local)
            if tx_id is None and item.action == "StopTransaction":
                log.error(
                    "%s: dropping StopTransaction of a transaction the CSMS never "
                    "acknowledged (%s)",
                    self._station.id,
                    local,
                )
                return None
            if tx_id is not None:
                payload["transactionId"] = tx_id
        return payload

    def delivery_replied(
        self, item: QueuedMessage, payload: dict[str, Any], reply: dict[str, Any]
    ) -> None:
        action, local = item.action, (item.meta or {}).get("local")
        info = reply.get("idTagInfo")
        id_tag = payload.get("idTag")
        if info and id_tag:
            self._authorizer.remember(id_tag, info)
        if action != "StartTransaction":
            return
        if info and id_tag:
            # 1.6 §3.5.2: a verdict contradicting the local list is reported on connector 0.
            self._local_list.check_conflict(id_tag, info)
        tx_id = reply["transactionId"]
        if local:
            self._learn_tx_id(local, tx_id)
        for connector in self._station.connectors:
            tx = connector.transaction
            if tx is not None and tx.local_key == local:
                tx.protocol_id = tx_id
                if info and info.get("status") != "Accepted":
                    # The CSMS hears the status the session had (Charging) before the one
                    # the refusal brings: the StartTransaction holds the connector's status
                    # until now, so the refusal acts a moment later (OCTT TC_037_2/3_CS).
                    self._tasks.later(
                        f"deauthorize-{connector.id}",
                        DEAUTHORIZE_AFTER_S,
                        self._deauthorize_later(connector, tx),
                    )
                self._link.status_may_have_changed()

    def _deauthorize_later(self, connector: Connector, tx: Any) -> Callable[[], None]:
        def deauthorize() -> None:
            if connector.transaction is tx:  # not ended meanwhile
                self._deauthorized(connector)

        return deauthorize

    def _deauthorized(self, connector: Connector) -> None:
        """StartTransaction.conf not Accepted (§3.5.4, §9.1.24, §9.1.14)."""
        config = self._config
        if not config.get_bool("StopTransactionOnInvalidId"):
            connector.open_contactor()  # only stop energy delivery
            return
        allowance = config.value("MaxEnergyOnInvalidId")
        tx = connector.transaction
        if allowance > 0 and tx is not None and connector.energy_wh - tx.meter_start_wh < allowance:
            # The operator lets the EV take a little energy to drive away, then stops.
            self._invalid_allowance[connector.id] = tx.meter_start_wh + allowance
            self._link.physics_rate_changed()  # the next tick is where it runs out
            return
        self.stop(connector, "DeAuthorized")

    def check_energy_allowance(self) -> None:
        """Stop deauthorized transactions that used up MaxEnergyOnInvalidId (§9.1.14)."""
        for connector_id, limit_wh in list(self._invalid_allowance.items()):
            connector = self._station.connector(connector_id)
            if connector.transaction is None:
                del self._invalid_allowance[connector_id]
            elif connector.energy_wh >= limit_wh:
                del self._invalid_allowance[connector_id]
                self.stop(connector, "DeAuthorized")

    def seconds_to_allowance(self) -> float | None:
        """Virtual seconds until a deauthorized transaction uses up MaxEnergyOnInvalidId
        at the power drawn now, or None (the physics times its next tick by it)."""
        due: float | None = None
        for connector_id, limit_wh in self._invalid_allowance.items():
            connector = self._station.connector(connector_id)
            power = connector.power_w
            if connector.transaction is None or power <= 0.0:
                continue
            seconds = max(0.0, limit_wh - connector.energy_wh) / power * 3600.0
            if due is None or seconds < due:
                due = seconds
        return due

    # ------------------------------------------------------------ smart charging
    def refresh_limits(self) -> None:
        """Apply the smart-charging limits in force at this instant (1.6 §3.13)."""
        self._smart.apply()
