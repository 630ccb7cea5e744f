"""GetDiagnostics and GetLog end to end: real archives, really uploaded.

1.6 §5.9 (GetDiagnostics: one file, its name in the reply), §4.4
(DiagnosticsStatusNotification Uploading, Uploaded/UploadFailed), §6.25
(retries/retryInterval, startTime/stopTime), §8.2 (FTP URLs); whitepaper N01
(GetLog DiagnosticsLog/SecurityLog, LogStatusNotification with the requestId,
AcceptedCanceled).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.csms.server import CentralSystem
from bench.csms.transfer_commands import get_log
from bench.kernel.frames import FanOut
from bench.ocpp.common.archive import unpack
from bench.ocpp.v16.charge_point import ChargePoint16
from bench.store.messages import MessageLog
from tests.e2e.conftest import WAIT, CpFactory, wait_until
from tests.e2e.firmware_support import FtpServer


@pytest.fixture
async def files_csms(make_csms: Callable[..., Any], tmp_path: Path) -> CentralSystem:
    return await make_csms(files=tmp_path / "csms-files")


@pytest.fixture
def ftp(tmp_path: Path) -> Iterator[FtpServer]:
    server = FtpServer(tmp_path / "ftp").start()
    yield server
    server.stop()


async def logged_cp(make_cp: CpFactory, url: str, **kw: Any) -> ChargePoint16:
    """A station whose frames also go to the SQLite message log, as in a real run."""
    cp = await make_cp(url, start=False, **kw)
    cp.session.sink = FanOut(cp.session.sink, MessageLog(cp.db))  # type: ignore[arg-type]
    await cp.start()
    await cp.wait_accepted(WAIT)
    return cp


async def diag_statuses(csms: CentralSystem, *wanted: str) -> None:
    for status in wanted:
        await csms.wait_for_message(
            "CP1", "DiagnosticsStatusNotification", lambda p, s=status: p["status"] == s, WAIT
        )


def history(csms: CentralSystem, action: str) -> list[dict[str, Any]]:
    return [m.payload for m in csms._states["CP1"].history if m.action == action]


def frames_in(archive: bytes) -> list[dict[str, Any]]:
    text = unpack(archive)["messages.jsonl"].decode()
    return [json.loads(line) for line in text.splitlines()]


# --------------------------------------------------------------------------- GetDiagnostics
async def test_diagnostics_are_uploaded_to_the_csms_and_hold_the_stations_log(
    files_csms: CentralSystem, make_cp: CpFactory
):
    """1.6 §5.9 + §4.4: the file named in the reply arrives with the station's frames."""
    assert files_csms.files is not None
    cp = await logged_cp(make_cp, files_csms.url)
    location = files_csms.files.url_for("diagnostics")
    reply = await files_csms.get_diagnostics("CP1", location=location)
    name = reply["fileName"]
    assert name.startswith("CP1-diagnostics-") and name.endswith(".zip")
    await diag_statuses(files_csms, "Uploading", "Uploaded")

    stored = files_csms.files.root / "diagnostics" / name
    members = unpack(stored.read_bytes())
    assert {"manifest.json", "messages.jsonl", "configuration.json", "state.json"} <= set(members)
    actions = [(f["direction"], f["type"], f["action"]) for f in frames_in(stored.read_bytes())]
    assert ("tx", "CALL", "BootNotification") in actions
    assert ("rx", "CALL", "GetDiagnostics") in actions
    assert b"BootNotification" in members["messages.jsonl"]
    config = {e["key"]: e["value"] for e in json.loads(members["configuration.json"])}
    assert config["SupportedFileTransferProtocols"] == "FTP,FTPS,HTTP,HTTPS"
    state = json.loads(members["state.json"])
    assert state["station"] == "CP1" and state["connectors"][0]["status"] == "Available"
    assert [p["status"] for p in history(files_csms, "DiagnosticsStatusNotification")] == [
        "Uploading",
        "Uploaded",
    ]
    assert cp.firmware.diagnostics_status == "Idle"


async def test_diagnostics_hold_only_frames_inside_start_and_stop_time(
    files_csms: CentralSystem, make_cp: CpFactory
):
    """1.6 §6.25 startTime/stopTime."""
    assert files_csms.files is not None
    cp = await logged_cp(make_cp, files_csms.url)
    since = cp.clock.now()
    await files_csms.get_configuration("CP1", ["HeartbeatInterval"])
    until = cp.clock.now()
    reply = await files_csms.get_diagnostics(
        "CP1", location=files_csms.files.url_for("d/"), start_time=since, stop_time=until
    )
    await diag_statuses(files_csms, "Uploaded")
    archive = (files_csms.files.root / "d" / reply["fileName"]).read_bytes()
    actions = {f["action"] for f in frames_in(archive)}
    assert "GetConfiguration" in actions
    assert "BootNotification" not in actions  # before startTime
    assert "GetDiagnostics" not in actions  # after stopTime
    manifest = json.loads(unpack(archive)["manifest.json"])
    assert manifest["startTime"] is not None and manifest["stopTime"] is not None


