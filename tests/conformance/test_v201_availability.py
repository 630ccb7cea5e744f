"""Block G (Availability) CSMS cases against the built-in CSMS (part 6 §3.8)."""

from __future__ import annotations

import pytest

from tests.conformance.tampering import never, tamper

G_CASES = [
    "TC_G_03_CSMS",
    "TC_G_04_CSMS",
    "TC_G_05_CSMS",
    "TC_G_06_CSMS",
    "TC_G_07_CSMS",
    "TC_G_08_CSMS",
    "TC_G_11_CSMS",
    "TC_G_14_CSMS",
    "TC_G_17_CSMS",
    "TC_G_20_CSMS",
]


@pytest.mark.parametrize("case_id", G_CASES)
async def test_availability_case_passes_against_the_built_in_csms(csms_runner, case_id) -> None:
    result = await csms_runner(case_id)
    assert result.verdict == "pass", (result.reason, [c.describe() for c in result.checks])


async def test_a_change_availability_for_the_whole_evse_fails_the_connector_case(
    csms_runner,
) -> None:
    """TC_G_07: the CSMS must name the connector (evse.connectorId); one that leaves it
    out makes the EVSE, not the connector, unavailable and the case fails on that field."""

    def drop_connector(request: dict) -> dict:
        del request["evse"]["connectorId"]
        return request

    tamper(csms_runner, "change_availability", drop_connector)
    result = await csms_runner("TC_G_07_CSMS")
    assert result.verdict == "fail"
    assert result.reason == (
        "step 1: ChangeAvailabilityRequest.evse.connectorId: expected 1, got (absent)"
    )


async def test_a_wrong_operational_status_fails_the_station_case(csms_runner) -> None:
    """TC_G_05: Operative where Inoperative was asked for fails on operationalStatus."""

    def operative(request: dict) -> dict:
        return {**request, "operationalStatus": "Operative"}

    tamper(csms_runner, "change_availability", operative)
    result = await csms_runner("TC_G_05_CSMS", timeout=2.0)
    assert result.verdict == "fail"
    assert result.reason == (
        "step 1: ChangeAvailabilityRequest.operationalStatus: expected Inoperative, got Operative"
    )


async def test_a_csms_that_never_sends_change_availability_is_inconclusive(csms_runner) -> None:
    tamper(csms_runner, "change_availability", never)
    result = await csms_runner("TC_G_03_CSMS", timeout=1.0)
    assert result.verdict == "inconclusive"
    assert result.reason == "the CSMS's ChangeAvailabilityRequest did not arrive within 1 s"
