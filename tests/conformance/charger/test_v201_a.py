"""2.0.1 block A (Security) charging-station cases against the bench's own station.

Each case runs with the security profile it is about: the endpoint (the bench as
CSMS) asks for Basic auth (profiles 1 and 2) and presents a TLS certificate from one
test CA (profiles 2 and 3; profile 3 requires the station's client certificate from
that CA), and the bench signs the station's CSRs with that same CA, so a renewed
certificate is one the endpoint trusts. The own station is started with the matching
credentials.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bench.conformance.catalogue import case as catalogue_case
from bench.conformance.catalogue import cases
from bench.conformance.charger.dut import OwnStation, StationActuator
from bench.conformance.charger.endpoint import CsmsEndpoint
from bench.conformance.charger.run import ChargerSettings
from bench.conformance.charger.runner import run_charger_case
from bench.conformance.charger.scenarios import scenario_for
from bench.conformance.results import CaseResult, Verdict
from tests.conformance.secure_csms import (
    PASSWORD,
    STATION_ID,
    VERIFY,
    make_material,
    server_context,
)

CASES = [c.id for c in cases(sut="cs", version="2.0.1") if c.block == "A" and scenario_for(c.id)]

# The security profile each case runs with (the others run with profile 2).
PROFILE = {
    "TC_A_01_CS": 1,
    "TC_A_07_CS": 3,
    "TC_A_11_CS": 3,
    "TC_A_14_CS": 3,
    "TC_A_15_CS": 3,
    "TC_A_23_CS": 3,
    "TC_A_19_CS": 1,
    "TC_A_20_CS": 1,
    "TC_A_21_CS": 1,
}
# The optional features (2.0.1 part 5) the bench's own ac-11kw station has.
FEATURES = frozenset({"AS-3"})

SecureRunner = Callable[..., Awaitable[CaseResult]]


@pytest.fixture
def secure_charger_runner(tmp_path: Path) -> SecureRunner:
    material = make_material(tmp_path / "pki")

    async def run(case_id: str, *, profile: int, **settings: Any) -> CaseResult:
        case = catalogue_case(case_id)
        extra = {
            "ca_cert_file": str(material.ca.cert_file),
            "ca_key_file": str(material.ca.key_file),
        }
        config = ChargerSettings(
            version=case.version,
            station_id=STATION_ID,
            timeout=15.0,
            heartbeat_interval=3,
            extra=extra,
            **settings,
        )
        context = (
            server_context(material, client_certificates=VERIFY[profile]) if profile >= 2 else None
        )
        password = PASSWORD if profile in (1, 2) else None
        endpoint = CsmsEndpoint(
            case.version,
            STATION_ID,
            ssl_context=context,
            password=password,
            heartbeat_interval=config.heartbeat_interval,
            accepted_tokens=lambda: frozenset({config.valid_id_token}),
            call_timeout=config.timeout,
        )
        async with endpoint:
            dut = OwnStation(
                endpoint,
                config,
                "ac-11kw",
                password=password,
                ca_file=str(material.ca.cert_file) if profile >= 2 else None,
                cert_file=str(material.client.cert_file) if profile == 3 else None,
                key_file=str(material.client.key_file) if profile == 3 else None,
                folder=tmp_path,
            )
            try:
                return await run_charger_case(case, config, StationActuator(dut), endpoint, dut)
            finally:
                await dut.close()

    return run


@pytest.mark.parametrize("case_id", CASES)
async def test_block_a_case_passes_or_is_not_applicable_on_the_benchs_own_station(
    secure_charger_runner: SecureRunner, case_id: str
) -> None:
    result = await secure_charger_runner(
        case_id, profile=PROFILE.get(case_id, 2), features=FEATURES
    )
    assert result.verdict in (Verdict.PASS, Verdict.NOT_APPLICABLE), (
        f"{case_id}: {result.verdict.value}: {result.reason}"
    )
    if result.verdict is Verdict.NOT_APPLICABLE:
        assert result.reason, f"{case_id} is not applicable without a reason"
