"""The embedded default: the built-in CSMS plus one station charging, log on the terminal.

What ``make run`` starts until the GUI exists. Nothing is configured: the CSMS
binds to 127.0.0.1 on a free port, the station is an AC 11 kW charger and an EV
charges in virtual time (×60: an hour a minute), plugs out and starts again.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from bench.csms.config import CsmsConfig, TagEntry
from bench.csms.server import CentralSystem
from bench.kernel.frames import FrameSink
from bench.runtime import StationOptions, StationRun
from bench.scenarios.steps import parse_script
from bench.store.sinks import ConsoleSink, JsonlSink
from bench.until_stopped import wait_until_stopped

DEMO_TAG = "DEMO-TAG-0001"
# One charging session, again and again. A 2.0.1 connector has no Finishing: once the
# driver stops, the transaction ends (TxStopPoint Authorized) and it stays Occupied.
_FINISHED = {"1.6": "Finishing", "2.0.1": "Occupied"}


def session(ocpp: str) -> str:
    return f"""
plug 1 compact-ev
soc 1 55
present {DEMO_TAG}
expect 1 Charging within 60
wait 1800
present {DEMO_TAG}
expect 1 {_FINISHED[ocpp]} within 60
unplug 1
expect 1 Available within 60
wait 120
"""


async def run_demo(
    speed: float = 60.0, duration: float | None = None, ocpp: str = "1.6", log: str | None = None
) -> int:
    folder = Path(tempfile.mkdtemp(prefix="ocpp-bench-demo-"))
    sinks: list[FrameSink] = [ConsoleSink(sys.stdout)]
    if log:
        try:
            sinks.append(JsonlSink(log))  # the station's frames, flushed like `run --log`
        except OSError as exc:
            print(f"ocpp-bench: cannot open log file {log}: {exc.strerror or exc}", file=sys.stderr)
            return 2
    csms = CentralSystem(
        CsmsConfig(
            db_path=str(folder / "csms.db"),
            heartbeat_interval=300,
            tags={DEMO_TAG: TagEntry(status="Accepted")},
        ),
    )  # the terminal shows the station's side of each exchange; the CSMS side mirrors it
    url = await csms.start()
    print(f"Built-in CSMS listening on {url}", flush=True)
    run = StationRun(
        StationOptions(
            csms_url=url,
            station_id="DEMO-AC-11KW",
            speed=speed,
            db=str(folder / "station.db"),
            ev_template="compact-ev",
            sinks=sinks,
            ocpp=ocpp,
        )
    )
    await run.start()
    steps = parse_script(session(ocpp))

    async def sessions() -> None:
        await run.cp.wait_accepted(30)
        for _ in range(10_000):
            await run.run_script(steps, echo=lambda text: print(text, flush=True))

    task = asyncio.get_running_loop().create_task(sessions())
    try:
        stopper = asyncio.ensure_future(wait_until_stopped(duration))
        done, _ = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if task in done and task.exception() is not None:
            print(f"ocpp-bench: demo stopped: {task.exception()}", file=sys.stderr)
            return 1
        return 0
    finally:
        task.cancel()
        stopper.cancel()
        await asyncio.gather(task, stopper, return_exceptions=True)
        await run.stop()
        await csms.stop()
