"""The batching shared by the frame sinks that write to disk.

``record`` is called on the hot path of every frame of every station, so it
only appends to a list; the I/O happens in ``flush``, once per batch: when the
buffer reaches ``batch_size`` rows, on every tick of ``run_flusher``, and on
``close``.

A disk that refuses the write (full, read-only, failing: ``faults.storage_failure``)
does not stop the station nor the flusher: the records stay in memory, in order,
and the next tick tries again. Memory is bounded: past ``max_pending`` records the
oldest are dropped, counted in ``dropped`` and logged. Any other error is a bug
and propagates.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod

from bench.kernel.frames import FrameRecord
from bench.store.faults import storage_failure

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 500
# Seconds of real time: the group commit's interval (group_commit.py), so a killed
# process loses the same last second of frames as of queued messages. Readers flush
# first, so the log view never waits for it.
DEFAULT_FLUSH_INTERVAL = 1.0
# Records kept while the disk refuses writes; a frame is well under 2 KiB, so this
# bounds the backlog near 100 MiB however long the disk stays full.
DEFAULT_MAX_PENDING = 50_000


class BufferedSink(ABC):
    """A ``FrameSink`` that collects records and writes them in batches."""

    label = "frame sink"  # how log lines name this sink

    def __init__(
        self, batch_size: int = DEFAULT_BATCH_SIZE, max_pending: int = DEFAULT_MAX_PENDING
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.batch_size = batch_size
        self.max_pending = max(max_pending, batch_size)
        self._buf: list[FrameRecord] = []
        self.closed = False
        self.failing: str | None = None  # why writes fail, while they do
        self.last_failure = ""  # why they last failed, kept after they go through again
        self.dropped = 0  # records given up (oldest first) while writes failed
        self._dropped_logged = 0

    @property
    def pending(self) -> int:
        """Records accepted but not yet written."""
        return len(self._buf)

    def record(self, rec: FrameRecord) -> None:
        # The record is kept by reference and serialised at flush time; the session
        # builds a fresh FrameRecord per frame and does not touch it afterwards.
        buf = self._buf
        buf.append(rec)
        if len(buf) >= self.batch_size:
            if self.failing is None:
                self.try_flush()
            elif len(buf) > self.max_pending:
                self._trim()  # the flusher's next tick tries the disk again

    def flush(self) -> int:
        """Write everything buffered; returns the number of records written.

        If the write fails the records go back to the front of the buffer (nothing
        is lost or reordered) and the error propagates.
        """
        if not self._buf:
            return 0
        batch, self._buf = self._buf, []
        try:
            self._write(batch)
        except BaseException:
            self._buf[:0] = batch
            raise
        if self.failing is not None:
            self.failing = None
            log.warning("%s: writes go through again", self.label)
        return len(batch)

    def try_flush(self) -> int:
        """``flush``, except that a refused write keeps the records (bounded) and returns 0."""
        try:
            return self.flush()
        except Exception as exc:
            if storage_failure(exc) is None:
                raise
            if self.failing is None:
                self.failing = self.last_failure = str(exc) or type(exc).__name__
                log.error(
                    "%s: writing failed (%s); keeping up to %d frames in memory and retrying",
                    self.label,
                    self.failing,
                    self.max_pending,
                )
            self._trim()
            return 0

    def _trim(self) -> None:
        excess = len(self._buf) - self.max_pending
        if excess <= 0:
            return
        del self._buf[:excess]
        self.dropped += excess
        # Logged when the loss starts and then once per bufferful, not per frame.
        if self._dropped_logged == 0 or self.dropped - self._dropped_logged >= self.max_pending:
            self._dropped_logged = self.dropped
            log.error(
                "%s: %d frames dropped so far (oldest first): writes still fail (%s)",
                self.label,
                self.dropped,
                self.failing,
            )

    @abstractmethod
    def _write(self, batch: list[FrameRecord]) -> None:
        """Persist ``batch`` in order, all or nothing where the medium allows."""

    async def run_flusher(self, interval: float = DEFAULT_FLUSH_INTERVAL) -> None:
        """Flush every ``interval`` real seconds until cancelled, then flush once more.

        The owner runs this as a task and cancels it on shutdown; the final flush
        makes sure the frames of the last partial interval reach the disk. A disk
        that refuses the writes does not end it (see ``try_flush``).
        """
        if interval <= 0:
            raise ValueError("interval must be positive")
        try:
            while True:
                await asyncio.sleep(interval)
                if not self._flushed_elsewhere():
                    self.try_flush()
        finally:
            self.try_flush()

    def _flushed_elsewhere(self) -> bool:
        """True when another mechanism (a group commit) writes the buffer on time."""
        return False

    def close(self) -> None:
        """Flush what is left. Safe to call twice.

        What a refusing disk kept from being written stays counted in ``pending``
        (and ``dropped``), for the owner to report.
        """
        self.try_flush()
        self.closed = True
