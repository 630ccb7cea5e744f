"""2.0.1 blocks J (Meter values) and P (DataTransfer) charging-station cases against the
bench's own station.

The own station has an energy meter, signed meter values (C-42),
AlignedDataSendDuringIdle (C-28) and the Authorized transaction start point (C-09.2).
"""

from __future__ import annotations

import pytest

from bench.conformance.results import Verdict
from tests.conformance.charger.conftest import ChargerRunner

OWN_FEATURES = frozenset({"C-09.2", "C-28", "C-42"})

CASES = [
    "TC_J_01_CS",
    "TC_J_02_CS",
    "TC_J_03_CS",
    "TC_J_04_CS",
    "TC_J_06_CS",
    "TC_J_07_CS",
    "TC_J_08_CS",
    "TC_J_09_CS",
    "TC_J_10_CS",
    "TC_J_11_CS",
    "TC_P_01_CS",
    "TC_P_03_CS",
    "TC_P_04_CS",
]


@pytest.mark.parametrize("case_id", CASES)
async def test_a_meter_value_or_data_transfer_case_passes_against_the_benchs_own_station(
    charger_runner: ChargerRunner, case_id: str
) -> None:
    result = await charger_runner(case_id, features=OWN_FEATURES)
    assert result.verdict is Verdict.PASS, result.reason


@pytest.mark.parametrize(
    ("case_id", "feature"),
    [("TC_J_04_CS", "C-42"), ("TC_J_06_CS", "C-28"), ("TC_J_08_CS", "C-09.2")],
)
async def test_a_case_needing_an_undeclared_optional_feature_is_not_applicable(
    charger_runner: ChargerRunner, case_id: str, feature: str
) -> None:
    result = await charger_runner(case_id, features=OWN_FEATURES - {feature})
    assert result.verdict is Verdict.NOT_APPLICABLE, result.reason
    assert f"optional feature {feature}" in result.reason
