"""The entry point: ``ui.app.main`` refuses cleanly where there is no display."""

from __future__ import annotations

import sys

import pytest

from ui import app


def test_without_a_display_main_explains_and_exits_2_instead_of_aborting(monkeypatch, capsys):
    if not sys.platform.startswith("linux"):
        pytest.skip("the display check is Linux-only")
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    assert app.main([]) == 2
    err = capsys.readouterr().err
    assert "no display" in err and "ocpp-bench demo" in err
    assert "Traceback" not in err


def test_the_parser_takes_speed_theme_and_data_dir(tmp_path):
    args = app.build_parser().parse_args(
        ["--speed", "60", "--theme", "dark", "--data-dir", str(tmp_path)]
    )
    assert (args.speed, args.theme, args.data_dir) == (60.0, "dark", tmp_path)
