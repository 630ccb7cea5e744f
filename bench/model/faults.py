"""The fault catalogue: what a technician can break on a station.

Each fault names the 1.6 ``ChargePointErrorCode`` a charge point reports for it
(1.6 §7.6) and says what it does to the hardware. The model only uses the
physical flags; the protocol layer turns the codes into StatusNotification
fields. The error code lives here, next to the fault, so the catalogue is the
one place a bench user reads to learn what "RCD trip" will look like on the
wire.

Physical effect, two flags:

``stops_charging``
    The station cannot deliver energy: the contactor opens and the connector is
    *Faulted* (1.6 §7.7).
``pauses_charging``
    No current is offered while the fault lasts, but the connector is not
    faulted: charging is suspended by the EVSE. 1.6 §7.6 says an
    ``EVCommunicationError`` "should go to the SuspendedEVSE state" and §4.9
    says it is a warning, so the communication faults use this flag.

A fault with neither flag is a warning: charging goes on and the error code is
reported with a non-Faulted status (1.6 §4.9, "When the 'status' field is not
Faulted, the condition should be considered a warning").

``scope`` says where the fault naturally belongs ("connector" or "station",
i.e. connector 0); it guides the UI, the model accepts any fault at either level.
"""

from __future__ import annotations

from dataclasses import dataclass

# 1.6 §7.6 ChargePointErrorCode, every value of the enumeration.
ERROR_CODES_16 = frozenset(
    {
        "ConnectorLockFailure",
        "EVCommunicationError",
        "GroundFailure",
        "HighTemperature",
        "InternalError",
        "LocalListConflict",
        "NoError",
        "OtherError",
        "OverCurrentFailure",
        "OverVoltage",
        "PowerMeterFailure",
        "PowerSwitchFailure",
        "ReaderFailure",
        "ResetFailure",
        "UnderVoltage",
        "WeakSignal",
    }
)

SCOPES = ("connector", "station")


@dataclass(frozen=True, slots=True)
class Fault:
    name: str
    error_code: str
    vendor_error_code: str
    stops_charging: bool
    description: str
    scope: str = "connector"
    pauses_charging: bool = False

    def __post_init__(self) -> None:
        if self.error_code not in ERROR_CODES_16 or self.error_code == "NoError":
            raise ValueError(f"fault {self.name!r}: {self.error_code!r} is not a 1.6 error code")
        if self.scope not in SCOPES:
            raise ValueError(f"fault {self.name!r}: scope must be one of {SCOPES}")

    @property
    def blocks_current(self) -> bool:
        """True when no current may flow while this fault is active."""
        return self.stops_charging or self.pauses_charging


def _catalogue(*faults: Fault) -> dict[str, Fault]:
    return {f.name: f for f in faults}


FAULTS: dict[str, Fault] = _catalogue(
    Fault(
        "ground_failure",
        "GroundFailure",
        "GF-01",
        True,
        "Ground fault detected, residual current device opened",
    ),
    # An RCD trip is the protective device reacting to a ground fault: same 1.6
    # code, told apart by the vendor code.
    Fault("rcd_trip", "GroundFailure", "RCD-TRIP", True, "Residual current device tripped"),
    Fault("over_current", "OverCurrentFailure", "OC-01", True, "Over-current protection tripped"),
    Fault(
        "over_voltage",
        "OverVoltage",
        "OV-01",
        True,
        "Supply voltage above the acceptable range",
        "station",
    ),
    Fault(
        "under_voltage",
        "UnderVoltage",
        "UV-01",
        True,
        "Supply voltage below the acceptable range",
        "station",
    ),
    Fault("high_temperature", "HighTemperature", "TEMP-01", True, "Temperature too high"),
    Fault(
        "connector_lock_failure",
        "ConnectorLockFailure",
        "LOCK-01",
        True,
        "Connector lock does not lock or unlock",
    ),
    Fault(
        "ev_communication_error",
        "EVCommunicationError",
        "CP-01",
        False,
        "Control pilot communication with the EV lost",
        pauses_charging=True,
    ),
    # IEC 61851-1 state F: the control pilot sees no diode in the vehicle. It is
    # a fault of the Mode 3 signalling with the EV, which 1.6 §7.6 files under
    # EVCommunicationError ("might be Mode 3 ... problem"): charging pauses.
    Fault(
        "diode_fault",
        "EVCommunicationError",
        "CP-DIODE",
        False,
        "Control pilot diode missing on the vehicle side",
        pauses_charging=True,
    ),
    # A meter that cannot be read does not stop the energy flowing: a warning.
    Fault("power_meter_failure", "PowerMeterFailure", "MTR-01", False, "Energy meter unreadable"),
    Fault(
        "power_switch_failure",
        "PowerSwitchFailure",
        "SW-01",
        True,
        "Contactor does not switch",
    ),
    Fault(
        "reader_failure", "ReaderFailure", "RFID-01", False, "RFID reader not responding", "station"
    ),
    Fault(
        "internal_error", "InternalError", "INT-01", True, "Internal controller error", "station"
    ),
    Fault("weak_signal", "WeakSignal", "NET-01", False, "Weak cellular signal", "station"),
    Fault(
        "reset_failure", "ResetFailure", "RST-01", False, "Reset could not be performed", "station"
    ),
    # 1.6 has no tamper code; the vendor code carries it. A 2.0.1 station also raises
    # the security event TamperDetectionActivated (A04, security events list).
    Fault(
        "enclosure_tamper",
        "OtherError",
        "TAMPER-01",
        True,
        "Enclosure opened: tamper detection activated",
        "station",
    ),
    Fault("other", "OtherError", "OTHER", True, "Other error, see vendor error code"),
)


def fault(name: str) -> Fault:
    """The catalogue entry for ``name``; KeyError naming the valid names otherwise."""
    try:
        return FAULTS[name]
    except KeyError:
        valid = ", ".join(sorted(FAULTS))
        raise KeyError(f"unknown fault {name!r}; valid faults: {valid}") from None
