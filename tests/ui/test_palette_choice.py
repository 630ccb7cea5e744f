"""Choosing a palette: View ▸ Palette is remembered, ``--theme`` is for one start.

``ocpp-bench --help`` says the default is "the last one picked in View > Palette";
a palette given with --theme was saved at quit as if it had been picked there.
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from tests.ui.conftest import running_app
from ui.app import build_parser
from ui.shortcuts import THEME_KEY, THEME_LABELS
from ui.theme import ThemeController, apply_theme


def _settings(tmp_path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


async def test_a_palette_from_the_command_line_is_not_saved_as_the_users_choice(qtbot, tmp_path):
    app = QApplication.instance()
    controller = ThemeController(app, build_parser().parse_args(["--theme", "dark"]).theme)
    try:
        async with running_app(qtbot, tmp_path) as win:
            assert win.window_actions.theme_actions["dark"].isChecked()
            settings = _settings(tmp_path)
            win.save_layout(settings)
            assert settings.value(THEME_KEY) is None
            win.window_actions.theme_actions["light"].trigger()  # View ▸ Palette ▸ Light
            win.save_layout(settings)
            assert settings.value(THEME_KEY) == "light"
    finally:
        controller.deleteLater()
        apply_theme(app, "light")


def test_the_readme_says_how_to_choose_a_palette_with_the_menu_and_option_that_exist():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "View ▸ Palette" in readme
    for label in THEME_LABELS.values():  # the menu's entries (ui.shortcuts.install)
        assert f"*{label}*" in readme
    option = re.search(r"--theme ([a-z|]+)", readme)
    assert option is not None
    choices = build_parser()._option_string_actions["--theme"].choices
    assert set(option.group(1).split("|")) == set(choices)
