"""Payload templates for the CSMS console (bench/csms/console.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bench.csms.console import CSMS_ACTIONS, PROFILES, UnknownAction, profile_of, template
from bench.ocpp.schemas import actions, validate

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)

# 1.6 §3 feature profiles plus the security whitepaper: what a station may receive.
STATION_INITIATED = {
    "Authorize", "BootNotification", "DiagnosticsStatusNotification",
    "FirmwareStatusNotification", "Heartbeat", "MeterValues", "StartTransaction",
    "StatusNotification", "StopTransaction", "LogStatusNotification",
    "SecurityEventNotification", "SignCertificate", "SignedFirmwareStatusNotification",
}  # fmt: skip


def test_the_console_offers_every_csms_initiated_request_of_1_6_and_the_security_extension():
    assert set(CSMS_ACTIONS) == set(actions("1.6")) - STATION_INITIATED | {"DataTransfer"}
    assert len(CSMS_ACTIONS) == len(set(CSMS_ACTIONS))
    assert profile_of("SetChargingProfile") == "Smart Charging"
    assert profile_of("GetLog") == "Security extension"
    assert profile_of("Heartbeat") is None
    assert len(PROFILES) == 7


@pytest.mark.parametrize("action", CSMS_ACTIONS)
def test_every_template_passes_its_request_schema(action: str):
    payload = template(action, NOW)
    validate("1.6", action, payload, response=False)


def test_templates_fill_required_fields_with_bench_friendly_values():
    """1.6 §5.16 SetChargingProfile: a 10 A default profile on connector 1."""
    profile = template("SetChargingProfile", NOW)
    assert profile["connectorId"] == 1
    cs = profile["csChargingProfiles"]
    assert cs["chargingProfilePurpose"] == "TxDefaultProfile"
    assert cs["chargingSchedule"]["chargingSchedulePeriod"] == [{"startPeriod": 0, "limit": 10.0}]
    assert template("Reset", NOW) == {"type": "Soft"}
    reserve = template("ReserveNow", NOW)
    assert reserve["expiryDate"] == "2026-03-01T09:00:00Z"  # an hour after now
    assert template("UpdateFirmware", NOW)["retrieveDate"] == "2026-03-01T08:00:00Z"


def test_hints_name_the_values_to_use_for_a_field_wherever_it_appears():
    hints = {"idTag": "MY-CARD"}
    assert template("RemoteStartTransaction", NOW, hints)["idTag"] == "MY-CARD"
    entries = template("SendLocalList", NOW, hints)["localAuthorizationList"]
    assert entries[0]["idTag"] == "MY-CARD"


def test_an_unknown_action_is_refused_with_its_name():
    with pytest.raises(UnknownAction, match="NoSuchThing"):
        template("NoSuchThing", NOW)
