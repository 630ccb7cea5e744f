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


# The own station with AdditionalRootCertificateCheck on (its station setting), which
# declares part 5 AS-2, as ``--self ... --set additional_root_certificate_check=true`` does.
AS2_STATION = {"additional_root_certificate_check": "true"}


@pytest.mark.parametrize("profile", [2, 3])
@pytest.mark.parametrize("case_id", ["TC_B_47_CS", "TC_B_50_CS"])
async def test_migrating_to_a_new_csms_with_a_new_csms_root_passes_on_tls(
    charger_runner: ChargerRunner, case_id: str, profile: int
) -> None:
    """B10 + M05.FR.13/15/16: root 2 (signed by the run's CA) installed, then the move to
    a second TLS endpoint of the bench: with a root 2 certificate it succeeds (TC_B_50_CS);
    with an old-root certificate the station refuses it and falls back to its previous
    profile, verified there with the fallback root (TC_B_47_CS)."""
    result = await charger_runner(
        case_id,
        security_profile=profile,
        station_settings=AS2_STATION,
        features=OWN_FEATURES | {"AS-2"},
    )
    assert result.verdict is Verdict.PASS, result.reason


async def test_migrating_with_a_new_root_passes_without_the_additional_root_check(
    charger_runner: ChargerRunner,
) -> None:
    """TC_B_50_CS on a station without AS-2: root 2 is trusted beside the CA file (M05)."""
    result = await charger_runner("TC_B_50_CS", security_profile=2, features=OWN_FEATURES)
    assert result.verdict is Verdict.PASS, result.reason


async def test_the_fallback_migration_case_needs_the_additional_root_check(
    charger_runner: ChargerRunner,
) -> None:
    result = await charger_runner("TC_B_47_CS", security_profile=2, features=OWN_FEATURES)
    assert result.verdict is Verdict.NOT_APPLICABLE, result.reason
    assert "AS-2" in result.reason
