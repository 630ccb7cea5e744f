"""``ocpp-bench proxy`` as users run it: a process between ``run`` and ``csms``."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_cli import ROOT, _env, bench, csms_url

__all__ = ["csms_url"]  # the fixture, imported for pytest


@pytest.fixture
def proxy_process(csms_url: str, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    rules = tmp_path / "rules.json"
    rules.write_text(
        json.dumps(
            {
                "rules": [
                    {
                        "name": "short heartbeat",
                        "direction": "to_charger",
                        "action": "BootNotification",
                        "type": "CALLRESULT",
                        "then": "replace",
                        "set": {"interval": 42},
                    }
                ]
            }
        )
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.cli",
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            csms_url,
            "--rules",
            str(rules),
            "--db",
            str(tmp_path / "proxy.db"),
            "--log",
            str(tmp_path / "proxy.jsonl"),
            "--quiet",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=_env(),
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("proxy listening on ws://127.0.0.1:"), line
        yield line.split()[3].rstrip(","), proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


@pytest.mark.timeout(180)
def test_a_station_charges_through_the_proxy_command_and_both_logs_hold_both_legs(
    proxy_process: tuple[str, subprocess.Popen[str]], tmp_path: Path
) -> None:
    url, proc = proxy_process
    result = bench(
        "run",
        "--csms",
        url,
        "--id",
        "CLI-P",
        "--speed",
        "60",
        "--quiet",
        "--db",
        str(tmp_path / "cp.db"),
        "--script",
        "plug 1; present TAG-1; expect 1 Charging within 60; wait 300; "
        "present TAG-1; expect 1 Finishing within 60",
    )
    assert result.returncode == 0, result.stderr
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "proxy stopped" in out

    db = sqlite3.connect(tmp_path / "proxy.db")
    rows = db.execute(
        "SELECT leg, direction, type, action, valid FROM messages WHERE station = 'CLI-P'"
    ).fetchall()
    db.close()
    calls = {(leg, action) for leg, direction, kind, action, _ in rows if kind == "CALL"}
    for action in ("BootNotification", "StartTransaction", "StopTransaction"):
        assert ("charger", action) in calls and ("csms", action) in calls
    assert all(valid for _, _, kind, _, valid in rows if kind in ("CALL", "CALLRESULT"))
    lines = [json.loads(line) for line in (tmp_path / "proxy.jsonl").read_text().splitlines()]
    boot = [f for f in lines if f["action"] == "BootNotification" and f["type"] == "CALLRESULT"]
    assert {f["leg"]: f["payload"]["interval"] for f in boot}["charger"] == 42
    assert any(f["type"] == "RULE" and f["payload"]["rule"] == "short heartbeat" for f in lines)


def test_an_unusable_rule_file_is_one_clear_line_and_exit_code_2(tmp_path: Path) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps([{"then": "drop", "when": "always"}]))
    result = bench(
        "proxy", "--listen", "127.0.0.1:0", "--upstream", "ws://127.0.0.1:9", "--rules", str(rules)
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "rule 1: unknown key 'when'" in result.stderr


def test_a_listen_address_without_a_port_is_refused(tmp_path: Path) -> None:
    result = bench("proxy", "--listen", "localhost", "--upstream", "ws://127.0.0.1:9")
    assert result.returncode == 2
    assert "expected HOST:PORT" in result.stderr
