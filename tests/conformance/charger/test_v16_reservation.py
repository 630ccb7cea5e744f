"""1.6 Reservation charge point cases against the bench's own station (OCTT 1.6 §2.20)."""

from __future__ import annotations

import pytest

from bench.conformance.results import Verdict
from tests.conformance.charger.conftest import ChargerRunner

PASSING = [
    "TC_046_1_CS",
    "TC_046_2_CS",
    "TC_047_CS",
    "TC_048_1_CS",
    "TC_048_2_CS",
    "TC_048_3_CS",
    "TC_049_CS",
    "TC_050_1_CS",
    "TC_050_2_CS",
    "TC_050_3_CS",
    "TC_051_CS",
    "TC_052_CS",
    "TC_053_CS",
]
# The bench's station has the Reservation profile: the cases for one without it do not apply.
WITHOUT_RESERVATION = ["TC_048_4_CS", "TC_050_4_CS"]


def _failures(result: object) -> str:
    checks = getattr(result, "checks", [])
    return "; ".join(c.describe() for c in checks if not c.ok)


@pytest.mark.parametrize("case_id", PASSING)
async def test_a_reservation_case_passes_against_the_benchs_own_station(
    charger_runner: ChargerRunner, case_id: str
) -> None:
    result = await charger_runner(case_id, extra={"reservation_expiry_offset": "2"})
    assert result.verdict is Verdict.PASS, f"{result.reason} | {_failures(result)}"


@pytest.mark.parametrize("case_id", WITHOUT_RESERVATION)
async def test_a_case_for_a_station_without_reservation_does_not_apply_to_the_benchs_own(
    charger_runner: ChargerRunner, case_id: str
) -> None:
    result = await charger_runner(case_id)
    assert result.verdict is Verdict.NOT_APPLICABLE, result.reason
    assert "supports the Reservation feature profile" in result.reason
