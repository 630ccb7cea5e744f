"""The station process of the kill -9 test (tests/e2e/test_kill_durability.py).

    python -m tests.e2e.durable_station URL DB STATION first|again

``first``: boots, starts a transaction on connector 1 (TAG1), waits until the CSMS
has it, then cuts its own network and keeps charging, so every MeterValues goes
into the offline queue (1.6 §3.7); it says ``offline`` once cut. ``again``: the
restarted station on the same database; it says ``drained`` once its queue is empty.

Every transaction message the station queues is witnessed on stdout, one JSON line
``[action, key, monotonic seconds]`` written and flushed before the queue call
returns to the station: a pipe keeps what was written when the process is killed,
so the test knows what was produced and when, whatever the database kept. The key
is the message's own timestamp (meterValue timestamp, or the start/stop time).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from bench.model.clock import SystemClock
from bench.model.ev import Ev
from bench.model.templates import build_station, load_ev_template, load_station_template
from bench.ocpp.v16.charge_point import ChargePoint16
from bench.store.db import open_database
from bench.transport.config import LinkConfig

# Virtual seconds per real second: a MeterValues every 50 real ms while charging.
SPEED = 20.0
SAMPLE_INTERVAL = "1"  # MeterValueSampleInterval, virtual seconds
PATIENCE = 60.0  # real seconds for anything the CSMS must do


def key_of(action: str, payload: dict[str, Any]) -> str:
    if action == "MeterValues":
        return str(payload["meterValue"][0]["timestamp"])
    return str(payload.get("timestamp", ""))


def say(*fields: Any) -> None:
    sys.stdout.write(json.dumps(list(fields)) + "\n")
    sys.stdout.flush()


async def until(check: Any, what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.02)


async def main(url: str, db_path: str, station_id: str, phase: str) -> None:
    station = build_station(station_id, load_station_template("ac-11kw"), SystemClock(SPEED))
    cp = ChargePoint16(
        station,
        LinkConfig(url=url, station_id=station_id, subprotocol="ocpp1.6"),
        db=open_database(db_path),
    )
    queue = cp.transactions.queue
    push = queue.push

    def witnessed(action: str, payload: dict[str, Any], meta: dict[str, Any] | None = None) -> int:
        msg_id = push(action, payload, meta)
        say(action, key_of(action, payload), time.monotonic())
        return msg_id

    queue.push = witnessed  # type: ignore[method-assign]
    cp.config.set("MeterValueSampleInterval", SAMPLE_INTERVAL)
    await cp.start()
    await cp.wait_accepted(PATIENCE)
    if phase == "first":
        station.connector(1).plug_in(Ev(load_ev_template("family-ev"), soc=10.0))
        cp.present_id("TAG1")
        await until(lambda: cp.status_of(1).status == "Charging", "charging")
        await until(lambda: len(queue) == 0, "StartTransaction delivered")
        cp.cut_network()
        say("offline")
        await asyncio.sleep(PATIENCE * 10)  # the test kills this process
    else:
        await until(lambda: len(queue) == 0, "the queue drained")
        say("drained")
        await cp.stop(drain_timeout=5)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
