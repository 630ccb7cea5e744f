"""Operations on the stations list and the CSMS profiles: add, duplicate, remove, start/stop.

Small functions over a ``Workspace`` (no widgets). They raise ``OperationError``
or let the workspace's ``ValueError``/``LookupError`` through; ``perform_async``
turns those into a status-bar message.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass

from bench.model.templates import (
    list_ev_templates,
    list_station_templates,
    load_station_template,
)
from bench.ocpp.probe import ProbeReport, probe
from bench.store.workspace import OCPP_VERSIONS, CsmsProfile
from bench.workspace import STATION_OCPP_VERSIONS, Workspace
from ui.operations import OperationError

MAX_BATCH = 1000  # stations in one Add; the benchmark's fleet size
_TRAILING_NUMBER = re.compile(r"^(.*?)(\d+)$")


@dataclass(frozen=True, slots=True)
class NewStation:
    """What the Add station dialog asks for."""

    station_id: str
    template: str
    ev_template: str
    profile: str
    speed: float = 1.0
    ocpp_version: str = "1.6"
    count: int = 1  # >1: ids numbered on from station_id


# ------------------------------------------------------------ choices for the dialogs
def station_templates() -> list[tuple[str, str]]:
    """(name, one-line description) of every station template."""
    out = []
    for name in list_station_templates():
        try:
            t = load_station_template(name)
        except ValueError as exc:
            out.append((name, f"unusable: {exc}"))
            continue
        kw = t.max_power_w / 1000
        plural = "s" if t.connectors != 1 else ""
        out.append(
            (
                name,
                f"{t.vendor} {t.model} · {t.current_type} {kw:.3g} kW · "
                f"{t.connectors} connector{plural}",
            )
        )
    return out


def ev_templates() -> list[str]:
    return list_ev_templates()


def ocpp_versions() -> tuple[str, ...]:
    """The versions a station can speak (chosen per station in the Add stations dialog)."""
    return STATION_OCPP_VERSIONS


def profile_ocpp_versions() -> tuple[str, ...]:
    """The versions a stored CSMS profile may name as its default (bench.store.workspace)."""
    return OCPP_VERSIONS


# ------------------------------------------------------------ ids
def next_free_id(base: str, taken: Collection[str]) -> str:
    """``CP-007`` -> ``CP-008`` (keeping the width), ``DEMO`` -> ``DEMO-2``; never a taken id."""
    base = base.strip() or "CP"
    match = _TRAILING_NUMBER.match(base)
    if match:
        stem, digits = match.group(1), match.group(2)
        width, number = len(digits), int(digits)
    else:
        stem, width, number = f"{base}-", 1, 1
    for step in range(1, 100_000):
        candidate = f"{stem}{number + step:0{width}d}"
        if candidate not in taken:
            return candidate
    raise OperationError(f"no free station id after {base!r}")


def suggested_id(template: str, taken: Collection[str]) -> str:
    """A fresh id for a new station of ``template`` (``AC-11KW-001``, ``-002``, ...)."""
    stem = re.sub(r"[^A-Z0-9]+", "-", template.upper()).strip("-") or "CP"
    return next_free_id(f"{stem}-000", taken)


def batch_ids(first: str, count: int, taken: Collection[str]) -> list[str]:
    """``count`` ids starting at ``first`` (numbered on when ``count`` > 1), none taken."""
    first = first.strip()
    if not first:
        raise OperationError("Type a station id")
    if len(first) > 48:
        raise OperationError("A station id is at most 48 characters (the BootNotification URL)")
    if not 1 <= count <= MAX_BATCH:
        raise OperationError(f"Add 1 to {MAX_BATCH} stations at a time")
    if count == 1:
        if first in taken:
            raise OperationError(f"A station named {first!r} already exists")
        return [first]
    ids: list[str] = []
    seen = set(taken)
    current = first if first not in seen else next_free_id(first, seen)
    if not _TRAILING_NUMBER.match(current):
        current = f"{current}-001"
        if current in seen:
            current = next_free_id(current, seen)
    for _ in range(count):
        ids.append(current)
        seen.add(current)
        current = next_free_id(current, seen)
    return ids


# ------------------------------------------------------------ stations
async def add_stations(
    workspace: Workspace,
    request: NewStation,
    progress: Callable[[int, int], None] | None = None,
) -> list[str]:
    """Add ``request.count`` stations; returns their ids. The loop turns between batches,
    so adding hundreds keeps the window answering."""
    if request.ocpp_version not in STATION_OCPP_VERSIONS:
        raise OperationError(f"OCPP {request.ocpp_version} is not supported")
    workspace.profile(request.profile)  # an unknown profile fails before anything is added
    ids = batch_ids(request.station_id, request.count, workspace.stations)
    added: list[str] = []
    for n, station_id in enumerate(ids, start=1):
        await workspace.add_station(
            station_id,
            request.template,
            ev_template=request.ev_template,
            profile=request.profile,
            speed=request.speed,
            ocpp=request.ocpp_version,
        )
        added.append(station_id)
        if progress is not None:
            progress(n, len(ids))
        # One station per turn of the event loop: each costs a few ms (model, bridge,
        # first frames), so input and repaints get in between.
        await asyncio.sleep(0)
    return added


async def duplicate_station(workspace: Workspace, station_id: str) -> str:
    """A copy of ``station_id`` (template, EV, profile, speed) under the next free id."""
    if station_id not in workspace.stations:
        raise OperationError(f"No station named {station_id!r}")
    new_id = next_free_id(station_id, workspace.stations)
    await workspace.duplicate_station(station_id, new_id)
    return new_id


async def remove_station(workspace: Workspace, station_id: str) -> None:
    if station_id not in workspace.stations:
        raise OperationError(f"No station named {station_id!r}")
    await workspace.remove_station(station_id)


async def start_station(workspace: Workspace, station_id: str) -> None:
    await workspace.start_station(station_id)


async def stop_station(workspace: Workspace, station_id: str) -> None:
    await workspace.stop_station(station_id)


async def toggle_running(workspace: Workspace, station_id: str) -> bool:
    """Stop a running station or start a stopped one; returns True when it now runs."""
    if workspace.is_running(station_id):
        await workspace.stop_station(station_id)
        return False
    await workspace.start_station(station_id)
    return True


# ------------------------------------------------------------ CSMS profiles
def save_profile(
    workspace: Workspace, profile: CsmsProfile, old_name: str | None = None
) -> CsmsProfile:
    return workspace.save_profile(profile, old_name=old_name)


def delete_profile(workspace: Workspace, name: str) -> None:
    workspace.delete_profile(name)


def probe_station_id(workspace: Workspace, profile_name: str) -> str:
    """The id to test a profile with: a station that uses it, else a neutral one."""
    for station_id, record in workspace.records.items():
        if record.profile == profile_name:
            return station_id
    return "BENCH-PROBE"


async def test_connection(
    profile: CsmsProfile, station_id: str, timeout: float = 10.0
) -> ProbeReport:
    """Run the step-by-step connection test of ``profile`` as charge point ``station_id``."""
    station_id = station_id.strip()
    if not station_id:
        raise OperationError("Type the station id to test the connection with")
    cfg = profile.link_config(station_id)  # ValueError: the profile itself is unusable
    return await probe(cfg, timeout=timeout)
