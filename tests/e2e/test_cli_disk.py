"""``ocpp-bench run`` on disks that refuse it, as a process (issue 11).

- A station database on a 256 KiB tmpfs fills up during the run: the CSMS still
  gets every MeterValues / TransactionEvent once and the StopTransaction / Ended,
  and the run ends with status 5 and one line naming what was not saved.
- A ``--db`` or ``--log`` the station cannot use (a directory, not SQLite, on a
  read-only file system) is one clear line and status 2, never a traceback.

The tmpfs cases mount real file systems and need root (CI runs as root); they
skip and say so otherwise.
"""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bench.cli import EXIT_UNSAVED, EXIT_USAGE
from bench.csms import v201_tx
from bench.csms.server import CentralSystem
from bench.store.db import open_database
from tests.disks import tmpfs
from tests.e2e.conftest import WAIT
from tests.e2e.test_cli import ROOT, _env, bench

START = 90.0  # real seconds for a fresh interpreter to run the whole script on a busy machine
SAMPLES = 40  # meter values in the transaction: 2400 s at the default 60 s interval
SCRIPT = "plug 1; present TAG1; expect 1 {status} within 60; wait 2400; present TAG1; wait 30"


async def run_on_tiny_disk(url: str, station: str, ocpp: str, disk: Path) -> tuple[int, str]:
    args = ["run", "--csms", url, "--id", station, "--ocpp", ocpp, "--speed", "240", "--quiet"]
    status = "Charging" if ocpp == "1.6" else "Occupied"
    args += ["--db", str(disk / "station.db"), "--script", SCRIPT.format(status=status)]
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.cli",
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        env=_env(),
        cwd=ROOT,
    )
    try:
        _out, err = await asyncio.wait_for(proc.communicate(), START)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode is not None
    return proc.returncode, err.decode()


def assert_says_what_was_not_saved(code: int, stderr: str, disk: Path) -> None:
    assert code == EXIT_UNSAVED == 5, stderr
    assert "Traceback" not in stderr
    (line,) = [x for x in stderr.splitlines() if "not saved" in x]
    assert line.startswith("ocpp-bench: not saved, the disk refused the writes")
    assert "database or disk is full" in line and str(disk / "station.db") in line


@pytest.mark.parametrize("ocpp", ["1.6", "2.0.1"])
async def test_a_station_database_on_a_full_256k_disk_loses_no_transaction_message(
    ocpp: str,
    make_csms: Callable[..., Awaitable[CentralSystem]],
    tmp_path: Path,
) -> None:
    """1.6 §3.7 / E04, E11: the disk fills during the session; every transaction message
    still reaches the CSMS once, MemoryExhaustion is reported (whitepaper §8 / part 2
    appendix 1), and the run ends non-zero saying what only memory held."""
    csms = await make_csms()
    station = "DISK16" if ocpp == "1.6" else "DISK201"
    with tmpfs(tmp_path / "disk", "256k") as disk:
        code, stderr = await run_on_tiny_disk(csms.url, station, ocpp, disk)
    assert_says_what_was_not_saved(code, stderr, disk)
    await csms.wait_for_message(
        station, "SecurityEventNotification", lambda p: p["type"] == "MemoryExhaustion", WAIT
    )
    if ocpp == "1.6":
        (tx,) = csms.transactions(station)
        assert tx.reason == "Local"  # the StopTransaction arrived
        readings = Counter(
            r.timestamp for r in csms.meter_values(tx.id) if r.origin == "MeterValues"
        )
        assert len(readings) >= SAMPLES - 3  # the sampler never stopped (timer jitter aside)
        assert len(set(readings.values())) == 1  # each MeterValues stored once
    else:
        events = v201_tx.tx_events(csms.store.conn, station)
        seq_nos = sorted(e.seq_no for e in events)
        assert seq_nos == list(range(len(events)))  # none missing, none twice
        assert len(events) >= SAMPLES - 3
        assert max(events, key=lambda e: e.seq_no).event_type == "Ended"


URL = "ws://127.0.0.1:9/never-reached"


def assert_one_clear_line(result, *words: str) -> None:
    assert result.returncode == EXIT_USAGE == 2, result.stderr
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("ocpp-bench: ")
    for word in words:
        assert word in line


def test_a_directory_as_the_database_is_one_clear_line(tmp_path: Path) -> None:
    result = bench("run", "--csms", URL, "--id", "X", "--quiet", "--db", str(tmp_path))
    assert_one_clear_line(result, str(tmp_path), "is a directory")


def test_a_file_that_is_not_sqlite_as_the_database_is_one_clear_line(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("these are not the rows you are looking for\n" * 100)
    result = bench("run", "--csms", URL, "--id", "X", "--quiet", "--db", str(notes))
    assert_one_clear_line(result, str(notes), "not a SQLite database")


def read_only_disk(tmp_path: Path, prepare: Callable[[Path], None] | None = None):
    return tmpfs(tmp_path / "ro", "256k", read_only=True, prepare=prepare)


@pytest.mark.parametrize("existing", [False, True], ids=["new file", "existing database"])
def test_a_database_on_a_read_only_file_system_is_one_clear_line(
    tmp_path: Path, existing: bool
) -> None:
    def make_database(where: Path) -> None:
        open_database(where / "station.db").close()  # a station database made earlier

    with read_only_disk(tmp_path, make_database if existing else None) as disk:
        db = disk / "station.db"
        result = bench("run", "--csms", URL, "--id", "X", "--quiet", "--db", str(db))
    assert_one_clear_line(result, str(db), "read-only")


def test_a_log_file_on_a_read_only_file_system_is_one_clear_line(tmp_path: Path) -> None:
    with read_only_disk(tmp_path) as disk:
        log = disk / "frames.jsonl"
        result = bench(
            "run", "--csms", URL, "--id", "X", "--quiet", "--db", str(tmp_path / "s.db"),
            "--log", str(log),
        )  # fmt: skip
    assert_one_clear_line(result, str(log), "Read-only file system")
