"""``ocpp-bench proxy`` as users run it: a process between ``run`` and ``csms``."""

from __future__ import annotations

import asyncio
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


async def _boot_round_trip(url: str) -> float:
    """Seconds from a raw charger's BootNotification to its reply, through the proxy."""
    from websockets.asyncio.client import connect

    loop = asyncio.get_running_loop()
    async with connect(f"{url}/CLI-F", subprotocols=["ocpp1.6"], proxy=None) as charger:
        began = loop.time()
        boot = {"chargePointVendor": "Lab", "chargePointModel": "Wallbox"}
        await charger.send(json.dumps([2, "b1", "BootNotification", boot]))
        reply = json.loads(await asyncio.wait_for(charger.recv(), 30))
        assert reply[:2] == [3, "b1"], reply
        return loop.time() - began


@pytest.mark.timeout(120)
def test_impair_holds_every_charger_leg_and_the_console_shows_changes_and_clears_it(
    csms_url: str, tmp_path: Path
) -> None:
    """--impair is each proxied charger's start; ``impair ID ...`` on stdin changes one."""
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "bench.cli", "proxy", "--listen", "127.0.0.1:0"),
            *("--upstream", csms_url, "--quiet"),
            *("--impair", "latency 300ms", "--impair", "jitter 100ms"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.PIPE,
        text=True,
        env=_env(),
        cwd=ROOT,
    )
    assert proc.stdout is not None and proc.stdin is not None

    def console(command: str) -> str:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(command + "\n")
        proc.stdin.flush()
        return proc.stdout.readline().strip()

    try:
        line = proc.stdout.readline()
        assert line.startswith("proxy listening on ws://127.0.0.1:"), line
        url = line.split()[3].rstrip(",")
        shown = proc.stdout.readline().strip()
        assert shown == "network faults on every charger leg: latency 300ms jitter 100ms"
        # Each way at least the latency less the jitter: 2 x 200 ms for the round trip.
        assert asyncio.run(_boot_round_trip(url)) >= 0.4 - 0.01
        assert console("impair CLI-F") == (
            "CLI-F: charger leg: latency 300ms jitter 100ms; csms leg: off"
        )
        assert console("impair CLI-F loss lots").startswith("error: loss: expected a percentage")
        # (The charger has gone, or is going: the answer may add "when CLI-F connects".)
        assert console("impair CLI-F off").startswith("CLI-F: charger leg: off")
        assert console("impair CLI-F") == "CLI-F: charger leg: off; csms leg: off"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert "proxy stopped" in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("loss lots", "--impair 'loss lots': loss: expected a percentage"),
        ("dnsfail", "--impair 'dnsfail': dnsfail and tlsfail act where the charger opens"),
    ],
)
def test_an_unusable_impair_option_is_one_clear_line_and_exit_code_2(spec: str, says: str) -> None:
    result = bench(
        "proxy", "--listen", "127.0.0.1:0", "--upstream", "ws://127.0.0.1:9", "--impair", spec
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert says in result.stderr
