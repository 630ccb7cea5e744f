"""2.0.1 block C (Authorization) charging-station cases against the bench's own station."""

from __future__ import annotations

from typing import Any

import pytest

from bench.conformance.results import Verdict
from tests.conformance.charger.conftest import ChargerRunner

# Cases that need more than the defaults: the features the bench's own station has
# (part 5 ids) or a second EVSE.
CACHE = {"features": frozenset({"C-49"})}
RUN_WITH: dict[str, dict[str, Any]] = {
    **{
        case_id: CACHE
        for case_id in (
            "TC_C_08_CS",
            "TC_C_09_CS",
            "TC_C_10_CS",
            "TC_C_11_CS",
            "TC_C_12_CS",
            "TC_C_13_CS",
            "TC_C_32_CS",
            "TC_C_33_CS",
            "TC_C_34_CS",
            "TC_C_36_CS",
            "TC_C_37_CS",
            "TC_C_38_CS",
        )
    },
    "TC_C_14_CS": {"features": frozenset({"C-49", "C-08"})},
    "TC_C_46_CS": {"features": frozenset({"C-49", "C-53"})},
    "TC_C_57_CS": {"features": frozenset({"C-49", "C-59"})},
}

PASSING = [
    "TC_C_02_CS",
    "TC_C_04_CS",
    "TC_C_06_CS",
    "TC_C_07_CS",
    "TC_C_56_CS",
    "TC_C_08_CS",
    "TC_C_09_CS",
    "TC_C_10_CS",
    "TC_C_11_CS",
    "TC_C_12_CS",
    "TC_C_13_CS",
    "TC_C_14_CS",
    "TC_C_32_CS",
    "TC_C_33_CS",
    "TC_C_34_CS",
    "TC_C_36_CS",
    "TC_C_37_CS",
    "TC_C_38_CS",
    "TC_C_46_CS",
    "TC_C_57_CS",
]

# Not applicable to the bench's own station, with the reason the run gives.
NOT_APPLICABLE = {
    "TC_C_05_CS": "AQ-2",
}


@pytest.mark.parametrize("case_id", PASSING)
async def test_an_authorization_case_passes_against_the_benchs_own_station(
    charger_runner: ChargerRunner, case_id: str
) -> None:
    result = await charger_runner(case_id, **RUN_WITH.get(case_id, {}))
    assert result.verdict is Verdict.PASS, result.reason


@pytest.mark.parametrize("case_id", sorted(NOT_APPLICABLE))
async def test_an_authorization_case_the_station_lacks_a_feature_for_is_not_applicable(
    charger_runner: ChargerRunner, case_id: str
) -> None:
    result = await charger_runner(case_id, **RUN_WITH.get(case_id, {}))
    assert result.verdict is Verdict.NOT_APPLICABLE, result.reason
    assert NOT_APPLICABLE[case_id] in result.reason
