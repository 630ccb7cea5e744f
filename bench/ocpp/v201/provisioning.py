"""Functional block B, Provisioning: variables, reports and reset (B05-B08, B11-B12).

BootNotification and the heartbeat are the charge point's own (``charge_point``);
this block answers the CSMS's GetVariables, SetVariables, GetBaseReport, GetReport
and Reset. Reports are streamed as NotifyReport parts after the reply.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Protocol

import orjson

from bench.ocpp.api import RebootKind
from bench.ocpp.common.timestamps import iso
from bench.ocpp.errors import CallError, CallTimeout, ErrorKind, InvalidReply, LinkClosed, OcppError
from bench.ocpp.session import Reply
from bench.ocpp.v201.block import (
    Block,
    Evses,
    Handler,
    Link,
    Messaging,
    Power,
    Services,
    Trigger,
    Variables,
)
from bench.ocpp.v201.device_model import ComponentKey, GetStatus, SetStatus, VariableKey
from bench.ocpp.v201.dm_report import base_report, custom_report, split_report
from bench.ocpp.v201.ports import FirmwareState, NetworkPriority, TxReset
from bench.ocpp.v201.transactions import TransactionEventSent

log = logging.getLogger(__name__)


def _status_info(reason: str | None) -> dict[str, Any] | None:
    if not reason:
        return None
    return {"reasonCode": "InvalidValue", "additionalInfo": reason[:512]}


class ProvisioningHost(Services, Messaging, Variables, Evses, Link, Power, Protocol):
    """What block B uses of the station: the device model, the boot, Reset's power cycle."""


