"""What a version's handlers get to work with for one station (version-neutral).

The version packages (``v16``, later ``v201``) turn messages into calls on this
context and back; the decisions that do not depend on the OCPP version (which
registration status comes next, whether a tag may charge) live here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bench.csms.authorization import TagDecision, decide
from bench.csms.config import CsmsConfig
from bench.csms.registry import StationState
from bench.csms.storage import CsmsStore, iso


@dataclass(slots=True)
class StationContext:
    state: StationState
    store: CsmsStore
    config: CsmsConfig

    @property
    def station_id(self) -> str:
        return self.state.id

    def now(self) -> datetime:
        return self.config.clock.now()

    def now_iso(self) -> str:
        return iso(self.now())

    def next_boot_status(self) -> str:
        """The next registration status of the configured sequence; the last one repeats."""
        sequence = self.state.boot_responses or self.config.boot_responses
        index = min(self.state.boot_index, len(sequence) - 1)
        self.state.boot_index += 1
        return sequence[index]

    def record_boot(self, payload: dict[str, Any]) -> tuple[str, datetime, int]:
        """Answer a BootNotification: (status, now, interval), the same for every version.

        Accepted carries the heartbeat interval; Pending/Rejected the wait before the
        next boot (1.6 §4.2, 2.0.1 B01-B03).
        """
        status = self.next_boot_status()
        now = self.now()
        self.store.record_boot(self.station_id, iso(now), payload, status)
        state = self.state
        state.registration = status
        state.boot = dict(payload)
        state.boot_count += 1
        state.last_boot = now
        if status == "Accepted":
            state.triggered.clear()
        accepted = status == "Accepted"
        interval = self.config.heartbeat_interval if accepted else self.config.boot_retry_interval
        return status, now, interval

    def record_heartbeat(self) -> datetime:
        now = self.now()
        self.store.record_heartbeat(self.station_id, iso(now))
        self.state.last_heartbeat = now
        return now

    def authorize(self, id_tag: str) -> TagDecision:
        return decide(
            self.config.tags, id_tag, self.now(), accept_unknown=self.config.accept_unknown_tags
        )

    def authorize_start(self, id_tag: str, connector_id: int) -> TagDecision:
        """``authorize`` plus the ConcurrentTx check, when the config asks for it."""
        decision = self.authorize(id_tag)
        if decision.status != "Accepted" or not self.config.reject_concurrent_tx:
            return decision
        for tx in self.store.open_transactions_for_tag(id_tag):
            if (tx.station, tx.connector_id) != (self.station_id, connector_id):
                return decision.with_status("ConcurrentTx")
        return decision
