"""Fixtures for 2.0.1 end-to-end runs: real ``ChargePoint201`` stations against the built-in CSMS.

``make_cp201(url, station_id, variables={...})`` builds, configures and starts a
2.0.1 station; ``variables`` maps ``"Component.Variable"`` or
``"Component.Variable[instance]"`` to a value written before start (as the station
itself would hold it). Every station is stopped at teardown. ``cp.session.sink`` is
a ``FrameList`` of everything it sent and received (see ``request``). The CSMS fixtures (``csms``,
``make_csms``) and helpers (``wait_until``, ``ev``, ``SPEED``, ``WAIT``) come from
``tests/e2e/conftest.py``. ``raw_csms201`` is a ``RawCsms`` that speaks 2.0.1 with
canned valid replies (``CANNED_201``); ``make_cp201(..., log=sink)`` also sends the
station's frames to ``sink``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bench.kernel.frames import FanOut, FrameSink
from bench.model.clock import Clock, SystemClock
from bench.model.templates import build_station
from bench.ocpp.v201.charge_point import SUBPROTOCOL, ChargePoint201
from bench.ocpp.v201.device_model import VariableKey
from bench.store.db import open_database
from bench.transport.config import LinkConfig
from tests.e2e.conftest import (
    SPEED,
    WAIT,
    FrameList,
    RawCsms,
    fast_backoff,
    frame_list,
    station_template,
)

# Variables every test station starts with: no chatter the test did not ask for.
FAST_VARIABLES: dict[str, str] = {
    "SampledDataCtrlr.TxUpdatedInterval": "30",
    "AlignedDataCtrlr.Interval": "0",
    "OCPPCommCtrlr.MessageAttemptInterval[TransactionEvent]": "5",
}


def parse_variable(name: str) -> tuple[str, VariableKey]:
    """``"OCPPCommCtrlr.MessageAttempts[TransactionEvent]"`` -> component, variable key."""
    component, _, variable = name.partition(".")
    instance = None
    if variable.endswith("]"):
        variable, _, instance = variable[:-1].partition("[")
    return component, VariableKey(variable, instance)


Cp201Factory = Callable[..., Awaitable[ChargePoint201]]


@pytest.fixture
async def make_cp201(tmp_path: Path) -> AsyncIterator[Cp201Factory]:
    made: list[ChargePoint201] = []
    connections: list[sqlite3.Connection] = []

    async def factory(
        url: str,
        station_id: str = "CS1",
        *,
        template: str = "ac-11kw",
        speed: float = SPEED,
        variables: dict[str, str] | None = None,
        db_path: Path | None = None,
        db: sqlite3.Connection | None = None,
        password: str | None = None,
        ca_file: str | None = None,
        cert_file: str | None = None,
        key_file: str | None = None,
        start: bool = True,
        wait_accepted: bool = True,
        call_timeout: float = 3.0,
        boot_seconds: float = 0.0,
        clock: Clock | None = None,
        log: FrameSink | None = None,
    ) -> ChargePoint201:
        # Stations reboot at once unless a test is about the boot duration (tests/e2e/conftest).
        clock = clock or SystemClock(speed=speed)
        station = build_station(station_id, station_template(template, boot_seconds), clock)
        if db is None:  # ``db``: a connection the test made (one that can fail, say)
            db = open_database(db_path or tmp_path / f"{station_id}.db")
        connections.append(db)
        link = LinkConfig(
            url=url,
            station_id=station_id,
            subprotocol=SUBPROTOCOL,
            password=password,
            ca_file=ca_file,
            cert_file=cert_file,
            key_file=key_file,
            open_timeout=2.0,
        )
        frames = FrameList()
        cp = ChargePoint201(
            station,
            link,
            db=db,
            sink=frames if log is None else FanOut(frames, log),
            call_timeout=call_timeout,
            physics_interval=0.05,
            backoff=fast_backoff(),
        )
        for name, value in {**FAST_VARIABLES, **(variables or {})}.items():
            component, variable = parse_variable(name)
            cp.set_own_variable(component, variable, value)
        made.append(cp)
        if start:
            await cp.start()
            if wait_accepted:
                await cp.wait_accepted(WAIT)
        return cp

    yield factory
    for cp in reversed(made):
        await cp.stop(drain_timeout=1.0)
    for db in connections:
        db.close()


def request(cp: ChargePoint201, action: str) -> list[dict[str, Any]]:
    """Payloads of the CALLs ``action`` the station sent, in order."""
    return [r.payload for r in frame_list(cp).sent("CALL", action)]


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


# Valid 2.0.1 replies for what a station sends while booting and charging; any other
# action gets {} (valid for most 2.0.1 responses).
CANNED_201: dict[str, Callable[[dict[str, Any], int], dict[str, Any]]] = {
    "BootNotification": lambda p, n: {
        "status": "Accepted",
        "currentTime": _now(),
        "interval": 3600,
    },
    "Heartbeat": lambda p, n: {"currentTime": _now()},
    "Authorize": lambda p, n: {"idTokenInfo": {"status": "Accepted"}},
    "TransactionEvent": lambda p, n: (
        {"idTokenInfo": {"status": "Accepted"}} if "idToken" in p else {}
    ),
}


@pytest.fixture
async def raw_csms201() -> AsyncIterator[RawCsms]:
    """A hand-driven CSMS offering only ocpp2.0.1 (see ``RawCsms``)."""
    raw = RawCsms(SUBPROTOCOL, CANNED_201)
    await raw.start()
    yield raw
    await raw.stop()
