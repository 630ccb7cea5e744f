"""Station settings describe themselves (ARCHITECTURE rule 6): the boot duration of a reboot."""

from __future__ import annotations

import json

import pytest

from bench.model.templates import (
    STATION_SETTINGS,
    TemplateError,
    list_station_templates,
    load_station_template,
    with_settings,
)


def test_the_boot_duration_is_described_with_type_range_default_and_help() -> None:
    (boot,) = [s for s in STATION_SETTINGS if s.key == "boot_seconds"]
    assert (boot.kind, boot.minimum, boot.maximum, boot.default) == ("float", 0.0, 600.0, 5.0)
    assert boot.label and "reboot" in boot.help


def test_every_bundled_template_takes_seconds_to_boot() -> None:
    for name in list_station_templates():
        assert load_station_template(name).boot_seconds >= 1, name


def test_a_template_changed_through_its_settings_is_checked_against_their_range() -> None:
    template = load_station_template("ac-11kw")
    assert with_settings(template, boot_seconds="0").boot_seconds == 0.0
    assert with_settings(template, boot_seconds=12.5).boot_seconds == 12.5
    assert template.boot_seconds == 5  # templates are shared: the original is untouched
    with pytest.raises(ValueError, match="below the minimum"):
        with_settings(template, boot_seconds="-1")
    with pytest.raises(ValueError, match="unknown station settings"):
        with_settings(template, boot_secs=1)


def test_a_template_file_with_a_boot_duration_out_of_range_is_refused(tmp_path) -> None:
    data = {
        "vendor": "V",
        "model": "M",
        "firmware_version": "1",
        "connectors": 1,
        "current_type": "AC",
        "nominal_voltage_v": 230,
        "max_current_a": 16,
        "boot_seconds": 601,
    }
    path = tmp_path / "slow.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(TemplateError, match="boot_seconds: 601 is above the maximum 600"):
        load_station_template(path)
