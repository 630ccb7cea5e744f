"""The bench tests itself: the Core profile's charging-station cases of both versions
against its own station, unattended (issue 14, "the self-test runs in CI for the Core
profile of both versions"). The whole catalogue: ``make conformance-self``.

Every Core case with a scenario must pass, or be not applicable with its reason; a
case without a scenario is listed (``conformance list --sut cs``), not run here.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bench.conformance.catalogue import cases
from bench.conformance.charger.features import (
    OWN_STATION_EXTRA,
    own_station_features,
    settle_claims,
)
from bench.conformance.charger.run import ChargerSettings
from bench.conformance.charger.runner import run_charger_cases
from bench.conformance.charger.scenarios import all_scenarios
from bench.conformance.charger.targets import charger_bench
from bench.conformance.results import Verdict


# The whole Core profile of a version in one run: minutes, not the default 120 s.
@pytest.mark.timeout(1800)
# TC_E_41/E_50 make the station give up a TransactionEvent on purpose, which it logs as
# an error; the test checks that no other error was logged.
@pytest.mark.allow_errors
@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_every_core_case_passes_or_is_not_applicable_against_the_benchs_own_station(
    tmp_path: Path, version: str, caplog: pytest.LogCaptureFixture
) -> None:
    implemented = all_scenarios()
    selected = [
        c for c in cases(sut="cs", version=version, profiles=("Core",)) if c.id in implemented
    ]
    assert selected
    settings = ChargerSettings(
        version=version,
        station_id=f"SELF-{version}",
        timeout=15.0,
        heartbeat_interval=3,
        features=own_station_features(version),  # as --self declares them
        extra=dict(OWN_STATION_EXTRA[version]),
    )
    async with charger_bench(settings, template="ac-11kw", folder=tmp_path) as bench:
        await settle_claims(bench, settings, None, settings.timeout)
        run = await run_charger_cases(
            selected, settings, bench.prompter, bench.endpoint, bench.dut, sut=bench.sut
        )
    others = [
        f"{c.case_id} {c.verdict.value}: {c.reason}"
        for c in run.cases
        if c.verdict not in (Verdict.PASS, Verdict.NOT_APPLICABLE)
    ]
    assert not others, "\n".join(others)
    for c in run.cases:
        if c.verdict is Verdict.NOT_APPLICABLE:
            assert c.reason, f"{c.case_id} is not applicable without a reason"
    assert sum(c.verdict is Verdict.PASS for c in run.cases) >= len(run.cases) // 2
    unexpected = [
        r.getMessage()
        for r in caplog.get_records("call")
        if r.levelno >= logging.ERROR
        and r.name.startswith("bench")
        and "TransactionEvent discarded after" not in r.getMessage()
    ]
    assert not unexpected
