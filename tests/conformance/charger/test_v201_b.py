"""2.0.1 block B (Provisioning) charging-station cases against the bench's own station.

Every case passes, or is not applicable for the reason stated: an optional feature
(part 5) the bench's own ac-11kw station does not have.
"""

from __future__ import annotations

import pytest

from bench.conformance.results import Verdict
from tests.conformance.charger.conftest import ChargerRunner

# Optional features (part 5 §3.1) the bench's own station has.
OWN_FEATURES = frozenset({"C-13", "C-47", "C-56"})

PASSING = [
    "TC_B_01_CS",
    "TC_B_02_CS",
    "TC_B_03_CS",
    "TC_B_30_CS",
    "TC_B_06_CS",
    "TC_B_07_CS",
    "TC_B_32_CS",
    "TC_B_33_CS",
    "TC_B_34_CS",
    "TC_B_09_CS",
    "TC_B_10_CS",
    "TC_B_35_CS",
    "TC_B_36_CS",
    "TC_B_37_CS",
    "TC_B_11_CS",
    "TC_B_39_CS",
    "TC_B_12_CS",
    "TC_B_13_CS",
    "TC_B_14_CS",
    "TC_B_16_CS",
    "TC_B_17_CS",
    "TC_B_18_CS",
    "TC_B_53_CS",
    "TC_B_54_CS",
    "TC_B_55_CS",
    "TC_B_56_CS",
    "TC_B_20_CS",
    "TC_B_21_CS",
    "TC_B_22_CS",
    "TC_B_23_CS",
    "TC_B_24_CS",
    "TC_B_25_CS",
    "TC_B_26_CS",
    "TC_B_27_CS",
    "TC_B_43_CS",
    "TC_B_45_CS",
    "TC_B_46_CS",
    "TC_B_49_CS",
    "TC_B_51_CS",
    "TC_B_52_CS",
    "TC_B_57_CS",
]

# Case id -> the words the not-applicable reason must hold.
NOT_APPLICABLE = {
    # Part 5: only for a station without SummaryInventory (NOT C-56); this one has it.
    "TC_B_15_CS": "supports the optional SummaryInventory report (C-56)",
    # The station supports every componentCriteria; none is configured as unsupported.
    "TC_B_19_CS": "no <Configured Unsupported componentCriteria>",
    # Part 5: only for a station without Reset per EVSE (NOT C-13); this one has it.
    "TC_B_28_CS": "supports Reset per EVSE (C-13)",
    "TC_B_29_CS": "supports Reset per EVSE (C-13)",
    # ac-11kw has one EVSE; the dual station runs the case below.
    "TC_B_41_CS": "the station has 1 EVSE",
}


@pytest.mark.parametrize("case_id", PASSING)
async def test_a_provisioning_case_passes_against_the_benchs_own_station(
    charger_runner: ChargerRunner, case_id: str
) -> None:
    result = await charger_runner(case_id, features=OWN_FEATURES)
    assert result.verdict is Verdict.PASS, result.reason


@pytest.mark.parametrize("case_id", sorted(NOT_APPLICABLE))
async def test_a_provisioning_case_the_own_station_cannot_have_is_not_applicable(
    charger_runner: ChargerRunner, case_id: str
) -> None:
    result = await charger_runner(case_id, features=OWN_FEATURES)
    assert result.verdict is Verdict.NOT_APPLICABLE, result.reason
    assert NOT_APPLICABLE[case_id] in result.reason


async def test_a_reset_on_idle_waits_for_both_transactions_of_a_two_evse_station(
    charger_runner: ChargerRunner,
) -> None:
    """TC_B_41_CS (B12.FR.01): Scheduled, and the reset only after the second one ends."""
    result = await charger_runner("TC_B_41_CS", template="ac-22kw-dual", features=OWN_FEATURES)
    assert result.verdict is Verdict.PASS, result.reason
