"""2.0.1 block L, Firmware management: every charging-station case against the own station."""

from __future__ import annotations

import pytest

from bench.conformance.catalogue import cases
from bench.conformance.results import Verdict
from tests.conformance.charger.conftest import ChargerRunner

CASES = [c.id for c in cases(sut="cs", version="2.0.1") if c.block == "L"]

# What the bench's own station does (part 5): it cancels an ongoing update for a new
# one (C-60), downloads while a transaction runs (AQ-7) and has
# AllowNewSessionsPendingFirmwareUpdate (C-20); it installs only once the
# transactions have ended (no C-43).
OWN_FEATURES = frozenset({"C-60", "AQ-7", "C-20"})
NOT_APPLICABLE = {
    "TC_L_11_CS": "declares C-60",
    "TC_L_12_CS": "declares AQ-7",
    "TC_L_13_CS": "declares AQ-7",
    "TC_L_14_CS": "needs a second EVSE",
    "TC_L_16_CS": "does not declare the optional feature C-43",
}


@pytest.mark.parametrize("case_id", CASES)
async def test_a_firmware_case_passes_against_the_benchs_own_station(
    charger_runner: ChargerRunner, case_id: str
) -> None:
    result = await charger_runner(case_id, features=OWN_FEATURES)
    failed = [c.describe() for c in result.checks if not c.ok]
    if case_id in NOT_APPLICABLE:
        assert result.verdict is Verdict.NOT_APPLICABLE, f"{result.verdict}: {result.reason}"
        assert NOT_APPLICABLE[case_id] in result.reason
        return
    assert result.verdict is Verdict.PASS, f"{result.verdict}: {result.reason} {failed}"


async def test_the_install_after_two_transactions_case_passes_on_a_two_evse_station(
    charger_runner: ChargerRunner,
) -> None:
    """TC_L_14_CS needs a second EVSE (HFS-8 > 1): the dual AC station has one."""
    result = await charger_runner("TC_L_14_CS", template="ac-22kw-dual", features=OWN_FEATURES)
    failed = [c.describe() for c in result.checks if not c.ok]
    assert result.verdict is Verdict.PASS, f"{result.verdict}: {result.reason} {failed}"


async def test_the_unable_to_cancel_case_reads_c60_from_the_stations_answer(
    charger_runner: ChargerRunner,
) -> None:
    """TC_L_11_CS is for a station without C-60: one that answers AcceptedCanceled has it."""
    result = await charger_runner("TC_L_11_CS")
    assert result.verdict is Verdict.NOT_APPLICABLE, result.reason
    assert "AcceptedCanceled): it has C-60" in result.reason
