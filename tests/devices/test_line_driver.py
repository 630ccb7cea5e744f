"""The "line" driver against the emulated board over a real pty (docs/line-protocol.md).

Pilot states drive the connector, model changes reach the board as commands,
faults map to 1.6 §7.6 error codes, and a silent or pulled board is InternalError.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bench.devices.emulators.line import LineBoardEmulator
from bench.devices.registry import create, parse_device_spec
from bench.devices.serial.line import LineBoardDriver
from bench.model.changes import IdPresented
from bench.model.clock import SystemClock
from bench.model.station import Station
from bench.model.templates import build_station
from tests.waiting import wait_until

WAIT = 5.0


@pytest.fixture
def station() -> Station:
    return build_station("CP-LINE", "ac-11kw", SystemClock(speed=1.0))


@pytest.fixture
async def rig(
    station: Station, tmp_path
) -> AsyncIterator[tuple[LineBoardDriver, LineBoardEmulator]]:
    board = LineBoardEmulator(
        meter_interval=0.05, keepalive=0.2, link_path=str(tmp_path / "ttyBOARD")
    )
    path = await board.start()
    driver = create(parse_device_spec(f"line:{path},keepalive=0.1,retry=0.05"), station.clock)
    assert isinstance(driver, LineBoardDriver)
    await driver.attach(station, 1)
    try:
        await wait_until(lambda: driver.health.connected, what="the board's hello")
        yield driver, board
    finally:
        await driver.detach()
        await board.stop()


def sent(board: LineBoardEmulator, msg_type: str) -> list[dict[str, Any]]:
    return [m for m in board.received if m["type"] == msg_type]


async def test_the_bench_greets_and_learns_the_boards_identity(rig, station):
    driver, board = rig
    assert sent(board, "hello")[0]["bench"] == "ocpp-bench"
    assert driver.identity["board"] == "bench-emulator"
    assert station.connector(1).physical and driver in station.devices
    # The board is told the limit, that it is disabled and unlocked, once.
    await wait_until(lambda: sent(board, "limit"), what="the limit")
    assert board.outlets[1].enabled is False
    assert sent(board, "limit")[0]["amps"] == station.connector(1).current_limit_a


async def test_pilot_states_plug_resume_and_unplug_the_connector(rig, station):
    """IEC 61851 B plugs, C asks for energy (EV resumed), B again suspends it
    (1.6 §4.9 SuspendedEV), A unplugs."""
    _, board = rig
    connector = station.connector(1)
    board.command("plug")
    await wait_until(lambda: connector.plugged, what="plugged")
    board.command("charge")
    await wait_until(lambda: connector.ev_wants_energy, what="the EV asking")
    board.command("pause")
    await wait_until(lambda: not connector.ev_wants_energy, what="the EV suspended")
    board.command("unplug")
    await wait_until(lambda: not connector.plugged, what="unplugged")


async def test_a_transaction_enables_the_board_and_a_limit_follows_to_the_meter(rig, station):
    """A running transaction offers current: ``enable``; a 10 A smart-charging limit goes out
    as ``limit`` and the board's metered current follows (1.6 §3.13)."""
    driver, board = rig
    connector = station.connector(1)
    board.command("plug")
    board.command("charge")
    await wait_until(lambda: connector.plugged and connector.ev_wants_energy, what="EV ready")
    connector.begin_transaction("TAG1", connector.energy_wh, station.clock.now())
    await wait_until(lambda: board.outlets[1].enabled, what="enable")
    assert board.outlets[1].locked
    await wait_until(lambda: connector.meter.current_a[0] == pytest.approx(16.0), what="16 A")
    connector.set_limit(10.0, "TxProfile")
    await wait_until(lambda: board.outlets[1].limit_a == 10.0, what="the limit")
    await wait_until(lambda: connector.meter.current_a[0] == pytest.approx(10.0), what="10 A")
    # The register grows as the meter's ticks integrate power: waited for, not sampled.
    await wait_until(lambda: connector.meter.energy_wh > 0, what="metered energy")
    connector.end_transaction()
    await wait_until(lambda: not board.outlets[1].enabled, what="disable")
    await wait_until(lambda: not board.outlets[1].locked, what="unlock")
    assert driver.health.corrupt == 0


async def test_garbage_is_counted_unknown_types_answered_and_the_link_survives(rig, station):
    driver, board = rig
    board.command("garbage")
    board.command("badjson")
    await wait_until(lambda: driver.health.corrupt >= 2, what="corrupt lines counted")
    board.command("unknown")
    await wait_until(
        lambda: any(m.get("error") == "unknown-type" for m in sent(board, "error")),
        what="the error reply",
    )
    assert sent(board, "error")[-1]["ref"] == "telemetry"
    # Bad JSON is never answered: only the unknown type produced an error message.
    assert len(sent(board, "error")) == 1
    board.command("plug")
    await wait_until(lambda: station.connector(1).plugged, what="a good frame after the noise")
    assert driver.health.connected


