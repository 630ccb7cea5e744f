"""The ``--script`` path: StationRun + ScriptRunner against the built-in CSMS."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bench.runtime import StationOptions, StationRun
from bench.scenarios.steps import StepError, parse_script
from tests.e2e.conftest import SPEED, WAIT, status_sent, stopped


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


async def test_a_script_drives_a_whole_charging_session(csms, run: StationRun) -> None:
    """1.6 §4.8, §4.10 through the step language: plug, present, expect, wait, unplug."""
    script = parse_script(
        "plug 1; present TAG1; expect 1 Charging within 30; wait 60; present TAG1;"
        " expect 1 Finishing within 30; unplug 1; expect 1 Available",
        separator=";",
    )
    echoed: list[str] = []
    await run.run_script(script, echo=echoed.append)
    await stopped(csms)
    (tx,) = csms.transactions("CP1")
    assert tx.reason == "Local"
    assert tx.meter_stop > tx.meter_start
    assert len(echoed) == len(script)
    assert echoed[0].endswith("step 1 (plug 1)")


async def test_a_failing_expect_raises_a_step_error_naming_the_step(run: StationRun) -> None:
    """The step that did not hold is named with its number and text."""
    script = parse_script("expect 1 Available within 5\nexpect 1 Charging within 5")
    with pytest.raises(StepError) as caught:
        await run.run_script(script)
    message = str(caught.value)
    assert "step 2 (expect 1 Charging within 5)" in message
    assert "Available" in message


async def test_suspend_resume_and_soc_steps_drive_the_ev(csms, run: StationRun) -> None:
    """1.6 §7.7: the EV side pauses (SuspendedEV) and resumes (Charging) from a script."""
    script = parse_script(
        "plug 1; present TAG1; expect 1 Charging within 30; wait 10; suspend 1;"
        " expect 1 SuspendedEV within 30; wait 10; resume 1; expect 1 Charging within 30;"
        " wait 10; soc 1 100; expect 1 SuspendedEV within 30",
        separator=";",
    )
    await run.run_script(script)
    for status in ("Charging", "SuspendedEV", "Charging", "SuspendedEV"):
        await status_sent(csms, status)
    assert run.station.connector(1).ev.soc == 100
    assert run.station.connector(1).transaction is not None


async def test_a_step_on_a_missing_connector_names_the_step(run: StationRun) -> None:
    script = parse_script("plug 3")
    with pytest.raises(StepError, match=r"step 1 \(plug 3\).*no connector 3"):
        await run.run_script(script)


async def test_disconnect_and_reconnect_steps_queue_and_deliver(csms, run: StationRun) -> None:
    """1.6 §3.7 from a script: a session while offline is delivered after reconnecting."""
    await run.cp.authorizer.authorize("TAG1")
    script = parse_script(
        "disconnect; plug 1; present TAG1; expect 1 Charging within 30; wait 30;"
        " present TAG1; expect 1 Finishing within 30; reconnect",
        separator=";",
    )
    await run.run_script(script)
    stop = await stopped(csms)
    assert stop["reason"] == "Local"


def test_an_unknown_step_is_refused_at_parse_time() -> None:
    with pytest.raises(StepError, match=r"step 2 \(fly 1\): unknown step 'fly'"):
        parse_script("plug 1\nfly 1")
