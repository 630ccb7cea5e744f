"""The CSMS's monitoring requests (N02-N06), mixed into the ``Monitoring`` block.

SetVariableMonitoring, ClearVariableMonitoring, SetMonitoringBase,
SetMonitoringLevel and GetMonitoringReport (streamed as NotifyMonitoringReport
parts after the reply). The block's state (``_custom``, ``_removed``, ...) and
helpers (``monitors``, ``_changed``, ``_schedule``, ``_check``) live in
``bench.ocpp.v201.monitoring``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import orjson

from bench.ocpp.common.timestamps import iso
from bench.ocpp.errors import CallError, CallTimeout, ErrorKind, InvalidReply, LinkClosed, OcppError
from bench.ocpp.session import Reply
from bench.ocpp.v201.block import Block
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
    from bench.ocpp.v201.monitoring import Monitoring as _Self

log = logging.getLogger(__name__)


def _info(reason: str, text: str) -> dict[str, Any]:
    return {"reasonCode": reason, "additionalInfo": text[:512]}


class MonitoringRequests(Block):
    __slots__ = ()

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
    async def set_variable_monitoring(self: _Self, req: dict[str, Any]) -> dict[str, Any]:
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
            self._changed()
        return {"setMonitoringResult": results}

    def _set_one(
        self: _Self, item: dict[str, Any]
    ) -> tuple[str, dict[str, Any] | None, Monitor | None]:
        comp = ComponentKey.from_json(item["component"])
        var = VariableKey.from_json(item["variable"])
        definition = self.cp.device_model.definition
        vdef = definition.lookup(comp, var)
        if vdef is None:
            if not definition.has_component(comp):
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
            existing = self.monitor(int(wanted_id))
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
        for other in self.monitors():
            same = (other.component, other.variable, other.type, other.severity)
            if same == (comp, var, kind, severity) and other.id != wanted_id:
                return "Duplicate", None, None  # N04.FR.10
        if wanted_id is None:
            monitor_id = self._next_id
            self._next_id += 1
        else:
            monitor_id = int(wanted_id)
            self.cp.tasks.cancel_timer(f"monitor-{monitor_id}")
        monitor = Monitor(
            monitor_id, comp, var, kind, value, severity,
            transaction=bool(item.get("transaction", False)),
            kind=Kind.CUSTOM,  # N04.FR.15: a replaced pre-configured monitor is custom now
        )  # fmt: skip
        self._custom[monitor_id] = monitor
        self._schedule(monitor)
        if self._ready:
            self._check(monitor)  # N07.FR.11: the new limit may be passed already
        return "Accepted", None, monitor  # N04.FR.08, N04.FR.12

    # ------------------------------------------------------------ N06 ClearVariableMonitoring
    async def clear_variable_monitoring(self: _Self, req: dict[str, Any]) -> dict[str, Any]:
        ids = req["id"]
        self._check_size(req, ids, "MonitoringCtrlr", "ClearVariableMonitoring")
        results = []
        changed = False
        for monitor_id in ids:
            monitor = self.monitor(monitor_id)
            if monitor is None:
                status = "NotFound"  # N06.FR.02
            elif monitor.kind == Kind.HARD_WIRED:
                status = "Rejected"  # N06.FR.03
            else:
                # N07.FR.12: a removed threshold sends no cleared event.
                if self._custom.pop(monitor_id, None) is None:
                    self._removed.add(monitor_id)
                self.cp.tasks.cancel_timer(f"monitor-{monitor_id}")
                status, changed = "Accepted", True  # N06.FR.01
            results.append({"id": monitor_id, "status": status})  # N06.FR.05
        if changed:
            self._changed()
        return {"clearMonitoringResult": results}

    # ------------------------------------------------------------ N03 SetMonitoringBase
    async def set_monitoring_base(self: _Self, req: dict[str, Any]) -> dict[str, Any]:
        base = req["monitoringBase"]
        if base in ("FactoryDefault", "HardWiredOnly"):
            self._custom.clear()  # N03.FR.04/05
        self._removed.clear()  # All and FactoryDefault (re)activate the pre-configured ones
        for monitor in self._builtin.values():
            monitor.reference = None
        self.cp.set_own_variable("MonitoringCtrlr", "ActiveMonitoringBase", base)
        self._changed()
        self._schedule_all()
        return {"status": "Accepted"}  # N03.FR.01

    # ------------------------------------------------------------ N05 SetMonitoringLevel
    async def set_monitoring_level(self: _Self, req: dict[str, Any]) -> dict[str, Any]:
        severity = req["severity"]
        if not 0 <= severity <= 9:
            return {
                "status": "Rejected",
                "statusInfo": _info("ValueOutOfRange", "0-9"),
            }  # N05.FR.02
        self.cp.set_own_variable("MonitoringCtrlr", "ActiveMonitoringLevel", str(severity))
        return {"status": "Accepted"}  # N05.FR.01, N05.FR.03

    # ------------------------------------------------------------ N02 GetMonitoringReport
    async def get_monitoring_report(self: _Self, req: dict[str, Any]) -> Reply | dict[str, Any]:
        wanted = req.get("componentVariable") or []
        self._check_size(req, wanted, "DeviceDataCtrlr", "GetReport")  # N02.FR.07
        criteria = req.get("monitoringCriteria") or []
        if any(c not in CRITERIA for c in criteria):
            return {"status": "NotSupported"}  # N02.FR.02
        types = {t for c in criteria for t in CRITERIA[c]}
        selected = [
            m
            for m in self.monitors()
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
