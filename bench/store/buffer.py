"""The batching shared by the frame sinks that write to disk.

``record`` is called on the hot path of every frame of every station, so it
only appends to a list; the I/O happens in ``flush``, once per batch: when the
buffer reaches ``batch_size`` rows, on every tick of ``run_flusher``, and on
``close``.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod

from bench.ocpp.log import FrameRecord

DEFAULT_BATCH_SIZE = 500
DEFAULT_FLUSH_INTERVAL = 0.2  # seconds of real time


class BufferedSink(ABC):
    """A ``FrameSink`` that collects records and writes them in batches."""

    def __init__(self, batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.batch_size = batch_size
        self._buf: list[FrameRecord] = []
        self.closed = False

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
            self.flush()

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
        return len(batch)

    @abstractmethod
    def _write(self, batch: list[FrameRecord]) -> None:
        """Persist ``batch`` in order, all or nothing where the medium allows."""

    async def run_flusher(self, interval: float = DEFAULT_FLUSH_INTERVAL) -> None:
        """Flush every ``interval`` real seconds until cancelled, then flush once more.

        The owner runs this as a task and cancels it on shutdown; the final flush
        makes sure the frames of the last partial interval reach the disk.
        """
        if interval <= 0:
            raise ValueError("interval must be positive")
        try:
            while True:
                await asyncio.sleep(interval)
                self.flush()
        finally:
            self.flush()

    def close(self) -> None:
        """Flush what is left. Safe to call twice."""
        self.flush()
        self.closed = True
