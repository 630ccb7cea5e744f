"""The step language's progress events and line numbers, and the bundled example scripts.

Real parts: the built-in CSMS on 127.0.0.1 (OS-assigned port) and a ``StationRun``
(the same object the CLI's ``--script`` and the desktop app drive), SQLite in tmp_path.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bench.csms import v201_tx
from bench.csms.config import CsmsConfig, TagEntry
from bench.csms.server import CentralSystem
from bench.demo import DEMO_TAG
from bench.runtime import StationOptions, StationRun
from bench.scenarios.examples import example_scripts, example_title
from bench.scenarios.progress import (
    FAILED,
    PASSED,
    STOPPED,
    ScriptFinished,
    ScriptStarted,
    StepFinished,
    StepStarted,
)
from bench.scenarios.steps import StepError, check_script, parse_script
from tests.waiting import wait_until

SPEED = 10.0  # a virtual minute in six real seconds: "within 60" leaves a busy CI room
WAIT = 10.0


@pytest.fixture
async def csms(tmp_path: Path) -> AsyncIterator[CentralSystem]:
    central = CentralSystem(
        CsmsConfig(
            db_path=str(tmp_path / "csms.db"),
            heartbeat_interval=3600,
            tags={DEMO_TAG: TagEntry("Accepted")},
        )
    )
    await central.start()
    yield central
    await central.stop()


@pytest.fixture
async def station(
    csms: CentralSystem, tmp_path: Path
) -> AsyncIterator[Callable[[str], Awaitable[StationRun]]]:
    started: list[StationRun] = []

    async def start(ocpp: str = "1.6") -> StationRun:
        run = StationRun(
            StationOptions(
                csms_url=csms.url,
                station_id=f"SCRIPT-{ocpp}",
                ocpp=ocpp,
                speed=SPEED,
                db=str(tmp_path / f"station-{ocpp}.db"),
            )
        )
        await run.start()
        started.append(run)
        await run.cp.wait_accepted(WAIT)
        return run

    yield start
    for run in started:
        await run.stop()


def verdicts(events: list[Any]) -> list[tuple[int, str]]:
    return [(e.step.number, e.verdict) for e in events if isinstance(e, StepFinished)]


# ------------------------------------------------------------------ parsing


def test_every_bad_line_is_reported_with_its_line_number() -> None:
    text = "# a comment\nplug 1\n\nfly 1\nexpect 1 Charging within soon\nunplug 1\n"
    steps, problems = check_script(text)
    assert [(s.number, s.line, s.text) for s in steps] == [(1, 2, "plug 1"), (4, 6, "unplug 1")]
    assert [(p.line, p.number) for p in problems] == [(4, 2), (5, 3)]
    assert problems[0].detail.startswith("unknown step 'fly'")
    assert problems[1].detail == "SECONDS must be a number, got 'soon'"
    assert str(problems[0]).startswith("step 2 (fly 1): unknown step 'fly'")


def test_parse_script_still_names_the_first_bad_step_and_now_its_line() -> None:
    """The CLI's usage error is unchanged; the line comes with it."""
    with pytest.raises(StepError) as caught:
        parse_script("plug 1\n\n# note\nexpect 1 Charged\nfly")
    assert str(caught.value).startswith("step 2 (expect 1 Charged): unknown status 'Charged'")
    assert caught.value.line == 4


def test_steps_given_with_semicolons_know_the_line_they_were_written_on() -> None:
    steps = parse_script("plug 1; present T\n; expect 1 Charging;\n  wait 5", separator=";")
    assert [(s.number, s.line) for s in steps] == [(1, 1), (2, 1), (3, 2), (4, 3)]


# ------------------------------------------------------------------ progress events