async def test_diagnostics_by_http_put_to_a_folder_as_tar_gz(
    files_csms: CentralSystem, make_cp: CpFactory
):
    assert files_csms.files is not None
    cp = await logged_cp(make_cp, files_csms.url)
    cp.firmware.archive_format = "tar.gz"
    reply = await files_csms.get_diagnostics("CP1", location=files_csms.files.url_for("put/"))
    assert reply["fileName"].endswith(".tar.gz")
    await diag_statuses(files_csms, "Uploaded")
    assert files_csms.files.count("PUT", f"put/{reply['fileName']}") == 1
    archive = (files_csms.files.root / "put" / reply["fileName"]).read_bytes()
    assert archive[:2] == b"\x1f\x8b"
    assert any(f["action"] == "BootNotification" for f in frames_in(archive))


async def test_a_failing_upload_is_retried_then_reported_failed(
    files_csms: CentralSystem, make_cp: CpFactory
):
    """1.6 §6.25 (errata 3.50): retries after the first attempt, then UploadFailed."""
    assert files_csms.files is not None
    cp = await logged_cp(make_cp, files_csms.url)
    files_csms.files.fail_next("broken", times=10, status=500)
    await files_csms.get_diagnostics(
        "CP1", location=files_csms.files.url_for("broken"), retries=2, retry_interval=20
    )
    await diag_statuses(files_csms, "Uploading", "UploadFailed")
    assert files_csms.files.count("POST", "broken") == 3
    assert files_csms.files.uploads == []
    assert cp.firmware.diagnostics_status == "Idle"


async def test_an_injected_upload_failure_is_recovered_by_the_retry(
    files_csms: CentralSystem, make_cp: CpFactory
):
    assert files_csms.files is not None
    cp = await logged_cp(make_cp, files_csms.url)
    cp.firmware.fail_next_upload()
    await files_csms.get_diagnostics(
        "CP1", location=files_csms.files.url_for("u/"), retries=1, retry_interval=10
    )
    await diag_statuses(files_csms, "Uploading", "Uploaded")
    assert len(files_csms.files.uploads) == 1


async def test_diagnostics_upload_over_ftp(
    files_csms: CentralSystem, make_cp: CpFactory, ftp: FtpServer
):
    """1.6 §8.2: ftp://user:password@host:port/path, the path a directory."""
    (ftp.root / "diag").mkdir()
    await logged_cp(make_cp, files_csms.url)
    reply = await files_csms.get_diagnostics("CP1", location=ftp.url("diag/"))
    await diag_statuses(files_csms, "Uploading", "Uploaded")
    archive = (ftp.root / "diag" / reply["fileName"]).read_bytes()
    assert any(f["action"] == "BootNotification" for f in frames_in(archive))


# --------------------------------------------------------------------------- GetLog
async def log_statuses(csms: CentralSystem, request_id: int, *wanted: str) -> None:
    for status in wanted:
        await csms.wait_for_message(
            "CP1",
            "LogStatusNotification",
            lambda p, s=status: p["status"] == s and p.get("requestId") == request_id,
            WAIT,
        )


async def test_get_log_diagnostics_log_is_uploaded_with_the_request_id(
    files_csms: CentralSystem, make_cp: CpFactory
):
    """N01.FR.01/02/04/07/08/09."""
    assert files_csms.files is not None
    cp = await logged_cp(make_cp, files_csms.url)
    reply = await get_log(files_csms, "CP1", "DiagnosticsLog", 31, files_csms.files.url_for("logs"))
    assert reply["status"] == "Accepted"
    await log_statuses(files_csms, 31, "Uploading", "Uploaded")
    archive = (files_csms.files.root / "logs" / reply["filename"]).read_bytes()
    assert any(f["action"] == "BootNotification" for f in frames_in(archive))
    assert [p for p in history(files_csms, "LogStatusNotification")] == [
        {"status": "Uploading", "requestId": 31},
        {"status": "Uploaded", "requestId": 31},
    ]
    assert cp.firmware.log_status == "Idle"


async def test_get_log_security_log_uploads_the_security_events(
    files_csms: CentralSystem, make_cp: CpFactory
):
    """N01.FR.03, N01.FR.05: the security log holds the events as they occurred."""
    assert files_csms.files is not None
    cp = await logged_cp(make_cp, files_csms.url)
    cp.security.notify("TamperDetectionActivated", "lid opened")
    await files_csms.wait_for_message(
        "CP1",
        "SecurityEventNotification",
        lambda p: p["type"] == "TamperDetectionActivated",
        WAIT,
    )
    reply = await get_log(files_csms, "CP1", "SecurityLog", 32, files_csms.files.url_for("sec/"))
    assert reply["status"] == "Accepted"
    assert "security-log" in reply["filename"]
    await log_statuses(files_csms, 32, "Uploading", "Uploaded")
    members = unpack((files_csms.files.root / "sec" / reply["filename"]).read_bytes())
    events = [json.loads(line) for line in members["security.jsonl"].decode().splitlines()]
    tamper = [e for e in events if e["type"] == "TamperDetectionActivated"]
    assert tamper and tamper[0]["techInfo"] == "lid opened"
    assert "messages.jsonl" not in members


