"""The CSMS's monitoring requests (N02-N06), answered for the ``Monitoring`` block.

SetVariableMonitoring, ClearVariableMonitoring, SetMonitoringBase,
SetMonitoringLevel and GetMonitoringReport (streamed as NotifyMonitoringReport
parts after the reply). The monitors themselves (which are active, their timers,
persistence, evaluation) stay with the block, behind ``MonitorRegistry``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from bench.ocpp.common.timestamps import iso
from bench.ocpp.errors import CallError, CallTimeout, ErrorKind, InvalidReply, LinkClosed, OcppError
from bench.ocpp.session import Reply
from bench.ocpp.v201.block import Messaging, Services, Variables
from bench.ocpp.v201.device_model import ComponentKey, VariableKey
from bench.ocpp.v201.mon_model import (
    CRITERIA,
    THRESHOLDS,
    Kind,
    Monitor,
    MonitorType,
    matches,
    supports,
)

if TYPE_CHECKING:
    from bench.ocpp.v201.block import Handler

log = logging.getLogger(__name__)


def _known_component(definition: Any, comp: ComponentKey) -> bool:
    """The station has ``comp``; a component named without its EVSE ("EVSE") is known
    when it exists on some EVSE, so an unknown variable of it is UnknownVariable
    (N04.FR.04, TC_N_37_CS), not UnknownComponent."""
    if definition.has_component(comp):
        return True
    if comp.evse is not None or comp.connector is not None:
        return False
    return any(c.name == comp.name and c.instance == comp.instance for c in definition.components)


def _info(reason: str, text: str) -> dict[str, Any]:
    return {"reasonCode": reason, "additionalInfo": text[:512]}


class MonitorRegistry(Protocol):
    """The monitors of block N as its requests change them."""

    def monitors(self) -> list[Monitor]: ...
    def monitor(self, monitor_id: int) -> Monitor | None: ...
    def new_monitor_id(self) -> int: ...
    def put(self, monitor: Monitor) -> None: ...
    def remove(self, monitor_id: int) -> None: ...
    def switch_base(self, base: str) -> None: ...
    def changed(self) -> None: ...


class RequestsHost(Services, Messaging, Variables, Protocol):
    """What the monitoring requests use of the station: the device model, the session, timers."""


class MonitoringRequests:
    __slots__ = ("cp", "registry")

    def __init__(self, cp: RequestsHost, registry: MonitorRegistry) -> None:
        self.cp = cp
        self.registry = registry

    def handlers(self) -> dict[str, Handler]:
        return {
            "SetVariableMonitoring": self.set_variable_monitoring,
            "ClearVariableMonitoring": self.clear_variable_monitoring,
            "SetMonitoringBase": self.set_monitoring_base,
            "SetMonitoringLevel": self.set_monitoring_level,
            "GetMonitoringReport": self.get_monitoring_report,
        }

    # ------------------------------------------------------------ limits (N04.FR.09, N06.FR.06/07)
    def _check_size(
        self, req: dict[str, Any], items: list[Any], component: str, instance: str
    ) -> None:
        def limit(variable: str) -> int:
            text = self.cp.variable(component, variable, instance)
            return int(text) if text else 0

        most = limit("ItemsPerMessage")
        if most and len(items) > most:
            raise OcppError(
                ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION,
                f"{len(items)} items; {component}.ItemsPerMessage[{instance}] is {most}",
            )
        size = limit("BytesPerMessage")
        if size and len(orjson.dumps(req)) > size:
            raise OcppError(
                ErrorKind.FORMAT_VIOLATION,
                f"request longer than {component}.BytesPerMessage[{instance}] {size}",
            )

    # ------------------------------------------------------------ N04 SetVariableMonitoring
    async def set_variable_monitoring(self, req: dict[str, Any]) -> dict[str, Any]:
        items = req["setMonitoringData"]
        self._check_size(req, items, "MonitoringCtrlr", "SetVariableMonitoring")
        results = []
        changed = False
        for item in items:
            status, info, monitor = self._set_one(item)
            result: dict[str, Any] = {
                "status": status,
                "type": item["type"],
                "severity": item["severity"],
                "component": item["component"],
                "variable": item["variable"],
            }
            if monitor is not None:
                result["id"] = monitor.id  # N04.FR.11
                changed = True
            if info is not None:
                result["statusInfo"] = info
            results.append(result)  # N04.FR.01/02: one result per element, same order
        if changed:
            self.registry.changed()
        return {"setMonitoringResult": results}

    def _set_one(self, item: dict[str, Any]) -> tuple[str, dict[str, Any] | None, Monitor | None]:
        comp = ComponentKey.from_json(item["component"])
        var = VariableKey.from_json(item["variable"])
        definition = self.cp.device_model.definition
        vdef = definition.lookup(comp, var)
        if vdef is None:
            if not _known_component(definition, comp):
                return "UnknownComponent", None, None  # N04.FR.03
            return "UnknownVariable", None, None  # N04.FR.04
        kind = MonitorType(item["type"])
        ch = vdef.characteristics
        if not ch.supports_monitoring or not supports(kind, ch.data_type):
            return "UnsupportedMonitorType", None, None  # N04.FR.05
        severity, value = int(item["severity"]), float(item["value"])
        if not 0 <= severity <= 9:
            return "Rejected", _info("InvalidValue", "severity is 0-9"), None
        if kind in THRESHOLDS and (
            (ch.min_limit is not None and value < ch.min_limit)
            or (ch.max_limit is not None and value > ch.max_limit)
        ):
            return (
                "Rejected",
                _info("ValueOutOfRange", "outside minLimit..maxLimit"),
                None,
            )  # N04.FR.06
        if kind == MonitorType.DELTA and value < 0:
            return (
                "Rejected",
                _info("ValueOutOfRange", "a delta cannot be negative"),
                None,
            )  # N04.FR.14
        if kind not in THRESHOLDS and kind != MonitorType.DELTA and value <= 0:
            return "Rejected", _info("ValueOutOfRange", "an interval must be positive"), None
        wanted_id = item.get("id")
        if wanted_id is not None:
            existing = self.registry.monitor(int(wanted_id))
            if existing is None:
                return "Rejected", _info("UnknownId", "no monitor with this id"), None  # N04.FR.13
            if (existing.component, existing.variable) != (comp, var):
                return (
                    "Rejected",
                    _info("InvalidValue", "a monitor keeps its variable"),
                    None,
                )  # N04.FR.16
            if existing.kind == Kind.HARD_WIRED:
                return "Rejected", _info("ReadOnly", "hard-wired monitor"), None  # N04.FR.18
        for other in self.registry.monitors():
            same = (other.component, other.variable, other.type, other.severity)
            if same == (comp, var, kind, severity) and other.id != wanted_id:
                return "Duplicate", None, None  # N04.FR.10
        monitor_id = self.registry.new_monitor_id() if wanted_id is None else int(wanted_id)
        monitor = Monitor(
            monitor_id, comp, var, kind, value, severity,
            transaction=bool(item.get("transaction", False)),
            kind=Kind.CUSTOM,  # N04.FR.15: a replaced pre-configured monitor is custom now
        )  # fmt: skip
        self.registry.put(monitor)
        return "Accepted", None, monitor  # N04.FR.08, N04.FR.12

    # ------------------------------------------------------------ N06 ClearVariableMonitoring
    async def clear_variable_monitoring(self, req: dict[str, Any]) -> dict[str, Any]:
        ids = req["id"]
        self._check_size(req, ids, "MonitoringCtrlr", "ClearVariableMonitoring")
        results = []
        changed = False
        for monitor_id in ids:
            monitor = self.registry.monitor(monitor_id)
            if monitor is None:
                status = "NotFound"  # N06.FR.02
            elif monitor.kind == Kind.HARD_WIRED:
                status = "Rejected"  # N06.FR.03
            else:
                self.registry.remove(monitor_id)
                status, changed = "Accepted", True  # N06.FR.01
            results.append({"id": monitor_id, "status": status})  # N06.FR.05
        if changed:
            self.registry.changed()
        return {"clearMonitoringResult": results}

    # ------------------------------------------------------------ N03 SetMonitoringBase
    async def set_monitoring_base(self, req: dict[str, Any]) -> dict[str, Any]:
        self.registry.switch_base(req["monitoringBase"])
        return {"status": "Accepted"}  # N03.FR.01

    # ------------------------------------------------------------ N05 SetMonitoringLevel
    async def set_monitoring_level(self, req: dict[str, Any]) -> dict[str, Any]:
        severity = req["severity"]
        if not 0 <= severity <= 9:
            return {
                "status": "Rejected",
                "statusInfo": _info("ValueOutOfRange", "0-9"),
            }  # N05.FR.02
        self.cp.set_own_variable("MonitoringCtrlr", "ActiveMonitoringLevel", str(severity))
        return {"status": "Accepted"}  # N05.FR.01, N05.FR.03

    # ------------------------------------------------------------ N02 GetMonitoringReport
    async def get_monitoring_report(self, req: dict[str, Any]) -> Reply | dict[str, Any]:
        wanted = req.get("componentVariable") or []
        self._check_size(req, wanted, "DeviceDataCtrlr", "GetReport")  # N02.FR.07
        criteria = req.get("monitoringCriteria") or []
        if any(c not in CRITERIA for c in criteria):
            return {"status": "NotSupported"}  # N02.FR.02
        types = {t for c in criteria for t in CRITERIA[c]}
        selected = [
            m
            for m in self.registry.monitors()
            if (not types or m.type in types) and (not wanted or any(matches(m, w) for w in wanted))
        ]
        if not selected:
            return {"status": "EmptyResultSet"}  # N02.FR.10
        groups: dict[tuple[ComponentKey, VariableKey], list[Monitor]] = {}
        for monitor in selected:
            groups.setdefault((monitor.component, monitor.variable), []).append(monitor)
        data = [
            {
                "component": comp.to_json(),
                "variable": var.to_json(),
                "variableMonitoring": [m.to_json() for m in monitors],
            }
            for (comp, var), monitors in groups.items()
        ]
        request_id = req["requestId"]

        def stream() -> None:
            self.cp.tasks.spawn(self._send_report(request_id, data), name="monitoring-report")

        return Reply({"status": "Accepted"}, then=stream)  # N02.FR.01

    async def _send_report(self, request_id: int, data: list[dict[str, Any]]) -> None:
        text = self.cp.variable("DeviceDataCtrlr", "ItemsPerMessage", "GetReport")
        items = max(1, int(text) if text else 50)
        chunks = [data[i : i + items] for i in range(0, len(data), items)]
        generated = iso(self.cp.clock.now())
        for seq_no, chunk in enumerate(chunks):
            payload = {
                "requestId": request_id,  # N02.FR.04
                "seqNo": seq_no,  # N02.FR.09
                "generatedAt": generated,
                "tbc": seq_no < len(chunks) - 1,
                "monitor": chunk,
            }
            try:
                await self.cp.session.call("NotifyMonitoringReport", payload)  # N02.FR.03
            except (CallError, CallTimeout, InvalidReply) as exc:
                log.warning("%s: NotifyMonitoringReport failed: %s", self.cp.station.id, exc)
            except LinkClosed:
                return
