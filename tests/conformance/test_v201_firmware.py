"""Block L (Firmware Management) CSMS cases against the built-in CSMS (part 6 §3.13).

The bench's station updates its firmware for real from each case's own file server;
the built-in CSMS sends the UpdateFirmware/PublishFirmware/UnpublishFirmware request
the case names (``DirectPrompter``) and answers the station's notifications.
"""

from __future__ import annotations

import pytest

from bench.conformance.manual import ManualOutcome, ManualRequest
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


# ---------------------------------------------------------------- the CSMS gets it wrong
async def test_a_wrong_firmware_signature_fails_the_secure_update_naming_the_field(
    csms_runner,
) -> None:
    """TC_L_01_CSMS step 1: firmware signature must be the configured one (L01.FR.01)."""
    result = await csms_runner(
        "TC_L_01_CSMS", faults=["request:UpdateFirmware:firmware.signature=AAAA"]
    )
    assert result.verdict == Verdict.FAIL
    assert "step 1: UpdateFirmwareRequest.firmware.signature: expected the configured value" in (
        result.reason
    )
    assert result.reason.endswith("got AAAA")


async def test_an_install_date_time_in_the_past_fails_the_scheduled_install(csms_runner) -> None:
    """TC_L_02_CSMS step 1: firmware.installDateTime must lie in the future."""
    fault = 'request:UpdateFirmware:firmware.installDateTime="2020-01-01T00:00:00Z"'
    result = await csms_runner("TC_L_02_CSMS", faults=[fault], features=SCHEDULED)
    assert result.verdict == Verdict.FAIL
    assert "UpdateFirmwareRequest.firmware.installDateTime: expected a dateTime after" in (
        result.reason
    )
    assert result.reason.endswith("got 2020-01-01T00:00:00Z")


async def test_a_callerror_to_a_firmware_status_fails_the_download_failed_case(
    csms_runner,
) -> None:
    """TC_L_07_CSMS step 4: the CSMS responds with a FirmwareStatusNotificationResponse."""
    fault = "callerror:FirmwareStatusNotification:InternalError"
    result = await csms_runner("TC_L_07_CSMS", faults=[fault])
    assert result.verdict == Verdict.FAIL
    assert result.reason == (
        "step 4: FirmwareStatusNotificationResponse.(message type): expected CALLRESULT, "
        "got CALLERROR InternalError"
    )


async def test_a_wrong_location_fails_the_publish_firmware_case(csms_runner) -> None:
    """TC_L_17_CSMS step 1: PublishFirmwareRequest location <Configured firmware_location>."""
    fault = "request:PublishFirmware:location=http://127.0.0.1:9/elsewhere.bin"
    result = await csms_runner("TC_L_17_CSMS", faults=[fault])
    assert result.verdict == Verdict.FAIL
    assert result.reason.startswith("step 1: PublishFirmwareRequest.location: expected http://")
    assert result.reason.endswith("got http://127.0.0.1:9/elsewhere.bin")


async def test_a_csms_that_never_sends_the_update_leaves_the_case_inconclusive(
    csms_runner, monkeypatch
) -> None:
    """TC_L_01_CSMS step 1: no UpdateFirmwareRequest within the time limit."""
    prompter = csms_runner.prompter
    own = prompter.perform

    async def pretend(request: ManualRequest) -> ManualOutcome:
        if request.key == "update_firmware":
            return ManualOutcome(True, "adapter", "said done, sent nothing")
        return await own(request)

    monkeypatch.setattr(prompter, "perform", pretend)
    result = await csms_runner("TC_L_01_CSMS", timeout=1.0)
    assert result.verdict == Verdict.INCONCLUSIVE
    assert result.reason == "the CSMS's UpdateFirmwareRequest did not arrive within 1 s"
