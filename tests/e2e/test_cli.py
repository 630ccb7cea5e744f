"""The command line as users script it: ``ocpp-bench csms`` and ``ocpp-bench run`` as processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def bench(*args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_env(),
        cwd=ROOT,
    )


@pytest.fixture
def csms_url(tmp_path: Path) -> Iterator[str]:
    tags = tmp_path / "tags.json"
    tags.write_text(json.dumps({"TAG-1": "Accepted", "BLOCKED": {"status": "Blocked"}}))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.cli",
            "csms",
            "--port",
            "0",
            "--quiet",
            "--tags",
            str(tags),
            "--db",
            str(tmp_path / "csms.db"),
        ],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=_env(),
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "ws://127.0.0.1:" in line, line
        yield line.strip().split()[-1]
    finally:
        proc.terminate()
        proc.wait(10)


def test_a_scripted_charging_session_succeeds_and_writes_the_documented_jsonl_log(
    csms_url: str, tmp_path: Path
):
    log = tmp_path / "frames.jsonl"
    result = bench(
        "run",
        "--csms",
        csms_url,
        "--id",
        "CLI-1",
        "--speed",
        "120",
        "--quiet",
        "--db",
        str(tmp_path / "cp.db"),
        "--log",
        str(log),
        "--script",
        "plug 1; present TAG-1; expect 1 Charging within 60; wait 600; "
        "present TAG-1; expect 1 Finishing within 60; unplug 1; expect 1 Available",
    )
    assert result.returncode == 0, result.stderr
    frames = [json.loads(line) for line in log.read_text().splitlines()]
    assert {"ts", "station", "direction", "type", "id", "action", "payload", "valid"} <= set(
        frames[0]
    )
    calls = [f["action"] for f in frames if f["direction"] == "tx" and f["type"] == "CALL"]
    assert calls[0] == "BootNotification"
    # The queued StopTransaction is delivered before the clean disconnect.
    assert "StartTransaction" in calls and "StopTransaction" in calls
    assert all(f["valid"] for f in frames)
    stop = next(f for f in frames if f["action"] == "StopTransaction" and f["type"] == "CALL")
    assert stop["payload"]["reason"] == "Local" and stop["payload"]["meterStop"] > 0


def test_a_failed_expect_exits_non_zero_naming_the_step(csms_url: str, tmp_path: Path):
    result = bench(
        "run",
        "--csms",
        csms_url,
        "--id",
        "CLI-2",
        "--speed",
        "60",
        "--quiet",
        "--db",
        str(tmp_path / "cp.db"),
        "--script",
        "plug 1; present BLOCKED; expect 1 Charging within 5",
    )
    assert result.returncode == 1
    assert "step 3 (expect 1 Charging within 5) failed" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_step_is_one_clear_line_and_exit_code_2(tmp_path: Path):
    result = bench("run", "--csms", "ws://127.0.0.1:9/x", "--id", "X", "--script", "plug 1; fly")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "step 2 (fly): unknown step 'fly'" in result.stderr


def test_an_unknown_station_template_is_reported_without_a_traceback(tmp_path: Path):
    result = bench(
        "run",
        "--csms",
        "ws://127.0.0.1:9/x",
        "--id",
        "X",
        "--station",
        "nope",
        "--db",
        str(tmp_path / "cp.db"),
    )
    assert result.returncode == 2
    assert "nope" in result.stderr and "ac-11kw" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_url_that_is_not_a_websocket_url_is_refused_clearly(tmp_path: Path):
    result = bench(
        "run", "--csms", "http://127.0.0.1:9/x", "--id", "X", "--db", str(tmp_path / "cp.db")
    )
    assert result.returncode == 2
    assert "ws" in result.stderr and "Traceback" not in result.stderr


def test_a_refused_connection_exits_3_with_the_reason(tmp_path: Path):
    import socket

    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = bench(
        "run",
        "--csms",
        f"ws://127.0.0.1:{port}/ocpp",
        "--id",
        "X",
        "--quiet",
        "--db",
        str(tmp_path / "cp.db"),
        "--connect-timeout",
        "3",
    )
    assert result.returncode == 3
    assert "refused" in result.stderr.lower()
    assert "Traceback" not in result.stderr


def test_the_cli_pair_runs_security_profile_3_with_generated_certificates(tmp_path: Path):
    """Security whitepaper §2.5 (profile 3): TLS both ways, from the command line."""
    from tests.core.certs import make_pki

    pki = make_pki(tmp_path)
    client = pki.ca.issue_client(tmp_path, "TLS-1")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.cli",
            "csms",
            "--port",
            "0",
            "--quiet",
            "--accept-unknown-tags",
            "--cert",
            str(pki.server.cert_file),
            "--key",
            str(pki.server.key_file),
            "--client-ca",
            str(pki.ca.cert_file),
        ],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=_env(),
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip().split()[-1]
        assert url.startswith("wss://127.0.0.1:")
        common = [
            "run",
            "--csms",
            url,
            "--id",
            "TLS-1",
            "--quiet",
            "--speed",
            "60",
            "--ca",
            str(pki.ca.cert_file),
            "--connect-timeout",
            "5",
        ]
        ok = bench(
            *common,
            "--db",
            str(tmp_path / "a.db"),
            "--cert",
            str(client.cert_file),
            "--key",
            str(client.key_file),
            "--script",
            "plug 1; present ANY; expect 1 Charging within 60",
        )
        assert ok.returncode == 0, ok.stderr
        refused = bench(*common, "--db", str(tmp_path / "b.db"))  # no client certificate
        assert refused.returncode == 3
        assert "Traceback" not in refused.stderr
    finally:
        proc.terminate()
        proc.wait(10)


def test_without_a_screen_the_bare_command_runs_the_headless_demo(tmp_path: Path):
    """`ocpp-bench` with no arguments and no display: the demo, charging, on the terminal."""
    env = _env()
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        env.pop(name, None)
    env["HOME"] = str(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "ui.launcher"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        seen: list[str] = []
        for _ in range(400):  # bounded: the demo reaches Charging within a few dozen lines
            line = proc.stdout.readline()
            if not line:
                break
            seen.append(line)
            if '"status":"Charging"' in line:
                break
        assert any("Built-in CSMS listening on ws://127.0.0.1:" in s for s in seen)
        assert any('"status":"Charging"' in s for s in seen), "".join(seen[-10:])
    finally:
        proc.terminate()
        proc.wait(10)
    assert "no display" in proc.stderr.read()  # type: ignore[union-attr]


def test_export_writes_the_message_log_of_a_run_as_json_lines(csms_url: str, tmp_path: Path):
    db = tmp_path / "cp.db"
    result = bench(
        "run",
        "--csms",
        csms_url,
        "--id",
        "EXP-1",
        "--quiet",
        "--speed",
        "60",
        "--db",
        str(db),
        "--script",
        "plug 1; present TAG-1; expect 1 Charging",
    )
    assert result.returncode == 0, result.stderr
    out = tmp_path / "starts.jsonl"
    exported = bench("export", "--db", str(db), "--out", str(out), "--action", "StartTransaction")
    assert exported.returncode == 0, exported.stderr
    frames = [json.loads(line) for line in out.read_text().splitlines()]
    assert [f["type"] for f in frames] == ["CALL", "CALLRESULT"]
    assert all(f["station"] == "EXP-1" and f["action"] == "StartTransaction" for f in frames)
    assert f"2 frames written to {out}" in exported.stdout
    missing = bench("export", "--db", str(tmp_path / "nope.db"), "--out", str(out))
    assert missing.returncode == 2 and "no database" in missing.stderr


def test_station_settings_are_set_from_the_command_line(csms_url: str, tmp_path: Path):
    """--set applies the described station settings (boot_seconds, security_extension).

    The reboot step ends once the station is powered again; the script then gives the
    second boot five real seconds, which a busy machine needs, not a few milliseconds.
    """
    log = tmp_path / "frames.jsonl"
    result = bench(
        "run", "--csms", csms_url, "--id", "CLI-SET", "--quiet", "--speed", "60",
        "--db", str(tmp_path / "cp.db"), "--log", str(log),
        "--set", "security_extension=false", "--set", "boot_seconds=0",
        "--script", "reboot; wait 300",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    actions = [f["action"] for f in calls if f["direction"] == "tx" and f["type"] == "CALL"]
    assert actions.count("BootNotification") == 2
    assert "SecurityEventNotification" not in actions


def test_a_bad_station_setting_is_one_clear_line_and_exit_code_2(tmp_path: Path):
    for setting, words in (("boot_seconds=-1", "boot_seconds"), ("colour=red", "unknown")):
        result = bench(
            "run", "--csms", "ws://127.0.0.1:9/x", "--id", "X", "--db",
            str(tmp_path / "cp.db"), "--set", setting,
        )  # fmt: skip
        assert result.returncode == 2, result.stderr
        assert words in result.stderr and "Traceback" not in result.stderr
