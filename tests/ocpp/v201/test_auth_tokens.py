"""IdToken comparison rules of 2.0.1 authorization (C01.FR.25, C09, C10.FR.13, C01.FR.21)."""

from __future__ import annotations

from datetime import UTC, datetime

from bench.ocpp.v201.auth_tokens import (
    allowed_at,
    bare_token,
    cache_expired,
    same_group,
    same_token,
    token_key,
)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def test_tokens_are_equal_by_value_ignoring_case_and_by_type_ignoring_additional_info() -> None:
    """C01.FR.25 (errata): idToken and type decide; additionalInfo does not."""
    a = {"idToken": "abc", "type": "ISO14443"}
    b = {
        "idToken": "ABC",
        "type": "ISO14443",
        "additionalInfo": [{"additionalIdToken": "x", "type": "y"}],
    }
    assert same_token(a, b)
    assert not same_token(a, {"idToken": "abc", "type": "ISO15693"})
    assert not same_token(a, None)


def test_an_empty_group_never_matches() -> None:
    """C09 §1.2: groups match when both are present and not empty."""
    group = {"idToken": "FLEET", "type": "Central"}
    assert same_group(group, {"idToken": "fleet", "type": "Central"})
    assert not same_group({"idToken": "", "type": "Central"}, {"idToken": "", "type": "Central"})
    assert not same_group(group, None)


def test_the_store_key_holds_type_and_value_and_custom_data_is_dropped() -> None:
    token = {"idToken": "a:b", "type": "Local", "customData": {"vendorId": "v"}}
    assert token_key(token) == "Local:a:b"
    assert bare_token(token) == {"idToken": "a:b", "type": "Local"}


def test_cache_expiry_date_time_in_the_past_has_expired() -> None:
    """C10.FR.13 (errata)."""
    assert cache_expired({"cacheExpiryDateTime": "2025-06-01T11:59:59Z"}, NOW)
    assert not cache_expired({"cacheExpiryDateTime": "2025-06-01T12:00:01Z"}, NOW)
    assert not cache_expired({"status": "Accepted"}, NOW)


def test_an_evse_list_limits_where_a_token_may_charge() -> None:
    """C01.FR.19-21: no list means every EVSE."""
    assert allowed_at({"status": "Accepted"}, 3)
    assert allowed_at({"evseId": [1, 2]}, 2)
    assert not allowed_at({"evseId": [1, 2]}, 3)
    assert allowed_at({"evseId": [1]}, None)
