"""Re-evaluating charging limits when a schedule period starts or a profile expires.

The 2.0.1 smart-charging block keeps a profile store, recomputes limits in
``apply()`` and persists with ``_save()``; this mixin owns the one timer that wakes
it at the next boundary. (Moved here from ``bench.ocpp`` when the 1.6 block took
the collaborating ``bench.ocpp.smart_boundary.BoundaryTimer`` instead; issue 12
phase 2 replaces this mixin the same way.)
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any


class ScheduleBoundaries:
    """Mixin: one timer per station, armed for the next period boundary."""

    __slots__ = ()
    boundary_timer = "smart-boundary"  # the Supervisor timer key

    if TYPE_CHECKING:  # provided by the smart-charging block
        cp: Any
        store: Any
        _next_at: datetime | None

        def apply(self) -> None: ...
        def _save(self) -> None: ...

    def _purge_expired(self, now: datetime) -> None:
        gone = [
            e for e in self.store if e.profile.valid_to is not None and e.profile.valid_to <= now
        ]
        if gone:
            for e in gone:
                self.store.clear(profile_id=e.profile.id)
            self._save()

    def _schedule(self, now: datetime, at: datetime) -> None:
        if self._next_at == at and self.cp.tasks.has_timer(self.boundary_timer):
            return
        self._next_at = at
        # A millisecond past the boundary, so the evaluation sees the new period.
        delay = (at - now).total_seconds() + 0.001
        self.cp.tasks.later(self.boundary_timer, delay, self._boundary)

    def _boundary(self) -> None:
        self._next_at = None
        self.apply()

    def _cancel_timer(self) -> None:
        self._next_at = None
        self.cp.tasks.cancel_timer(self.boundary_timer)
