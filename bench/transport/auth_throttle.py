"""Slowing down password guessing against HTTP Basic auth (security whitepaper §2.3).

Failures are counted per station id and per client address. The first few are
free (a station configured with an old password, a typo); past that, the
address or id is locked for a time that doubles with every further failure, up
to a ceiling, and every attempt during a lock is refused at once with HTTP 429
and a Retry-After — before the password is even checked, so guessing during the
lock learns nothing. A success clears the id's and the address's counters.

Time is injected (``now``: monotonic seconds), so tests drive it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

FREE_FAILURES = 5
FIRST_LOCK = 1.0  # seconds
MAX_LOCK = 60.0
# A key with no failure for this long is forgotten; it also bounds the table.
FORGET_AFTER = 600.0
MAX_KEYS = 100_000


@dataclass(slots=True)
class _Entry:
    failures: int = 0
    locked_until: float = 0.0
    last: float = 0.0


class AuthThrottle:
    """Counts Basic-auth failures; says how long a new attempt must wait."""

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self._entries: dict[str, _Entry] = {}

    def retry_after(self, station_id: str, address: str) -> float:
        """Seconds until an attempt from ``address`` for ``station_id`` is heard; 0: now."""
        now = self._now()
        wait = 0.0
        for key in (f"id:{station_id}", f"ip:{address}"):
            entry = self._entries.get(key)
            if entry is not None and entry.locked_until > now:
                wait = max(wait, entry.locked_until - now)
        return wait

    def failed(self, station_id: str, address: str) -> int:
        """Record a failure; returns the larger failure count of the id and the address."""
        now = self._now()
        self._prune(now)
        worst = 0
        for key in (f"id:{station_id}", f"ip:{address}"):
            entry = self._entries.setdefault(key, _Entry())
            if now - entry.last > FORGET_AFTER:
                entry.failures = 0
            entry.failures += 1
            entry.last = now
            extra = entry.failures - FREE_FAILURES
            if extra > 0:
                entry.locked_until = now + min(MAX_LOCK, FIRST_LOCK * 2 ** min(extra - 1, 16))
            worst = max(worst, entry.failures)
        return worst

    def succeeded(self, station_id: str, address: str) -> None:
        self._entries.pop(f"id:{station_id}", None)
        self._entries.pop(f"ip:{address}", None)

    def _prune(self, now: float) -> None:
        if len(self._entries) < MAX_KEYS:
            return
        stale = [k for k, e in self._entries.items() if now - e.last > FORGET_AFTER]
        for key in stale:
            del self._entries[key]
        if len(self._entries) >= MAX_KEYS:  # a flood of fresh keys: drop the oldest half
            ordered = sorted(self._entries, key=lambda k: self._entries[k].last)
            for key in ordered[: len(ordered) // 2]:
                del self._entries[key]
