"""LinkConfig: connection URL building (OCPP-J 1.6 §3.1.1) and security profile checks."""

from __future__ import annotations

import pytest

from bench.transport.config import LinkConfig


@pytest.mark.parametrize(
    ("base", "station", "expected"),
    [
        # OCPP-J 1.6 §3.1.1, example 1
        (
            "ws://centralsystem.example.com/ocpp",
            "CP001",
            "ws://centralsystem.example.com/ocpp/CP001",
        ),
        # ... and example 2: the identity is percent-encoded
        (
            "wss://centralsystem.example.com/ocppj",
            "RDAM 123",
            "wss://centralsystem.example.com/ocppj/RDAM%20123",
        ),
        ("ws://h/ocpp/", "CP001", "ws://h/ocpp/CP001"),
        ("ws://h:9000", "CP001", "ws://h:9000/CP001"),
        ("ws://h:9000/", "CP001", "ws://h:9000/CP001"),
        ("ws://h/ocpp?token=x", "CP001", "ws://h/ocpp/CP001?token=x"),
        ("ws://h/ocpp/{id}/", "CP001", "ws://h/ocpp/CP001/"),
        ("ws://h/{id}/ocpp16", "CP 1", "ws://h/CP%201/ocpp16"),
        ("ws://h/ocpp", "a/b#c?d", "ws://h/ocpp/a%2Fb%23c%3Fd"),
    ],
)
def test_endpoint_puts_the_station_id_in_the_last_segment_or_the_placeholder(
    base: str, station: str, expected: str
) -> None:
    assert LinkConfig(base, station).endpoint() == expected


@pytest.mark.parametrize("url", ["http://h/ocpp", "https://h/ocpp", "h/ocpp", "ftp://h"])
def test_a_non_websocket_url_is_rejected_with_a_clear_message(url: str) -> None:
    with pytest.raises(ValueError, match=r"must start with ws:// or wss://"):
        LinkConfig(url, "CP1")


def test_an_empty_station_id_is_rejected() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        LinkConfig("ws://h/ocpp", "")


@pytest.mark.parametrize(
    ("kwargs", "profile"),
    [
        ({"url": "ws://h/o"}, 0),
        ({"url": "ws://h/o", "password": "0123456789abcdef"}, 1),
        ({"url": "wss://h/o", "password": "0123456789abcdef"}, 2),
        ({"url": "wss://h/o", "cert_file": "c.pem", "key_file": "c.key"}, 3),
        ({"url": "wss://h/o"}, 0),  # TLS without credentials: server still verified
    ],
)
def test_the_security_profile_is_inferred_from_url_and_credentials(
    kwargs: dict, profile: int
) -> None:
    assert LinkConfig(station_id="CP1", **kwargs).profile == profile


def test_profile_1_needs_a_password_and_accepts_ws_or_wss() -> None:
    """Whitepaper §2.3, A00.FR.202/203."""
    with pytest.raises(ValueError, match="profile 1 needs a password"):
        LinkConfig("ws://h/o", "CP1", security_profile=1)
    assert LinkConfig("ws://h/o", "CP1", security_profile=1, password="k" * 16).profile == 1
    assert LinkConfig("wss://h/o", "CP1", security_profile=1, password="k" * 16).profile == 1


def test_profile_2_needs_wss_and_a_password() -> None:
    """Whitepaper §2.4, A00.FR.301/311."""
    with pytest.raises(ValueError, match="profile 2 needs a wss:// URL"):
        LinkConfig("ws://h/o", "CP1", security_profile=2, password="k" * 16)
    with pytest.raises(ValueError, match="profile 2 needs a password"):
        LinkConfig("wss://h/o", "CP1", security_profile=2)


def test_profile_3_needs_wss_and_a_client_certificate() -> None:
    """Whitepaper §2.5, A00.FR.401/415."""
    with pytest.raises(ValueError, match="profile 3 needs a wss:// URL"):
        LinkConfig("ws://h/o", "CP1", security_profile=3, cert_file="c", key_file="k")
    with pytest.raises(ValueError, match="profile 3 needs a client certificate"):
        LinkConfig("wss://h/o", "CP1", security_profile=3)
    with pytest.raises(ValueError, match="both cert_file and key_file"):
        LinkConfig("wss://h/o", "CP1", cert_file="c")


def test_profile_0_refuses_credentials_it_would_not_send() -> None:
    with pytest.raises(ValueError, match="profile 0 sends no credentials"):
        LinkConfig("ws://h/o", "CP1", security_profile=0, password="k" * 16)


def test_an_unknown_profile_number_is_rejected() -> None:
    with pytest.raises(ValueError, match="must be 0, 1, 2 or 3"):
        LinkConfig("ws://h/o", "CP1", security_profile=4)


def test_a_station_id_with_a_colon_cannot_use_basic_auth() -> None:
    """RFC 7617 §2: the Basic auth user-id cannot contain ':'."""
    with pytest.raises(ValueError, match="contains ':'"):
        LinkConfig("ws://h/o", "CP:1", password="k" * 16)


def test_basic_auth_is_sent_for_profiles_1_and_2_and_for_3_only_with_a_password() -> None:
    assert LinkConfig("ws://h/o", "CP1", password="k" * 16).sends_basic_auth
    assert LinkConfig("wss://h/o", "CP1", password="k" * 16).sends_basic_auth
    assert not LinkConfig("wss://h/o", "CP1", cert_file="c", key_file="k").sends_basic_auth
    assert LinkConfig(
        "wss://h/o", "CP1", cert_file="c", key_file="k", password="k" * 16
    ).sends_basic_auth
    assert not LinkConfig("ws://h/o", "CP1").sends_basic_auth


def test_negative_ping_interval_is_rejected_and_zero_means_disabled() -> None:
    with pytest.raises(ValueError, match="ping_interval"):
        LinkConfig("ws://h/o", "CP1", ping_interval=-1)
    assert LinkConfig("ws://h/o", "CP1", ping_interval=0).ping_interval == 0