async def test_a_run_announces_each_step_and_gives_it_a_verdict(station) -> None:
    """1.6 §4.8/§4.10 (StartTransaction, StatusNotification Charging) as observed by expect."""
    run = await station("1.6")
    events: list[Any] = []
    echoed: list[str] = []
    steps = parse_script(f"plug 1\npresent {DEMO_TAG}\nexpect 1 Charging within 60\nwait 5")
    await run.run_script(steps, echo=echoed.append, on_event=events.append)

    assert isinstance(events[0], ScriptStarted) and events[0].station_id == "SCRIPT-1.6"
    kinds = [type(e).__name__ for e in events[1:-1]]
    assert kinds == ["StepStarted", "StepFinished"] * 4
    assert verdicts(events) == [(1, PASSED), (2, PASSED), (3, PASSED), (4, PASSED)]
    expect = next(e for e in events if isinstance(e, StepFinished) and e.step.verb == "expect")
    assert (expect.expected, expect.seen, expect.reason) == (
        "Charging",
        "Charging",
        "connector 1 is Charging",
    )
    waited = [e for e in events if isinstance(e, StepFinished)][3]
    assert waited.seconds >= 5.0  # virtual seconds
    assert events[-1] == ScriptFinished(PASSED, None, events[-1].seconds)
    # The CLI's echo is now fed by the same events: one line per step, as before.
    assert echoed == [f"▶ {s}" for s in steps]


async def test_a_failing_expect_says_what_it_expected_what_it_saw_and_where(station) -> None:
    run = await station("1.6")
    events: list[Any] = []
    steps = parse_script("plug 1\n\nexpect 1 Charging within 2\nunplug 1")
    with pytest.raises(StepError) as caught:
        await run.run_script(steps, on_event=events.append)
    assert str(caught.value) == (
        "step 2 (expect 1 Charging within 2) failed: "
        "connector 1 is Preparing, not Charging, after 2 s"
    )
    failed = events[-2]
    assert isinstance(failed, StepFinished)
    assert (failed.verdict, failed.step.line, failed.expected, failed.seen) == (
        FAILED,
        3,
        "Charging",
        "Preparing",
    )
    assert failed.reason == "connector 1 is Preparing, not Charging, after 2 s"
    assert events[-1].verdict == FAILED and events[-1].last == failed
    # The run ends at the failure: step 3 never started.
    assert not any(isinstance(e, StepStarted) and e.step.number == 3 for e in events)


async def test_a_2_0_1_expect_names_the_charging_state_it_saw(station) -> None:
    """2.0.1 E02: while a transaction runs, expect compares its chargingState too."""
    run = await station("2.0.1")
    await run.run_script(
        parse_script(f"plug 1; present {DEMO_TAG}; expect 1 Charging", separator=";")
    )
    events: list[Any] = []
    with pytest.raises(StepError):
        await run.run_script(parse_script("expect 1 SuspendedEV within 1"), on_event=events.append)
    assert events[-2].seen == "Occupied (Charging)"


@pytest.mark.parametrize("ocpp", ["1.6", "2.0.1"])
async def test_a_card_presented_just_before_unplugging_ends_the_session_by_card(
    station, csms: CentralSystem, ocpp: str
) -> None:
    """1.6 §4.10 / E07.FR.01a: the badge ends its own transaction before the next step runs,
    so the cable pulled right after finds no transaction (and no authorization) left."""
    run = await station(ocpp)
    script = (
        f"plug 1; present {DEMO_TAG}; expect 1 Charging within 60; wait 5;"
        f" present {DEMO_TAG}; unplug 1"
    )
    await run.run_script(parse_script(script, separator=";"))
    sid = run.station.id

    def reasons() -> list[str | None]:
        if ocpp == "1.6":
            return [tx.reason for tx in csms.transactions(sid) if not tx.active]
        return [tx.stopped_reason for tx in v201_tx.transactions(csms.store.conn, sid)]

    await wait_until(lambda: reasons() == ["Local"], WAIT, "the transaction ended by card")
    assert run.cp.status_of(1).status == "Available"


async def test_cancelling_a_run_stops_the_current_step_and_the_station_keeps_working(
    station, csms: CentralSystem
) -> None:
    run = await station("1.6")
    events: list[Any] = []
    steps = parse_script(f"plug 1\npresent {DEMO_TAG}\nexpect 1 Charging within 60\nwait 100000")
    task = asyncio.get_running_loop().create_task(run.run_script(steps, on_event=events.append))
    await wait_until(
        lambda: any(isinstance(e, StepStarted) and e.step.number == 4 for e in events),
        WAIT,
        "the long wait to start",
    )
    task.cancel("stopped by the user")
    with pytest.raises(asyncio.CancelledError):
        await task
    assert verdicts(events) == [(1, PASSED), (2, PASSED), (3, PASSED), (4, STOPPED)]
    assert events[-2].reason == "stopped by the user"  # the cancel message says why
    assert events[-1].verdict == STOPPED and events[-1].last.step.number == 4
    # The station still answers its user: the same card ends the session.
    again = parse_script(f"present {DEMO_TAG}; expect 1 Finishing within 60", separator=";")
    await run.run_script(again)
    await wait_until(
        lambda: [t.reason for t in csms.transactions("SCRIPT-1.6")] == ["Local"],
        WAIT,
        "StopTransaction reason Local",
    )


