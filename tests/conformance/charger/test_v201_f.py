"""2.0.1 block F, Remote control: every charging-station case against the bench's own station."""

from __future__ import annotations

import pytest

from bench.conformance.catalogue import cases
from bench.conformance.results import Verdict
from tests.conformance.charger.conftest import ChargerRunner

CASES = [c.id for c in cases(sut="cs", version="2.0.1") if c.block == "F"]

# What the bench's own ac-11kw station has (part 5): a socket outlet with a lock
# (HFS-1) and TriggerMessage for every message the cases trigger (C-29.x).
# It also signs a combined certificate on request (ISO-3), which TC_F_27_CS is not for.
OWN_FEATURES = frozenset(
    {"HFS-1", "C-29.1", "C-29.2", "C-29.3", "C-29.4", "C-29.5", "C-29.6", "ISO-3"}
)
NOT_APPLICABLE = {"TC_F_27_CS": "declares ISO-3"}


@pytest.mark.parametrize("case_id", CASES)
async def test_a_remote_control_case_passes_against_the_benchs_own_station(
    charger_runner: ChargerRunner, case_id: str
) -> None:
    result = await charger_runner(case_id, features=OWN_FEATURES)
    failed = [c.describe() for c in result.checks if not c.ok]
    if case_id in NOT_APPLICABLE:
        assert result.verdict is Verdict.NOT_APPLICABLE, f"{result.verdict}: {result.reason}"
        assert NOT_APPLICABLE[case_id] in result.reason
        return
    assert result.verdict is Verdict.PASS, f"{result.verdict}: {result.reason} {failed}"


async def test_an_unlock_case_is_not_applicable_without_a_detachable_cable(
    charger_runner: ChargerRunner,
) -> None:
    result = await charger_runner("TC_F_07_CS")
    assert result.verdict is Verdict.NOT_APPLICABLE
    assert "HFS-1" in result.reason


@pytest.mark.parametrize("case_id", ["TC_F_12_CS", "TC_F_14_CS"])
async def test_an_all_evse_trigger_case_passes_on_a_two_evse_station(
    charger_runner: ChargerRunner, case_id: str
) -> None:
    """F06.FR.11: without an evse the station sends the message for every EVSE."""
    result = await charger_runner(case_id, template="ac-22kw-dual", features=OWN_FEATURES)
    failed = [c.describe() for c in result.checks if not c.ok]
    assert result.verdict is Verdict.PASS, f"{result.verdict}: {result.reason} {failed}"
    evses = {c.actual for c in result.checks if c.field == "evse.id"}
    assert case_id == "TC_F_12_CS" or evses == {"1", "2"}


async def test_the_not_implemented_trigger_case_reads_iso3_from_the_stations_answer(
    charger_runner: ChargerRunner,
) -> None:
    """TC_F_27_CS is for a station without ISO-3: one that accepts the trigger has it."""
    result = await charger_runner("TC_F_27_CS")
    assert result.verdict is Verdict.NOT_APPLICABLE, result.reason
    assert "accepts a SignCombinedCertificate trigger: it has ISO-3" in result.reason
