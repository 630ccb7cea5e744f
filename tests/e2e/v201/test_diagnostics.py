"""GetLog of 2.0.1 (N01) over a loopback CSMS whose HTTP file server receives the uploads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.csms.server import CentralSystem
from bench.ocpp.common.archive import unpack
from tests.e2e.conftest import WAIT, wait_until
from tests.e2e.v201.sec_support import PASSWORD, set_variable, statuses, stored


@pytest.fixture
async def fw_csms(make_csms, tmp_path: Path) -> CentralSystem:
    return await make_csms(files=tmp_path / "files")


def get_log(csms: CentralSystem, log_type: str, request_id: int, path: str = "logs/", **extra):
    assert csms.files is not None
    log = {"remoteLocation": csms.files.url_for(path), **extra}
    return {"logType": log_type, "requestId": request_id, "log": log, "retries": 0}


async def test_a_diagnostics_log_is_uploaded_with_its_status_notifications(
    fw_csms, make_cp201
) -> None:
    """N01.FR.01 Accepted with the file name; N01.FR.02/04 one diagnostics file uploaded;
    N01.FR.07-09 Uploading then Uploaded with the requestId; A01.FR.12: the write-only
    BasicAuthPassword is not in it."""
    cp = await make_cp201(fw_csms.url)
    await set_variable(fw_csms, "SecurityCtrlr", "BasicAuthPassword", PASSWORD)
    reply = await fw_csms.call("CS1", "GetLog", get_log(fw_csms, "DiagnosticsLog", 5))
    assert reply["status"] == "Accepted" and reply["filename"].endswith(".zip")
    [path] = await fw_csms.files.wait_for_upload(1, WAIT)
    assert path.name == reply["filename"]
    await wait_until(lambda: statuses(fw_csms, "LogStatusNotification")[-1:] == ["Uploaded"])
    assert stored(fw_csms, "LogStatusNotification") == [
        {"status": "Uploading", "requestId": 5},
        {"status": "Uploaded", "requestId": 5},
    ]
    files = unpack(path.read_bytes())
    assert {"manifest.json", "messages.jsonl", "device_model.json", "state.json"} <= set(files)
    model = json.loads(files["device_model.json"])
    names = {(v["component"]["name"], v["variable"]["name"]) for v in model}
    assert ("OCPPCommCtrlr", "HeartbeatInterval") in names
    assert ("SecurityCtrlr", "BasicAuthPassword") not in names
    assert PASSWORD.encode() not in path.read_bytes()
    assert json.loads(files["state.json"])["station"] == cp.station.id


async def test_the_security_log_is_uploaded(fw_csms, make_cp201) -> None:
    """N01.FR.03: logType SecurityLog uploads the security events (A04.FR.04)."""
    cp = await make_cp201(fw_csms.url)
    cp.security.notify("InvalidMessages", "garbled frame")
    reply = await fw_csms.call("CS1", "GetLog", get_log(fw_csms, "SecurityLog", 6))
    assert reply["status"] == "Accepted" and "security-log" in reply["filename"]
    [path] = await fw_csms.files.wait_for_upload(1, WAIT)
    lines = unpack(path.read_bytes())["security.jsonl"].decode().splitlines()
    types = [json.loads(line)["type"] for line in lines]
    assert "StartupOfTheDevice" in types and "InvalidMessages" in types


async def test_a_failing_upload_reports_the_failure(fw_csms, make_cp201) -> None:
    """N01.FR.10: a refused upload ends with PermissionDenied (HTTP 403), an unsupported
    protocol is Rejected at once (N01.FR.05)."""
    await make_cp201(fw_csms.url)
    fw_csms.files.fail_next("upload", 5, status=403)
    payload = get_log(fw_csms, "DiagnosticsLog", 8, path="upload")  # a POST location
    reply = await fw_csms.call("CS1", "GetLog", payload)
    assert reply["status"] == "Accepted"
    await wait_until(lambda: len(stored(fw_csms, "LogStatusNotification")) == 2, WAIT)
    assert statuses(fw_csms, "LogStatusNotification") == ["Uploading", "PermissionDenied"]
    ftp = {"logType": "DiagnosticsLog", "requestId": 9, "log": {"remoteLocation": "ftp://h/x/"}}
    assert (await fw_csms.call("CS1", "GetLog", ftp))["status"] == "Rejected"


async def test_a_new_get_log_cancels_the_running_upload(fw_csms, make_cp201) -> None:
    """N01.FR.12: AcceptedCanceled for the new request; N01.FR.20: the cancelled upload
    reports AcceptedCanceled with its own requestId."""
    cp = await make_cp201(fw_csms.url)
    cp.diagnostics.inject_failure("upload", 1)  # the first attempt fails, the retry waits
    slow = get_log(fw_csms, "DiagnosticsLog", 30)
    slow["retries"], slow["retryInterval"] = 2, 3600
    assert (await fw_csms.call("CS1", "GetLog", slow))["status"] == "Accepted"
    await wait_until(lambda: cp.diagnostics.uploading, WAIT)
    await wait_until(lambda: stored(fw_csms, "LogStatusNotification"), WAIT)
    reply = await fw_csms.call("CS1", "GetLog", get_log(fw_csms, "SecurityLog", 31))
    assert reply["status"] == "AcceptedCanceled"
    await wait_until(
        lambda: {"status": "Uploaded", "requestId": 31} in stored(fw_csms, "LogStatusNotification")
    )
    assert {"status": "AcceptedCanceled", "requestId": 30} in stored(
        fw_csms, "LogStatusNotification"
    )


async def test_a_triggered_log_status_is_idle_without_an_upload(fw_csms, make_cp201) -> None:
    """F06.FR.15 / N01.FR.13: LogStatusNotification Idle without a requestId."""
    await make_cp201(fw_csms.url)
    reply = await fw_csms.call(
        "CS1", "TriggerMessage", {"requestedMessage": "LogStatusNotification"}
    )
    assert reply["status"] == "Accepted"
    await wait_until(lambda: stored(fw_csms, "LogStatusNotification"), WAIT)
    assert stored(fw_csms, "LogStatusNotification") == [{"status": "Idle"}]
