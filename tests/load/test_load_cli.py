"""``ocpp-bench load`` as users run it: real Locust processes against the built-in CSMS.

The CSMS, the Locust master and its workers are separate processes on 127.0.0.1
with OS-assigned ports; the checks read what a user reads: Locust's CSV reports,
the exit status, and the CSMS's own database.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ACTIONS_16 = (
    "BootNotification",
    "Heartbeat",
    "StatusNotification",
    "Authorize",
    "StartTransaction",
    "MeterValues",
    "StopTransaction",
)
# Short sessions so a 30 s run sees every action: plug-in within 3 s, 6 s of charging.
QUICK_CHARGING = {
    "stations": 10,
    "spawn_rate": 100,
    "charging": {
        "share": 0.5,
        "session_s": 6,
        "pause_s": 2,
        "start_within_s": 3,
        "meter_interval_s": 2,
    },
}


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _bench(*args: str) -> list[str]:
    return [sys.executable, "-m", "bench.cli", *args]


def _free_port() -> int:
    """A port for the Locust master (Locust takes a number, not 0)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _csms_with_control(tmp_path: Path, *extra: str) -> Iterator[tuple[str, str | None]]:
    """The built-in CSMS: its WebSocket URL, and its control API's URL when
    ``--control-port`` is among ``extra``."""
    proc = subprocess.Popen(
        _bench("csms", "--port", "0", "--quiet", "--db", str(tmp_path / "csms.db"), *extra),
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
        control = None
        if "--control-port" in extra:
            control_line = proc.stdout.readline()
            assert "control API on http://127.0.0.1:" in control_line, control_line
            control = control_line.strip().split()[-1]
        yield line.strip().split()[-1], control
    finally:
        proc.terminate()
        proc.wait(10)


@contextmanager
def _csms(tmp_path: Path, *extra: str) -> Iterator[str]:
    with _csms_with_control(tmp_path, *extra) as (url, _control):
        yield url


def _rows(path: Path) -> dict[tuple[str, str], dict[str, str]]:
    with path.open(newline="") as f:
        return {(r["Type"], r["Name"]): r for r in csv.DictReader(f)}


def _mix(tmp_path: Path, data: dict[str, object]) -> str:
    path = tmp_path / "quick.json"
    path.write_text(json.dumps(data))
    return str(path)


@pytest.mark.timeout(180)
def test_a_master_and_two_workers_run_300_stations_for_30_s_with_every_action_and_no_failure(
    tmp_path: Path,
):
    port = str(_free_port())
    with _csms(tmp_path, "--accept-unknown-tags", "--heartbeat", "5") as url:
        workers = [
            subprocess.Popen(
                _bench("load", "--worker", "--master-host", "127.0.0.1", "--master-port", port),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=_env(),
                cwd=ROOT,
            )
            for _ in range(2)
        ]
        try:
            master = subprocess.run(
                _bench(
                    "load",
                    "--csms",
                    url,
                    "--ocpp",
                    "1.6",
                    "--stations",
                    "300",
                    "--spawn-rate",
                    "100",
                    "--mix",
                    _mix(tmp_path, QUICK_CHARGING),
                    "--run-time",
                    "30s",
                    "--headless",
                    "--master",
                    "--expect-workers",
                    "2",
                    "--master-bind-port",
                    port,
                    "--csv",
                    str(tmp_path / "run"),
                    "--html",
                    str(tmp_path / "run.html"),
                ),
                capture_output=True,
                text=True,
                timeout=150,
                env=_env(),
                cwd=ROOT,
            )
        finally:
            for worker in workers:
                try:
                    worker.wait(30)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait(10)
    assert master.returncode == 0, master.stderr[-3000:]
    rows = _rows(tmp_path / "run_stats.csv")
    for action in ACTIONS_16:
        assert int(rows[("CALL", action)]["Request Count"]) > 0, action
    total = rows[("", "Aggregated")]
    assert int(total["Failure Count"]) == 0, (tmp_path / "run_failures.csv").read_text()
    assert int(rows[("WebSocket", "connect")]["Request Count"]) >= 300
    # Boots and the workers' loop lag are no requests of the CSMS: not in Locust's
    # table (nor its Aggregated row and RPS), but in the run's own CSV, summed over
    # both workers' reports to the master.
    assert {kind for kind, _name in rows} <= {"CALL", "CSMS", "WebSocket", ""}
    with (tmp_path / "run_stations.csv").open(newline="") as f:
        own = {r["Entry"]: r for r in csv.DictReader(f)}
    assert int(own["booted"]["Count"]) == 300
    assert int(own["event loop lag"]["Count"]) > 0
    assert "ocpp-bench" in master.stderr and "event loop lag" in master.stderr  # the summary
    with (tmp_path / "run_stations_history.csv").open(newline="") as f:
        sources = {r["Source"] for r in csv.DictReader(f)}
    assert len(sources) == 2  # one per worker
    assert (tmp_path / "run.html").stat().st_size > 0
    # Ids unique across workers: the CSMS saw 300 distinct stations boot, from two workers.
    db = sqlite3.connect(tmp_path / "csms.db")
    try:
        ids = [row[0] for row in db.execute("SELECT DISTINCT station FROM csms_boots")]
    finally:
        db.close()
    assert len(ids) == 300
    assert {i.split("-")[0] for i in ids} == {"LOAD000", "LOAD001"}


@pytest.mark.timeout(120)
def test_a_csms_answering_heartbeats_with_callerror_makes_failures_and_a_failing_exit_status(
    tmp_path: Path,
):
    fault = "callerror:Heartbeat:InternalError"
    with _csms(tmp_path, "--heartbeat", "1", "--fault", fault) as url:
        result = subprocess.run(
            _bench(
                "load",
                "--csms",
                url,
                "--stations",
                "5",
                "--spawn-rate",
                "5",
                "--mix",
                "boot-storm",
                "--run-time",
                "8s",
                "--headless",
                "--csv",
                str(tmp_path / "run"),
            ),
            capture_output=True,
            text=True,
            timeout=90,
            env=_env(),
            cwd=ROOT,
        )
    assert result.returncode == 1, result.stderr[-3000:]
    assert "exceeds --max-failure-ratio" in result.stderr
    rows = _rows(tmp_path / "run_stats.csv")
    heartbeat = rows[("CALL", "Heartbeat")]
    assert int(heartbeat["Failure Count"]) == int(heartbeat["Request Count"]) > 0
    assert int(rows[("CALL", "BootNotification")]["Failure Count"]) == 0
    with (tmp_path / "run_failures.csv").open(newline="") as f:
        failures = list(csv.DictReader(f))
    assert any(
        r["Name"] == "Heartbeat" and "CALLERROR InternalError" in r["Error"] for r in failures
    )


def test_an_unknown_mix_is_a_usage_error_before_locust_starts(tmp_path: Path):
    result = subprocess.run(
        _bench("load", "--csms", "ws://127.0.0.1:9/", "--mix", "nope", "--headless"),
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(),
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert "no mix named 'nope'" in result.stderr


REMOTE_START_MIX = {
    "stations": 4,
    "spawn_rate": 100,
    "charging": {
        "share": 1,
        "session_s": 4,
        "pause_s": 1,
        "start_within_s": 1,
        "meter_interval_s": 2,
        "remote_start_share": 1,
    },
}


@pytest.mark.timeout(120)
def test_a_remote_start_share_has_the_csms_start_the_sessions_through_its_control_api(
    tmp_path: Path,
):
    # 2.0.1 F01/F02: the CSMS sends RequestStartTransaction with a remoteStartId, and
    # the station's TransactionEvent carries it back: the CSMS's own records say who
    # started each session.
    with _csms_with_control(tmp_path, "--accept-unknown-tags", "--control-port", "0") as (
        url,
        control,
    ):
        assert control is not None
        result = subprocess.run(
            _bench(
                "load",
                "--csms",
                url,
                "--ocpp",
                "2.0.1",
                "--csms-control",
                control,
                "--mix",
                _mix(tmp_path, REMOTE_START_MIX),
                "--run-time",
                "12s",
                "--headless",
                "--csv",
                str(tmp_path / "run"),
            ),
            capture_output=True,
            text=True,
            timeout=90,
            env=_env(),
            cwd=ROOT,
        )
    assert result.returncode == 0, result.stderr[-3000:]
    rows = _rows(tmp_path / "run_stats.csv")
    asked = rows[("control", "remote start")]
    assert int(asked["Request Count"]) >= 4 and int(asked["Failure Count"]) == 0
    assert int(rows[("CSMS", "RequestStartTransaction")]["Request Count"]) >= 4
    db = sqlite3.connect(tmp_path / "csms.db")
    try:
        started = db.execute(
            "SELECT station, remote_start_id, token_type FROM csms201_transactions"
        ).fetchall()
    finally:
        db.close()
    assert len({station for station, _id, _type in started}) == 4
    assert all(remote_id is not None and kind == "Central" for _s, remote_id, kind in started)


def test_a_remote_start_share_without_the_csms_control_api_is_a_usage_error(tmp_path: Path):
    result = subprocess.run(
        _bench(
            "load",
            "--csms",
            "ws://127.0.0.1:9/",
            "--mix",
            _mix(tmp_path, REMOTE_START_MIX),
            "--headless",
        ),
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(),
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert "--csms-control" in result.stderr


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read().decode()


def _wait_for_page(proc: subprocess.Popen[bytes], url: str) -> str:
    for _ in range(600):  # the web UI answers within a minute, even on a busy machine
        if proc.poll() is not None:
            pytest.fail(f"ocpp-bench load exited with {proc.returncode}")
        try:
            return _get(url)[1]
        except OSError:
            try:
                proc.wait(0.1)
            except subprocess.TimeoutExpired:
                continue
    pytest.fail(f"{url} did not answer")


@pytest.mark.timeout(120)
def test_locusts_web_ui_has_a_stations_tab_fed_with_boots_and_loop_lag(tmp_path: Path):
    web = _free_port()
    with _csms(tmp_path) as url:
        proc = subprocess.Popen(
            _bench(
                "load",
                "--csms",
                url,
                "--stations",
                "3",
                "--mix",
                "boot-storm",
                "--web-port",
                str(web),
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=_env(),
            cwd=ROOT,
            start_new_session=True,  # Ctrl+C as a terminal sends it: to Locust too
        )
        try:
            base = f"http://127.0.0.1:{web}"
            page = _wait_for_page(proc, base + "/")
            args = json.loads(page.split("window.templateArgs = ", 1)[1].split("\n", 1)[0])
            assert args["extended_tabs"] == [{"key": "ocpp-bench", "title": "Stations"}]
            status, body = _get(base + "/stats/requests")
            assert status == 200
            [tab] = json.loads(body)["extended_stats"]
            assert tab["key"] == "ocpp-bench"
            assert {row["entry"] for row in tab["data"]} >= {"event loop lag", "booted"}
            status, stations_csv = _get(base + "/ocpp-bench/stations.csv")
            assert status == 200 and stations_csv.startswith("Entry,Count,50%,99%,Max,Unit")
        finally:
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


@pytest.mark.timeout(120)
def test_a_run_ends_promptly_when_a_worker_got_no_station_to_stop(tmp_path: Path):
    # The master waits for every worker to report its stations stopped and counted;
    # a worker that never had a station reports that at once.
    with _csms(tmp_path) as url:
        result = subprocess.run(
            _bench(
                "load",
                "--csms",
                url,
                "--stations",
                "1",
                "--mix",
                "boot-storm",
                "--processes",
                "2",
                "--master-bind-port",
                str(_free_port()),
                "--run-time",
                "6s",
                "--headless",
                "--csv",
                str(tmp_path / "run"),
            ),
            capture_output=True,
            text=True,
            timeout=75,  # under the master's 90 s wait for a worker that never reports
            env=_env(),
            cwd=ROOT,
        )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "did not report their stations stopped" not in result.stderr
    assert (
        int(_rows(tmp_path / "run_stats.csv")[("CALL", "BootNotification")]["Request Count"]) == 1
    )
