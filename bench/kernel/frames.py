"""What a message log is made of: one record per frame, and where records go.

A ``FrameRecord`` is built for each frame sent or received, valid or not, and
handed to a ``FrameSink`` (the SQLite store, a JSON Lines file, the terminal,
the UI). ``record`` must be cheap and must not block: sinks batch their I/O.

It lives in the kernel because the session that writes records (``bench.ocpp``)
and the stores that keep them (``bench.store``) sit side by side above it; what
is OCPP-J specific (the message type numbers) stays in ``bench.ocpp.log``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(slots=True)
class FrameRecord:
    ts: float  # epoch seconds (virtual clock of the station)
    station: str
    direction: str  # "tx" | "rx"
    type: str  # "CALL" | "CALLRESULT" | "CALLERROR" | "MALFORMED"
    id: str | None
    action: str | None  # for replies: the action of the request they answer
    payload: Any  # the parsed payload, or the raw text of a malformed frame
    valid: bool | None  # schema verdict; None where no schema applies
    error: str | None = None  # why the frame is invalid, or the CALLERROR code
    latency_ms: float | None = None  # replies only: time since the request
    raw: str | None = None  # the frame as it travelled
    # Where a proxy saw the frame: "charger" (its leg to the charger) or "csms"
    # (its leg to the CSMS); None in a station's or the CSMS's own log.
    leg: str | None = None

    def as_json_dict(self) -> dict[str, Any]:
        """The JSON Lines shape documented for ``ocpp-bench run --log``."""
        from datetime import UTC, datetime

        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(self.ts, UTC).isoformat(timespec="milliseconds"),
            "station": self.station,
            "direction": self.direction,
            "type": self.type,
            "id": self.id,
            "action": self.action,
            "payload": self.payload,
            "valid": self.valid,
        }
        if self.error is not None:
            out["error"] = self.error
        if self.latency_ms is not None:
            out["latency_ms"] = round(self.latency_ms, 3)
        if self.leg is not None:
            out["leg"] = self.leg
        return out


class FrameSink(Protocol):
    def record(self, rec: FrameRecord) -> None: ...


class FanOut:
    """Sends each record to several sinks; one failing sink does not starve the rest."""

    def __init__(self, *sinks: FrameSink) -> None:
        self.sinks = [s for s in sinks if s is not None]

    def record(self, rec: FrameRecord) -> None:
        for sink in self.sinks:
            sink.record(rec)
