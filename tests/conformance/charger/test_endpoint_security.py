"""The bench listening as the CSMS: TLS with its own certificate, Basic auth, the identity.

Real parts: the endpoint on 127.0.0.1 (wss:// with a certificate the bench made),
the bench's own station connecting with the password and trusting the bench's root.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from bench.conformance.catalogue import case
from bench.conformance.charger.run import ChargerSettings
from bench.conformance.charger.runner import run_charger_case
from bench.conformance.charger.targets import charger_bench
from bench.conformance.charger.tls import own_server_material
from bench.conformance.results import Verdict

PASSWORD = "0123456789abcdef"


async def test_a_station_on_tls_with_basic_auth_connects_on_security_profile_2(
    tmp_path: Path,
) -> None:
    material = own_server_material(tmp_path / "tls", "127.0.0.1", dt.datetime.now(dt.UTC))
    settings = ChargerSettings(version="2.0.1", station_id="TLS-1", timeout=15.0)
    async with charger_bench(
        settings,
        cert_file=material.cert_file,
        key_file=material.key_file,
        password=PASSWORD,
        template="ac-11kw",
        ca_file=material.ca_file,
        folder=tmp_path,
    ) as bench:
        assert bench.endpoint.url.startswith("wss://127.0.0.1:")
        result = await run_charger_case(
            case("TC_B_01_CS"), settings, bench.prompter, bench.endpoint, bench.dut
        )
        profiles = {e.security_profile for e in bench.endpoint.events if e.kind == "connected"}
    assert result.verdict is Verdict.PASS, result.reason
    assert profiles == {2}  # TLS with the server's certificate, HTTP Basic credentials


async def test_another_identity_is_refused_with_http_403(tmp_path: Path) -> None:
    settings = ChargerSettings(version="1.6", station_id="THE-DUT")
    async with charger_bench(settings) as bench:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(f"{bench.endpoint.url}/SOMEONE-ELSE", subprotocols=["ocpp1.6"]):  # type: ignore[list-item]
                pass
        assert refused.value.response.status_code == 403
        assert not bench.endpoint.connected


async def test_a_wrong_password_is_refused_with_http_401(tmp_path: Path) -> None:
    settings = ChargerSettings(version="1.6", station_id="THE-DUT")
    async with charger_bench(settings, password=PASSWORD) as bench:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(
                bench.endpoint.station_url.replace("ws://", "ws://THE-DUT:wrongpassword@"),
                subprotocols=["ocpp1.6"],  # type: ignore[list-item]
            ):
                pass
        assert refused.value.response.status_code == 401
