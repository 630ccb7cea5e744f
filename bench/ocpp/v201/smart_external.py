"""External charging limits: an EMS or DSO limits the station from outside OCPP (K11-K13).

The bench plays the external system (``SmartCharging.set_external_limit``). The limit
becomes a ChargingStationExternalConstraints profile (K11.FR.06, K12.FR.05) with a
negative id, so it never clashes with the CSMS's ids; it caps charging at once
(K11.FR.01, K12.FR.01: on EVSE 0 it limits all EVSEs together). The CSMS hears of it
through NotifyChargingLimit when it moved by more than LimitChangeSignificance
(K11.FR.02, K12.FR.02), with the schedule when NotifyChargingLimitWithSchedules is
true (K12.FR.03), and of a release through ClearedChargingLimit (K13.FR.01/02).
The TransactionEvent with ChargingRateChanged (K11.FR.04, K13.FR.03) is the
transactions block's, which can follow ``ChargingLimitChanged`` on ``cp.events``.

A limit set or released while the station is offline still changes the charging at
once; its NotifyChargingLimit / ClearedChargingLimit waits in an outbox and is sent
once the station is accepted again. Only the newest message per EVSE and source is
kept: it supersedes what the CSMS would have heard before it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol

from bench.ocpp.common.timestamps import iso
from bench.ocpp.errors import CallError, CallTimeout, InvalidReply, LinkClosed
from bench.ocpp.v201.block import Evses, Messaging, Services, Variables
from bench.ocpp.v201.smart_profiles import parse

if TYPE_CHECKING:
    from bench.smart.profiles import Profile

log = logging.getLogger(__name__)

SOURCES = ("EMS", "Other", "SO")  # K11.FR.05, K12.FR.04: never CSO
CTRLR = "SmartChargingCtrlr"
_FLUSH_LIMIT = 10_000  # messages one flush may send (bounds the loop)
Key = tuple[int, str]  # (evseId, chargingLimitSource)


def profile_id(evse_id: int, source: str) -> int:
    """One negative id per EVSE and source (K11.FR.06 note)."""
    return -1 - evse_id - 1000 * SOURCES.index(source)


class LimitsHost(Services, Messaging, Variables, Evses, Protocol):
    """What external limits use of the station: its EVSEs, the session, SmartChargingCtrlr."""


class ProfileInstaller(Protocol):
    """Block K as an external limit uses it: install or drop one profile, then re-apply."""

    def install(
        self, evse_id: int, profile: Profile, raw: dict[str, Any], source: str = ...
    ) -> None: ...
    def drop(self, profile_id: int) -> bool: ...


class ExternalLimits:
    __slots__ = ("_notified", "_outbox", "_task", "cp", "smart")

    def __init__(self, cp: LimitsHost, smart: ProfileInstaller) -> None:
        self.cp = cp
        self.smart = smart
        self._notified: dict[tuple[int, str], float] = {}  # last NotifyChargingLimit amps
        # Messages not yet delivered, oldest first: (key, action, payload).
        self._outbox: list[tuple[Key, str, dict[str, Any]]] = []
        self._task: Any = None

    @property
    def pending(self) -> int:
        """NotifyChargingLimit / ClearedChargingLimit messages waiting for the CSMS."""
        return len(self._outbox)

    def set(self, evse_id: int, amps: float | None, source: str = "EMS") -> None:
        smart = self.smart
        if source not in SOURCES:
            raise ValueError(f"chargingLimitSource {source!r} is not one of {SOURCES}")
        if evse_id != 0 and evse_id not in self.cp.evse_ids():
            raise ValueError(f"no EVSE {evse_id}")
        pid = profile_id(evse_id, source)
        if amps is None:
            self._release(evse_id, source, pid)
            return
        if amps < 0:
            raise ValueError(f"a limit must be >= 0 A, got {amps}")
        now = self.cp.clock.now().replace(microsecond=0)
        schedule = {
            "id": 1,
            "startSchedule": iso(now),
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": float(amps)}],
        }
        raw = {
            "id": pid,
            "stackLevel": 0,
            "chargingProfilePurpose": "ChargingStationExternalConstraints",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": [schedule],
        }
        smart.install(evse_id, parse(raw), raw, source)
        self._notify(evse_id, source, float(amps), schedule)

    def _release(self, evse_id: int, source: str, pid: int) -> None:
        smart = self.smart
        if not smart.drop(pid):
            return
        self._notified.pop((evse_id, source), None)
        cleared: dict[str, Any] = {"chargingLimitSource": source}
        if evse_id > 0:
            cleared["evseId"] = evse_id
        self._post((evse_id, source), "ClearedChargingLimit", cleared)

    def _notify(self, evse_id: int, source: str, amps: float, schedule: dict[str, Any]) -> None:
        previous = self._notified.get((evse_id, source))
        significance = self.cp.number(CTRLR, "LimitChangeSignificance")
        if previous is not None:
            change = abs(amps - previous) / previous * 100 if previous else float("inf")
            if amps == previous or change <= significance:
                return  # K12.FR.02: only changes beyond LimitChangeSignificance
        self._notified[(evse_id, source)] = amps
        payload: dict[str, Any] = {"chargingLimit": {"chargingLimitSource": source}}
        if evse_id > 0:
            payload["evseId"] = evse_id  # the schema wants > 0; none means the station
        if self.cp.flag(CTRLR, "NotifyChargingLimitWithSchedules"):
            payload["chargingSchedule"] = [schedule]
        self._post((evse_id, source), "NotifyChargingLimit", payload)

    # ------------------------------------------------------------ delivery
    def _post(self, key: Key, action: str, payload: dict[str, Any]) -> None:
        # The newest word on this EVSE and source supersedes one not yet delivered.
        self._outbox = [m for m in self._outbox if m[0] != key]
        self._outbox.append((key, action, payload))
        self._flush_soon()

    def on_accepted(self) -> None:
        self._flush_soon()

    def _flush_soon(self) -> None:
        cp = self.cp
        if not cp.accepted or not self._outbox:
            return  # offline: kept until the station is accepted again
        if self._task is None or self._task.done():
            self._task = cp.tasks.spawn(self._flush(), name="smart-external-limits")

    async def _flush(self) -> None:
        cp = self.cp
        for _ in range(_FLUSH_LIMIT):
            if not self._outbox or not cp.accepted:
                return
            message = self._outbox[0]
            _key, action, payload = message
            try:
                await cp.session.call(action, payload)
            except (CallTimeout, LinkClosed) as exc:
                log.info("%s: %s kept for the next connection: %s", cp.station.id, action, exc)
                return
            except (CallError, InvalidReply) as exc:
                log.warning("%s: %s failed: %s", cp.station.id, action, exc)
            if self._outbox and self._outbox[0] is message:
                self._outbox.pop(0)
