"""Block M (ISO 15118 CertificateManagement) CSMS cases against the built-in CSMS (§3.14).

The bench's station installs and deletes the configured certificates for real; the
built-in CSMS sends the InstallCertificate, GetInstalledCertificateIds and
DeleteCertificate requests the case names (``DirectPrompter``).
"""

from __future__ import annotations

import pytest

from bench.conformance.manual import ManualOutcome, ManualRequest
from bench.conformance.results import Verdict

M_PASSING = [
    "TC_M_01_CSMS",
    "TC_M_02_CSMS",
    "TC_M_03_CSMS",
    "TC_M_04_CSMS",
    "TC_M_05_CSMS",
    "TC_M_12_CSMS",
    "TC_M_13_CSMS",
    "TC_M_14_CSMS",
    "TC_M_15_CSMS",
    "TC_M_16_CSMS",
    "TC_M_17_CSMS",
    "TC_M_18_CSMS",
    "TC_M_19_CSMS",
    "TC_M_20_CSMS",
    "TC_M_21_CSMS",
]


@pytest.mark.parametrize("case_id", M_PASSING)
async def test_certificate_case_passes_against_the_builtin_csms(csms_runner, case_id: str) -> None:
    result = await csms_runner(case_id)
    assert result.verdict == Verdict.PASS, (result.reason, [c.describe() for c in result.checks])


# ---------------------------------------------------------------- what the built-in CSMS lacks
async def test_certificate_status_fails_against_the_builtin_csms_which_asks_no_ocsp_responder(
    csms_runner,
) -> None:
    """TC_M_24_CSMS (M06.FR.02): the sub-CAs' status is the bench's OCSP responder's to give;
    the built-in CSMS answers only for certificates its own CA issued and never asks the
    responderURL, so it answers Failed."""
    result = await csms_runner("TC_M_24_CSMS")
    assert result.verdict == Verdict.FAIL
    assert (
        result.reason
        == "step 2: GetCertificateStatusResponse.status: expected Accepted, got Failed"
    )


@pytest.mark.parametrize(
    ("case_id", "message"),
    [("TC_M_26_CSMS", "CertificateInstallationRes"), ("TC_M_28_CSMS", "CertificateUpdateRes")],
)
async def test_ev_certificate_cases_fail_against_the_builtin_csms_which_has_no_exi_codec(
    csms_runner, case_id: str, message: str
) -> None:
    """TC_M_26/28_CSMS (M01/M02): the built-in CSMS answers Accepted with a Base64 JSON
    receipt, not a raw EXI stream."""
    result = await csms_runner(case_id)
    assert result.verdict == Verdict.FAIL
    assert result.reason.startswith(
        "step 2: Get15118EVCertificateResponse.exiResponse: expected Base64 of a raw EXI "
        f"stream (an ISO 15118 {message}), got eyJ"  # '{"' in Base64
    )


# ---------------------------------------------------------------- the CSMS gets it wrong
async def test_a_wrong_certificate_type_fails_the_install_case_naming_the_field(
    csms_runner,
) -> None:
    """TC_M_01_CSMS, CertificateInstalled step 1: certificateType must be the specified one."""
    fault = "request:InstallCertificate:certificateType=MORootCertificate"
    result = await csms_runner("TC_M_01_CSMS", faults=[fault])
    assert result.verdict == Verdict.FAIL
    assert result.reason == (
        "step 1: InstallCertificateRequest.certificateType: expected CSMSRootCertificate, "
        "got MORootCertificate"
    )


async def test_a_missing_certificate_type_fails_the_no_match_case(csms_runner) -> None:
    """TC_M_19_CSMS step 1: certificateType is ManufacturerRootCertificate."""
    result = await csms_runner(
        "TC_M_19_CSMS", faults=["drop:GetInstalledCertificateIds:certificateType"]
    )
    assert result.verdict == Verdict.FAIL
    assert result.reason == (
        "step 1: GetInstalledCertificateIdsRequest.certificateType: expected "
        "[ManufacturerRootCertificate], got (absent)"
    )


async def test_a_delete_with_other_hash_data_fails_naming_the_serial_number(csms_runner) -> None:
    """TC_M_21_CSMS step 3: certificateHashData is what the station returned at step 2."""
    fault = "request:DeleteCertificate:certificateHashData.serialNumber=ff"
    result = await csms_runner("TC_M_21_CSMS", faults=[fault])
    assert result.verdict == Verdict.FAIL
    assert result.reason.startswith(
        "step 3: DeleteCertificateRequest.certificateHashData.serialNumber: expected "
    )
    assert result.reason.endswith("(returned at the GetInstalledCertificateIds step), got ff")


async def test_a_csms_that_never_installs_the_certificate_leaves_the_case_inconclusive(
    csms_runner, monkeypatch
) -> None:
    """TC_M_02_CSMS step 1: no InstallCertificateRequest within the time limit."""
    prompter = csms_runner.prompter
    own = prompter.perform

    async def pretend(request: ManualRequest) -> ManualOutcome:
        if request.key == "install_certificate":
            return ManualOutcome(True, "adapter", "said done, sent nothing")
        return await own(request)

    monkeypatch.setattr(prompter, "perform", pretend)
    result = await csms_runner("TC_M_02_CSMS", timeout=1.0)
    assert result.verdict == Verdict.INCONCLUSIVE
    assert result.reason == "the CSMS's InstallCertificateRequest did not arrive within 1 s"
