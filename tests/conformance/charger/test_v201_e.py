"""2.0.1 block E (Transactions), charging-station cases against the bench's own station."""

from __future__ import annotations

import pytest

from bench.conformance.results import Verdict
from tests.conformance.charger.conftest import ChargerRunner

START_CASES = [
    "TC_E_01_CS",
    "TC_E_02_CS",
    "TC_E_09_CS",
    "TC_E_10_CS",
    "TC_E_13_CS",
    "TC_E_11_CS",
    "TC_E_12_CS",
    "TC_E_16_CS",
    "TC_E_17_CS",
    "TC_E_39_CS",
    "TC_E_03_CS",
    "TC_E_04_CS",
    "TC_E_05_CS",
    "TC_E_38_CS",
    "TC_E_52_CS",
]


@pytest.mark.parametrize("case_id", START_CASES)
async def test_a_transaction_start_case_passes_against_the_benchs_own_station(
    charger_runner: ChargerRunner, case_id: str
) -> None:
    result = await charger_runner(case_id)
    failed = [c.describe() for c in result.checks if not c.ok]
    assert result.verdict is Verdict.PASS, f"{result.reason} {failed}"


STOP_CASES = [
    "TC_E_06_CS",
    "TC_E_07_CS",
    "TC_E_35_CS",
    "TC_E_37_CS",
    "TC_E_08_CS",
    "TC_E_22_CS",
    "TC_E_14_CS",
    "TC_E_20_CS",
    "TC_E_15_CS",
    "TC_E_21_CS",
    "TC_E_19_CS",
    "TC_E_24_CS",
    "TC_E_25_CS",
    "TC_E_26_CS",
]


@pytest.mark.parametrize("case_id", STOP_CASES)
async def test_a_transaction_stop_case_passes_against_the_benchs_own_station(
    charger_runner: ChargerRunner, case_id: str
) -> None:
    result = await charger_runner(case_id)
    failed = [c.describe() for c in result.checks if not c.ok]
    assert result.verdict is Verdict.PASS, f"{result.reason} {failed}"


QUEUE_CASES = [
    "TC_E_28_CS",
    "TC_E_29_CS",
    "TC_E_30_CS",
    "TC_E_31_CS",
    "TC_E_32_CS",
    "TC_E_33_CS",
    "TC_E_34_CS",
    "TC_E_40_CS",
    # The station logs the event it gives up on after the last attempt.
    pytest.param("TC_E_41_CS", marks=pytest.mark.allow_errors),
    pytest.param("TC_E_50_CS", marks=pytest.mark.allow_errors),
    "TC_E_42_CS",
    "TC_E_51_CS",
    "TC_E_43_CS",
    "TC_E_44_CS",
    "TC_E_45_CS",
]


# The retry cases wait out the station's MessageTimeout (read-only, 30 s on the bench's
# own station) between tries: up to three of them.
@pytest.mark.timeout(400)
@pytest.mark.parametrize("case_id", QUEUE_CASES)
async def test_a_transaction_status_offline_or_retry_case_passes_against_the_benchs_own_station(
    charger_runner: ChargerRunner, case_id: str
) -> None:
    features = frozenset({"C-49", "LA-1"}) if case_id == "TC_E_45_CS" else frozenset()
    result = await charger_runner(case_id, features=features)
    failed = [c.describe() for c in result.checks if not c.ok]
    assert result.verdict is Verdict.PASS, f"{result.reason} {failed}"


@pytest.mark.parametrize(
    ("case_id", "reason"),
    [
        ("TC_E_27_CS", "Permanently attached cable"),
        ("TC_E_46_CS", "ISO 15118 Support"),
        ("TC_E_54_CS", "High level communication (ISO 15118)"),
    ],
)
async def test_a_case_for_a_feature_the_benchs_own_station_lacks_is_not_applicable(
    charger_runner: ChargerRunner, case_id: str, reason: str
) -> None:
    """A fixed cable (TC_E_27_CS) and ISO 15118 (TC_E_46_CS, TC_E_54_CS): the wallbox
    template has a socket outlet and talks IEC 61851-1 only."""
    result = await charger_runner(case_id)
    assert result.verdict is Verdict.NOT_APPLICABLE, result.reason
    assert f"does not declare the optional feature {reason}" in result.reason
