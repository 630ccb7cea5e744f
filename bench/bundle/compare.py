"""How a CSMS's answers now differ from its answers in a recording.

Some fields differ on every run and are never differences:

- ``IGNORED``: the time of day (``currentTime``, ``timestamp``) and expiry times the
  CSMS computes from it (``cacheExpiryDateTime``);
- ``FRESH_IDS``: ids one side picks at run time (the 1.6 transactionId a CSMS
  assigns in StartTransaction.conf, a 2.0.1 remoteStartId or requestId in a CSMS
  request, ...). Each pair seen (recorded value, value now) is learnt in an
  ``IdMap`` and later frames the station sends carry the new value.

Everything else is compared leaf by leaf: a changed value, a field that appeared
or vanished, a list of another length.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

IGNORED = frozenset({"currentTime", "timestamp", "cacheExpiryDateTime"})
FRESH_IDS = frozenset(
    {"transactionId", "remoteStartId", "requestId", "reservationId", "chargingProfileId"}
)
ABSENT = "(absent)"


@dataclass(frozen=True, slots=True)
class Difference:
    """One way the CSMS answered differently: where, what, recorded vs now."""

    where: str  # "frame 14: StartTransaction reply"
    field: str  # "idTagInfo.status", "(type)", "(latency)", "(schema)", "(request)"
    recorded: str
    now: str

    def describe(self) -> str:
        return f"{self.where}: {self.field}: recorded {self.recorded}, now {self.now}"


@dataclass(slots=True)
class IdMap:
    """Recorded id -> the id the same thing has in this replay, per field name."""

    ids: dict[str, dict[Any, Any]] = field(default_factory=dict)

    def learn(self, name: str, recorded: Any, now: Any) -> None:
        if recorded != now:
            self.ids.setdefault(name, {})[_key(recorded)] = now

    def apply(self, payload: Any) -> Any:
        """A copy of ``payload`` with every learnt id replaced by its new value."""
        if not self.ids:
            return copy.deepcopy(payload)
        return self._walk(payload)

    def _walk(self, value: Any) -> Any:
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                known = self.ids.get(key)
                if known is not None and not isinstance(item, (dict, list)):
                    out[key] = known.get(_key(item), item)
                else:
                    out[key] = self._walk(item)
            return out
        if isinstance(value, list):
            return [self._walk(item) for item in value]
        return value


def _key(value: Any) -> Any:
    return (type(value).__name__, value)  # 1 and "1" are different ids


def compare_payloads(
    recorded: Any, now: Any, where: str, ids: IdMap, path: str = ""
) -> list[Difference]:
    """Every difference between two payloads, learning fresh ids on the way."""
    if isinstance(recorded, dict) and isinstance(now, dict):
        out: list[Difference] = []
        for key in sorted(set(recorded) | set(now)):
            sub = f"{path}.{key}" if path else key
            if key in IGNORED:
                continue
            if key not in now:
                out.append(Difference(where, sub, _show(recorded[key]), ABSENT))
            elif key not in recorded:
                out.append(Difference(where, sub, ABSENT, _show(now[key])))
            elif key in FRESH_IDS and not isinstance(recorded[key], (dict, list)):
                ids.learn(key, recorded[key], now[key])
            else:
                out += compare_payloads(recorded[key], now[key], where, ids, sub)
        return out
    if isinstance(recorded, list) and isinstance(now, list):
        if len(recorded) != len(now):
            label = f"{path or '(payload)'} (length)"
            return [Difference(where, label, str(len(recorded)), str(len(now)))]
        out = []
        for index, (a, b) in enumerate(zip(recorded, now, strict=True)):
            out += compare_payloads(a, b, where, ids, f"{path}.{index}" if path else str(index))
        return out
    if recorded != now or type(recorded) is not type(now):
        return [Difference(where, path or "(payload)", _show(recorded), _show(now))]
    return []


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def shift_timestamps(payload: Any, by: timedelta) -> Any:
    """``payload`` with every ``timestamp`` field moved by ``by`` (to the replay's day).

    Meter values and events are dated as the station dated them, moved as a
    block: the spacing between them, and so power against time, stays as recorded.
    """
    if isinstance(payload, dict):
        out = {}
        for key, value in payload.items():
            if key == "timestamp" and isinstance(value, str):
                out[key] = _shifted(value, by)
            else:
                out[key] = shift_timestamps(value, by)
        return out
    if isinstance(payload, list):
        return [shift_timestamps(item, by) for item in payload]
    return payload


def _shifted(text: str, by: timedelta) -> str:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return text  # not a date the recording could have meant; sent as recorded
    moved = (when + by).isoformat(timespec="milliseconds")
    return moved.replace("+00:00", "Z")
