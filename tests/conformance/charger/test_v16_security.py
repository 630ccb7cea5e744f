"""1.6 Security charge point cases against the bench's own station (OCTT 1.6 §2.24).

Each case runs with the station connected on a security profile its prerequisite
names (``security_profile``: 1 Basic auth, 2 TLS + Basic auth, 3 TLS + client
certificate; the bench as CSMS and as Certificate Authority, ``tls.py``).
"""

from __future__ import annotations

import pytest

from bench.conformance.results import CaseResult, Verdict
from tests.conformance.charger.conftest import ChargerRunner

CASES = [
    ("TC_073_CS", 1),
    ("TC_073_CS", 2),
    ("TC_074_CS", 3),
    ("TC_075_1_CS", 2),
    ("TC_075_2_CS", 3),
    ("TC_076_CS", 2),
    ("TC_077_CS", 3),
    ("TC_078_CS", 2),
    ("TC_079_CS", 0),
    ("TC_080_CS", 0),
    ("TC_081_CS", 0),
    ("TC_083_CS", 2),
    ("TC_084_CS", 2),
    ("TC_084_CS", 3),
    ("TC_085_CS", 1),
    ("TC_085_CS", 2),
    ("TC_086_CS", 2),
    ("TC_086_CS", 3),
    ("TC_087_CS", 3),
]


def _failures(result: CaseResult) -> str:
    return "; ".join(c.describe() for c in result.checks if not c.ok)


@pytest.mark.parametrize(("case_id", "profile"), CASES)
async def test_a_security_case_passes_against_the_benchs_own_station(
    charger_runner: ChargerRunner, case_id: str, profile: int
) -> None:
    result = await charger_runner(case_id, security_profile=profile)
    assert result.verdict is Verdict.PASS, f"{result.reason} | {_failures(result)}"


@pytest.mark.parametrize(
    ("case_id", "profile", "needed"),
    [("TC_073_CS", 0, "1 or 2"), ("TC_087_CS", 2, "3"), ("TC_084_CS", 1, "2 or 3")],
)
async def test_a_security_case_for_another_profile_does_not_apply(
    charger_runner: ChargerRunner, case_id: str, profile: int, needed: str
) -> None:
    result = await charger_runner(case_id, security_profile=profile)
    assert result.verdict is Verdict.NOT_APPLICABLE, result.reason
    assert result.reason == (
        f"the station is connected with security profile {profile}; "
        f"the case is for security profile {needed}"
    )
