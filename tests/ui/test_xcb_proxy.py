"""Tools ▸ Proxy… on a real (virtual) X server: a proxied charger's graphs, the rules editor.

Starts ``python -m ui.launcher`` on Xvfb with ``QT_QPA_PLATFORM=xcb`` and the driver
``tests/ui/xcb_proxy_shots.py``, which proxies a lab charger (a bench station) to the
built-in CSMS and saves ``proxy-station.png``, ``proxy-rules.png`` and
``proxy-console.png``. Screenshots go to ``$OCPP_BENCH_SHOTS`` when set, else to the
test's tmp folder.
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


def test_the_proxy_window_is_shot_with_a_charging_proxied_station_and_its_rules(
    display: str, tmp_path: Path
):
    shots = Path(os.environ.get("OCPP_BENCH_SHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    args = ("--data-dir", str(tmp_path / "data"), "--theme", "light")
    drive = ("--drive", "tests.ui.xcb_proxy_shots:drive")
    with app_on_display(
        display, tmp_path, *args, *drive, env={"OCPP_BENCH_SHOTS": str(shots)}
    ) as app:
        paths = [Path(app.wait_line("xcb-shots: shot", 180).split(" ", 2)[2]) for _ in range(4)]
        app.wait_line("xcb-shots: closed", 90)
        code = app.proc.wait(60)
    stderr = app.stderr()
    assert code == 0, stderr
    assert "Traceback" not in stderr, stderr
    assert [p.name for p in paths] == [
        "proxy-station.png",
        "proxy-main.png",
        "proxy-rules.png",
        "proxy-console.png",
    ]
    for shot in paths:
        image = QImage(str(shot))
        assert image.width() >= 1200 and image.height() >= 800, shot
