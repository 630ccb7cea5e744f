"""2.0.1 block H, Reservation: every charging-station case against the bench's own station."""

from __future__ import annotations

import pytest

from bench.conformance.catalogue import cases
from bench.conformance.results import Verdict
from tests.conformance.charger.conftest import ChargerRunner

CASES = [c.id for c in cases(sut="cs", version="2.0.1") if c.block == "H"]

# The bench's own station reserves an unspecified EVSE (R-2: ReservationCtrlr.NonEvseSpecific
# is read-only true), so the case for a station without it does not apply.
OWN_FEATURES = frozenset({"R-2"})
NOT_APPLICABLE = {"TC_H_13_CS": "declares R-2"}


@pytest.mark.parametrize("case_id", CASES)
async def test_a_reservation_case_passes_against_the_benchs_own_station(
    charger_runner: ChargerRunner, case_id: str
) -> None:
    result = await charger_runner(case_id, features=OWN_FEATURES)
    failed = [c.describe() for c in result.checks if not c.ok]
    if case_id in NOT_APPLICABLE:
        assert result.verdict is Verdict.NOT_APPLICABLE, f"{result.verdict}: {result.reason}"
        assert NOT_APPLICABLE[case_id] in result.reason
        return
    assert result.verdict is Verdict.PASS, f"{result.verdict}: {result.reason} {failed}"


async def test_a_case_for_an_unspecified_evse_is_not_applicable_without_r2(
    charger_runner: ChargerRunner,
) -> None:
    result = await charger_runner("TC_H_08_CS")
    assert result.verdict is Verdict.NOT_APPLICABLE
    assert "R-2" in result.reason


async def test_the_case_without_r2_reads_non_evse_specific_from_the_station(
    charger_runner: ChargerRunner,
) -> None:
    result = await charger_runner("TC_H_13_CS")
    assert result.verdict is Verdict.NOT_APPLICABLE
    assert "ReservationCtrlr.NonEvseSpecific true" in result.reason


@pytest.mark.parametrize("case_id", ["TC_H_09_CS", "TC_H_10_CS", "TC_H_14_CS", "TC_H_16_CS"])
async def test_an_every_evse_reservation_case_passes_on_a_two_evse_station(
    charger_runner: ChargerRunner, case_id: str
) -> None:
    result = await charger_runner(case_id, template="ac-22kw-dual", features=OWN_FEATURES)
    failed = [c.describe() for c in result.checks if not c.ok]
    assert result.verdict is Verdict.PASS, f"{result.verdict}: {result.reason} {failed}"