# ------------------------------------------------------------------ bundled examples


def test_the_examples_are_bundled_with_a_title_and_parse() -> None:
    names = [path.name for path in example_scripts()]
    assert names == ["charge-session.steps", "ev-pauses.steps"]
    assert example_title(example_scripts()[0]).startswith("A charging session")
    for path in example_scripts():
        steps, problems = check_script(path.read_text(encoding="utf-8"))
        assert problems == [] and steps


@pytest.mark.parametrize("ocpp", ["1.6", "2.0.1"])
@pytest.mark.parametrize(
    ("name", "reason"),
    [("charge-session.steps", "Local"), ("ev-pauses.steps", "EVDisconnected")],
)
async def test_each_example_runs_green_against_the_built_in_csms(
    station, csms: CentralSystem, ocpp: str, name: str, reason: str
) -> None:
    """1.6 §4.8/§4.10 and 2.0.1 E01/E06/E07: one transaction, ended the way the script says
    (the card, or the cable pulled)."""
    run = await station(ocpp)
    (path,) = [p for p in example_scripts() if p.name == name]
    steps = parse_script(path.read_text(encoding="utf-8"))
    events: list[Any] = []
    await run.run_script(steps, on_event=events.append)
    assert {verdict for _, verdict in verdicts(events)} == {PASSED}
    assert len(verdicts(events)) == len(steps)
    sid = run.station.id

    def reasons() -> list[str | None]:
        if ocpp == "1.6":
            return [tx.reason for tx in csms.transactions(sid) if not tx.active]
        return [tx.stopped_reason for tx in v201_tx.transactions(csms.store.conn, sid)]

    await wait_until(lambda: reasons() == [reason], WAIT, f"one transaction ended ({reason})")
    assert not run.station.connector(1).plugged
    assert run.cp.status_of(1).status == "Available"


# ------------------------------------------------------------------ power off / power on


def test_power_takes_off_or_on_and_nothing_else() -> None:
    steps, problems = check_script("power off\npower on\npower down\npower\n")
    assert [s.text for s in steps] == ["power off", "power on"]
    assert [p.detail for p in problems] == [
        "expected 'power off' or 'power on', got 'power down'",
        "expected 'power off|on'",
    ]


@pytest.mark.parametrize("ocpp", ["1.6", "2.0.1"])
async def test_power_off_ends_the_session_with_power_loss_and_power_on_boots_again(
    station, csms: CentralSystem, ocpp: str
) -> None:
    """A power cut ends the transaction with reason PowerLoss (1.6 §7.36, 2.0.1
    ReasonEnumType), sent once the station is back; power on boots it afresh (2.0.1
    BootNotification reason PowerUp, B01)."""
    run = await station(ocpp)
    sid = run.station.id
    boots = csms.station(sid).boot_count
    mark = csms.mark()
    script = (
        f"plug 1; present {DEMO_TAG}; expect 1 Charging within 60;"
        " power off; wait 5; power on; unplug 1; expect 1 Available within 60"
    )
    events: list[Any] = []
    await run.run_script(parse_script(script, separator=";"), on_event=events.append)
    assert all(v == PASSED for _, v in verdicts(events))
    assert run.cp.power().on

    boot = await csms.wait_for_message(sid, "BootNotification", timeout=WAIT, since=mark)
    if ocpp == "2.0.1":
        assert boot["reason"] == "PowerUp"

    def reasons() -> list[str | None]:
        if ocpp == "1.6":
            return [tx.reason for tx in csms.transactions(sid) if not tx.active]
        return [tx.stopped_reason for tx in v201_tx.transactions(csms.store.conn, sid)]

    await wait_until(lambda: reasons() == ["PowerLoss"], WAIT, "the transaction ended")
    assert csms.station(sid).boot_count == boots + 1


async def test_power_on_while_the_station_has_power_fails_the_step(station) -> None:
    run = await station("1.6")
    events: list[Any] = []
    with pytest.raises(StepError) as caught:
        await run.run_script(parse_script("power on"), on_event=events.append)
    assert caught.value.detail == "the station has power already"
    assert run.cp.power().on
