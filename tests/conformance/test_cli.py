"""``ocpp-bench conformance``: the command a lab engineer and a CI job type."""

from __future__ import annotations

import io
import json
import socket
from pathlib import Path

import pytest

from bench.cli import main
from bench.conformance.adapter import load_adapter
from bench.conformance.catalogue import cases
from bench.conformance.cli import BUILTIN, builtin_adapter_path
from bench.conformance.scenarios import all_scenarios


def _lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [line for line in capsys.readouterr().out.splitlines() if line.strip()]


# 2.0.1: 250, not the 247 a search for "TC_<letter>_<nn>_CSMS" finds in part 6 — the
# PDF conversion turned four ids' letters into digits (TC_0_01/25/26_CSMS are block O,
# TC_1_01_CSMS is TC_I_01_CSMS); the catalogue repairs them (its "repairs" field).
@pytest.mark.parametrize(("version", "count"), [("2.0.1", 250), ("1.6", 75)])
def test_list_prints_one_line_per_csms_case_of_the_version(
    capsys: pytest.CaptureFixture[str], version: str, count: int
) -> None:
    assert main(["conformance", "list", "--sut", "csms", "--ocpp", version]) == 0
    lines = _lines(capsys)
    assert len(lines) == count
    case_id, name, _how = lines[0].split("\t")
    assert case_id.endswith("_CSMS") and name
    assert {line.split("\t")[2] for line in lines} <= {
        "auto",
        "adapter",
        "manual",
        "not implemented",
    }


def test_list_says_how_each_case_runs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conformance", "list", "--sut", "csms", "--ocpp", "2.0.1"]) == 0
    how = {line.split("\t")[0]: line.split("\t")[2] for line in _lines(capsys)}
    assert how["TC_B_01_CSMS"] == "auto"  # nothing to do by hand
    assert how["TC_B_20_CSMS"] == "adapter"  # a reset the built-in adapter requests


def test_every_manual_action_of_every_scenario_is_in_the_built_in_adapter() -> None:
    adapter = load_adapter(builtin_adapter_path())
    missing = sorted(
        {key for s in all_scenarios().values() for key in s.manual if not adapter.covers(key)}
    )
    assert missing == []


def test_a_run_against_the_built_in_csms_writes_the_four_report_files(tmp_path: Path) -> None:
    out = io.StringIO()
    from bench.conformance.cli import build_run_args, run_conformance_command

    args = build_run_args(
        [
            "--csms",
            BUILTIN,
            "--ocpp",
            "2.0.1",
            "--cases",
            "TC_B_01_CSMS,TC_B_06_CSMS,TC_B_20_CSMS",
            "--report",
            str(tmp_path),
            "--timeout",
            "15",
        ]
    )
    code = run_conformance_command(args, out)
    text = out.getvalue()
    assert code == 0, text
    for case_id in ("TC_B_01_CSMS", "TC_B_06_CSMS", "TC_B_20_CSMS"):
        assert f"{case_id}  PASS" in text
    assert "3 cases in" in text and "3 pass" in text
    names = {p.name for p in tmp_path.iterdir()}
    assert {"report.html", "junit.xml", "results.json", "frames.jsonl"} <= names
    results = json.loads((tmp_path / "results.json").read_text())
    assert [c["verdict"] for c in results["cases"]] == ["pass", "pass", "pass"]
    # The manual actions went through the shipped adapter and the control API.
    manual = results["cases"][1]["manual"]
    assert manual[0]["by"] == "adapter" and "/call -> 200" in manual[0]["detail"]


def test_an_unknown_case_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "conformance",
            "csms",
            "--csms",
            BUILTIN,
            "--ocpp",
            "2.0.1",
            "--cases",
            "TC_B_99_CSMS",
            "--report",
            str(tmp_path),
        ]
    )
    assert code == 2
    assert "TC_B_99_CSMS" in capsys.readouterr().err


def test_a_csms_that_cannot_be_reached_exits_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = main(
        [
            "conformance",
            "csms",
            "--csms",
            f"ws://127.0.0.1:{port}/ocpp",
            "--ocpp",
            "1.6",
            "--cases",
            cases(sut="csms", version="1.6")[0].id,
            "--report",
            str(tmp_path),
            "--timeout",
            "2",
        ]
    )
    assert code == 3
    assert f"127.0.0.1:{port}" in capsys.readouterr().err
