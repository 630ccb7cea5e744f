"""Templates are found inside a PyInstaller bundle (packaging/ocpp-bench.spec).

A one-folder bundle unpacks its data files under ``sys._MEIPASS`` and sets
``sys.frozen``; the spec puts the project's ``resources/`` there.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from bench.model import templates

PROJECT_RESOURCES = Path(__file__).resolve().parents[2] / "resources"


def _fake_bundle(monkeypatch, root: Path) -> Path:
    """A bundle folder holding a copy of the station templates, as PyInstaller lays it out."""
    shutil.copytree(PROJECT_RESOURCES / "stations", root / "resources" / "stations")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(root), raising=False)
    monkeypatch.delenv(templates.RESOURCES_ENV, raising=False)
    return root / "resources"


def test_outside_a_bundle_resources_are_the_project_folder(monkeypatch):
    monkeypatch.delattr(sys, "frozen", raising=False)
    monkeypatch.delenv(templates.RESOURCES_ENV, raising=False)
    assert templates.resources_dir() == PROJECT_RESOURCES


def test_inside_a_bundle_resources_are_read_from_the_bundle_data_folder(monkeypatch, tmp_path):
    bundled = _fake_bundle(monkeypatch, tmp_path / "bundle")
    assert templates.resources_dir() == bundled
    assert "ac-11kw" in templates.list_station_templates()
    path = templates._locate("stations", "ac-11kw")
    assert path.is_relative_to(bundled)
    assert templates.load_station_template(path).vendor


def test_a_bundle_without_a_template_names_the_bundle_folder_it_looked_in(monkeypatch, tmp_path):
    bundled = _fake_bundle(monkeypatch, tmp_path / "bundle")
    try:
        templates.load_station_template("no-such-template")
    except templates.UnknownTemplateError as exc:
        assert str(bundled / "stations") in str(exc)
    else:
        raise AssertionError("an unknown template must raise")


def test_the_environment_override_wins_over_the_bundle(monkeypatch, tmp_path):
    _fake_bundle(monkeypatch, tmp_path / "bundle")
    monkeypatch.setenv(templates.RESOURCES_ENV, str(tmp_path / "elsewhere"))
    assert templates.resources_dir() == tmp_path / "elsewhere"
