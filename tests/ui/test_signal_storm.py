"""Regression: PySide6 6.12.0 on CPython 3.11 aborts after a few thousand Signal.emit() calls.

The bad release drops a reference to ``True`` on every emit (PERFORMANCE.md, "Known
traps"); pyproject pins around it. The storm runs in a child process so a crash
fails this test instead of killing the whole run.
"""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
from PySide6.QtCore import QCoreApplication, QObject, Signal
app = QCoreApplication([])
class Source(QObject):
    fired = Signal(bool)
    ticked = Signal()
count = [0]
def slot(*_):
    count[0] += 1
source = Source()
source.fired.connect(slot)
source.ticked.connect(slot)
for i in range(150_000):
    source.fired.emit(True)
    source.ticked.emit()
print(count[0])
"""


def test_three_hundred_thousand_signal_emissions_do_not_crash_the_interpreter():
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-500:]}"
    assert done.stdout.strip() == "300000"
