"""What optional features a charger has, read from the charger itself.

The operator may declare them; otherwise the bench asks the station before the run
and says so in the report ("read from the station"):

- 1.6: GetConfiguration of ``SupportedFeatureProfiles`` (1.6 §9.1.29) gives the
  feature profiles; the security whitepaper's ``SecurityProfile`` key marks the
  security extension;
- 2.0.1: GetVariables of each controller's ``Available`` variable (part 2,
  appendix "Referenced Components and Variables") gives the functional blocks it
  has, read as the certification profiles of part 5 that need them.

The result names certification profiles (the catalogue's names), so a case of a
profile the charger does not have is not applicable with that reason.
"""

from __future__ import annotations

import logging
from typing import Any

from bench.conformance.charger.endpoint import CsmsEndpoint
from bench.ocpp.errors import OcppError

log = logging.getLogger(__name__)

# 1.6 SupportedFeatureProfiles value -> the catalogue's profile name.
PROFILES_16 = {
    "Core": "Core",
    "FirmwareManagement": "Firmware Management",
    "LocalAuthListManagement": "Local Auth List Management",
    "Reservation": "Reservation",
    "SmartCharging": "Smart Charging",
    "RemoteTrigger": "Remote Trigger",
}

# 2.0.1 (component, variable) whose value "true" means the profile's block is there.
PROFILES_201: tuple[tuple[str, str, str], ...] = (
    ("LocalAuthListCtrlr", "Available", "Local Authorization List Management"),
    ("ReservationCtrlr", "Available", "Reservation"),
    ("SmartChargingCtrlr", "Available", "Smart Charging"),
    ("DisplayMessageCtrlr", "Available", "Advanced User Interface"),
    ("MonitoringCtrlr", "Available", "Advanced Device Management"),
    ("ISO15118Ctrlr", "PnCEnabled", "ISO 15118 Support"),
    # Certificate signing (A02/A03) is what Advanced Security adds to the basic profiles.
    ("SecurityCtrlr", "CertSigningWaitMinimum", "Advanced Security"),
)


BOOLEAN = frozenset({"Available", "Enabled"})


async def read_profiles(endpoint: CsmsEndpoint, timeout: float) -> frozenset[str]:
    """The certification profiles the connected station shows it has (Core always)."""
    if endpoint.version == "1.6":
        return await _read_16(endpoint, timeout)
    return await _read_201(endpoint, timeout)


async def _read_16(endpoint: CsmsEndpoint, timeout: float) -> frozenset[str]:
    found = {"Core"}
    try:
        reply = await endpoint.call(
            "GetConfiguration",
            {"key": ["SupportedFeatureProfiles", "SecurityProfile"]},
            timeout=timeout,
        )
    except OcppError as exc:
        log.warning("reading the charge point's feature profiles failed: %s", exc)
        return frozenset(found)
    for entry in reply.get("configurationKey") or []:
        if entry.get("key") == "SupportedFeatureProfiles":
            for name in str(entry.get("value") or "").split(","):
                if name.strip() in PROFILES_16:
                    found.add(PROFILES_16[name.strip()])
        if entry.get("key") == "SecurityProfile":
            found.add("Security")
    return frozenset(found)


async def _read_201(endpoint: CsmsEndpoint, timeout: float) -> frozenset[str]:
    found = {"Core"}
    data: list[dict[str, Any]] = [
        {"component": {"name": component}, "variable": {"name": variable}}
        for component, variable, _ in PROFILES_201
    ]
    try:
        reply = await endpoint.call("GetVariables", {"getVariableData": data}, timeout=timeout)
    except OcppError as exc:
        log.warning("reading the station's device model failed: %s", exc)
        return frozenset(found)
    for result in reply.get("getVariableResult") or []:
        component = (result.get("component") or {}).get("name")
        variable = (result.get("variable") or {}).get("name")
        for c, v, profile in PROFILES_201:
            if (c, v) == (component, variable):
                if result.get("attributeStatus") != "Accepted":
                    continue
                value = str(result.get("attributeValue", "")).lower()
                # A boolean Available/Enabled must be true; any other variable is there.
                if value == "true" or (value not in ("", "false") and v not in BOOLEAN):
                    found.add(profile)
    return frozenset(found)


