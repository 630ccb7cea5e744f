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
    "TC_C_58_CS": {"features": frozenset({"LA-3"})},
    "TC_C_15_CS": {"features": frozenset({"C-49", "C-03"})},
    "TC_C_16_CS": CACHE,
    "TC_C_17_CS": CACHE,
    "TC_C_18_CS": {"features": frozenset({"C-49", "C-03"})},
    "TC_C_25_CS": CACHE,
    "TC_C_26_CS": {"features": frozenset({"C-02"})},
    "TC_C_52_CS": {"features": frozenset({"ISO-5"})},
    "TC_C_53_CS": {"features": frozenset({"ISO-5"})},
    "TC_C_41_CS": CACHE,
    "TC_C_44_CS": CACHE,
    "TC_C_45_CS": {"features": frozenset({"C-08"})},
    # The Master Pass cases stop the transactions of every EVSE: two of them.
    "TC_C_47_CS": {"features": frozenset({"C-07"}), "template": "ac-22kw-dual"},
    "TC_C_48_CS": {"features": frozenset({"C-07"}), "template": "ac-22kw-dual"},
    "TC_C_49_CS": {"features": frozenset({"C-08"}), "template": "ac-22kw-dual"},
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
    "TC_C_27_CS",
    "TC_C_28_CS",
    "TC_C_29_CS",
    "TC_C_30_CS",
    "TC_C_31_CS",
    "TC_C_58_CS",
    "TC_C_39_CS",
    "TC_C_40_CS",
    "TC_C_41_CS",
    "TC_C_42_CS",
    "TC_C_43_CS",
    "TC_C_44_CS",
    "TC_C_45_CS",
    "TC_C_47_CS",
    "TC_C_48_CS",
    "TC_C_49_CS",
    "TC_C_15_CS",
    "TC_C_16_CS",
    "TC_C_17_CS",
    "TC_C_18_CS",
    "TC_C_21_CS",
    "TC_C_22_CS",
    "TC_C_23_CS",
    "TC_C_24_CS",
    "TC_C_25_CS",
    "TC_C_26_CS",
    "TC_C_50_CS",
    "TC_C_51_CS",
    "TC_C_52_CS",
    "TC_C_53_CS",
    "TC_C_54_CS",
    "TC_C_55_CS",
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


# An optional feature the operator did not declare makes its cases not applicable.
UNDECLARED = {"TC_C_08_CS": "C-49", "TC_C_26_CS": "C-02", "TC_C_52_CS": "ISO-5"}


@pytest.mark.parametrize("case_id", sorted(UNDECLARED))
async def test_an_authorization_case_whose_feature_is_not_declared_is_not_applicable(
    charger_runner: ChargerRunner, case_id: str
) -> None:
    result = await charger_runner(case_id)
    assert result.verdict is Verdict.NOT_APPLICABLE, result.reason
    assert UNDECLARED[case_id] in result.reason
