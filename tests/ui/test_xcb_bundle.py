"""A session bundle opened in the real app on a real (virtual) X server, both palettes.

Starts ``python -m ui.launcher`` on Xvfb with ``QT_QPA_PLATFORM=xcb`` and the
driver ``tests/ui/xcb_bundle_shots.py``: the demo station charges, its session is
exported (File ▸ Export session…) and opened (File ▸ Open session bundle…), and
the bundle's window is saved as ``bundle-light.png`` and ``bundle-dark.png``.
Screenshots go to ``$OCPP_BENCH_SHOTS`` when set (to look at them), else to the
test's tmp folder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from bench.bundle.format import read_bundle
from tests.ui.test_xcb_app import mean_luma
from tests.ui.xvfb import app_on_display, xvfb

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 test (Linux)"),
    pytest.mark.timeout(400),
]


@pytest.fixture
def display():
    with xvfb() as name:
        yield name


def test_an_exported_session_opens_in_its_own_window_and_is_shot_in_both_palettes(
    display: str, tmp_path: Path
):
    shots = Path(os.environ.get("OCPP_BENCH_SHOTS") or tmp_path / "shots")
    args = ("--data-dir", str(tmp_path / "data"), "--theme", "light", "--speed", "60")
    drive = ("--drive", "tests.ui.xcb_bundle_shots:drive")
    with app_on_display(
        display, tmp_path, *args, *drive, env={"OCPP_BENCH_SHOTS": str(shots)}
    ) as app:
        app.wait_line("xcb-shots: window shown", 120)
        exported = Path(app.wait_line("xcb-shots: exported", 240).split(" ", 2)[2])
        opened = app.wait_line("xcb-shots: opened", 60)
        light = Path(app.wait_line("xcb-shots: shot", 60).split(" ", 2)[2])
        dark = Path(app.wait_line("xcb-shots: shot", 60).split(" ", 2)[2])
        app.wait_line("xcb-shots: closed", 90)
        code = app.proc.wait(60)
    stderr = app.stderr()
    assert code == 0, stderr
    assert "Traceback" not in stderr and "unhandled error" not in stderr, stderr
    assert opened.endswith("session bundle session.bundle (read-only)")
    bundle = read_bundle(exported)
    assert [f.action for f in bundle.frames if f.type == "CALL"].count("StopTransaction") == 1
    for shot in (light, dark):
        image = QImage(str(shot))
        assert (image.width(), image.height()) == (1600, 1000), shot
    assert mean_luma(light) > mean_luma(dark) + 50, (mean_luma(light), mean_luma(dark))
