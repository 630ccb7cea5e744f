"""2.0.1 block O (display messages) charging-station cases against the bench's own station.

Every case passes, or is not applicable because the station supports what the case
needs it to lack: the test names that reason.
"""

from __future__ import annotations

import pytest

from bench.conformance.results import Verdict
from tests.conformance.charger.conftest import ChargerRunner

# The time windows of TC_O_14/28 (startDateTime/endDateTime "now + 60 s"), shortened.
FAST = {"display_window_s": "2"}

PASSING = [
    "TC_O_01_CS",
    "TC_O_02_CS",
    "TC_O_03_CS",
    "TC_O_04_CS",
    "TC_O_05_CS",
    "TC_O_06_CS",
    "TC_O_07_CS",
    "TC_O_08_CS",
    "TC_O_09_CS",
    "TC_O_10_CS",
    "TC_O_11_CS",
    "TC_O_12_CS",
    "TC_O_13_CS",
    "TC_O_14_CS",
    "TC_O_15_CS",
    "TC_O_20_CS",
    "TC_O_22_CS",
    "TC_O_24_CS",
    "TC_O_27_CS",
    "TC_O_28_CS",
    "TC_O_30_CS",
    "TC_O_32_CS",
    "TC_O_33_CS",
    "TC_O_34_CS",
    "TC_O_35_CS",
    "TC_O_36_CS",
    "TC_O_37_CS",
    "TC_O_38_CS",
    "TC_O_39_CS",
]

NOT_APPLICABLE = {
    "TC_O_17_CS": "supports every message priority",
    "TC_O_18_CS": "no message state the station does not support is declared",
}


@pytest.mark.parametrize("case_id", PASSING)
async def test_a_display_message_case_passes_against_the_benchs_own_station(
    charger_runner: ChargerRunner, case_id: str
) -> None:
    result = await charger_runner(case_id, extra=FAST)
    failed = [c.describe() for c in result.checks if not c.ok]
    assert result.verdict is Verdict.PASS, f"{result.reason} {failed}"


@pytest.mark.parametrize(("case_id", "why"), sorted(NOT_APPLICABLE.items()))
async def test_a_display_case_for_what_the_station_lacks_is_not_applicable_with_the_reason(
    charger_runner: ChargerRunner, case_id: str, why: str
) -> None:
    result = await charger_runner(case_id)
    assert result.verdict is Verdict.NOT_APPLICABLE, result.reason
    assert why in result.reason


async def test_a_station_without_uri_messages_answers_not_supported_message_format(
    charger_runner: ChargerRunner,
) -> None:
    """O01.FR.03: the bench's display shows no URI (SupportedFormats ASCII,HTML,UTF8)."""
    result = await charger_runner("TC_O_19_CS")
    assert result.verdict is Verdict.PASS, result.reason
    [check] = [c for c in result.checks if c.message == "SetDisplayMessageResponse"]
    assert check.actual == "NotSupportedMessageFormat"
