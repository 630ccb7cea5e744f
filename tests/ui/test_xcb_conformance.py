"""The Conformance window on a real (virtual) X server, mid-run with a manual prompt, both palettes.

Starts ``python -m ui.launcher`` on Xvfb with ``QT_QPA_PLATFORM=xcb`` and the
driver ``tests/ui/xcb_conformance_shots.py``, which runs ten 2.0.1 Provisioning
cases against the built-in CSMS, answers the prompts until one is left up, and
saves ``conformance-light.png`` and ``conformance-dark.png``. Screenshots go to
``$OCPP_BENCH_SHOTS`` when set (to look at them), else to the test's tmp folder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from tests.ui.test_xcb_app import mean_luma
from tests.ui.xvfb import app_on_display, xvfb

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 test (Linux)"),
    pytest.mark.timeout(300),
]


@pytest.fixture
def display():
    with xvfb() as name:
        yield name


def test_the_conformance_window_is_shot_mid_run_with_a_manual_prompt_in_both_palettes(
    display: str, tmp_path: Path
):
    shots = Path(os.environ.get("OCPP_BENCH_SHOTS") or tmp_path / "shots")
    args = ("--data-dir", str(tmp_path / "data"), "--theme", "light")
    drive = ("--drive", "tests.ui.xcb_conformance_shots:drive")
    env = {"OCPP_BENCH_SHOTS": str(shots)}
    with app_on_display(display, tmp_path, *args, *drive, env=env) as app:
        app.wait_line("xcb-shots: window shown", 120)
        prompt = app.wait_line("xcb-shots: prompt", 180)
        light = Path(app.wait_line("xcb-shots: shot", 60).split(" ", 2)[2])
        dark = Path(app.wait_line("xcb-shots: shot", 60).split(" ", 2)[2])
        app.wait_line("xcb-shots: closed", 90)
        code = app.proc.wait(60)
    stderr = app.stderr()
    assert code == 0, stderr
    assert "Traceback" not in stderr and "unhandled error" not in stderr, stderr
    assert prompt.startswith("xcb-shots: prompt TC_B_13_CSMS: Request the CSMS to retrieve")
    assert (light.name, dark.name) == ("conformance-light.png", "conformance-dark.png")
    for shot in (light, dark):
        image = QImage(str(shot))
        assert (image.width(), image.height()) == (1440, 900), shot
    assert mean_luma(light) > mean_luma(dark) + 50, (mean_luma(light), mean_luma(dark))


def test_test_a_charger_is_shot_mid_run_with_a_physical_step_prompt_in_both_palettes(
    display: str, tmp_path: Path
):
    shots = Path(os.environ.get("OCPP_BENCH_SHOTS") or tmp_path / "shots")
    args = ("--data-dir", str(tmp_path / "data"), "--theme", "light")
    drive = ("--drive", "tests.ui.xcb_charger_shots:drive")
    env = {"OCPP_BENCH_SHOTS": str(shots), "OCPP_BENCH_DATA_DIR": str(tmp_path)}
    with app_on_display(display, tmp_path, *args, *drive, env=env) as app:
        app.wait_line("xcb-shots: window shown", 120)
        prompt = app.wait_line("xcb-shots: prompt", 240)
        light = Path(app.wait_line("xcb-shots: shot", 60).split(" ", 2)[2])
        dark = Path(app.wait_line("xcb-shots: shot", 60).split(" ", 2)[2])
        app.wait_line("xcb-shots: closed", 90)
        code = app.proc.wait(60)
    stderr = app.stderr()
    assert code == 0, stderr
    assert "Traceback" not in stderr and "unhandled error" not in stderr, stderr
    assert prompt.startswith("xcb-shots: prompt TC_E_09_CS: Connect the EV")
    assert (light.name, dark.name) == ("charger-light.png", "charger-dark.png")
    for shot in (light, dark):
        image = QImage(str(shot))
        assert (image.width(), image.height()) == (1440, 900), shot
    assert mean_luma(light) > mean_luma(dark) + 50, (mean_luma(light), mean_luma(dark))
