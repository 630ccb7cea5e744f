"""The built-in CSMS misbehaving on purpose turns the cases that watch that behaviour
to *fail*, with a reason naming what broke (issue 13, "Proof it works").

Each row: a case, the fault the built-in CSMS injects (bench.csms.faults specs),
the verdict, and the words the reason must contain. One row per block at least,
covering each kind of fault: a wrong reply status, a missing required field, a
wrong request field, a CALLERROR instead of a reply, an answer after the time
limit, and two requests in the wrong order.
"""

from __future__ import annotations

import pytest

from bench.conformance.results import Verdict
from tests.conformance.conftest import CaseRunner

FAIL, INCONCLUSIVE = Verdict.FAIL, Verdict.INCONCLUSIVE

ROWS = [
    # B Provisioning: a wrong BootNotification status (B01.FR.02).
    (
        "TC_B_01_CSMS",
        "reply:BootNotification:status=Rejected",
        FAIL,
        "expected Accepted, got Rejected",
    ),
    # B: the wrong report base in the request (B07.FR.07).
    ("TC_B_12_CSMS", "request:GetBaseReport:reportBase=FullInventory", FAIL, "reportBase"),
    # C Authorization: an unknown token answered Accepted (C01.FR.02).
    ("TC_C_02_CSMS", "reply:Authorize:idTokenInfo.status=Accepted", FAIL, "idTokenInfo.status"),
    # D Local list: a Full update sent as Differential (D01.FR.01).
    ("TC_D_01_CSMS", "request:SendLocalList:updateType=Differential", FAIL, "updateType"),
    # E Transactions: a CALLERROR instead of the TransactionEvent reply.
    ("TC_E_01_CSMS", "callerror:TransactionEvent:InternalError", FAIL, "TransactionEvent"),
    # F Remote control: the remote start for another token (F01.FR.01).
    (
        "TC_F_01_CSMS",
        "request:RequestStartTransaction:idToken.idToken=OTHER",
        FAIL,
        "idToken.idToken",
    ),
    # H Reservation: a required field missing from ReserveNow.
    ("TC_H_01_CSMS", "drop:ReserveNow:id", FAIL, "ReserveNow"),
    # I Tariff: the cost missing from the TransactionEvent reply (I02.FR.01).
    ("TC_I_02_CSMS", "drop:TransactionEvent:totalCost", FAIL, "totalCost"),
    # J Meter values: a CALLERROR instead of the MeterValues reply.
    ("TC_J_01_CSMS", "callerror:MeterValues:InternalError", FAIL, "MeterValues"),
    # K Smart charging: a profile limit the case does not ask for.
    ("TC_K_01_CSMS", "request:SetChargingProfile:chargingProfile.stackLevel=7", FAIL, "stackLevel"),
    # An answer after the time limit: the CSMS did not act in time.
    ("TC_B_01_CSMS", "late:BootNotification:4", INCONCLUSIVE, "did not arrive within 2 s"),
]


@pytest.mark.parametrize(
    ("case_id", "fault", "verdict", "words"), ROWS, ids=[r[0] + " " + r[1] for r in ROWS]
)
async def test_a_broken_csms_behaviour_turns_its_cases_to_fail_naming_it(
    csms_runner: CaseRunner, case_id: str, fault: str, verdict: Verdict, words: str
) -> None:
    healthy = await csms_runner(case_id)
    assert healthy.verdict is Verdict.PASS, healthy.reason
    timeout = {"timeout": 2.0} if fault.startswith("late:") else {}
    broken = await csms_runner(case_id, faults=[fault], **timeout)
    assert broken.verdict is verdict, broken.reason
    assert words in broken.reason, broken.reason
