"""The standardized controllers a bench station implements, seeded from the appendix catalogue.

Data types, units and "required" come from ``dm_catalogue`` (the part 2 appendix CSV);
this module adds what the CSV does not hold: mutability, the default value, limits and
values lists (part 2 appendices §2 "Controller Components", and the referenced
component/variable tables of part 2). Definitions are built once per station layout
and cached, so every station with the same layout shares one object.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from bench.ocpp.v201.device_model import (
    AttributeDef,
    AttributeType,
    Characteristics,
    ComponentKey,
    DataType,
    DeviceModelDefinition,
    Mutability,
    VariableDef,
    VariableKey,
)
from bench.ocpp.v201.dm_catalogue import entry as catalogue_entry

RO, RW, WO = Mutability.READ_ONLY, Mutability.READ_WRITE, Mutability.WRITE_ONLY

# MeasurandEnumType (part 2 §3); the valuesList of every *Measurands MemberList.
MEASURANDS = (
    "Current.Export",
    "Current.Import",
    "Current.Offered",
    "Energy.Active.Export.Register",
    "Energy.Active.Import.Register",
    "Energy.Reactive.Export.Register",
    "Energy.Reactive.Import.Register",
    "Energy.Active.Export.Interval",
    "Energy.Active.Import.Interval",
    "Energy.Active.Net",
    "Energy.Reactive.Export.Interval",
    "Energy.Reactive.Import.Interval",
    "Energy.Reactive.Net",
    "Energy.Apparent.Net",
    "Energy.Apparent.Import",
    "Energy.Apparent.Export",
    "Frequency",
    "Power.Active.Export",
    "Power.Active.Import",
    "Power.Factor",
    "Power.Offered",
    "Power.Reactive.Export",
    "Power.Reactive.Import",
    "SoC",
    "Voltage",
)
# TxStartPoint / TxStopPoint values (part 2 E01, TxCtrlr appendix).
TX_POINTS = (
    "ParkingBayOccupancy",
    "EVConnected",
    "Authorized",
    "DataSigned",
    "PowerPathClosed",
    "EnergyTransfer",
)
AVAILABILITY_STATES = ("Available", "Occupied", "Reserved", "Unavailable", "Faulted")
DEFAULT_MEASURANDS = "Energy.Active.Import.Register,Power.Active.Import,Current.Import"


@dataclass(frozen=True, slots=True)
class Seed:
    """One variable as the bench implements it; ``extra`` holds limits, values and flags."""

    mutability: Mutability
    default: str
    extra: dict[str, Any]


def seed(mutability: Mutability, default: str, **extra: Any) -> Seed:
    """A variable as implemented; extra: min, max, values, monitor, max_set, reboot, live."""
    return Seed(mutability, default, extra)


_s = seed


_BOOL_TRUE_RO = _s(RO, "true")
_BOOL_TRUE_RW = _s(RW, "true")

# (component, variable, instance) -> Seed, for the station-wide controllers.
CONTROLLERS: dict[tuple[str, str, str | None], Seed] = {
    # OCPPCommCtrlr (part 2 appendices §2.x; B01-B04, B09-B10, E13)
    ("OCPPCommCtrlr", "ActiveNetworkProfile", None): _s(RO, "1"),
    ("OCPPCommCtrlr", "FileTransferProtocols", None): _s(
        RO, "HTTP,HTTPS", values=("FTP", "FTPS", "HTTP", "HTTPS", "SFTP")
    ),
    ("OCPPCommCtrlr", "HeartbeatInterval", None): _s(RW, "300", min=1),
    # Part 2 §2.1.3: ReadOnly; a NetworkConnectionProfile's messageTimeout sets it (TC_B_39_CS).
    ("OCPPCommCtrlr", "MessageTimeout", "Default"): _s(RO, "30", min=1),
    ("OCPPCommCtrlr", "MessageAttemptInterval", "TransactionEvent"): _s(RW, "60", min=0),
    ("OCPPCommCtrlr", "MessageAttempts", "TransactionEvent"): _s(RW, "3", min=0),
    # The new priority is used on the next connect, hence RebootRequired (B10).
    ("OCPPCommCtrlr", "NetworkConfigurationPriority", None): _s(RW, "1", reboot=True),
    ("OCPPCommCtrlr", "NetworkProfileConnectionAttempts", None): _s(RW, "3", min=1),
    ("OCPPCommCtrlr", "OfflineThreshold", None): _s(RW, "600", min=0),
    ("OCPPCommCtrlr", "QueueAllMessages", None): _s(RW, "false"),
    ("OCPPCommCtrlr", "ResetRetries", None): _s(RW, "2", min=0),
    # Part 4 §5.3 reconnecting (``reconnect``): 1-3 s at first, doubled up to 32-34 s.
    ("OCPPCommCtrlr", "RetryBackOffRandomRange", None): _s(RW, "2", min=0),
    ("OCPPCommCtrlr", "RetryBackOffRepeatTimes", None): _s(RW, "5", min=0),
    ("OCPPCommCtrlr", "RetryBackOffWaitMinimum", None): _s(RW, "1", min=0),
    ("OCPPCommCtrlr", "UnlockOnEVSideDisconnect", None): _s(RW, "true"),
    # 0: no client pings unless configured, as the 1.6 key; OCPP-J 2.0.1 §8.4 sets no default.
    ("OCPPCommCtrlr", "WebSocketPingInterval", None): _s(RW, "0", min=0),
    # SecurityCtrlr (A00-A05)
    ("SecurityCtrlr", "BasicAuthPassword", None): _s(WO, "", max=40),
    ("SecurityCtrlr", "CertificateEntries", None): _s(RO, "0"),
    ("SecurityCtrlr", "CertSigningRepeatTimes", None): _s(RW, "3", min=0),
    ("SecurityCtrlr", "CertSigningWaitMinimum", None): _s(RW, "60", min=0),
    ("SecurityCtrlr", "Identity", None): _s(RW, "", max=48, reboot=True),
    ("SecurityCtrlr", "OrganizationName", None): _s(RW, "OCPP Bench"),
    # A01.FR.xx: the profile is only raised through SetNetworkProfile, never set directly.
    ("SecurityCtrlr", "SecurityProfile", None): _s(RO, "1", min=0, max=3),
    # AuthCtrlr (C01-C16)
    ("AuthCtrlr", "AuthorizeRemoteStart", None): _s(RW, "true"),
    ("AuthCtrlr", "Enabled", None): _BOOL_TRUE_RW,
    ("AuthCtrlr", "LocalAuthorizeOffline", None): _s(RW, "true"),
    ("AuthCtrlr", "LocalPreAuthorize", None): _s(RW, "false"),
    ("AuthCtrlr", "OfflineTxForUnknownIdEnabled", None): _s(RW, "false"),
    ("AuthCtrlr", "DisableRemoteAuthorization", None): _s(RW, "false"),
    # AuthCacheCtrlr (C10-C12)
    ("AuthCacheCtrlr", "Available", None): _BOOL_TRUE_RO,
    ("AuthCacheCtrlr", "Enabled", None): _BOOL_TRUE_RW,
    ("AuthCacheCtrlr", "LifeTime", None): _s(RW, "86400", min=0),
    ("AuthCacheCtrlr", "Policy", None): _s(RW, "LRU", values=("LRU", "LFU", "FIFO", "CUSTOM")),
    ("AuthCacheCtrlr", "Storage", None): _s(RO, "65536"),
    ("AuthCacheCtrlr", "DisablePostAuthorize", None): _s(RW, "false"),
    # LocalAuthListCtrlr (D01-D02)
    ("LocalAuthListCtrlr", "Available", None): _BOOL_TRUE_RO,
    ("LocalAuthListCtrlr", "BytesPerMessage", None): _s(RO, "65536"),
    ("LocalAuthListCtrlr", "Enabled", None): _BOOL_TRUE_RW,
    ("LocalAuthListCtrlr", "Entries", None): _s(RO, "0", max_set="1000"),
    ("LocalAuthListCtrlr", "ItemsPerMessage", None): _s(RO, "100"),
    ("LocalAuthListCtrlr", "Storage", None): _s(RO, "0"),
    ("LocalAuthListCtrlr", "DisablePostAuthorize", None): _s(RW, "false"),
    # TxCtrlr (E01-E15)
    ("TxCtrlr", "EVConnectionTimeOut", None): _s(RW, "60", min=0),
    ("TxCtrlr", "MaxEnergyOnInvalidId", None): _s(RW, "0", min=0),
    ("TxCtrlr", "StopTxOnEVSideDisconnect", None): _s(RW, "true"),
    ("TxCtrlr", "StopTxOnInvalidId", None): _s(RW, "true"),
    ("TxCtrlr", "TxBeforeAcceptedEnabled", None): _s(RW, "false"),
    ("TxCtrlr", "TxStartPoint", None): _s(RW, "PowerPathClosed", values=TX_POINTS),
    ("TxCtrlr", "TxStopPoint", None): _s(RW, "EVConnected,Authorized", values=TX_POINTS),
    # SampledDataCtrlr (J02, E)
    ("SampledDataCtrlr", "Available", None): _BOOL_TRUE_RO,
    ("SampledDataCtrlr", "Enabled", None): _BOOL_TRUE_RW,
    ("SampledDataCtrlr", "SignReadings", None): _s(RW, "false"),
    ("SampledDataCtrlr", "TxEndedInterval", None): _s(RW, "0", min=0),
    ("SampledDataCtrlr", "TxEndedMeasurands", None): _s(
        RW, "Energy.Active.Import.Register", values=MEASURANDS
    ),
    ("SampledDataCtrlr", "TxStartedMeasurands", None): _s(
        RW, "Energy.Active.Import.Register", values=MEASURANDS
    ),
    ("SampledDataCtrlr", "TxUpdatedInterval", None): _s(RW, "60", min=0),
    ("SampledDataCtrlr", "TxUpdatedMeasurands", None): _s(
        RW, DEFAULT_MEASURANDS, values=MEASURANDS
    ),
    ("SampledDataCtrlr", "RegisterValuesWithoutPhases", None): _s(RW, "false"),
    # AlignedDataCtrlr (J01)
    ("AlignedDataCtrlr", "Available", None): _BOOL_TRUE_RO,
    ("AlignedDataCtrlr", "Enabled", None): _BOOL_TRUE_RW,
    ("AlignedDataCtrlr", "Interval", None): _s(RW, "900", min=0),
    ("AlignedDataCtrlr", "Measurands", None): _s(
        RW, "Energy.Active.Import.Register", values=MEASURANDS
    ),
    ("AlignedDataCtrlr", "SendDuringIdle", None): _s(RW, "false"),
    ("AlignedDataCtrlr", "SignReadings", None): _s(RW, "false"),
    ("AlignedDataCtrlr", "TxEndedInterval", None): _s(RW, "0", min=0),
    ("AlignedDataCtrlr", "TxEndedMeasurands", None): _s(
        RW, "Energy.Active.Import.Register", values=MEASURANDS
    ),
    # SmartChargingCtrlr (K01-K17)
    ("SmartChargingCtrlr", "Available", None): _BOOL_TRUE_RO,
    ("SmartChargingCtrlr", "Enabled", None): _BOOL_TRUE_RW,
    ("SmartChargingCtrlr", "Entries", "ChargingProfiles"): _s(RO, "0", max_set="100"),
    ("SmartChargingCtrlr", "LimitChangeSignificance", None): _s(RW, "10", min=0, max=100),
    ("SmartChargingCtrlr", "NotifyChargingLimitWithSchedules", None): _s(RW, "false"),
    ("SmartChargingCtrlr", "PeriodsPerSchedule", None): _s(RO, "24"),
    ("SmartChargingCtrlr", "Phases3to1", None): _s(RO, "false"),
    ("SmartChargingCtrlr", "ProfileStackLevel", None): _s(RO, "10"),
    ("SmartChargingCtrlr", "RateUnit", None): _s(RO, "A,W", values=("A", "W")),
    # ReservationCtrlr (H01-H04)
    ("ReservationCtrlr", "Available", None): _BOOL_TRUE_RO,
    ("ReservationCtrlr", "Enabled", None): _BOOL_TRUE_RW,
    ("ReservationCtrlr", "NonEvseSpecific", None): _s(RO, "true"),
    # DeviceDataCtrlr (B05-B08)
    ("DeviceDataCtrlr", "BytesPerMessage", "GetReport"): _s(RO, "65536"),
    ("DeviceDataCtrlr", "BytesPerMessage", "GetVariables"): _s(RO, "65536"),
    ("DeviceDataCtrlr", "BytesPerMessage", "SetVariables"): _s(RO, "65536"),
    ("DeviceDataCtrlr", "ConfigurationValueSize", None): _s(RO, "1000"),
    ("DeviceDataCtrlr", "ItemsPerMessage", "GetReport"): _s(RO, "50"),
    ("DeviceDataCtrlr", "ItemsPerMessage", "GetVariables"): _s(RO, "50"),
    ("DeviceDataCtrlr", "ItemsPerMessage", "SetVariables"): _s(RO, "50"),
    ("DeviceDataCtrlr", "ReportingValueSize", None): _s(RO, "2500"),
    ("DeviceDataCtrlr", "ValueSize", None): _s(RO, "1000"),
    # ChargingStation (part 2 appendices, charging infrastructure)
    ("ChargingStation", "AvailabilityState", None): _s(
        RO, "Available", values=AVAILABILITY_STATES, monitor=True
    ),
    ("ChargingStation", "Available", None): _BOOL_TRUE_RO,
    ("ChargingStation", "Model", None): _s(RO, "Virtual"),
    # Generic (appendix §1): true while a fault is injected on the station (N07 faults).
    ("ChargingStation", "Problem", None): _s(RO, "false", monitor=True),
    ("ChargingStation", "SupplyPhases", None): _s(RO, "3", min=0, max=3),
    ("ChargingStation", "VendorName", None): _s(RO, "OCPP Bench"),
}

EVSE_SEEDS: dict[str, Seed] = {
    "AvailabilityState": _s(RO, "Available", values=AVAILABILITY_STATES, monitor=True),
    "Available": _BOOL_TRUE_RO,
    # Actual is the measured power; MaxSet the rated maximum (part 2 appendices, EVSE).
    "Power": _s(RO, "0", max_set="22000", max=22000, monitor=True),
    # Generic variables (appendix §1), kept current by live_values: a fault on the EVSE's
    # connector or the station (propagated, per the Problem definition), the meter's
    # temperature in degrees Celsius.
    "Problem": _s(RO, "false", monitor=True),
    "SupplyPhases": _s(RO, "3", min=0, max=3),
    "Temperature": _s(RO, "0", monitor=True),
}
CONNECTOR_SEEDS: dict[str, Seed] = {
    "AvailabilityState": _s(RO, "Available", values=AVAILABILITY_STATES, monitor=True),
    "Available": _BOOL_TRUE_RO,
    "ConnectorType": _s(RO, "cType2"),
    "Problem": _s(RO, "false", monitor=True),
    "SupplyPhases": _s(RO, "3", min=0, max=3),
    "Temperature": _s(RO, "0", monitor=True),
}

# Values the station measures or derives rather than stores (see _variable_def).
_LIVE_COMPONENTS = frozenset({"ChargingStation", "EVSE", "Connector", "ClockCtrlr"})
_LIVE_VARIABLES = frozenset({"AvailabilityState", "Power", "DateTime", "Problem", "Temperature"})

# The station-wide controllers a station implements (brief of issue 5, block B).
STANDARD_COMPONENTS = tuple(dict.fromkeys(c for c, _v, _i in CONTROLLERS))


def _variable_def(
    component: ComponentKey, name: str, instance: str | None, seed: Seed
) -> VariableDef:
    entry = catalogue_entry(component.name, name, instance)
    extra = seed.extra
    ch = Characteristics(
        data_type=DataType(entry.data_type),
        unit=entry.unit,
        min_limit=extra.get("min"),
        max_limit=extra.get("max"),
        values_list=extra.get("values"),
        supports_monitoring=extra.get("monitor", False),
    )
    # Measured and derived values (power, availability, the clock) change all the time and
    # are recomputed after a restart: writing each one to SQLite would cost a commit per tick.
    live = extra.get("live", component.name in _LIVE_COMPONENTS and name in _LIVE_VARIABLES)
    attrs = [AttributeDef(AttributeType.ACTUAL, seed.mutability, seed.default, persistent=not live)]
    if "max_set" in extra:
        # The capacity (maxLimit-like) is reported as a read-only MaxSet attribute.
        attrs.append(AttributeDef(AttributeType.MAX_SET, RO, extra["max_set"], constant=True))
    return VariableDef(
        component=component,
        variable=VariableKey(name, instance),
        characteristics=ch,
        attributes=tuple(attrs),
        reboot_required=extra.get("reboot", False),
        required=entry.required,
        description=entry.description,
    )


@cache
def standard_definition(connectors_per_evse: tuple[int, ...] = (1,)) -> DeviceModelDefinition:
    """The definition for a station with ``len(connectors_per_evse)`` EVSEs (ids from 1).

    Cached per layout: every station with the same layout shares the returned object.
    """
    from bench.ocpp.v201.seeds import block_seeds  # the blocks import this module

    controllers = {**CONTROLLERS, **block_seeds()}
    variables = [
        _variable_def(ComponentKey(comp), var, inst, seed)
        for (comp, var, inst), seed in controllers.items()
    ]
    for evse_id, connectors in enumerate(connectors_per_evse, start=1):
        for name, seed in EVSE_SEEDS.items():
            variables.append(_variable_def(ComponentKey("EVSE", evse=evse_id), name, None, seed))
        for connector_id in range(1, connectors + 1):
            comp = ComponentKey("Connector", evse=evse_id, connector=connector_id)
            for name, seed in CONNECTOR_SEEDS.items():
                variables.append(_variable_def(comp, name, None, seed))
    return DeviceModelDefinition(tuple(variables))
