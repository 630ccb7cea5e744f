"""Session bundles end to end: record against the built-in CSMS, export, replay.

A station's session is recorded through ``ocpp-bench run --db`` (or a
``StationRun`` where the test must act mid-session), exported with
``ocpp-bench bundle export`` and replayed with ``ocpp-bench replay`` against
a fresh built-in CSMS: with no differences as it is, with the difference
reported (and exit status 1) when the CSMS has a fault injected.
"""

from __future__ import annotations

import asyncio
import json
import sys
import zipfile
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bench.bundle.format import read_bundle
from bench.bundle.replay import Replay, ReplayOptions
from bench.csms.faults import parse_fault
from bench.csms.server import CentralSystem
from bench.model.clock import SystemClock
from bench.runtime import StationOptions, StationRun
from bench.scenarios.steps import parse_script
from tests.e2e.conftest import WAIT
from tests.e2e.test_cli import ROOT, _env

MakeCsms = Callable[..., Awaitable[CentralSystem]]

# Replies may take longer on a busy test machine than when they were recorded; the
# tests about content allow that (timing has its own test, with a deliberate delay).
SLACK = "10"

SCRIPT = (
    "plug 1; present TAG1; expect 1 Charging within 60; wait 300; "
    "present TAG1; expect 1 Finishing within 60; unplug 1; expect 1 Available within 60"
)