async def test_board_faults_and_pilot_errors_map_to_16_error_codes(rig, station):
    """1.6 §7.6: the board's ground fault is GroundFailure; pilot state E is
    EVCommunicationError."""
    _, board = rig
    connector = station.connector(1)
    board.command("fault ground_failure")
    await wait_until(lambda: connector.fault is not None, what="the fault")
    assert connector.fault.error_code == "GroundFailure"
    board.command("clear ground_failure")
    await wait_until(lambda: connector.fault is None, what="cleared")
    board.command("fault OverCurrentFailure")
    await wait_until(lambda: connector.fault is not None, what="a fault by 1.6 code")
    assert connector.fault.name == "over_current"
    board.command("clear OverCurrentFailure")
    await wait_until(lambda: connector.fault is None, what="cleared by 1.6 code")
    board.command("state 1 E")
    await wait_until(lambda: connector.fault is not None, what="state E")
    assert connector.fault.error_code == "EVCommunicationError"
    board.command("state 1 A")
    await wait_until(lambda: connector.fault is None, what="state E over")
    board.command("fault NoSuchCode")
    await wait_until(
        lambda: any(m.get("error") == "bad-field" for m in sent(board, "error")),
        what="the unknown code refused",
    )


async def test_a_card_on_the_boards_reader_is_presented(rig, station):
    _, board = rig
    seen: list[IdPresented] = []
    station.events.subscribe(lambda e: seen.append(e) if isinstance(e, IdPresented) else None)
    board.command("card 04A1B2C3D4")
    await wait_until(lambda: seen, what="the card")
    assert (seen[0].id_tag, seen[0].connector_id) == ("04A1B2C3D4", 1)


async def test_a_silent_board_is_internal_error_until_it_talks_again(rig, station):
    """1.6 §7.6 InternalError after three keep-alive intervals of silence; cleared on the
    next frame."""
    driver, board = rig
    connector = station.connector(1)
    board.command("mute on")
    await wait_until(lambda: connector.fault is not None, what="the lost fault")
    assert connector.fault.error_code == "InternalError" and not driver.health.connected
    assert driver.health.timeouts >= 1
    board.command("mute off")
    await wait_until(lambda: connector.fault is None, what="recovery")
    assert driver.health.connected


async def test_a_pulled_usb_cable_faults_and_a_replug_recovers_with_a_new_hello(rig, station):
    driver, board = rig
    assert driver.health.connected
    connector = station.connector(1)
    hellos = len(sent(board, "hello"))
    board.command("unplug-usb")
    await wait_until(lambda: connector.fault is not None, what="the lost fault")
    assert connector.fault.error_code == "InternalError"
    board.command("replug-usb")
    await wait_until(lambda: connector.fault is None, what="recovery")
    await wait_until(lambda: len(sent(board, "hello")) > hellos, what="a new hello")
    await wait_until(lambda: sent(board, "limit"), what="commands re-sent")


async def test_a_station_reset_reboots_the_board_and_resends_its_commands(rig, station):
    _, board = rig
    connector = station.connector(1)
    connector.set_limit(12.0, "TxDefaultProfile")
    await wait_until(lambda: board.outlets[1].limit_a == 12.0, what="the limit")
    limits = len(sent(board, "limit"))
    station.power_off()
    await wait_until(lambda: sent(board, "reboot"), what="reboot")
    station.power_on()
    await wait_until(lambda: len(sent(board, "limit")) > limits, what="the limit re-sent")
    await wait_until(lambda: board.outlets[1].limit_a == 12.0, what="the limit restored")


async def test_detach_ends_the_driver_even_when_a_change_arrives_with_the_cancellation(
    rig, station
):
    """A model change and detach() in the same turn of the loop: the control loop's wait
    completes as it is cancelled. With asyncio.wait_for (Python 3.11) the cancellation
    was lost, the loop ran on and detach() never returned (a test hung for 120 s)."""
    driver, _board = rig
    await wait_until(lambda: sent(_board, "limit"), what="the board told once")
    for amps in (10.0, 12.0, 8.0):  # several tries: the wait must be pending each time
        station.connector(1).set_limit(amps, "test")  # wakes the control loop ...
        await asyncio.wait_for(driver.detach(), 5.0)  # ... as detach cancels it
        assert driver not in station.devices
        await driver.attach(station, 1)
        await wait_until(lambda: driver.health.connected, what="the board's hello again")
