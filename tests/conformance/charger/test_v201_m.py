"""2.0.1 block M (certificate management) charging-station cases against the bench's own station."""

from __future__ import annotations

import pytest

from bench.conformance.catalogue import cases
from bench.conformance.charger.features import own_station_features
from bench.conformance.charger.scenarios import scenario_for
from bench.conformance.results import Verdict
from tests.conformance.charger.conftest import ChargerRunner

# The cases with a scenario (the others are listed as not implemented in the notes).
CASES = [c.id for c in cases(sut="cs", version="2.0.1") if c.block == "M" and scenario_for(c.id)]


@pytest.mark.parametrize("case_id", CASES)
async def test_block_m_case_passes_or_is_not_applicable_on_the_benchs_own_station(
    charger_runner: ChargerRunner, case_id: str
) -> None:
    result = await charger_runner(case_id)
    assert result.verdict in (Verdict.PASS, Verdict.NOT_APPLICABLE), (
        f"{case_id}: {result.verdict.value}: {result.reason}"
    )
    if result.verdict is Verdict.NOT_APPLICABLE:
        assert result.reason, f"{case_id} is not applicable without a reason"


# AdditionalRootCertificateCheck on: the own station's setting, part 5 AS-2.
AS2_STATION = {"additional_root_certificate_check": "true"}


def test_the_own_station_declares_as_2_only_with_its_setting_on() -> None:
    assert "AS-2" not in own_station_features("2.0.1", "ac-11kw")
    assert "AS-2" in own_station_features("2.0.1", "ac-11kw", AS2_STATION)


@pytest.mark.parametrize("profile", [2, 3])
@pytest.mark.parametrize("case_id", ["TC_M_01_CS", "TC_M_09_CS", "TC_M_30_CS", "TC_M_31_CS"])
async def test_a_root_certificate_check_case_passes_on_a_station_with_as_2(
    charger_runner: ChargerRunner, case_id: str, profile: int
) -> None:
    """M05.FR.09-14: a new CSMS root must be signed by the old one (M_01, M_09); after a
    reset the station verifies the CSMS with the new root and drops the old (M_30), or
    falls back to the old root, which it keeps (M_31)."""
    result = await charger_runner(
        case_id,
        security_profile=profile,
        station_settings=AS2_STATION,
        features=own_station_features("2.0.1", "ac-11kw", AS2_STATION),
    )
    assert result.verdict is Verdict.PASS, f"{case_id}: {result.verdict.value}: {result.reason}"
