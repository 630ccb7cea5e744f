"""What a run could not write to disk, said when it ends (``ocpp-bench run``, issue 11).

While the disk refuses writes (full, read-only, failing) the station keeps what
it must not lose in memory (bench/store/faults.py) and its logs keep frames in
memory up to a cap. What is still only in memory when the process ends is lost:
``unsaved`` collects it after the station has stopped, and ``Unsaved.line`` says
it in one line, so the CLI can end with a non-zero status instead of quietly.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bench.store.buffer import BufferedSink

if TYPE_CHECKING:
    from bench.ocpp.api import ChargePointApi


@dataclass(frozen=True, slots=True)
class LostFrames:
    where: str  # the database or log file the frames were meant for
    unwritten: int  # still buffered as the run ends
    dropped: int  # given up during the run (the in-memory cap)


@dataclass(frozen=True, slots=True)
class Unsaved:
    database: str
    reason: str
    messages: Counter[str] = field(default_factory=Counter)  # queued messages, by action
    values: int = 0  # other station data held in memory (state, caches, queue changes)
    resend: int = 0  # delivered messages whose rows could not be deleted
    frames: tuple[LostFrames, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.messages or self.values or self.resend or self.frames)

    def line(self) -> str:
        """``not saved, the disk refused the writes (...): 3 queued messages (...), ...``."""
        for_db: list[str] = []
        total = sum(self.messages.values())
        if total:
            actions = ", ".join(f"{action} {n}" for action, n in self.messages.items())
            for_db.append(f"{_count(total, 'queued message')} ({actions})")
        if self.values:
            for_db.append(_count(self.values, "station value"))
        parts: list[str] = []
        for lost in self.frames:
            text = _count(lost.unwritten + lost.dropped, "logged frame")
            if lost.dropped:
                text += f" ({lost.dropped} dropped during the run)"
            if lost.where == self.database:
                for_db.append(text)
            else:
                parts.append(f"{text} for {lost.where}")
        if for_db:
            parts.insert(0, f"{_join(for_db)} for {self.database}")
        text = f"not saved, the disk refused the writes ({self.reason}): {', '.join(parts)}"
        if not parts:
            text = f"the disk refused writes ({self.reason})"
        if self.resend:
            noun = "message was" if self.resend == 1 else "messages were"
            text += (
                f"; {self.resend} delivered {noun} not removed from {self.database}"
                " and will be sent again on the next start"
            )
        return text


def unsaved(cp: ChargePointApi, database: str, logs: Iterable[tuple[BufferedSink, str]]) -> Unsaved:
    """What ``cp`` (stopped) and the batching ``logs`` (closed; each with the file it
    writes) still hold only in memory."""
    queue = cp.unsaved_queue()
    messages = Counter(queue.actions)
    resend = queue.resend
    storage = cp.storage_state()
    held = storage.unsaved
    frames = tuple(
        LostFrames(where, sink.pending, sink.dropped)
        for sink, where in logs
        if sink.pending or sink.dropped
    )
    reasons = [storage.detail, *(sink.last_failure for sink, _ in logs)]
    return Unsaved(
        database=database,
        reason=next((r for r in reasons if r), "writes refused"),
        messages=messages,
        values=max(0, held - sum(messages.values()) - resend),
        resend=resend,
        frames=frames,
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