async def settle_claims(
    bench: Any, settings: Any, declared: frozenset[str] | None, timeout: float
) -> None:
    """Set the run's claimed profiles: the operator's, or read from the station (and
    say which in the report). An own station is started once just to be asked."""
    if declared is not None:
        settings.claimed_profiles = declared
        source = "declared"
    else:
        if bench.own:
            await bench.dut.before_case("profiles")
        try:
            if not await bench.endpoint.wait_connected(timeout):
                return  # the run says the station is not connected, case by case
            settings.claimed_profiles = await read_profiles(bench.endpoint, timeout)
        finally:
            if bench.own:
                await bench.dut.after_case("profiles")
        source = "read from the station"
    bench.sut.features = tuple(sorted(settings.claimed_profiles))
    bench.sut.features_source = source


# The optional features the bench's own station has (2.0.1: part 5 ids and the names
# the cases use): a ``--self`` run declares them, as an operator declares a real
# charger's. Cases for a station that lacks one of them are then not applicable, and
# the others run. 1.6's optional parts are mostly its feature profiles, read from the
# station; what a template decides (a tethered cable) is added per template.
OWN_STATION_FEATURES: dict[str, frozenset[str]] = {
    "1.6": frozenset(),
    "2.0.1": frozenset(
        {
            "C-02",  # authorization by the start token stops the transaction
            "C-03",
            "C-07",  # Master Pass
            "C-08",
            "C-09.2",
            "C-13",  # Reset of one EVSE
            "C-20",
            "C-28",
            "C-29.1",
            "C-29.2",
            "C-29.3",
            "C-29.4",
            "C-29.5",
            "C-29.6",
            "C-42",
            "C-47",
            "C-49",  # authorization cache
            "C-53",
            "C-56",  # SummaryInventory reports
            "C-59",
            "C-60",  # cancelling a firmware update
            "LA-1",
            "LA-3",
            "ISO-3",  # SignCombinedCertificate
            "ISO-5",
            "R-2",  # reservations of an unspecified EVSE
            "AQ-7",  # downloads firmware during a transaction
            "AS-3",  # one CertificateSigned per SignCertificate (A02/A03)
            "DM-3",
            "C-57",  # cancels an ongoing log upload for a second GetLog
        }
    ),
}
# The names cases use for a permanently attached (tethered) cable.
TETHERED = {"1.6": "FixedCable", "2.0.1": "Permanently attached cable"}


def own_station_features(
    version: str, template: str = "ac-11kw", settings: dict[str, str] | None = None
) -> frozenset[str]:
    """What ``--self TEMPLATE`` declares for the bench's own station (with its station
    ``settings`` over the template's, as ``--set`` gives them)."""
    from bench.model.templates import load_station_template, with_settings

    features = set(OWN_STATION_FEATURES.get(version, frozenset()))
    spec = with_settings(load_station_template(template), **(settings or {}))
    if spec.cable_max_a is not None:
        features.add(TETHERED[version])
    if version == "2.0.1":
        # Part 5's hardware features: HFS-1 a detachable cable (a socket), HFS-2 a fixed
        # one, HFS-3/4 AC/DC, HFS-5/7 one or three phases.
        features.add("HFS-2" if spec.cable_max_a is not None else "HFS-1")
        features.add("HFS-3" if spec.current_type == "AC" else "HFS-4")
        if spec.current_type == "AC":
            features.add("HFS-7" if spec.phases == 3 else "HFS-5")
        if spec.additional_root_certificate_check:
            # AS-2: AdditionalRootCertificateCheck true (M05.FR.09-17), a station setting.
            features.add("AS-2")
    return frozenset(features)


# The OCTT's "<Configured ...>" values the bench knows of its own station (a real
# charger's come from the operator): the id of the station's hard-wired monitor
# (ChargingStation.Problem, N03.FR.04).
OWN_STATION_EXTRA: dict[str, dict[str, str]] = {
    "1.6": {},
    "2.0.1": {"hardwired_monitor_id": "1"},
}
