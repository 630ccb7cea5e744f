"""Functional block N, monitoring: variable monitors and NotifyEvent (N02-N08).

The station's measured values (``live_values``) change the device model; every
change reaches ``on_variable_changed``, where the monitors on that variable are
evaluated (``mon_model.evaluate``) and the events they raise are sent as
NotifyEvent (``mon_events``). Periodic monitors run on timers. Faults injected
into the model are reported as HardWiredNotification events on the ``Problem``
variable of the faulted component (``report_problem``).

Monitors come in three kinds (part 2 N03): hard-wired ones the CSMS can neither
change nor clear, pre-configured ones switched by SetMonitoringBase, and custom
ones set by the CSMS. Custom monitors and the thresholds' tripped state persist
(N07.FR.13, N07.FR.14).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from bench.model.changes import ConnectorChanged, StationChanged
from bench.ocpp.common.timestamps import iso
from bench.ocpp.v201.block import Block, Evses, Handler, Messaging, Persistence, Services, Variables
from bench.ocpp.v201.device_model import (
    AttributeType,
    ComponentKey,
    Mutability,
    VariableKey,
)
from bench.ocpp.v201.live_values import STATION, LiveValues, connector_key, evse_key
from bench.ocpp.v201.mon_events import EventSender
from bench.ocpp.v201.mon_model import (
    PERIODIC,
    THRESHOLDS,
    Firing,
    Kind,
    Monitor,
    MonitorType,
    evaluate,
    next_aligned,
)
from bench.ocpp.v201.mon_requests import MonitoringRequests
from bench.ocpp.v201.ports import TxLookup

log = logging.getLogger(__name__)

_STATE_KEY = "monitoring.monitors"
FIRST_CUSTOM_ID = 100
STATION_AVAILABILITY_ID = 90  # the pre-configured monitor of the station's AvailabilityState
# Offline-queueing severity of HardWiredNotification events (2 = System Failure).
PROBLEM_SEVERITY = 2
PROBLEM = VariableKey("Problem")


_NO_IDS: frozenset[int] = frozenset()

# Device-model variables the physics changes continuously (live_values.py).
MEASURED = frozenset({"Power", "Temperature"})


@dataclass(frozen=True, slots=True)
class MonitorsChanged:
    """The set of active monitors changed (set, cleared, base switched)."""


@dataclass(frozen=True, slots=True)
class MonitorFired:
    """A monitor or hard-wired notification produced an event (sent, queued or filtered)."""

    event_id: int
    monitor_id: int | None
    trigger: str
    cleared: bool
    component: str
    variable: str
    actual: str
    reported: bool  # False when the monitoring level filtered it out (N07.FR.15)
    evse_id: int | None = None  # the component's EVSE (None: station-wide)


class MonitoringHost(Services, Messaging, Variables, Persistence, Evses, Protocol):
    """What block N uses of the station: live values of its EVSEs, the session, the event queue."""


class Monitoring(Block[MonitoringHost]):
    __slots__ = (
        "_builtin",
        "_by_variable",
        "_custom",
        "_ending",
        "_next_id",
        "_ready",
        "_removed",
        "_transactions",
        "live",
        "requests",
        "sender",
    )

    def __init__(self, cp: MonitoringHost, transactions: TxLookup) -> None:
        super().__init__(cp)
        self._transactions = transactions
        # EVSE -> the transaction that just ended there: the values its end changes (the
        # power falling to 0 at the next physics update) are events of that transaction.
        self._ending: dict[int, str] = {}
        self.live = LiveValues(cp, self._crosses_threshold)
        self.sender = EventSender(cp)
        self._custom: dict[int, Monitor] = {}
        # Pre-configured monitors cleared by the CSMS: replaced, never changed in place, so
        # that every station can share one empty set (10,000 stations in a process).
        self._removed: frozenset[int] = _NO_IDS
        self._next_id = FIRST_CUSTOM_ID
        self._ready = False  # monitors are evaluated from the first accepted boot on
        self._by_variable: dict[tuple[str, str, str | None], list[Monitor]] = {}
        self._builtin = self._builtin_monitors()
        self._load()
        self.requests = MonitoringRequests(cp, self)  # N02-N06

    # ------------------------------------------------------------ the monitors
    def _builtin_monitors(self) -> dict[int, Monitor]:
        """The bench's hard-wired and pre-configured monitors."""
        availability = VariableKey("AvailabilityState")
        # Hard-wired: a change of the station's Problem (a fault) is always reported. The
        # station's AvailabilityState monitor is pre-configured, so the CSMS can clear it
        # and HardWiredOnly removes it (N03.FR.04; TC_N_06_CS and TC_N_18_CS count on it).
        out = {
            1: Monitor(
                1, STATION, VariableKey("Problem"), MonitorType.DELTA, 1, 2, kind=Kind.HARD_WIRED
            ),
            STATION_AVAILABILITY_ID: Monitor(
                STATION_AVAILABILITY_ID, STATION, availability, MonitorType.DELTA, 1, 2,
                kind=Kind.PRECONFIGURED,
            ),
        }  # fmt: skip
        for evse_id in self.cp.evse_ids():
            mid = 1 + evse_id
            out[mid] = Monitor(
                mid, evse_key(evse_id), availability, MonitorType.DELTA, 1, 8,
                kind=Kind.PRECONFIGURED,
            )  # fmt: skip
        return out

    def _base(self) -> str:
        return self.cp.variable("MonitoringCtrlr", "ActiveMonitoringBase") or "All"

    def monitors(self) -> list[Monitor]:
        """Every active monitor, by id: hard-wired, pre-configured (per base), custom."""
        active: dict[int, Monitor] = {}
        base = self._base()
        for mid, monitor in self._builtin.items():
            hard_wired = monitor.kind == Kind.HARD_WIRED
            if hard_wired or (base != "HardWiredOnly" and mid not in self._removed):
                active[mid] = monitor
        active.update(self._custom)  # a replaced pre-configured monitor is custom (N04.FR.15)
        return [active[mid] for mid in sorted(active)]

    def monitor(self, monitor_id: int) -> Monitor | None:
        for monitor in self.monitors():
            if monitor.id == monitor_id:
                return monitor
        return None

    # ------------------------------------------------------------ changed by the requests
    def new_monitor_id(self) -> int:
        """An id for a new custom monitor (N04.FR.11)."""
        monitor_id = self._next_id
        self._next_id += 1
        return monitor_id

    def put(self, monitor: Monitor) -> None:
        """Set or replace a custom monitor (N04.FR.08/12/15) and start watching it."""
        self.cp.tasks.cancel_timer(f"monitor-{monitor.id}")
        self._custom[monitor.id] = monitor
        self._schedule(monitor)
        if self._ready:
            self._check(monitor)  # N07.FR.11: the new limit may be passed already

    def remove(self, monitor_id: int) -> None:
        """Clear a custom or pre-configured monitor (N06.FR.01)."""
        # N07.FR.12: a removed threshold sends no cleared event.
        if self._custom.pop(monitor_id, None) is None:
            self._removed = self._removed | {monitor_id}
        self.cp.tasks.cancel_timer(f"monitor-{monitor_id}")

    def switch_base(self, base: str) -> None:
        """SetMonitoringBase (N03.FR.01/04/05)."""
        if base in ("FactoryDefault", "HardWiredOnly"):
            self._custom.clear()  # N03.FR.04/05
        self._removed = _NO_IDS  # All and FactoryDefault (re)activate the pre-configured ones
        for monitor in self._builtin.values():
            monitor.reference = None
        self.cp.set_own_variable("MonitoringCtrlr", "ActiveMonitoringBase", base)
        self.changed()
        self._schedule_all()

    def changed(self) -> None:
        index: dict[tuple[str, str, str | None], list[Monitor]] = {}
        for monitor in self.monitors():
            key = (monitor.component.name, monitor.variable.name, monitor.variable.instance)
            index.setdefault(key, []).append(monitor)
        self._by_variable = index
        self._save()
        self.cp.events.emit(MonitorsChanged())
        self.cp.physics_rate_changed()

    # ------------------------------------------------------------ persistence (N07.FR.13)
    def _save(self) -> None:
        tripped = [m.id for m in self.monitors() if m.tripped]
        self.cp.state.put(
            self.cp.station.id,
            _STATE_KEY,
            {
                "custom": [m.to_state() for m in self._custom.values()],
                "removed": sorted(self._removed),
                "next_id": self._next_id,
                "tripped": tripped,
            },
        )

    def _load(self) -> None:
        saved = self.cp.state.get(self.cp.station.id, _STATE_KEY) or {}
        for data in saved.get("custom", []):
            monitor = Monitor.from_state(data)
            self._custom[monitor.id] = monitor
        self._removed = frozenset(saved.get("removed", ())) or _NO_IDS
        self._next_id = int(saved.get("next_id", FIRST_CUSTOM_ID))
        for mid in saved.get("tripped", []):
            if mid in self._builtin:
                self._builtin[mid].tripped = True
        index: dict[tuple[str, str, str | None], list[Monitor]] = {}
        for monitor in self.monitors():
            key = (monitor.component.name, monitor.variable.name, monitor.variable.instance)
            index.setdefault(key, []).append(monitor)
        self._by_variable = index

    # ------------------------------------------------------------ hooks
    def handlers(self) -> dict[str, Handler]:
        # Called as each CSMS request arrives: the clock's DateTime is current for it.
        self.live.refresh_clock()
        return self.requests.handlers()

    def on_start(self) -> None:
        self.live.refresh_all()
        self._schedule_all()

    def on_accepted(self) -> None:
        self.live.refresh_clock()
        if not self._ready:
            # Evaluated once online, so what happened while booting reaches the CSMS
            # (N07 remark); a tripped threshold whose value returned clears (N07.FR.14).
            self._ready = True
            for monitor in self.monitors():
                self._check(monitor)
        self.sender.kick()

    def on_link_down(self) -> None:
        self.sender.on_link_down()

    def on_reboot(self) -> None:
        self._ready = False
        for monitor in self.monitors():
            monitor.reference = None  # a new momentary value after a reboot (part 1 §4.4)

    def watches_measurements(self) -> bool:
        """Whether a monitor watches a measured value (Power, Temperature): those change
        continuously, so the physics must tick at its fine rate to evaluate it."""
        return any(key[1] in MEASURED for key in self._by_variable)

    def on_physics(self) -> None:
        self.live.on_physics()
        self._ending.clear()

    def on_model_event(self, event: Any) -> None:
        if isinstance(event, ConnectorChanged) and event.reason == "transaction_ended":
            tx = self._transactions.active(event.connector_id)  # not forgotten yet
            if tx is not None:
                self._ending[event.connector_id] = tx.transaction_id
        self.live.on_model_event(event)
        if isinstance(event, ConnectorChanged) and event.reason in ("fault", "fault_cleared"):
            connector = self.cp.station.connector(event.connector_id)
            self._fault_event(connector_key(event.connector_id), connector.fault)
        elif isinstance(event, StationChanged) and event.reason in ("fault", "fault_cleared"):
            self._fault_event(STATION, self.cp.station.fault)

    def on_variable_changed(self, component: str, variable: str, instance: str | None) -> None:
        if not self._ready:
            return
        for monitor in self._by_variable.get((component, variable, instance), ()):
            self._check(monitor)

    # ------------------------------------------------------------ evaluation (N07, N08)
    def _enabled(self) -> bool:
        return self.cp.variable("MonitoringCtrlr", "Enabled") != "false"

    def _level(self) -> int:
        text = self.cp.variable("MonitoringCtrlr", "ActiveMonitoringLevel")
        return int(text) if text else 9

    def _in_transaction(self, component: ComponentKey) -> bool:
        """Whether a transaction runs on a component relevant to ``component``."""
        connectors = self.cp.station.connectors
        if component.evse is not None:
            connectors = [c for c in connectors if c.id == component.evse]
        return any(c.transaction is not None for c in connectors)

    def _active_now(self, monitor: Monitor) -> bool:
        if not self._enabled():
            return False
        return not monitor.transaction or self._in_transaction(monitor.component)

    def _check(self, monitor: Monitor) -> None:
        if not self._active_now(monitor):
            return
        vdef = self.cp.device_model.definition.lookup(monitor.component, monitor.variable)
        if vdef is None:
            return
        actual = self.cp.device_model.value(monitor.component, monitor.variable)
        was_tripped = monitor.tripped
        firing = evaluate(monitor, actual, vdef.characteristics.data_type)
        if firing is None:
            return
        if monitor.tripped != was_tripped:
            self._save()
        self._fire(monitor, firing, actual)

    def _crosses_threshold(
        self, component: ComponentKey, variable: VariableKey, old: str, new: str
    ) -> bool:
        """For the live values' deadband: does old -> new pass a threshold monitor?"""
        for monitor in self._by_variable.get(
            (component.name, variable.name, variable.instance), ()
        ):
            if monitor.component != component:
                continue
            if monitor.type in THRESHOLDS:
                if (float(old) > monitor.value) != (float(new) > monitor.value):
                    return True
                if (float(old) < monitor.value) != (float(new) < monitor.value):
                    return True
            elif monitor.type == MonitorType.DELTA and monitor.reference not in (None, ""):
                moved = abs(float(new) - float(monitor.reference or 0)) > monitor.value
                if moved:
                    return True
        return False

    def _actual_for_event(self, monitor_component: ComponentKey, variable: VariableKey) -> str:
        vdef = self.cp.device_model.definition.lookup(monitor_component, variable)
        if vdef is None:
            return ""
        actual = vdef.attribute(AttributeType.ACTUAL)
        if actual is None or actual.mutability == Mutability.WRITE_ONLY:
            return ""  # N07.FR.10
        return self.cp.device_model.value(monitor_component, variable) or ""

    def _event(
        self,
        component: ComponentKey,
        variable: VariableKey,
        trigger: str,
        actual: str,
        notification: str,
        *,
        cleared: bool = False,
        monitor_id: int | None = None,
        tech_code: str | None = None,
        tech_info: str | None = None,
    ) -> dict[str, Any]:
        """EventDataType."""
        size = self.cp.variable("DeviceDataCtrlr", "ReportingValueSize")
        limit = min(int(size), 2500) if size else 2500
        data: dict[str, Any] = {
            "eventId": self.sender.next_event_id(),
            "timestamp": iso(self.cp.clock.now()),
            "trigger": trigger,
            "actualValue": actual[:limit],
            "eventNotificationType": notification,
            "component": component.to_json(),
            "variable": variable.to_json(),
        }
        if cleared:
            data["cleared"] = True
        if monitor_id is not None:
            data["variableMonitoringId"] = monitor_id  # N07.FR.06
        if tech_code:
            data["techCode"] = tech_code[:50]
        if tech_info:
            data["techInfo"] = tech_info[:500]
        transaction_id = self._transaction_id(component)
        if transaction_id is not None:
            data["transactionId"] = transaction_id
        return data

    def _transaction_id(self, component: ComponentKey) -> str | None:
        if component.evse is None or component.evse not in self.cp.evse_ids():
            return None
        if self.cp.station.connector(component.evse).transaction is None:
            # N07 (TC_N_20_CS): the drop the end of a transaction causes belongs to it.
            return self._ending.get(component.evse)
        tx = self._transactions.active(component.evse)
        return tx.transaction_id if tx is not None else None

    def _fire(self, monitor: Monitor, firing: Firing, actual: str | None) -> None:
        text = self._actual_for_event(monitor.component, monitor.variable)
        data = self._event(
            monitor.component,
            monitor.variable,
            firing.trigger,
            text,
            str(monitor.kind),
            cleared=firing.cleared,
            monitor_id=monitor.id,
        )
        reported = monitor.severity <= self._level()  # N05.FR.03, N07.FR.15
        self.cp.events.emit(
            MonitorFired(
                data["eventId"], monitor.id, firing.trigger, firing.cleared,
                monitor.component.name, monitor.variable.name, text, reported,
                monitor.component.evse,
            )
        )  # fmt: skip
        if reported:
            self.sender.submit(data, monitor.severity)

    # ------------------------------------------------------------ hard-wired notifications
    def report_problem(
        self,
        component: ComponentKey | str,
        variable: VariableKey | str,
        value: str,
        cleared: bool,
        *,
        tech_code: str | None = None,
        tech_info: str | None = None,
    ) -> None:
        """A HardWiredNotification NotifyEvent (trigger Alerting) about a component's state.

        The device-model value is updated too when the station has the variable.
        Used for injected faults: ``Problem`` true, then cleared.
        """
        comp = ComponentKey(component) if isinstance(component, str) else component
        var = VariableKey(variable) if isinstance(variable, str) else variable
        if self.cp.device_model.definition.lookup(comp, var) is not None:
            self.cp.set_own_variable(comp, var, value)
        data = self._event(
            comp, var, "Alerting", value, "HardWiredNotification",
            cleared=cleared, tech_code=tech_code, tech_info=tech_info,
        )  # fmt: skip
        self.cp.events.emit(
            MonitorFired(
                data["eventId"], None, "Alerting", cleared, comp.name, var.name, value, True,
                comp.evse,
            )
        )  # fmt: skip
        self.sender.submit(data, PROBLEM_SEVERITY)

    def _fault_event(self, component: ComponentKey, fault: Any) -> None:
        if fault is not None:
            self.report_problem(
                component, PROBLEM, "true", False,
                tech_code=fault.vendor_error_code or fault.error_code, tech_info=fault.description,
            )  # fmt: skip
        else:
            self.report_problem(component, PROBLEM, "false", True)

    # ------------------------------------------------------------ periodic monitors (N08)
    def _schedule(self, monitor: Monitor) -> None:
        if monitor.type not in PERIODIC or monitor.value <= 0:
            return
        if monitor.type == MonitorType.PERIODIC:
            virtual = monitor.value  # N08.FR.06: from when it was set or last triggered
        else:
            virtual = next_aligned(self.cp.clock.now(), monitor.value)  # N08.FR.07
        delay = virtual
        mid = monitor.id
        self.cp.tasks.later(f"monitor-{mid}", delay, lambda: self._periodic_due(mid))

    def _schedule_all(self) -> None:
        self.cp.tasks.cancel_timers("monitor-")
        for monitor in self.monitors():
            self._schedule(monitor)

    def _periodic_due(self, monitor_id: int) -> None:
        monitor = self.monitor(monitor_id)
        if monitor is None or monitor.type not in PERIODIC:
            return
        if self._ready and self._active_now(monitor):
            actual = self.cp.device_model.value(monitor.component, monitor.variable)
            self._fire(monitor, Firing("Periodic"), actual)  # N08.FR.05
        self._schedule(monitor)
