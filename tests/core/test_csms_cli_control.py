"""``ocpp-bench csms --control-port PORT --fault SPEC``: control API and faults from the CLI."""

from __future__ import annotations

import asyncio
import signal

import aiohttp

from bench.csms.testing import stub_station
from tests.core.test_csms_cli import finish, read_until, spawn, url_of


async def test_the_cli_prints_the_control_url_and_serves_the_faults_it_was_given():
    fault = "reply:BootNotification:status=Rejected"
    proc = await spawn("--quiet", "--control-port", "0", "--fault", fault)
    try:
        url = await url_of(proc)
        control = (await read_until(proc, "control API on ", limit=1)).removeprefix(
            "control API on "
        )
        assert control.startswith("http://127.0.0.1:") and not control.endswith(":0/")
        async with aiohttp.ClientSession() as http:
            async with http.get(control + "faults") as response:
                assert (response.status, await response.json()) == (200, {"faults": [fault]})
            async with stub_station(url, "CP1") as cp:
                assert (await cp.boot())["status"] == "Rejected"
                async with http.get(control + "stations") as response:
                    stations = (await response.json())["stations"]
                assert [s["id"] for s in stations] == ["CP1"]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await finish(proc) == 0
    stderr = (await proc.stderr.read()).decode()
    assert "WARNING" in stderr and f"injected fault {fault}" in stderr


async def test_a_bad_fault_spec_on_the_command_line_is_a_usage_error():
    proc = await spawn("--fault", "late:Heartbeat:never", stdin=asyncio.subprocess.DEVNULL)
    assert await finish(proc) == 2
    stderr = (await proc.stderr.read()).decode()
    assert "error: fault 'late:Heartbeat:never'" in stderr
