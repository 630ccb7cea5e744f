"""``ocpp-bench conformance cs``: the command a charger lab engineer and a CI job type."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bench.cli import main


def _lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [line for line in capsys.readouterr().out.splitlines() if line.strip()]


@pytest.mark.parametrize(("version", "count"), [("2.0.1", 424), ("1.6", 102)])
def test_list_prints_one_line_per_charging_station_case_of_the_version(
    capsys: pytest.CaptureFixture[str], version: str, count: int
) -> None:
    assert main(["conformance", "list", "--sut", "cs", "--ocpp", version]) == 0
    lines = _lines(capsys)
    assert len(lines) == count
    assert all(line.split("\t")[0].endswith("_CS") for line in lines)
    assert {line.split("\t")[2] for line in lines} <= {"auto", "physical", "not implemented"}


def test_list_says_a_power_cycle_case_needs_a_physical_step(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["conformance", "list", "--sut", "cs", "--ocpp", "1.6"]) == 0
    how = {line.split("\t")[0]: line.split("\t")[2] for line in _lines(capsys)}
    assert how["TC_001_CS"] == "physical"


def test_self_run_writes_the_four_report_files_naming_the_station_from_its_boot(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    report = tmp_path / "report"
    code = main(
        [
            "conformance", "cs", "--ocpp", "2.0.1", "--dut-id", "SELF-1", "--self", "ac-11kw",
            "--cases", "TC_B_01_CS", "--timeout", "15", "--report", str(report),
        ]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert "TC_B_01_CS  PASS" in out
    assert sorted(p.name for p in report.iterdir()) == [
        "frames.jsonl",
        "junit.xml",
        "report.html",
        "results.json",
    ]
    sut = json.loads((report / "results.json").read_text())["sut"]
    assert (sut["kind"], sut["vendor"], sut["product"]) == ("cs", "OCPPBench", "WB-11")
    assert sut["serial"] == "WB11-SELF-1" and sut["sut_version"]
    assert "Core" in sut["features"] and sut["features_source"] == "read from the station"
    html = (report / "report.html").read_text()
    assert "Serial number" in html and "read from the station" in html
    assert "done by the bench&#39;s own station through its station API" in html
    props = {
        p.get("name"): p.get("value")
        for p in ET.parse(report / "junit.xml").getroot().iter("property")
    }
    assert props["sut.kind"] == "cs" and props["sut.serial"] == "WB11-SELF-1"


def test_a_misbehaving_own_station_fails_with_exit_status_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main(
        [
            "conformance", "cs", "--ocpp", "2.0.1", "--dut-id", "SELF-2", "--self", "ac-11kw",
            "--misbehave", "invalid-field", "--cases", "TC_B_01_CS", "--timeout", "10",
            "--report", str(tmp_path),
        ]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 1
    assert "TC_B_01_CS  FAIL" in out and "valid against the OCPP schema" in out


def test_a_charger_that_never_connects_ends_with_exit_status_3_after_saying_where(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main(
        [
            "conformance", "cs", "--ocpp", "1.6", "--dut-id", "NOBODY", "--cases", "TC_001_CS",
            "--timeout", "0.5", "--report", str(tmp_path),
        ]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 3
    assert "point the charger NOBODY at ws://127.0.0.1:" in captured.out
    assert "did not connect" in captured.err


@pytest.mark.parametrize(
    "extra",
    [
        ["--misbehave", "late-reply"],  # only for the bench's own station
        ["--device", "openevse:/dev/null"],
        ["--set", "additional_root_certificate_check=true"],  # a setting of the own station
        ["--self", "ac-11kw", "--set", "additional_root_certificate_check=maybe"],
        ["--self", "ac-11kw", "--set", "no_such_setting=1"],
        ["--cases", "TC_B_01_CS"],  # a 2.0.1 case in a 1.6 run
        ["--listen", "nowhere"],
    ],
)
def test_bad_usage_ends_with_exit_status_2(tmp_path: Path, extra: list[str]) -> None:
    args = ["conformance", "cs", "--ocpp", "1.6", "--dut-id", "X", "--report", str(tmp_path)]
    assert main(args + extra) == 2


def test_a_self_run_with_the_additional_root_check_set_runs_the_as_2_cases(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--set additional_root_certificate_check=true declares AS-2 for the own station; over
    the bench's own TLS (its CA key kept to sign root 2) the cases of M05.FR.09-16 run."""
    code = main(
        [
            "conformance", "cs", "--ocpp", "2.0.1", "--dut-id", "SELF-3", "--self", "ac-11kw",
            "--tls", "--password", "0123456789abcdef0123",
            "--set", "additional_root_certificate_check=true",
            "--cases", "TC_B_47_CS,TC_M_30_CS", "--timeout", "15", "--report", str(tmp_path),
        ]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert "TC_B_47_CS  PASS" in out and "TC_M_30_CS  PASS" in out
    assert (tmp_path / "bench-csms-root.key").stat().st_mode & 0o077 == 0
