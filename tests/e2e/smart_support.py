"""Helpers for the smart-charging end-to-end tests: profiles, meter readings, a clocked station."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.model.clock import SystemClock
from bench.model.templates import build_station
from bench.ocpp.v16.charge_point import ChargePoint16
from bench.store.db import open_database
from bench.transport.config import LinkConfig
from tests.e2e.conftest import FAST_KEYS, SPEED, WAIT, FrameList, fast_backoff

VOLTAGE = 230.0
NOISE = 1.006  # the meter's voltage noise is within +/-0.5 %


def profile(
    pid: int,
    purpose: str = "TxProfile",
    limits: list[tuple[int, float]] | None = None,
    *,
    level: int = 0,
    kind: str = "Relative",
    unit: str = "A",
    **extra: Any,
) -> dict[str, Any]:
    """A 1.6 ChargingProfile (§7.8); schedule fields (startSchedule, duration...) go in extra."""
    schedule: dict[str, Any] = {
        "chargingRateUnit": unit,
        "chargingSchedulePeriod": [
            {"startPeriod": start, "limit": limit} for start, limit in (limits or [(0, 6)])
        ],
    }
    for key in ("startSchedule", "duration", "minChargingRate"):
        if key in extra:
            schedule[key] = extra.pop(key)
    if "phases" in extra:
        for period, phases in zip(
            schedule["chargingSchedulePeriod"], extra.pop("phases"), strict=True
        ):
            period["numberPhases"] = phases
    return {
        "chargingProfileId": pid,
        "stackLevel": level,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": kind,
        "chargingSchedule": schedule,
        **extra,
    }


def iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def when(payload: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(payload["meterValue"][0]["timestamp"].replace("Z", "+00:00"))


def readings(payload: dict[str, Any], measurand: str) -> list[float]:
    """Every sampled value of ``measurand`` in a MeterValues.req (one per phase, or a total)."""
    return [
        float(sv["value"])
        for mv in payload["meterValue"]
        for sv in mv["sampledValue"]
        if sv.get("measurand", "Energy.Active.Import.Register") == measurand
    ]


def periodic(payload: dict[str, Any]) -> bool:
    return payload["meterValue"][0]["sampledValue"][0].get("context") == "Sample.Periodic"


@contextlib.asynccontextmanager
async def clocked_cp(
    url: str,
    tmp_path: Path,
    start: datetime,
    *,
    template: str = "ac-11kw",
    keys: dict[str, str] | None = None,
    speed: float = SPEED,
) -> AsyncIterator[ChargePoint16]:
    """A started, accepted charge point whose virtual clock starts at ``start``."""
    clock = SystemClock(speed, start=start)
    station = build_station("CP1", template, clock)
    db = open_database(tmp_path / "clocked.db")
    cp = ChargePoint16(
        station,
        LinkConfig(url=url, station_id="CP1", open_timeout=2.0),
        db=db,
        sink=FrameList(),
        call_timeout=3.0,
        physics_interval=0.05,
        backoff=fast_backoff(),
    )
    for key, value in {**FAST_KEYS, **(keys or {})}.items():
        cp.config.set(key, value)
    try:
        await cp.start()
        await cp.wait_accepted(WAIT)
        yield cp
    finally:
        await cp.stop(drain_timeout=1.0)
        db.close()
