"""The real app on a real (virtual) X server: the xcb platform plugin, not offscreen.

``make run`` once aborted on a Debian 12 desktop before any window opened: Qt's
xcb plugin could not load for want of libxcb-icccm4 and libxcb-keysyms1. These
tests start ``python -m ui.launcher`` on Xvfb with ``QT_QPA_PLATFORM=xcb``, wait
until the window is up and the demo station booted against the built-in CSMS,
charge it, save screenshots through ``tests/ui/xcb_shots.py`` (light and dark,
and after a live palette switch) and quit through the quit question.

Screenshots go to ``$OCPP_BENCH_SHOTS`` when set (to look at them), else to the
test's tmp folder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage

from tests.ui.xcb_shots import VIEWS
from tests.ui.xvfb import app_on_display, xvfb

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 test (Linux)"),
    pytest.mark.timeout(300),
]
OTHER = {"light": "dark", "dark": "light"}


@pytest.fixture
def display():
    with xvfb() as name:
        yield name


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = os.environ.get("OCPP_BENCH_SHOTS")
    return Path(folder) if folder else tmp_path / "shots"


def mean_luma(path: Path) -> float:
    """Average brightness 0-255 of a screenshot."""
    image = QImage(str(path)).convertToFormat(QImage.Format.Format_Grayscale8)
    row_bytes = image.bytesPerLine()
    data = np.frombuffer(image.constBits(), dtype=np.uint8, count=row_bytes * image.height())
    return float(data.reshape(image.height(), row_bytes)[:, : image.width()].mean())


@pytest.mark.parametrize("palette", ["light", "dark"])
def test_the_app_opens_on_x_charges_the_demo_station_and_quits_cleanly(
    display: str, tmp_path: Path, shots: Path, palette: str
):
    args = ("--data-dir", str(tmp_path / "data"), "--theme", palette, "--speed", "60")
    drive = ("--drive", "tests.ui.xcb_shots:drive")
    env = {"OCPP_BENCH_SHOTS": str(shots), "OCPP_BENCH_SHOT_VIEWS": ",".join(VIEWS)}
    with app_on_display(display, tmp_path, *args, *drive, env=env) as app:
        shown = app.wait_line("xcb-shots: window shown", 120)
        assert shown.endswith("1600x1000 on xcb"), shown
        app.wait_line("xcb-shots: booted DEMO-AC-11KW against ws://127.0.0.1:", 90)
        taken = [
            Path(app.wait_line("xcb-shots: shot", 180).split(" ", 2)[2])
            for _ in range(2 * len(VIEWS))
        ]
        question = app.wait_line("xcb-shots: quit question", 60)
        app.wait_line("xcb-shots: closed", 90)
        code = app.proc.wait(60)
    stderr = app.stderr()
    assert code == 0, stderr
    assert "Could not load the Qt platform plugin" not in stderr
    assert "Traceback" not in stderr and "unhandled error" not in stderr, stderr
    assert "DEMO-AC-11KW connector 1" in question and "PowerLoss" in question

    for index, view in enumerate(VIEWS):
        started, switched = taken[2 * index], taken[2 * index + 1]
        assert started == shots / f"{view}-{palette}.png"
        assert switched == shots / f"{view}-{OTHER[palette]}-live.png"
        for shot in (started, switched):
            image = QImage(str(shot))
            assert (image.width(), image.height()) == (1600, 1000), shot
        light, dark = (started, switched) if palette == "light" else (switched, started)
        assert mean_luma(light) > mean_luma(dark) + 50, (view, mean_luma(light), mean_luma(dark))
