"""The OCPP-J side of the message log: the message type numbers of a frame.

The record itself (``FrameRecord``, ``FrameSink``, ``FanOut``) is version- and
protocol-neutral and lives in ``bench.kernel.frames``; it is re-exported here
for the charge point packages (bench.ocpp.v16, bench.ocpp.v201) until they
import it from the kernel themselves.
"""

from __future__ import annotations

from bench.kernel.frames import FanOut, FrameRecord, FrameSink

__all__ = ["CALL", "CALLERROR", "CALLRESULT", "TYPE_NAMES", "FanOut", "FrameRecord", "FrameSink"]

# OCPP-J 1.6 §4.1.3, 2.0.1 part 4 §4.1.3: the first element of every frame.
CALL, CALLRESULT, CALLERROR = 2, 3, 4
TYPE_NAMES = {CALL: "CALL", CALLRESULT: "CALLRESULT", CALLERROR: "CALLERROR"}
