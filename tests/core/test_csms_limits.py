"""Values a schema allows but storage cannot hold, checked on every CALL a station sends.

``check_storable`` runs before the built-in CSMS's handlers (issue 11 #7). Its
verdict is a PropertyConstraintViolation naming the field (OCPP-J 1.6 §4.2.3,
2.0.1 part 4 §4.3); it must find a bad value wherever a station puts it, and let
every instant the schemas accept (RFC 3339, lower-case "t" and "z" included) pass.
"""

from __future__ import annotations

import importlib.resources
import json
from typing import Any

import pytest

from bench.csms.limits import INSTANT_KEYS, check_storable
from bench.csms.storage import normalize_timestamp
from bench.ocpp import schemas
from bench.ocpp.errors import ErrorKind, OcppError


def refusal(version: str, payload: Any) -> str:
    with pytest.raises(OcppError) as refused:
        check_storable(version, payload)
    assert refused.value.kind is ErrorKind.PROPERTY_CONSTRAINT_VIOLATION
    return refused.value.description


def transaction_event(value: Any, filler: list[Any] | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "eventType": "Updated",
        "timestamp": "2026-01-01T00:00:00Z",
        "triggerReason": "MeterValuePeriodic",
        "seqNo": 1,
        "transactionInfo": {"transactionId": "t1"},
        "meterValue": [
            {
                "timestamp": "2026-01-01T00:00:00Z",
                "sampledValue": [{"value": 1.0}, {"value": value}],
            }
        ],
    }
    if filler is not None:
        # customData takes any property (the schemas leave it open): room to hide in.
        event["customData"] = {"vendorId": "evil", "filler": filler}
    return event


def test_an_ordinary_payload_of_each_version_passes() -> None:
    meter = {
        "connectorId": 1,
        "transactionId": 7,
        "meterValue": [
            {"timestamp": "2026-01-01T00:00:00+01:00", "sampledValue": [{"value": "12"}]}
        ],
    }
    check_storable("1.6", meter)
    check_storable("2.0.1", transaction_event(12.5))


def test_the_refusal_names_the_field_where_the_value_sits() -> None:
    why = refusal("2.0.1", transaction_event(2**63))
    assert why.startswith("meterValue[0].sampledValue[1].value: ")
    assert "64-bit" in why
    assert refusal("1.6", {"connectorId": -1}).startswith("connectorId: ")


def test_a_value_hidden_behind_a_hundred_thousand_containers_is_still_refused() -> None:
    """A walk that gave up after a node count let the value behind the filler through."""
    event = transaction_event(2**64 - 1, filler=[[] for _ in range(120_000)])
    schemas.validate("2.0.1", "TransactionEvent", event, response=False)  # schema-valid
    assert "meterValue[0].sampledValue[1].value" in refusal("2.0.1", event)


@pytest.mark.parametrize(
    "instant",
    ["2026-01-01t10:00:00z", "2026-01-01T10:00:00.123z"],
)
def test_rfc_3339_lower_case_t_and_z_are_instants_and_stored_in_one_spelling(
    instant: str,
) -> None:
    """RFC 3339 §5.6 allows them and the date-time schema format accepts them."""
    payload = {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
    payload["timestamp"] = instant
    schemas.validate("1.6", "StatusNotification", payload, response=False)
    check_storable("1.6", payload)
    assert normalize_timestamp(instant).startswith("2026-01-01T")
    assert normalize_timestamp(instant).endswith("Z")


def test_an_instant_that_does_not_exist_is_still_refused() -> None:
    why = refusal("1.6", {"connectorId": 1, "timestamp": "0000-01-01T00:00:00Z"})
    assert why.startswith("timestamp: ")


def date_time_fields(value: Any) -> set[str]:
    """Names of the properties with format date-time anywhere in a schema."""
    found: set[str] = set()
    if isinstance(value, dict):
        for name, spec in value.get("properties", {}).items():
            if isinstance(spec, dict) and spec.get("format") == "date-time":
                found.add(name)
        for child in value.values():
            found |= date_time_fields(child)
    elif isinstance(value, list):
        for child in value:
            found |= date_time_fields(child)
    return found


def test_every_date_time_field_of_both_versions_is_checked() -> None:
    fields: set[str] = set()
    for package in ("ocpp.v16", "ocpp.v201"):
        for entry in (importlib.resources.files(package) / "schemas").iterdir():
            if entry.name.endswith(".json"):
                fields |= date_time_fields(json.loads(entry.read_text(encoding="utf-8")))
    assert fields == INSTANT_KEYS


def test_an_ev_schedule_time_base_that_does_not_exist_is_refused() -> None:
    """K15: the CSMS compares timeBase with its TxProfile's startSchedule; a year-0000
    timeBase used to reach that comparison and end in an InternalError."""
    notify = {
        "timeBase": "0000-01-01T00:00:00Z",
        "evseId": 1,
        "chargingSchedule": {
            "id": 1,
            "chargingRateUnit": "W",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 1000.0}],
        },
    }
    schemas.validate("2.0.1", "NotifyEVChargingSchedule", notify, response=False)
    assert refusal("2.0.1", notify).startswith("timeBase: ")
