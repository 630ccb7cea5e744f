"""Block L (Firmware Management) CSMS cases against the built-in CSMS (part 6 §3.13).

The bench's station updates its firmware for real from each case's own file server;
the built-in CSMS sends the UpdateFirmware/PublishFirmware/UnpublishFirmware request
the case names (``DirectPrompter``) and answers the station's notifications.
"""

from __future__ import annotations

import pytest

from bench.conformance.results import Verdict

SCHEDULED = frozenset({"ScheduledFirmwareUpdates"})

L_CASES = [
    "TC_L_01_CSMS",
    "TC_L_02_CSMS",
    "TC_L_03_CSMS",
    "TC_L_04_CSMS",
    "TC_L_05_CSMS",
    "TC_L_06_CSMS",
    "TC_L_07_CSMS",
    "TC_L_08_CSMS",
    "TC_L_09_CSMS",
    "TC_L_10_CSMS",
    "TC_L_11_CSMS",
    "TC_L_13_CSMS",
    "TC_L_17_CSMS",
    "TC_L_24_CSMS",
    "TC_L_19_CSMS",
    "TC_L_20_CSMS",
    "TC_L_21_CSMS",
    "TC_L_22_CSMS",
    "TC_L_23_CSMS",
]


@pytest.mark.parametrize("case_id", L_CASES)
async def test_firmware_case_passes_against_the_builtin_csms(csms_runner, case_id: str) -> None:
    result = await csms_runner(case_id, features=SCHEDULED)
    assert result.verdict == Verdict.PASS, (result.reason, [c.describe() for c in result.checks])