async def bench(*args: str, timeout: float = 60) -> tuple[int, str, str]:
    """``ocpp-bench ARGS`` as a process, awaited: the CSMS in this loop keeps serving."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.cli",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
        env=_env(),
        cwd=ROOT,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def record(csms: CentralSystem, tmp_path: Path, station: str = "REC-1") -> Path:
    """A 1.6 charging session recorded with ``run --db`` and exported as a bundle."""
    db = tmp_path / "run.db"
    code, _, err = await bench(
        "run",
        "--csms",
        csms.url,
        "--id",
        station,
        "--speed",
        "120",
        "--set",
        "boot_seconds=0",
        "--quiet",
        "--db",
        str(db),
        "--script",
        SCRIPT,
    )
    assert code == 0, err
    out = tmp_path / "session.bundle"
    code, stdout, err = await bench(
        "bundle", "export", "--db", str(db), "--station", station, "--out", str(out)
    )
    assert code == 0, err
    assert f"frames of {station} written to {out}" in stdout
    return out


@pytest.mark.timeout(180)
async def test_a_bundle_exported_from_a_run_database_holds_frames_template_settings_and_meter(
    csms: CentralSystem, tmp_path: Path
):
    bundle_file = await record(csms, tmp_path)

    with zipfile.ZipFile(bundle_file) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        names = set(zf.namelist())
    assert manifest["format"] == "ocpp-bench-bundle" and manifest["format_version"] == 1
    assert manifest["station"] == "REC-1" and manifest["ocpp"] == "1.6"
    assert {"frames.jsonl", "station.json", "configuration.json", "meter.json"} <= names
    assert "scenario.txt" in names
    # Only the conformance results are missing, and the manifest says why.
    assert set(manifest["missing"]) == {"conformance"}

    bundle = read_bundle(bundle_file)
    calls = [f.action for f in bundle.frames if f.direction == "tx" and f.type == "CALL"]
    assert calls[0] == "BootNotification"
    assert "StartTransaction" in calls and "StopTransaction" in calls
    assert bundle.template is not None and bundle.template["name"] == "ac-11kw"
    assert bundle.ev_template == "family-ev"
    keys = {s["name"]: s["value"] for s in bundle.settings or []}
    assert keys["NumberOfConnectors"] == "1"  # 1.6 §9.1.21: the station's own keys
    assert bundle.scenario is not None and bundle.scenario.splitlines()[0] == "plug 1"
    # The meter trace, in time order: the register from meterStart up to meterStop.
    energy = [
        s["value"]
        for s in bundle.meter
        if s["measurand"] == "Energy.Active.Import.Register" and s["unit"] == "Wh"
    ]
    assert len(energy) >= 2 and energy == sorted(energy) and energy[-1] > energy[0]


@pytest.mark.timeout(180)
async def test_a_bundle_recorded_against_the_built_in_csms_replays_with_no_differences(
    csms: CentralSystem, make_csms: MakeCsms, tmp_path: Path
):
    bundle_file = await record(csms, tmp_path)
    fresh = await make_csms(db_path=tmp_path / "fresh-csms.db")

    code, out, err = await bench(
        "replay", str(bundle_file), "--csms", fresh.url, "--speed", "1000", "--tolerance", SLACK
    )

    assert code == 0, out + err
    assert "no differences" in out
    # The replay reached the CSMS as a whole session: its transaction is closed there.
    # (1.6 §6.49 StopTransaction: the transactionId the fresh CSMS assigned, carried forward.)
    transactions = fresh.transactions("REC-1")
    assert len(transactions) == 1 and transactions[0].stop_ts is not None


@pytest.mark.timeout(180)
async def test_replaying_against_a_csms_with_a_fault_injected_reports_the_difference_and_exits_1(
    csms: CentralSystem, make_csms: MakeCsms, tmp_path: Path
):
    bundle_file = await record(csms, tmp_path)
    broken = await make_csms(
        db_path=tmp_path / "broken-csms.db",
        faults=[parse_fault("reply:StartTransaction:idTagInfo.status=Invalid")],
    )

    code, out, err = await bench(
        "replay", str(bundle_file), "--csms", broken.url, "--speed", "1000", "--tolerance", SLACK
    )

    assert code == 1, out + err
    assert "StartTransaction reply: idTagInfo.status: recorded Accepted, now Invalid" in out
    assert out.splitlines()[-1].endswith(": 1 difference")


@pytest.mark.timeout(120)
async def test_csms_requests_are_answered_as_recorded_and_ids_it_assigns_are_carried_forward(
    csms: CentralSystem, tmp_path: Path
):
    # Recorded: the CSMS asks for a key mid-session; the station answers from its config.
    run = StationRun(
        StationOptions(
            csms_url=csms.url,
            station_id="REC-2",
            db=str(tmp_path / "run.db"),
            speed=120,
            settings={"boot_seconds": "0"},
        )
    )
    await run.start()
    try:
        await run.cp.wait_accepted(WAIT)
        recorded = await csms.call("REC-2", "GetConfiguration", {"key": ["HeartbeatInterval"]})
        await run.run_script(parse_script(SCRIPT, separator=";"))
    finally:
        await run.stop()
    from bench.bundle.export import export_bundle
    from bench.store.db import open_database

    conn = open_database(tmp_path / "run.db")
    try:
        bundle = export_bundle(conn, "REC-2", now=SystemClock().now())
    finally:
        conn.close()

    # Replayed against the same CSMS: it has handed out the recorded transaction id
    # already, so the replay's StopTransaction must carry the new one (1.6 §6.49).
    fresh = csms
    recorded_tx = fresh.transactions("REC-2")[0].id
    replay = Replay(
        bundle,
        ReplayOptions(fresh.url, speed=1000, tolerance_s=float(SLACK), wait=WAIT),
        SystemClock(),
    )
    task = asyncio.create_task(replay.run())
    try:
        await fresh.wait_for_station("REC-2", WAIT, accepted=True)
        answered = await fresh.call("REC-2", "GetConfiguration", {"key": ["HeartbeatInterval"]})
        report = await asyncio.wait_for(task, 60)
    finally:
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    assert answered == recorded  # 1.6 §6.24: the recorded GetConfiguration.conf
    assert report.differences == [], [d.describe() for d in report.differences]
    assert report.answered == 1
    replayed = [t for t in fresh.transactions("REC-2") if t.id != recorded_tx]
    assert len(replayed) == 1 and replayed[0].stop_ts is not None


@pytest.mark.timeout(120)
async def test_a_session_logged_on_the_csms_side_exports_and_replays_like_a_proxy_recording(
    make_csms: MakeCsms, tmp_path: Path
):
    # A log written by the far end, with no run record: what the proxy keeps of a real
    # charger. Its frames name the charger; "rx" there is what the charger sent.
    from bench.bundle.export import NO_RUN, export_bundle
    from bench.csms.config import CsmsConfig
    from bench.store.db import open_database
    from bench.store.messages import MessageLog
    from tests.e2e.conftest import TAGS

    conn = open_database(tmp_path / "far-end.db")
    far_log = MessageLog(conn)
    recorder = CentralSystem(
        CsmsConfig(db_path=tmp_path / "rec-csms.db", tags=dict(TAGS), heartbeat_interval=3600),
        far_log,
    )
    await recorder.start()
    try:
        run = StationRun(
            StationOptions(
                csms_url=recorder.url,
                station_id="FIELD-1",
                db=str(tmp_path / "station.db"),
                speed=120,
                settings={"boot_seconds": "0"},
            )
        )
        await run.start()
        try:
            await run.cp.wait_accepted(WAIT)
            await run.run_script(parse_script(SCRIPT, separator=";"))
        finally:
            await run.stop()
    finally:
        await recorder.stop()
    try:
        far_log.flush()
        bundle = export_bundle(conn, "FIELD-1", now=SystemClock().now())
    finally:
        far_log.close()
        conn.close()

    assert bundle.source == "log" and bundle.ocpp == "1.6"
    assert bundle.missing["template"] == NO_RUN
    first = bundle.frames[0]
    assert (first.direction, first.type, first.action) == ("tx", "CALL", "BootNotification")

    fresh = await make_csms(db_path=tmp_path / "fresh.db")
    report = await Replay(
        bundle, ReplayOptions(fresh.url, speed=1000, tolerance_s=float(SLACK)), SystemClock()
    ).run()

    assert report.differences == [], [d.describe() for d in report.differences]
    assert report.calls == sum(1 for f in bundle.frames if f.direction == "tx" and f.type == "CALL")
    (transaction,) = fresh.transactions("FIELD-1")
    assert transaction.stop_ts is not None


SCRIPT_201 = (
    "plug 1; present TAG1; expect 1 Occupied within 60; wait 300; "
    "present TAG1; unplug 1; expect 1 Available within 60"
)


@pytest.mark.timeout(120)
async def test_a_201_session_replays_with_no_differences_and_a_blocked_token_is_reported(
    csms: CentralSystem, make_csms: MakeCsms, tmp_path: Path
):
    from bench.bundle.export import export_bundle
    from bench.store.db import open_database

    run = StationRun(
        StationOptions(
            csms_url=csms.url,
            station_id="REC-201",
            ocpp="2.0.1",
            db=str(tmp_path / "run.db"),
            speed=120,
            settings={"boot_seconds": "0"},
        )
    )
    await run.start()
    try:
        await run.cp.wait_accepted(WAIT)
        await run.run_script(parse_script(SCRIPT_201, separator=";"))
    finally:
        await run.stop()
    conn = open_database(tmp_path / "run.db")
    try:
        bundle = export_bundle(conn, "REC-201", now=SystemClock().now())
    finally:
        conn.close()
    assert bundle.ocpp == "2.0.1" and bundle.settings  # the device model (B05-B07)
    events = [f for f in bundle.frames if f.action == "TransactionEvent" and f.type == "CALL"]
    assert (
        events[0].payload["eventType"] == "Started" and events[-1].payload["eventType"] == "Ended"
    )

    same = await make_csms(db_path=tmp_path / "same.db")
    clean = await Replay(
        bundle, ReplayOptions(same.url, speed=1000, tolerance_s=float(SLACK)), SystemClock()
    ).run()
    broken = await make_csms(
        db_path=tmp_path / "broken.db",
        faults=[parse_fault("reply:Authorize:idTokenInfo.status=Blocked")],
    )
    faulty = await Replay(
        bundle, ReplayOptions(broken.url, speed=1000, tolerance_s=float(SLACK)), SystemClock()
    ).run()

    assert clean.differences == [], [d.describe() for d in clean.differences]
    # C01.FR.07: the CSMS's verdict on the token is what changed, and nothing else.
    assert [(d.field, d.recorded, d.now) for d in faulty.differences] == [
        ("idTokenInfo.status", "Accepted", "Blocked")
    ]
    assert "Authorize reply" in faulty.differences[0].where


@pytest.mark.timeout(180)
async def test_a_slow_reply_and_a_callerror_are_each_reported_as_differences(
    csms: CentralSystem, make_csms: MakeCsms, tmp_path: Path
):
    bundle = read_bundle(await record(csms, tmp_path))
    broken = await make_csms(
        db_path=tmp_path / "broken.db",
        faults=[
            parse_fault("late:StatusNotification:1.5"),
            parse_fault("callerror:StartTransaction:InternalError"),
        ],
    )
    options = ReplayOptions(broken.url, speed=1000, tolerance_s=0.5)

    report = await Replay(bundle, options, SystemClock()).run()

    found = {(d.where.split(": ", 1)[1], d.field) for d in report.differences}
    assert ("StatusNotification reply", "(latency)") in found
    assert ("StartTransaction reply", "(reply)") in found
    slow = next(d for d in report.differences if d.field == "(latency)")
    assert float(slow.now.split()[0]) >= 1.5, slow.describe()  # held back 1.5 s at least
    refused = next(d for d in report.differences if d.where.endswith("StartTransaction reply"))
    assert (refused.recorded, refused.now) == ("CALLRESULT", "CALLERROR InternalError")


async def test_a_request_unanswered_in_the_recording_and_sent_again_is_played_once(
    csms: CentralSystem,
):
    # 1.6 §3.7: the StatusNotification went out as the link dropped, got no reply, and
    # went again once the station was back. Only the delivery that was answered is played.
    from bench.bundle.format import Bundle
    from bench.kernel.frames import FrameRecord

    t0 = SystemClock().now().timestamp()
    boot = {"chargePointVendor": "Bench", "chargePointModel": "Replay"}
    booted = {"status": "Accepted", "currentTime": "2026-01-01T00:00:00Z", "interval": 3600}
    status = {"connectorId": 1, "status": "Available", "errorCode": "NoError"}

    def frame(at: float, direction: str, kind: str, msg_id: str, action: str, payload: dict):
        return FrameRecord(t0 + at, "LOSSY-1", direction, kind, msg_id, action, payload, True)

    bundle = Bundle(
        "LOSSY-1",
        "1.6",
        [
            frame(0, "tx", "CALL", "b", "BootNotification", boot),
            frame(0.1, "rx", "CALLRESULT", "b", "BootNotification", booted),
            frame(1, "tx", "CALL", "s1", "StatusNotification", status),
            frame(5, "tx", "CALL", "s2", "StatusNotification", status),
            frame(5.1, "rx", "CALLRESULT", "s2", "StatusNotification", {}),
        ],
        "2026-01-01T00:00:00+00:00",
        "log",
    )

    report = await Replay(bundle, ReplayOptions(csms.url, speed=1000), SystemClock()).run()

    assert report.calls == 2 and report.differences == []  # boot and one status, answered
    assert csms.station("LOSSY-1").connectors[1].status == "Available"
