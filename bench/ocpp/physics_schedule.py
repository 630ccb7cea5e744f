"""When a charge point's physics ticks: only where something changes by itself.

A mixin of ``ChargePointBase`` (it needs the station, its clock, its supervisor's
timers, ``physics_interval`` and ``watched``); the version packages supply the hooks
``_physics_step``, ``_own_physics_due_in`` and ``_fine_physics``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.kernel.supervisor import Supervisor
    from bench.model.clock import Clock
    from bench.model.station import Station

# Wall seconds between physics ticks of a charging station that nothing needs sooner
# (see _schedule_physics): a refresh of slowly drifting values (temperature, noise).
# Nothing reads them in between without first bringing them up to now: a meter sample
# ticks, GetVariables and reports settle, monitors and a watching user tick finely.
COARSE_PHYSICS_S = 300.0
# Virtual seconds a timed physics tick runs after the instant it was timed for.
_PAST_DUE_S = 0.001


class PhysicsSchedule:
    """The physics timer of one station (see ``_schedule_physics`` for the rule)."""

    # Wall seconds between fine ticks (the simulation's refresh rate, not protocol
    # time); ``watched``: see watch().
    __slots__ = ("physics_interval", "watched")
    physics_interval: float
    watched: bool

    if TYPE_CHECKING:
        station: Station
        clock: Clock
        tasks: Supervisor
        _stopping: bool

    def _physics_step(self) -> None:
        """Work done on every physics tick while a transaction runs."""

    # The meter integrates exactly over any step (bench/model/meter.py), so a charging
    # station needs a tick only where something changes by itself: an EV reaching its
    # target, an energy allowance used up (timed on the clock), or a value read
    # continuously (``_fine_physics``: a 2.0.1 monitor on a measured value, someone
    # watching the station). Anything else that changes what flows is a model event,
    # which asks for a tick at once. Otherwise ticks come every COARSE_PHYSICS_S wall
    # seconds: at 1,000 stations this is most of the steady-state CPU saved (issue 15).
    def _schedule_physics(self) -> None:
        interval = self.physics_interval
        if not (self.watched or self._fine_physics()):
            interval = max(interval, COARSE_PHYSICS_S)
        due = self._physics_due_in()
        if due is not None and due < interval * self.clock.speed:
            # Just past the instant, so the update there sees it reached.
            self.tasks.later("physics", due + _PAST_DUE_S, self._physics_tick)
        else:
            self.tasks.later("physics", interval, self._physics_tick, wall=True)

    def _physics_tick(self) -> None:
        if not any(c.transaction is not None for c in self.station.connectors):
            return  # idle: no timer until the next transaction starts (ensure_physics)
        self.station.tick()
        self._physics_step()
        self._schedule_physics()

    def settle_physics(self) -> None:
        """Bring the measured values up to now (before a report of them is read)."""
        if self.tasks.has_timer("physics"):
            self._physics_tick()

    def _physics_due_in(self) -> float | None:
        """Virtual seconds until the next change that happens by itself, or None."""
        due: float | None = None
        for connector in self.station.connectors:
            if connector.transaction is not None:
                seconds = connector.meter.seconds_to_target()
                if seconds is not None and (due is None or seconds < due):
                    due = seconds
        own = self._own_physics_due_in()
        if own is not None and (due is None or own < due):
            due = own
        return due

    def _own_physics_due_in(self) -> float | None:
        """The version's own self-driven changes (an energy allowance), virtual seconds."""
        return None

    def _fine_physics(self) -> bool:
        """True while something reads the measured values continuously (2.0.1 monitors)."""
        return False

    def watch(self, watched: bool) -> None:
        """Tick every ``physics_interval`` while ``watched`` (a user looks at the station)."""
        self.watched = watched
        self.physics_rate_changed()

    def physics_rate_changed(self) -> None:
        """``_fine_physics`` may have changed: re-time a running physics."""
        if self.tasks.has_timer("physics"):
            self._physics_soon()

    def _physics_soon(self) -> None:
        """Tick at the next turn of the loop (a change of what flows): re-times the next one."""
        self.tasks.later("physics", 0.0, self._physics_tick, wall=True)

    def ensure_physics(self) -> None:
        if not self._stopping and not self.tasks.has_timer("physics"):
            self._schedule_physics()