class Provisioning(Block[ProvisioningHost]):
    __slots__ = ("_firmware", "_security", "_transactions", "pending_reset")

    def __init__(
        self,
        cp: ProvisioningHost,
        security: NetworkPriority,
        firmware: FirmwareState,
        transactions: TxReset,
    ) -> None:
        super().__init__(cp)
        self._security = security
        self._firmware = firmware
        self._transactions = transactions
        # A Reset OnIdle waiting for transactions to end: the EVSE id, None for the
        # whole station, False when none waits.
        self.pending_reset: int | bool | None = False
        cp.events.subscribe(self._on_cp_event)

    def handlers(self) -> dict[str, Handler]:
        return {
            "GetVariables": self.get_variables,
            "SetVariables": self.set_variables,
            "GetBaseReport": self.get_base_report,
            "GetReport": self.get_report,
            "Reset": self.reset,
        }

    def triggers(self) -> dict[str, Trigger]:
        return {"BootNotification": self._trigger_boot, "Heartbeat": self._trigger_heartbeat}

    # ------------------------------------------------------------ limits
    def _limit(self, variable: str, instance: str) -> int:
        text = self.cp.variable("DeviceDataCtrlr", variable, instance)
        return int(text) if text else 0

    def _check_size(self, req: dict[str, Any], items: list[Any], instance: str) -> None:
        most = self._limit("ItemsPerMessage", instance)
        if most and len(items) > most:
            # B06.FR.16, B08.FR.17 (and the same rule for SetVariables)
            raise OcppError(
                ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION,
                f"{len(items)} items; ItemsPerMessage{instance} is {most}",
            )
        size = self._limit("BytesPerMessage", instance)
        if size and len(orjson.dumps(req)) > size:
            # B06.FR.17, B08.FR.18
            raise OcppError(
                ErrorKind.FORMAT_VIOLATION, f"request longer than BytesPerMessage{instance} {size}"
            )

    # ------------------------------------------------------------ B06 GetVariables
    async def get_variables(self, req: dict[str, Any]) -> dict[str, Any]:
        self.cp.settle_physics()  # measured values as they are now, not at the last tick
        items = req["getVariableData"]
        self._check_size(req, items, "GetVariables")
        value_size = self.cp.variable("DeviceDataCtrlr", "ReportingValueSize")
        limit = int(value_size) if value_size else None
        results = []
        for item in items:
            component, variable = item["component"], item["variable"]
            attribute = item.get("attributeType", "Actual")
            status, value = self.cp.device_model.get(
                ComponentKey.from_json(component), VariableKey.from_json(variable), attribute
            )
            result: dict[str, Any] = {
                "attributeStatus": str(status),
                "component": component,
                "variable": variable,
            }
            if "attributeType" in item:
                result["attributeType"] = attribute
            if status == GetStatus.ACCEPTED and value is not None:
                # ReportingValueSize truncates what is reported (DeviceDataCtrlr).
                result["attributeValue"] = value[:limit] if limit else value
            results.append(result)
        return {"getVariableResult": results}

    # ------------------------------------------------------------ B05 SetVariables
    async def set_variables(self, req: dict[str, Any]) -> dict[str, Any]:
        items = req["setVariableData"]
        self._check_size(req, items, "SetVariables")
        results = []
        changed = []
        for item in items:
            component, variable = item["component"], item["variable"]
            attribute = item.get("attributeType", "Actual")
            comp, var = ComponentKey.from_json(component), VariableKey.from_json(variable)
            before = self.cp.device_model.value(comp, var, attribute)
            refused = None
            if (comp.name, var.name) == ("SecurityCtrlr", "BasicAuthPassword"):
                refused = password_refusal(item["attributeValue"])
            status, reason = (
                (SetStatus.REJECTED, refused)  # A00.FR.304
                if refused is not None
                else self.cp.device_model.set_variable(comp, var, item["attributeValue"], attribute)
            )
            if (comp.name, var.name) == ("OCPPCommCtrlr", "NetworkConfigurationPriority"):
                # B10.FR.02, A05.FR.02/03: only slots holding a usable profile.
                refusal = self._security.check_network_priority(item["attributeValue"])
                if refusal is not None and status != SetStatus.REJECTED:
                    self.cp.device_model.set_variable(comp, var, before or "", attribute)
                    status, reason = SetStatus.REJECTED, refusal
            result: dict[str, Any] = {
                "attributeStatus": str(status),
                "component": component,
                "variable": variable,
            }
            if "attributeType" in item:
                result["attributeType"] = attribute
            info = _status_info(reason)
            if info is not None:
                result["attributeStatusInfo"] = info
            results.append(result)
            accepted = status in (SetStatus.ACCEPTED, SetStatus.REBOOT_REQUIRED)
            if accepted and self.cp.device_model.value(comp, var, attribute) != before:
                changed.append((comp, var))
        # B05.FR.10: the new values take effect once the whole request is processed.
        for comp, var in changed:
            self.cp.variable_changed(comp, var)
        return {"setVariableResult": results}

    # ------------------------------------------------------------ B07 / B08 reports
    async def get_base_report(self, req: dict[str, Any]) -> Reply:
        self.cp.settle_physics()
        data = base_report(self.cp.device_model, req["reportBase"])
        return Reply({"status": "Accepted"}, then=lambda: self._stream(req["requestId"], data))

    async def get_report(self, req: dict[str, Any]) -> Reply | dict[str, Any]:
        wanted = req.get("componentVariable") or []
        self.cp.settle_physics()
        self._check_size(req, wanted, "GetReport")
        data = custom_report(self.cp.device_model, req.get("componentCriteria") or (), wanted)
        if not data:
            return {"status": "EmptyResultSet"}  # B08.FR.15
        return Reply({"status": "Accepted"}, then=lambda: self._stream(req["requestId"], data))

    def _stream(self, request_id: int, data: list[dict[str, Any]]) -> None:
        self.cp.tasks.spawn(self._send_report(request_id, data), name="notify-report")

    async def _send_report(self, request_id: int, data: list[dict[str, Any]]) -> None:
        items = self._limit("ItemsPerMessage", "GetReport") or 50
        parts = split_report(data, request_id, iso(self.cp.clock.now()), items)
        for part in parts:
            try:
                await self.cp.session.call("NotifyReport", part)
            except (CallError, CallTimeout, InvalidReply) as exc:
                log.warning(
                    "%s: NotifyReport part %d failed: %s", self.cp.station.id, part["seqNo"], exc
                )
            except LinkClosed:
                return  # the report is lost with the connection; the CSMS asks again

    # ------------------------------------------------------------ B11 / B12 Reset
    async def reset(self, req: dict[str, Any]) -> Reply | dict[str, Any]:
        evse_id = req.get("evseId")
        if evse_id is not None and evse_id not in self.cp.evse_ids():
            return {"status": "Rejected", "statusInfo": {"reasonCode": "UnknownEvse"}}
        if self._firmware.installing:
            return {"status": "Rejected"}  # B11.FR.06: an update that cannot be interrupted
        busy = self._busy(evse_id)
        if req["type"] == "OnIdle" and busy:
            # B12.FR.01: wait for the transactions to end, then reset.
            self.pending_reset = evse_id if evse_id is not None else None
            return {"status": "Scheduled"}
        return Reply({"status": "Accepted"}, then=lambda: self._reset_now(evse_id))

    def _busy(self, evse_id: int | None) -> bool:
        """A 2.0.1 transaction runs (it may run without the model holding one, B12)."""
        active = self._transactions.active
        return any(active(n) is not None for n in self.cp.evse_ids() if evse_id in (None, n))

    def _reset_now(self, evse_id: int | None, *, scheduled: bool = False) -> None:
        self.pending_reset = False
        self.cp.tasks.spawn(self._do_reset(evse_id, scheduled), name="reset")

    async def _do_reset(self, evse_id: int | None, scheduled: bool = False) -> None:
        # B12.FR.02/05: transactions end with ImmediateReset before the station resets.
        await self._transactions.end_for_reset(evse_id)
        self._security.notify("ResetOrReboot", "Reset requested by the CSMS")
        if evse_id is None:
            # B11.FR.03/04: RemoteReset; TC_B_21_CS: ScheduledReset once a Scheduled one runs.
            await self.cp.reboot(RebootKind.SCHEDULED if scheduled else RebootKind.REMOTE)
        else:
            # B11.FR.08: an EVSE reset returns it to its idle state; the station stays up.
            connector = self.cp.station.connector(evse_id)
            if connector.plugged and connector.transaction is None:
                connector.unlock()
            self.cp.resend_status(evse_id)

    def on_model_event(self, event: Any) -> None:
        self._reset_if_idle()

    def _on_cp_event(self, event: object) -> None:
        # A 2.0.1 transaction can end without a model event (a stop point lost): look
        # again once the transactions block has finished ending it.
        ended = isinstance(event, TransactionEventSent) and event.event_type == "Ended"
        if ended and self.pending_reset is not False:
            self.cp.tasks.later("reset-on-idle", 0.0, self._reset_if_idle)

    def _reset_if_idle(self) -> None:
        if self.pending_reset is not False and not self._busy(self.pending_reset or None):
            self._reset_now(self.pending_reset or None, scheduled=True)  # B12.FR.01

    # ------------------------------------------------------------ triggers (F06)
    async def _trigger_boot(self, evse: dict[str, Any] | None) -> None:
        # BootReasonEnumType: Triggered, "the boot was triggered by a TriggerMessageRequest".
        self.cp.boot_reason = "Triggered"
        self.cp.boot_now()

    async def _trigger_heartbeat(self, evse: dict[str, Any] | None) -> None:
        await self.cp.send_heartbeat()


# passwordString (part 2, primitive datatypes): what a BasicAuthPassword may contain.
_PASSWORD_CHARS = re.compile(r"^[A-Za-z0-9*\-_=:+|@.]*$")


def password_refusal(value: str) -> str | None:
    """Why ``value`` cannot be the BasicAuthPassword, or None: 16 to 40 characters of
    passwordString (A00.FR.304)."""
    if not 16 <= len(value) <= 40:
        return f"a BasicAuthPassword has 16 to 40 characters, not {len(value)}"
    if not _PASSWORD_CHARS.match(value):
        return "a BasicAuthPassword is alphanumeric or one of *-_=:+|@."
    return None
