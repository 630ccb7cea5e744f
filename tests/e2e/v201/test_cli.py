"""``ocpp-bench run --ocpp 2.0.1``: the same step language as 1.6, against the built-in CSMS."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.test_cli import bench, csms_url  # noqa: F401  (the fixture is used by name)


def test_a_scripted_2_0_1_charging_session_succeeds_with_transaction_events(
    csms_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    """E01/E06 through the CLI: the session starts, charges and ends with TransactionEvents."""
    log = tmp_path / "frames.jsonl"
    result = bench(
        "run",
        "--ocpp",
        "2.0.1",
        "--csms",
        csms_url,
        "--id",
        "CLI-201",
        "--speed",
        "120",
        "--quiet",
        "--db",
        str(tmp_path / "cp.db"),
        "--log",
        str(log),
        "--script",
        "plug 1; expect 1 Occupied; present TAG-1; expect 1 Charging within 60; wait 600; "
        "present TAG-1; unplug 1; expect 1 Available within 60",
    )
    assert result.returncode == 0, result.stderr
    frames = [json.loads(line) for line in log.read_text().splitlines()]
    calls = [f for f in frames if f["direction"] == "tx" and f["type"] == "CALL"]
    assert calls[0]["action"] == "BootNotification"
    assert calls[0]["payload"]["reason"] == "PowerUp"
    events = [f["payload"]["eventType"] for f in calls if f["action"] == "TransactionEvent"]
    assert events[0] == "Started" and events[-1] == "Ended"
    assert all(f["valid"] for f in frames)


def test_an_expect_on_a_2_0_1_station_names_what_it_saw(
    csms_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    result = bench(
        "run",
        "--ocpp",
        "2.0.1",
        "--csms",
        csms_url,
        "--id",
        "CLI-202",
        "--speed",
        "60",
        "--quiet",
        "--db",
        str(tmp_path / "cp.db"),
        "--script",
        "expect 1 Occupied within 5",
    )
    assert result.returncode == 1
    assert "connector 1 is Available, not Occupied" in result.stderr


def test_the_demo_runs_a_2_0_1_station_through_a_whole_session() -> None:
    """``ocpp-bench demo --ocpp 2.0.1``: boot, a transaction Started and Ended, unplugged."""
    result = bench("demo", "--ocpp", "2.0.1", "--speed", "600", "--duration", "12")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert '"reason":"PowerUp"' in out
    assert '"eventType":"Started"' in out and '"eventType":"Ended"' in out
    assert "step 9 (expect 1 Available within 60)" in out
