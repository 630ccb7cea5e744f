"""Re-evaluating charging limits when a schedule period starts or a profile expires.

A smart-charging block recomputes its limits in one place (``apply``); after each
evaluation it names the next instant anything changes (a period boundary, a
profile's validTo) and ``BoundaryTimer`` wakes it there, one timer per station.
``purge_expired`` drops the profiles whose validTo has passed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bench.kernel.supervisor import Supervisor
from bench.smart.store import ProfileStore


class Evaluates(Protocol):
    def apply(self) -> None:
        """Recompute the limits in force now."""
        ...


class BoundaryTimer:
    """One supervisor timer, armed for the next boundary; the block's ``apply`` runs there."""

    __slots__ = ("_next_at", "block", "key", "tasks")

    def __init__(self, tasks: Supervisor, key: str, block: Evaluates) -> None:
        self.tasks = tasks
        self.key = key  # the Supervisor timer key
        self.block = block  # an object, not its bound method: 64 bytes less per station
        self._next_at: datetime | None = None

    @property
    def next_at(self) -> datetime | None:
        """The boundary the timer is armed for (None when it is not armed)."""
        return self._next_at

    def schedule(self, now: datetime, at: datetime) -> None:
        if self._next_at == at and self.tasks.has_timer(self.key):
            return
        self._next_at = at
        # A millisecond past the boundary, so the evaluation sees the new period.
        delay = (at - now).total_seconds() + 0.001
        self.tasks.later(self.key, delay, self._due)

    def cancel(self) -> None:
        self._next_at = None
        self.tasks.cancel_timer(self.key)

    def _due(self) -> None:
        self._next_at = None
        self.block.apply()


def purge_expired(store: ProfileStore, now: datetime) -> bool:
    """Drop the profiles whose validTo has passed at ``now``; True if any went."""
    gone = [e for e in store if e.profile.valid_to is not None and e.profile.valid_to <= now]
    for e in gone:
        store.clear(profile_id=e.profile.id)
    return bool(gone)
