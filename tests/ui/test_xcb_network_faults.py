"""The Network faults control on a real X server, shot for people to look at (issue 17).

``tests/ui/xcb_faults_shots.py`` drives the real app: the demo station charges,
the menu is opened and shot, latency with jitter and loss are chosen, and the
station view is shot once a reply in the log shows the added round trip.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from tests.ui.xvfb import app_on_display, xvfb

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 test (Linux)"),
    pytest.mark.timeout(300),
]


@pytest.fixture
def display():
    with xvfb() as name:
        yield name


def test_the_network_faults_menu_and_the_faults_in_force_are_shot_on_x(
    display: str, tmp_path: Path
) -> None:
    shots = Path(os.environ.get("OCPP_BENCH_SHOTS") or tmp_path / "shots")
    args = ("--data-dir", str(tmp_path / "data"), "--theme", "light", "--speed", "60")
    drive = ("--drive", "tests.ui.xcb_faults_shots:drive")
    with app_on_display(
        display, tmp_path, *args, *drive, env={"OCPP_BENCH_SHOTS": str(shots)}
    ) as app:
        app.wait_line("xcb-shots: window shown", 120)
        menu = Path(app.wait_line("xcb-shots: shot", 180).split(" ", 2)[2])
        in_force = app.wait_line("xcb-shots: faults in force", 60)
        active = Path(app.wait_line("xcb-shots: shot", 120).split(" ", 2)[2])
        app.wait_line("xcb-shots: closed", 90)
        code = app.proc.wait(60)
    stderr = app.stderr()
    assert code == 0, stderr
    assert "Traceback" not in stderr and "unhandled error" not in stderr, stderr
    assert in_force.endswith("latency 800ms jitter 200ms, loss 5%")
    assert (menu.name, active.name) == ("faults-menu.png", "faults-active.png")
    for shot in (menu, active):
        image = QImage(str(shot))
        assert (image.width(), image.height()) == (1600, 1000), shot
