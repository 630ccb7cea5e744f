"""1.6 Reservation cases (1.6 test case document §3.17) against the built-in Central System."""

from __future__ import annotations

import pytest

from bench.conformance.results import Verdict
from tests.conformance.v16_support import assert_fails_naming, explain, mangle, replacing

CASES = [
    "TC_046_CSMS",
    "TC_047_CSMS",
    "TC_048_1_CSMS",
    "TC_048_2_CSMS",
    "TC_048_3_CSMS",
    "TC_048_4_CSMS",
    "TC_049_CSMS",
    "TC_051_CSMS",
    "TC_052_CSMS",
    "TC_053_CSMS",
]


@pytest.mark.parametrize("case_id", CASES)
async def test_the_reservation_case_passes_against_the_built_in_csms(
    csms_runner, case_id: str
) -> None:
    result = await csms_runner(case_id)
    assert result.verdict is Verdict.PASS, explain(result)


async def test_a_reservation_for_another_card_fails_naming_the_id_tag(csms_runner) -> None:
    """1.6 §5.13 / TC_048_4_CSMS step 1: idTag is <Configured Valid IdTag>."""
    mangle(csms_runner, "reserve_now", replacing(idTag="SOMEONE-ELSE"))
    result = await csms_runner("TC_048_4_CSMS", timeout=2.0)
    assert_fails_naming(result, "step 1: ReserveNow.req.idTag", "expected TAG1", "SOMEONE-ELSE")


async def test_a_reservation_of_a_connector_where_the_charge_point_is_asked_fails(
    csms_runner,
) -> None:
    """1.6 §5.13 / TC_049_CSMS step 1: connectorId is 0."""
    mangle(csms_runner, "reserve_now", replacing(connectorId=1))
    result = await csms_runner("TC_049_CSMS", timeout=2.0)
    assert_fails_naming(result, "step 1: ReserveNow.req.connectorId", "expected 0", "got 1")


async def test_cancelling_the_reservation_itself_fails_the_unknown_reservation_case(
    csms_runner,
) -> None:
    """TC_052_CSMS step 5: the reservationId must NOT be the one of step 1."""
    mangle(csms_runner, "cancel_reservation", replacing(reservationId=1601))
    result = await csms_runner("TC_052_CSMS", timeout=2.0)
    assert_fails_naming(result, "step 5: CancelReservation.req.reservationId", "1601")
