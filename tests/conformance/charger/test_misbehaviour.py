"""Testing the tester: the bench's own station breaks one behaviour on purpose (station
setting ``misbehave``) and, in every block, the cases that catch it turn to *fail* with a
reason that names the broken behaviour (issue 14).

Each row: a block of OCTT's 1.6 document (its section) or of 2.0.1 part 6, one case of
it that passes against the well-behaved station (its block's test says so), the
misbehaviour, and the words the failing reason must contain. The misbehaviours:

- missing-status: StatusNotification is never sent -> "(sent) ... got none (missing)";
- wrong-stop-reason: a transaction ends with another reason -> the reason field;
- unanswered-request: requests of the CSMS get no reply -> "(unanswered)";
- invalid-field: a field its schema forbids -> "(schema)";
- late-reply: replies come 12 s late -> "(a late reply)".
"""

from __future__ import annotations

import pytest

from bench.conformance.results import Verdict
from tests.conformance.charger.conftest import ChargerRunner

MISSING = "(missing)"
SCHEMA = "valid against the OCPP schema"
UNANSWERED = "(unanswered)"
LATE = "(a late reply)"
REASON = ".reason: expected"
STOPPED = ".stoppedReason: expected"

ROWS = [
    # OCPP 1.6, by section of the OCTT document
    ("2.1", "TC_001_CS", "missing-status", MISSING),
    ("2.2", "TC_003_CS", "invalid-field", SCHEMA),
    ("2.3", "TC_068_CS", "wrong-stop-reason", REASON),
    ("2.4", "TC_007_CS", "missing-status", MISSING),
    ("2.5", "TC_010_CS", "unanswered-request", UNANSWERED),
    ("2.6", "TC_013_CS", "invalid-field", SCHEMA),
    ("2.7", "TC_017_1_CS", "unanswered-request", UNANSWERED),
    ("2.8", "TC_019_CS", "late-reply", LATE),
    ("2.9", "TC_070_CS", "missing-status", MISSING),
    ("2.10", "TC_023_CS", "missing-status", MISSING),
    ("2.11", "TC_026_CS", "missing-status", MISSING),
    ("2.12", "TC_030_CS", "unanswered-request", UNANSWERED),
    ("2.13", "TC_032_2_CS", "wrong-stop-reason", REASON),
    ("2.14", "TC_036_CS", "missing-status", MISSING),
    ("2.15", "TC_040_1_CS", "unanswered-request", UNANSWERED),
    ("2.16", "TC_041_CS", "missing-status", MISSING),
    ("2.17", "TC_042_1_CS", "unanswered-request", UNANSWERED),
    ("2.18", "TC_044_1_CS", "missing-status", MISSING),
    ("2.19", "TC_045_1_CS", "unanswered-request", UNANSWERED),
    ("2.20", "TC_046_1_CS", "missing-status", MISSING),
    ("2.21", "TC_054_CS", "missing-status", MISSING),
    ("2.22", "TC_056_CS", "unanswered-request", UNANSWERED),
    ("2.23", "TC_062_CS", "unanswered-request", UNANSWERED),
    ("2.24", "TC_079_CS", "unanswered-request", UNANSWERED),
    # OCPP 2.0.1, by functional block of part 6
    ("A", "TC_A_09_CS", "unanswered-request", UNANSWERED),
    ("B", "TC_B_01_CS", "missing-status", MISSING),
    ("C", "TC_C_02_CS", "invalid-field", SCHEMA),
    ("D", "TC_D_01_CS", "unanswered-request", UNANSWERED),
    ("E", "TC_E_15_CS", "wrong-stop-reason", STOPPED),
    ("F", "TC_F_01_CS", "missing-status", MISSING),
    ("G", "TC_G_01_CS", "invalid-field", SCHEMA),
    ("H", "TC_H_01_CS", "missing-status", MISSING),
    ("I", "TC_I_02_CS", "wrong-stop-reason", STOPPED),
    ("J", "TC_J_01_CS", "invalid-field", SCHEMA),
    ("K", "TC_K_01_CS", "unanswered-request", UNANSWERED),
    ("L", "TC_L_02_CS", "late-reply", LATE),
    ("M", "TC_M_01_CS", "unanswered-request", UNANSWERED),
    ("N", "TC_N_01_CS", "unanswered-request", UNANSWERED),
    ("O", "TC_O_01_CS", "unanswered-request", UNANSWERED),
    ("P", "TC_P_01_CS", "unanswered-request", UNANSWERED),
]


@pytest.mark.parametrize(("block", "case_id", "misbehave", "named"), ROWS)
async def test_a_misbehaving_station_fails_the_blocks_case_naming_what_broke(
    charger_runner: ChargerRunner, block: str, case_id: str, misbehave: str, named: str
) -> None:
    # A late reply is told from a missing one by waiting past it (12 s) for it.
    timeout = 15.0 if misbehave == "late-reply" else 6.0
    security = 1 if case_id == "TC_A_09_CS" else 0  # the case is about the Basic password
    result = await charger_runner(
        case_id,
        misbehave=misbehave,
        timeout=timeout,
        reply_timeout=2.0,
        security_profile=security,
    )
    assert result.verdict is Verdict.FAIL, f"{block} {case_id}: {result.verdict} {result.reason}"
    assert named in result.reason, result.reason


def test_every_block_of_both_versions_has_a_misbehaviour_row() -> None:
    from bench.conformance.catalogue import cases

    blocks = {c.block for c in cases(sut="cs")}
    assert blocks == {row[0] for row in ROWS}
    assert {row[2] for row in ROWS} == {
        "missing-status",
        "wrong-stop-reason",
        "unanswered-request",
        "invalid-field",
        "late-reply",
    }
