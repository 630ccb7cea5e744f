"""A load mix: which stations, how fast they arrive, and what they do once booted.

A mix is a JSON file (or the name of a shipped one, ``bench/load/mixes/NAME.json``)::

    {
      "name": "steady-charging",
      "description": "...",
      "stations": 1000,               # default for --stations
      "spawn_rate": 50,               # stations started per second (default for --spawn-rate)
      "groups": [                     # which templates, in what shares (weights)
        {"share": 3, "station": "ac-11kw"},
        {"share": 1, "station": "ac-22kw-dual", "ocpp": "2.0.1"}
      ],
      "charging": {                   # omitted: the stations stay idle (heartbeats only)
        "share": 0.5,                 # fraction of stations that run charging sessions
        "evs": ["family-ev"],         # EV templates, picked per session
        "session_s": 3600,            # how long an EV stays plugged in
        "pause_s": 60,                # mean idle gap between two sessions (exponential)
        "start_within_s": 60,         # first plug-in spread over this window
        "meter_interval_s": 60,       # MeterValues / TransactionEvent Updated interval
        "remote_start_share": 0       # fraction of sessions the CSMS starts (needs --csms-control)
      },
      "network_drops_per_hour": 0,    # per station, random (Poisson)
      "drop_s": 10,                   # how long one such drop lasts
      "reconnect_storm": {"after_s": 60, "down_s": 10, "every_s": 0}
    }

``every_s`` 0 means one storm. The heartbeat interval is the CSMS's to give
(BootNotificationResponse.interval), not the mix's. A remote-started session
plugs the EV in, then has the CSMS send RemoteStartTransaction (1.6) or
RequestStartTransaction (2.0.1) through its control API (``bench.load.remote_start``)
instead of presenting the tag locally.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MIXES_DIR = Path(__file__).resolve().parent / "mixes"
VERSIONS = ("1.6", "2.0.1")


class MixError(ValueError):
    """A mix that cannot be read or does not make sense; the message says why."""


@dataclass(frozen=True, slots=True)
class Group:
    share: float
    station: str = "ac-11kw"
    ocpp: str | None = None  # None: the --ocpp of the run


@dataclass(frozen=True, slots=True)
class Charging:
    share: float = 0.5
    evs: tuple[str, ...] = ("family-ev",)
    session_s: float = 3600.0
    pause_s: float = 60.0
    start_within_s: float = 60.0
    meter_interval_s: int = 60
    remote_start_share: float = 0.0


@dataclass(frozen=True, slots=True)
class Storm:
    after_s: float
    down_s: float = 10.0
    every_s: float = 0.0


@dataclass(frozen=True, slots=True)
class Mix:
    name: str
    description: str = ""
    stations: int = 100
    spawn_rate: float = 10.0
    groups: tuple[Group, ...] = (Group(1.0),)
    charging: Charging | None = None
    network_drops_per_hour: float = 0.0
    drop_s: float = 10.0
    reconnect_storm: Storm | None = None

    def group_for(self, n: int) -> Group:
        """The group of a worker's n-th station: shares met over any run of stations."""
        return self.groups[_pick(_spread(n, 0.0), [g.share for g in self.groups])]

    @property
    def remote_starts(self) -> bool:
        """Whether some sessions are started by the CSMS (the run needs its control API)."""
        return self.charging is not None and self.charging.remote_start_share > 0

    def charges(self, n: int) -> bool:
        """Whether the n-th station runs charging sessions (``charging.share`` of them)."""
        return self.charging is not None and _spread(n, 0.5) < self.charging.share


def shipped_mixes() -> list[str]:
    return sorted(p.stem for p in MIXES_DIR.glob("*.json"))


def load_mix(name_or_path: str) -> Mix:
    """A shipped mix by name, or a mix file by path."""
    path = Path(name_or_path)
    if not path.suffix and not path.exists():
        path = MIXES_DIR / f"{name_or_path}.json"
        if not path.is_file():
            raise MixError(f"no mix named {name_or_path!r}; shipped: {', '.join(shipped_mixes())}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MixError(f"cannot read mix {path}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise MixError(f"mix {path} is not JSON: {exc}") from None
    return parse_mix(data, default_name=path.stem)


def parse_mix(data: Any, default_name: str = "mix") -> Mix:
    if not isinstance(data, dict):
        raise MixError("a mix is a JSON object")
    data = dict(data)
    known = set(Mix.__dataclass_fields__)
    unknown = sorted(set(data) - known)
    if unknown:
        # A typo must not pass silently (like the station templates).
        raise MixError(f"unknown mix field(s): {', '.join(unknown)}")
    groups = tuple(_build(Group, g, "groups[]") for g in data.pop("groups", [{"share": 1}]))
    if not groups or any(g.share <= 0 for g in groups):
        raise MixError("groups: at least one group, each with a share above 0")
    for g in groups:
        if g.ocpp is not None and g.ocpp not in VERSIONS:
            raise MixError(f"groups[].ocpp: {g.ocpp!r} is not one of {', '.join(VERSIONS)}")
    charging = data.pop("charging", None)
    storm = data.pop("reconnect_storm", None)
    mix = _build(
        Mix,
        {
            "name": default_name,
            **data,
            "groups": groups,
            "charging": None if charging is None else _charging(charging),
            "reconnect_storm": None if storm is None else _build(Storm, storm, "reconnect_storm"),
        },
        "mix",
    )
    if mix.stations < 1 or mix.spawn_rate <= 0:
        raise MixError("stations must be at least 1 and spawn_rate above 0")
    if mix.network_drops_per_hour < 0 or mix.drop_s < 0:
        raise MixError("network_drops_per_hour and drop_s cannot be negative")
    return mix


def _charging(data: Any) -> Charging:
    if isinstance(data, dict) and "evs" in data:
        data = {**data, "evs": tuple(data["evs"])}
    charging = _build(Charging, data, "charging")
    if not 0 <= charging.share <= 1:
        raise MixError("charging.share is a fraction between 0 and 1")
    if not 0 <= charging.remote_start_share <= 1:
        raise MixError("charging.remote_start_share is a fraction between 0 and 1")
    if not charging.evs or charging.session_s <= 0 or charging.meter_interval_s <= 0:
        raise MixError("charging: evs not empty, session_s and meter_interval_s above 0")
    return charging


def _build(cls: Any, data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise MixError(f"{where}: expected an object, got {data!r}")
    try:
        return cls(**data)
    except TypeError as exc:
        raise MixError(f"{where}: {exc}") from None


def _spread(n: int, offset: float) -> float:
    """A low-discrepancy point in [0, 1) for the n-th station: any run of consecutive
    stations meets the shares closely, without a random generator to seed."""
    return (offset + n * 0.6180339887498949) % 1.0


def _pick(point: float, weights: list[float]) -> int:
    total = sum(weights)
    edge = 0.0
    for index, weight in enumerate(weights):
        edge += weight / total
        if point < edge:
            return index
    return len(weights) - 1
