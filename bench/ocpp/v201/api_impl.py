"""``ChargePointApi`` in OCPP 2.0.1 words (see ``bench.ocpp.api``).

``Api201`` is the base of ``ChargePoint201``: the version-neutral calls map here
to boot and stopped reasons (B11/B12, E06), the device model (B05-B07), the
CompositeScheduleType (K08) and external limits (K11-K13).

A 2.0.1 transaction exists once: the transaction block's ``Tx201`` holds it (its
id, idToken, start, meter start and chargingState); the model's ``Transaction``
on the connector only records that an authorized driver's EV may draw energy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

from bench.ocpp.api import (
    CompositeSchedule,
    ConnectorView,
    F,
    InstalledProfile,
    Limit,
    LimitOrigin,
    LimitSource,
    SchedulePeriod,
    Setting,
    TransactionView,
    UnsavedQueue,
    WriteOutcome,
)
from bench.ocpp.api_common import CommonApi, limit_in_force, profile_limit
from bench.ocpp.common.timestamps import read_iso
from bench.ocpp.v201.device_model import (
    AttributeType,
    ComponentKey,
    Mutability,
    VariableDef,
    VariableKey,
)
from bench.ocpp.v201.facets import (
    DeviceModelAccess,
    DisplayScreens,
    MonitorList,
    TransactionEvents,
)
from bench.ocpp.v201.smart_profiles import PURPOSE_NAME
from bench.smart.profiles import EXTERNAL, Profile

if TYPE_CHECKING:
    from bench.ocpp.v201.block import Handler
    from bench.ocpp.v201.charge_point import ChargePoint201
    from bench.ocpp.v201.device_model import DeviceModel
    from bench.smart.store import Installed
    from bench.smart.units import Supply

ID_TOKEN_MAX = 36  # IdTokenType.idToken: identifierString, at most 36 characters
CSO = "CSO"
POWER_LOSS = "PowerLoss"  # ReasonEnumType: complete loss of power
POWER_UP = "PowerUp"  # BootReasonEnumType: powered up, registers itself with the CSMS


def _purpose(profile: Profile) -> str:
    return PURPOSE_NAME[profile.purpose]


def _cp(api: object) -> ChargePoint201:
    # Only ChargePoint201 derives from this class; the cast names the blocks it builds.
    return cast("ChargePoint201", api)


class Api201(CommonApi):
    __slots__ = ()

    # ------------------------------------------------------------ physical actions
    def id_token_problem(self, tag: str) -> str | None:
        # A ``TYPE:value`` badge picks the token type (bench.ocpp.v201.transactions).
        if len(tag.partition(":")[2] or tag) > ID_TOKEN_MAX:
            return f"An idToken is at most {ID_TOKEN_MAX} characters (2.0.1 IdTokenType)"
        return None

    def set_external_limit(self, connector_id: int, amps: float | None) -> None:
        cp = _cp(self)
        # An external constraints profile, announced with NotifyChargingLimit (K12).
        cp.smart.set_external_limit(connector_id, amps)

    def renegotiate_ev(self, connector_id: int) -> bool:
        iso15118 = _cp(self).smart.iso15118
        if not iso15118.hlc(connector_id):
            return False
        iso15118.renegotiate(connector_id)  # K17.FR.01: its needs go out again
        return True

    # ------------------------------------------------------------ views
    def connector(self, connector_id: int) -> ConnectorView:
        cp = _cp(self)
        report = cp.status_of(connector_id)
        c = cp.station.connector(connector_id)
        smart_block = cp.smart

        def external(entry: Installed) -> str | None:
            if entry.profile.purpose != EXTERNAL:
                return None
            return str(smart_block.source_of(entry))

        smart = profile_limit(c.limit_a, c.limit_source, smart_block.store, external)
        tx = cp.transactions.active(connector_id)
        view = None
        if tx is not None:
            token = tx.id_token or {}
            view = TransactionView(
                tx.transaction_id,
                str(token.get("idToken", "")),
                token.get("type"),
                tx.started_at,
                tx.meter_start_wh,
                max(0.0, c.energy_wh - tx.meter_start_wh),
                tx.charging_state or None,  # "" before the Started event
            )
        return ConnectorView(
            connector_id,
            report.status,
            None,
            None,
            c.plugged,
            view,
            limit_in_force(c, smart),
            smart,
        )

    def station_limit(self) -> Limit | None:
        cp = _cp(self)
        amps = cp.smart.limit_a(0)
        if amps is None:
            return None
        return Limit(amps, LimitSource(LimitOrigin.PROFILE, place=0))

    def profiles(self) -> Sequence[InstalledProfile]:
        cp = _cp(self)
        smart = cp.smart
        out = []
        for e in smart.store:
            tx_id = e.raw.get("transactionId")
            out.append(
                InstalledProfile(
                    e.profile.id,
                    e.connector_id,
                    _purpose(e.profile),
                    e.profile.stack_level,
                    str(smart.source_of(e)),
                    str(tx_id) if tx_id is not None else None,
                    e.installed_at,
                )
            )
        return tuple(out)

    def composite_schedule(self, place: int, duration_s: int, unit: str) -> CompositeSchedule:
        cp = _cp(self)
        schedule = cp.smart.composite(place, duration_s, unit)
        start = read_iso(str(schedule["scheduleStart"]))
        periods = tuple(
            SchedulePeriod(int(p["startPeriod"]), float(p["limit"]), p.get("numberPhases"))
            for p in schedule["chargingSchedulePeriod"]
        )
        return CompositeSchedule(place, start, str(schedule["chargingRateUnit"]), periods)

    @property
    def settings(self) -> DeviceModelSettings:
        cp = _cp(self)
        return DeviceModelSettings(cp.device_model, cp.provisioning.set_variables)

    def security_profile(self) -> int:
        cp = _cp(self)
        return int(cp.variable("SecurityCtrlr", "SecurityProfile") or 0)

    # ------------------------------------------------------------ queue
    def queue_length(self) -> int:
        cp = _cp(self)
        return len(cp.transactions.queue)

    def queued_actions(self) -> Sequence[str]:
        cp = _cp(self)
        store = cp.transactions.queue.queue
        return tuple(message.action for message in store.items())

    async def drained(self) -> None:
        cp = _cp(self)
        await cp.transactions.drained()

    # ------------------------------------------------------------ added for the UI (issue 12)
    def _end_transactions_for_power_loss(self) -> None:
        cp = _cp(self)
        transactions = cp.transactions
        for evse_id in cp.evse_ids():
            if transactions.active(evse_id) is not None:
                # ReasonEnumType PowerLoss; the station notices the failure itself.
                transactions.stop(evse_id, POWER_LOSS, "AbnormalCondition")
        for block in cp.blocks:
            block.on_reboot()  # what each block does when the station goes down

    def _prepare_power_up(self) -> None:
        _cp(self).boot_reason = POWER_UP  # BootReasonEnumType PowerUp (B01)

    def unsaved_queue(self) -> UnsavedQueue:
        queue = _cp(self).transactions.queue.queue
        return UnsavedQueue(tuple(m.action for m in queue.unsaved()), queue.unremoved())

    def profile_entries(self) -> Sequence[Installed]:
        return tuple(_cp(self).smart.store)

    def supply(self) -> Supply:
        supply: Supply = _cp(self).smart.supply
        return supply

    def external_limit_origin(self) -> LimitOrigin:
        return LimitOrigin.EXTERNAL  # K12: a ChargingStationExternalConstraints profile

    def facet(self, kind: type[F]) -> F | None:
        cp = _cp(self)
        found: object = None
        if kind is DeviceModelAccess:
            found = DeviceModelAccess(cp.device_model, cp.provisioning)
        elif kind is MonitorList:
            found = MonitorList(cp.monitoring)
        elif kind is DisplayScreens:
            found = DisplayScreens(cp.display)
        elif kind is TransactionEvents:
            found = TransactionEvents(cp.events)

        return cast("F | None", found)


# ------------------------------------------------------------------ settings
def setting_name(component: ComponentKey, variable: VariableKey) -> str:
    """``Component[instance]@evse.connector/Variable[instance]``: one name per variable."""
    text = component.name
    if component.instance is not None:
        text += f"[{component.instance}]"
    if component.evse is not None:
        text += f"@{component.evse}"
        if component.connector is not None:
            text += f".{component.connector}"
    text += f"/{variable.name}"
    if variable.instance is not None:
        text += f"[{variable.instance}]"
    return text


def _named(text: str) -> tuple[str, str | None]:
    name, bracket, rest = text.partition("[")
    return name, (rest.removesuffix("]") if bracket else None)


def parse_setting_name(name: str) -> tuple[ComponentKey, VariableKey]:
    """The inverse of ``setting_name``; ValueError for a name it never makes."""
    component_text, slash, variable_text = name.partition("/")
    if not slash or not variable_text:
        raise ValueError(f"{name!r} is not Component/Variable")
    component_text, at, place = component_text.partition("@")
    comp_name, comp_instance = _named(component_text)
    evse = connector = None
    if at:
        evse_text, dot, connector_text = place.partition(".")
        evse = int(evse_text)
        connector = int(connector_text) if dot else None
    var_name, var_instance = _named(variable_text)
    return (
        ComponentKey(comp_name, comp_instance, evse, connector),
        VariableKey(var_name, var_instance),
    )


def _actual(vdef: VariableDef) -> Mutability | None:
    attr = vdef.attribute(AttributeType.ACTUAL)
    return None if attr is None else attr.mutability


class DeviceModelSettings:
    """The device model's Actual values as ``Settings``; a write is a SetVariables (B05)."""

    __slots__ = ("_set_variables", "model")

    def __init__(self, model: DeviceModel, set_variables: Handler) -> None:
        self.model = model
        # Block B's SetVariables: a write goes through the checks a CSMS's would (B05).
        self._set_variables = set_variables

    def read(self, name: str) -> str | None:
        component, variable = parse_setting_name(name)
        model = self.model
        vdef = model.definition.lookup(component, variable)
        if vdef is None or _actual(vdef) == Mutability.WRITE_ONLY:
            return None
        return model.value(component, variable)

    def list(self) -> Sequence[Setting]:
        model = self.model
        out = []
        for vdef in model.definition:
            mutability = _actual(vdef)
            if mutability is None:
                continue
            secret = mutability == Mutability.WRITE_ONLY
            out.append(
                Setting(
                    setting_name(vdef.component, vdef.variable),
                    None if secret else model.value(vdef.component, vdef.variable),
                    mutability != Mutability.READ_ONLY,
                    secret,
                )
            )
        return tuple(out)

    async def write(self, name: str, value: str) -> WriteOutcome:
        component, variable = parse_setting_name(name)
        request = {
            "setVariableData": [
                {
                    "attributeType": str(AttributeType.ACTUAL),
                    "attributeValue": value,
                    "component": component.to_json(),
                    "variable": variable.to_json(),
                }
            ]
        }
        reply = await self._set_variables(request)
        result = reply["setVariableResult"][0]
        info = result.get("attributeStatusInfo") or {}
        reason = str(info.get("additionalInfo") or info.get("reasonCode") or "")
        return WriteOutcome(name, str(result["attributeStatus"]), reason)
