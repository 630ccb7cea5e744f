"""Network faults from the step language and the command line (issue 17, part 2)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bench.runtime import StationOptions, StationRun
from bench.scenarios.progress import StepFinished
from bench.scenarios.steps import StepError, parse_script
from tests.e2e.conftest import SPEED, WAIT, wait_until
from tests.e2e.test_cli import bench, csms_url  # noqa: F401  (csms_url is a fixture)


@pytest.fixture
async def run(csms, tmp_path: Path) -> AsyncIterator[StationRun]:
    station = StationRun(
        StationOptions(
            csms_url=csms.url, station_id="CP1", speed=SPEED, db=str(tmp_path / "run.db")
        )
    )
    await station.start()
    await station.cp.wait_accepted(WAIT)
    yield station
    await station.stop()


def test_the_impair_verbs_of_the_issue_parse() -> None:
    steps = parse_script(
        "impair latency 800ms jitter 200ms; impair loss 5%; impair halfopen;"
        " impair flap 30s; impair off",
        separator=";",
    )
    assert [step.verb for step in steps] == ["impair"] * 5


def test_a_bad_impair_step_is_refused_at_parse_time_naming_the_step() -> None:
    with pytest.raises(StepError, match=r"step 2 \(impair loss lots\): loss: expected a perc"):
        parse_script("plug 1\nimpair loss lots")
    with pytest.raises(StepError, match=r"jitter 200ms is wider than latency 100ms"):
        parse_script("impair latency 100ms jitter 200ms")


async def test_jitter_is_judged_against_the_latency_in_force_when_the_step_runs(
    run: StationRun,
) -> None:
    await run.run_script(parse_script("impair latency 100ms; impair jitter 50ms", separator=";"))
    assert run.cp.impairment().describe() == "latency 100ms jitter 50ms"
    with pytest.raises(StepError, match=r"step 1 \(impair jitter 500ms\) failed: jitter 500ms"):
        await run.run_script(parse_script("impair jitter 500ms"))
    assert run.cp.impairment().describe() == "latency 100ms jitter 50ms"


async def test_impair_steps_set_and_clear_the_station_network_faults(run: StationRun) -> None:
    verdicts: list[StepFinished] = []
    script = parse_script("impair latency 200ms jitter 50ms; impair loss 5%", separator=";")
    await run.run_script(
        script, on_event=lambda e: verdicts.append(e) if isinstance(e, StepFinished) else None
    )
    assert run.cp.impairment().describe() == "latency 200ms jitter 50ms, loss 5%"
    assert verdicts[-1].reason == "network: latency 200ms jitter 50ms, loss 5%"
    await run.run_script(parse_script("impair off"))
    assert not run.cp.impairment().active


async def test_a_session_through_a_flapping_link_from_a_script_reaches_the_csms(
    csms, run: StationRun
) -> None:
    """1.6 §3.7: the link drops every second while a scripted session runs; the
    transaction's messages are queued over each drop and delivered."""
    await run.cp.authorizer.authorize("TAG1")
    script = parse_script(
        "impair flap 1s; plug 1; present TAG1; expect 1 Charging within 30; wait 240;"
        " present TAG1; expect 1 Finishing within 30; impair off",
        separator=";",
    )
    await run.run_script(script)
    stop = await csms.wait_for_message("CP1", "StopTransaction", timeout=20.0)
    assert stop["reason"] == "Local"
    await wait_until(lambda: run.cp.queue_length() == 0, 20.0, "an empty queue")
    assert run.cp.network_faults.counters.flaps >= 1


@pytest.mark.timeout(120)
def test_run_impair_slows_every_exchange_on_the_command_line(
    csms_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    log = tmp_path / "frames.jsonl"
    result = bench(
        "run",
        "--csms",
        csms_url,
        "--id",
        "CLI-IMPAIR",
        "--speed",
        "60",
        "--quiet",
        "--db",
        str(tmp_path / "cp.db"),
        "--log",
        str(log),
        "--impair",
        "latency 400ms",
        "--impair",
        "jitter 100ms",
        "--script",
        "plug 1; unplug 1",
    )
    assert result.returncode == 0, result.stderr
    replies = [
        json.loads(line)
        for line in log.read_text().splitlines()
        if json.loads(line)["type"] == "CALLRESULT"
    ]
    assert replies
    # Each exchange crossed the impaired link twice: at least 2 x (400 - 100) ms.
    assert all(r["latency_ms"] >= 600 for r in replies), replies


def test_a_bad_impair_option_is_one_clear_line_and_exit_code_2() -> None:
    result = bench("run", "--csms", "ws://127.0.0.1:9/x", "--id", "X", "--impair", "loss 5")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "--impair 'loss 5': loss: expected a percentage such as 5%" in result.stderr