async def test_a_second_get_log_cancels_the_running_upload(
    files_csms: CentralSystem, make_cp: CpFactory
):
    """N01.FR.11: cancel the ongoing upload and answer AcceptedCanceled."""
    assert files_csms.files is not None
    cp = await logged_cp(make_cp, files_csms.url)
    files_csms.files.fail_next("slow", times=100, status=503)
    first = await get_log(
        files_csms,
        "CP1",
        "DiagnosticsLog",
        1,
        files_csms.files.url_for("slow"),
        retries=50,
        retry_interval=3600,
    )
    assert first["status"] == "Accepted"
    await log_statuses(files_csms, 1, "Uploading")
    await files_csms.files.wait_for_requests(1, "POST", "slow", timeout=WAIT)
    assert cp.firmware.log_status == "Uploading" and cp.firmware.log_request_id == 1
    second = await get_log(files_csms, "CP1", "DiagnosticsLog", 2, files_csms.files.url_for("ok"))
    assert second["status"] == "AcceptedCanceled"
    await log_statuses(files_csms, 2, "Uploading", "Uploaded")
    assert [p["requestId"] for p in history(files_csms, "LogStatusNotification")] == [1, 2, 2]
    assert files_csms.files.count("POST", "slow") == 1


async def test_get_log_reports_permission_denied_precisely(
    files_csms: CentralSystem, make_cp: CpFactory
):
    """N01.FR.10: a status as precise as possible."""
    assert files_csms.files is not None
    await logged_cp(make_cp, files_csms.url)
    files_csms.files.fail_next("locked", times=5, status=403)
    await get_log(files_csms, "CP1", "DiagnosticsLog", 4, files_csms.files.url_for("locked"))
    await log_statuses(files_csms, 4, "Uploading", "PermissionDenied")
    assert files_csms.files.count("POST", "locked") == 1  # a retry would not change a 403


async def test_get_log_to_an_unsupported_protocol_is_rejected(
    files_csms: CentralSystem, make_cp: CpFactory
):
    await logged_cp(make_cp, files_csms.url, keys={"SupportedFileTransferProtocols": "HTTP,HTTPS"})
    reply = await get_log(files_csms, "CP1", "SecurityLog", 5, "ftp://127.0.0.1/logs/")
    assert reply == {"status": "Rejected"}
    assert history(files_csms, "LogStatusNotification") == []


async def test_get_log_over_ftp(files_csms: CentralSystem, make_cp: CpFactory, ftp: FtpServer):
    await logged_cp(make_cp, files_csms.url)
    reply = await get_log(files_csms, "CP1", "SecurityLog", 6, ftp.url(""))
    await log_statuses(files_csms, 6, "Uploading", "Uploaded")
    await wait_until(lambda: (ftp.root / reply["filename"]).exists(), what="the uploaded log")


async def test_status_senders_report_idle_when_nothing_runs_and_uploading_during_an_upload(
    files_csms: CentralSystem, make_cp: CpFactory
):
    """1.6 §4.4 / N01.FR.12: Idle (without requestId) only when no upload runs.

    These are the senders TriggerMessage / ExtendedTriggerMessage use.
    """
    assert files_csms.files is not None
    cp = await logged_cp(make_cp, files_csms.url)
    await cp.firmware.send_diagnostics_status()
    await cp.firmware.send_log_status()
    await cp.firmware.send_firmware_status()
    await cp.firmware.send_signed_firmware_status()
    assert history(files_csms, "DiagnosticsStatusNotification") == [{"status": "Idle"}]
    assert history(files_csms, "LogStatusNotification") == [{"status": "Idle"}]
    assert history(files_csms, "FirmwareStatusNotification") == [{"status": "Idle"}]
    assert history(files_csms, "SignedFirmwareStatusNotification") == [{"status": "Idle"}]

    files_csms.files.fail_next("busy", times=100, status=503)
    await get_log(
        files_csms,
        "CP1",
        "DiagnosticsLog",
        9,
        files_csms.files.url_for("busy"),
        retries=50,
        retry_interval=3600,
    )
    await files_csms.files.wait_for_requests(1, "POST", "busy", timeout=WAIT)
    await cp.firmware.send_log_status()
    assert history(files_csms, "LogStatusNotification")[-1] == {
        "status": "Uploading",
        "requestId": 9,
    }
