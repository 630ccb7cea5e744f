"""An ``expect`` window does not close while the station still waits for the CSMS.

The station's clock may run hundreds of times faster than the network: at
``--speed 600`` a minute of station time is a tenth of a real second, less than
one round trip on a busy machine. A status that depends on a reply (Charging
after Authorize and the transaction message) must not fail a step only because
the reply was slow; a reply that never comes still ends the wait, with the call's
own timeout (1.6 §4.1 / 2.0.1 C01: the station acts on the Authorize answer).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bench.model.ev import Ev
from bench.model.templates import load_ev_template
from tests.ocpp.manual_station import manual_station

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
WINDOW = 10.0  # station seconds; the call timeout of manual_station is 30


def authorize_accepted(version: str) -> dict[str, Any]:
    key = "idTagInfo" if version == "1.6" else "idTokenInfo"
    return {key: {"status": "Accepted"}}


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_an_expected_status_that_waits_on_a_slow_reply_passes_once_the_reply_comes(
    tmp_path: Path, version: str
) -> None:
    release = asyncio.Event()

    async def slow_authorize(_payload: dict[str, Any]) -> dict[str, Any]:
        await release.wait()
        return authorize_accepted(version)

    async with manual_station(tmp_path, version, start=T0) as s:
        s.csms.replies["Authorize"] = slow_authorize
        s.cp.station.connector(1).plug_in(Ev(load_ev_template("family-ev")))
        s.cp.present_id("TAG1")
        waiting = asyncio.ensure_future(s.cp.wait_status(1, "Charging", WINDOW))
        try:
            await s.clock.run_for(2 * WINDOW)  # the window has passed; Authorize is still out
            assert not waiting.done(), "the step failed while the CSMS had not answered yet"
        finally:
            release.set()  # a failed check must not leave the station's call hanging
        await s.clock.run_for(1.0)
        assert await asyncio.wait_for(waiting, 5.0) is True


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_an_expected_status_fails_at_the_end_of_its_window_when_nothing_is_pending(
    tmp_path: Path, version: str
) -> None:
    async with manual_station(tmp_path, version, start=T0) as s:
        waiting = asyncio.ensure_future(s.cp.wait_status(1, "Charging", WINDOW))
        await s.clock.run_for(WINDOW + 1.0)
        assert waiting.done() and waiting.result() is False
