"""UpdateFirmware end to end: real downloads from the CSMS file server and a real FTP server.

1.6 §5.19 (UpdateFirmware), §4.5 (FirmwareStatusNotification), §8.1 (download
URL formats), errata 3.47-3.49 (status sequence, install when valid, wait for
the charging session); whitepaper §8 (FirmwareUpdated security event).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bench.csms.server import CentralSystem
from tests.e2e.conftest import WAIT, CpFactory, start_charging, stopped, wait_until
from tests.e2e.firmware_support import FtpServer, firmware_file

ORIGINAL = "1.0.0"  # set on every test station so a change is unmistakable


@pytest.fixture
async def fw_csms(make_csms: Callable[..., Any], tmp_path: Path) -> CentralSystem:
    return await make_csms(files=tmp_path / "csms-files")


@pytest.fixture
def ftp(tmp_path: Path) -> Iterator[FtpServer]:
    server = FtpServer(tmp_path / "ftp").start()
    yield server
    server.stop()


async def fw_statuses(csms: CentralSystem, *wanted: str, station: str = "CP1") -> list[str]:
    """Wait for FirmwareStatusNotifications with these statuses, in this order."""
    seen = []
    for status in wanted:
        payload = await csms.wait_for_message(
            station, "FirmwareStatusNotification", lambda p, s=status: p["status"] == s, WAIT
        )
        seen.append(payload["status"])
    return seen


def all_fw_statuses(csms: CentralSystem, station: str = "CP1") -> list[str]:
    state = csms._states[station]
    return [m.payload["status"] for m in state.history if m.action == "FirmwareStatusNotification"]


def actions(csms: CentralSystem, station: str = "CP1") -> list[str]:
    return [m.action for m in csms._states[station].history]


async def booted_cp(make_cp: CpFactory, url: str, **kw: Any):
    cp = await make_cp(url, start=False, **kw)
    cp.station.set_firmware_version(ORIGINAL)
    await cp.start()
    await cp.wait_accepted(WAIT)
    return cp


async def test_update_firmware_downloads_from_the_csms_and_reboots_with_the_new_version(
    fw_csms: CentralSystem, make_cp: CpFactory
):
    """1.6 §5.19, §4.5: Downloading, Downloaded, Installing, reboot, Installed."""
    assert fw_csms.files is not None
    url = fw_csms.files.publish("firmware/fw-next.json", firmware_file("2.5.0"))
    cp = await booted_cp(make_cp, fw_csms.url)
    first = await fw_csms.wait_for_message("CP1", "BootNotification", timeout=WAIT)
    assert first["firmwareVersion"] == ORIGINAL

    reply = await fw_csms.update_firmware("CP1", location=url, retrieve_date=cp.clock.now())
    assert reply == {}
    await fw_statuses(fw_csms, "Downloading", "Downloaded", "Installing")
    second = await fw_csms.wait_for_message("CP1", "BootNotification", timeout=WAIT)
    assert second["firmwareVersion"] == "2.5.0"
    await fw_statuses(fw_csms, "Installed")

    assert fw_csms.files.count("GET", "firmware/fw-next.json") == 1
    history = actions(fw_csms)
    # Installed is reported by the new firmware, after its BootNotification (§5.19 note).
    assert history.index("BootNotification", 1) < max(
        i
        for i, m in enumerate(fw_csms._states["CP1"].history)
        if m.action == "FirmwareStatusNotification" and m.payload["status"] == "Installed"
    )
    assert all_fw_statuses(fw_csms) == ["Downloading", "Downloaded", "Installing", "Installed"]
    assert cp.station.identity.firmware_version == "2.5.0"
    await wait_until(lambda: cp.firmware.firmware_status == "Idle", what="Idle after Installed")
    # Whitepaper §8: FirmwareUpdated is a critical security event.
    event = await fw_csms.wait_for_message(
        "CP1", "SecurityEventNotification", lambda p: p["type"] == "FirmwareUpdated", WAIT
    )
    assert "2.5.0" in event.get("techInfo", "")


async def test_update_firmware_waits_for_the_retrieve_date_on_the_virtual_clock(
    fw_csms: CentralSystem, make_cp: CpFactory
):
    """1.6 §6.55: retrieveDate is when the station may retrieve the firmware."""
    assert fw_csms.files is not None
    url = fw_csms.files.publish("fw-3.0.0.bin", b"\x00binary image")
    cp = await booted_cp(make_cp, fw_csms.url)
    retrieve = cp.clock.now().timestamp() + 120  # two virtual minutes: one real second
    await fw_csms.update_firmware(
        "CP1", location=url, retrieve_date=datetime.fromtimestamp(retrieve, UTC)
    )
    await fw_statuses(fw_csms, "Downloading")
    assert cp.clock.now().timestamp() >= retrieve
    await fw_statuses(fw_csms, "Downloaded", "Installing", "Installed")
    # A binary image takes its version from its file name.
    assert cp.station.identity.firmware_version == "3.0.0"


async def test_a_failing_download_is_retried_retries_times_then_reported_failed(
    fw_csms: CentralSystem, make_cp: CpFactory
):
    """1.6 §6.55 retries/retryInterval: 1 + retries attempts, then DownloadFailed."""
    assert fw_csms.files is not None
    cp = await booted_cp(make_cp, fw_csms.url)
    await fw_csms.update_firmware(
        "CP1",
        location=fw_csms.files.url_for("missing/fw-9.9.9.json"),
        retrieve_date=cp.clock.now(),
        retries=2,
        retry_interval=30,
    )
    await fw_statuses(fw_csms, "Downloading", "DownloadFailed")
    assert fw_csms.files.count("GET", "missing/fw-9.9.9.json") == 3
    assert all_fw_statuses(fw_csms) == ["Downloading", "DownloadFailed"]
    assert cp.station.identity.firmware_version == ORIGINAL
    assert actions(fw_csms).count("BootNotification") == 1


async def test_a_download_that_fails_once_succeeds_on_the_retry(
    fw_csms: CentralSystem, make_cp: CpFactory
):
    assert fw_csms.files is not None
    url = fw_csms.files.publish("fw.json", firmware_file("4.0.0"))
    fw_csms.files.fail_next("fw.json", times=1, status=503)
    cp = await booted_cp(make_cp, fw_csms.url)
    await fw_csms.update_firmware(
        "CP1", location=url, retrieve_date=cp.clock.now(), retries=1, retry_interval=10
    )
    await fw_statuses(fw_csms, "Downloading", "Downloaded", "Installing", "Installed")
    assert fw_csms.files.count("GET", "fw.json") == 2
    assert cp.station.identity.firmware_version == "4.0.0"


async def test_injected_download_failure_fails_every_attempt(
    fw_csms: CentralSystem, make_cp: CpFactory
):
    assert fw_csms.files is not None
    url = fw_csms.files.publish("fw.json", firmware_file("4.0.0"))
    cp = await booted_cp(make_cp, fw_csms.url)
    cp.firmware.inject_failure("download", times=2)
    await fw_csms.update_firmware(
        "CP1", location=url, retrieve_date=cp.clock.now(), retries=1, retry_interval=10
    )
    await fw_statuses(fw_csms, "Downloading", "DownloadFailed")
    assert fw_csms.files.count("GET", "fw.json") == 0  # the injected failure stops it first
    assert cp.station.identity.firmware_version == ORIGINAL


async def test_injected_install_failure_reports_installation_failed_and_keeps_the_version(
    fw_csms: CentralSystem, make_cp: CpFactory
):
    assert fw_csms.files is not None
    url = fw_csms.files.publish("fw.json", firmware_file("5.0.0"))
    cp = await booted_cp(make_cp, fw_csms.url)
    cp.firmware.fail_next_install()
    await fw_csms.update_firmware("CP1", location=url, retrieve_date=cp.clock.now())
    await fw_statuses(fw_csms, "Downloading", "Downloaded", "Installing", "InstallationFailed")
    assert cp.station.identity.firmware_version == ORIGINAL
    assert actions(fw_csms).count("BootNotification") == 1


async def test_an_image_without_a_version_installs_as_the_old_version_plus_its_hash(
    fw_csms: CentralSystem, make_cp: CpFactory
):
    """1.6 §5.19: whatever file the CSMS points at installs, and the new firmware's
    BootNotification carries a version derived from the file (issue 10)."""
    assert fw_csms.files is not None
    data = b"\x00an image from the CSMS engineer's desk"
    url = fw_csms.files.publish("fw.bin", data)
    cp = await booted_cp(make_cp, fw_csms.url)
    await fw_csms.wait_for_message("CP1", "BootNotification", timeout=WAIT)
    await fw_csms.update_firmware("CP1", location=url, retrieve_date=cp.clock.now())
    await fw_statuses(fw_csms, "Downloading", "Downloaded", "Installing")
    expected = f"{ORIGINAL}+{hashlib.sha256(data).hexdigest()[:8]}"
    second = await fw_csms.wait_for_message("CP1", "BootNotification", timeout=WAIT)
    assert second["firmwareVersion"] == expected
    await fw_statuses(fw_csms, "Installed")
    assert "InstallationFailed" not in all_fw_statuses(fw_csms)
    assert cp.station.identity.firmware_version == expected


async def test_an_image_marked_not_installable_still_fails_to_install(
    fw_csms: CentralSystem, make_cp: CpFactory
):
    """``installable: false`` provokes InstallationFailed (1.6 §4.5) on purpose."""
    assert fw_csms.files is not None
    url = fw_csms.files.publish("fw.json", json.dumps({"installable": False}).encode())
    cp = await booted_cp(make_cp, fw_csms.url)
    await fw_csms.update_firmware("CP1", location=url, retrieve_date=cp.clock.now())
    await fw_statuses(fw_csms, "Downloaded", "Installing", "InstallationFailed")
    assert cp.station.identity.firmware_version == ORIGINAL
    assert actions(fw_csms).count("BootNotification") == 1


async def test_installation_waits_until_the_transaction_ends(
    fw_csms: CentralSystem, make_cp: CpFactory
):
    """1.6 §5.19 / errata 3.49: wait for the session to end; idle connectors Unavailable."""
    assert fw_csms.files is not None
    url = fw_csms.files.publish("fw.json", firmware_file("6.0.0"))
    cp = await booted_cp(make_cp, fw_csms.url, template="ac-22kw-dual")
    tx_id = await start_charging(cp, fw_csms, connector_id=1)
    await fw_csms.update_firmware("CP1", location=url, retrieve_date=cp.clock.now())
    await fw_statuses(fw_csms, "Downloading", "Downloaded")
    await fw_csms.wait_for_message(
        "CP1",
        "StatusNotification",
        lambda p: p["connectorId"] == 2 and p["status"] == "Unavailable",
        WAIT,
    )
    assert "Installing" not in all_fw_statuses(fw_csms)
    assert cp.station.connector(1).transaction is not None

    await fw_csms.remote_stop_transaction("CP1", tx_id)
    stop = await stopped(fw_csms)
    assert stop["reason"] == "Remote"  # the update did not end the session itself
    await fw_statuses(fw_csms, "Installing", "Installed")
    assert cp.station.identity.firmware_version == "6.0.0"
    # After the update both connectors are operative again.
    await wait_until(lambda: all(c.operative for c in cp.station.connectors), what="operative")


async def test_update_firmware_over_ftp_with_credentials(
    fw_csms: CentralSystem, make_cp: CpFactory, ftp: FtpServer
):
    """1.6 §8.1: ftp://user:password@host:port/path."""
    (ftp.root / "images").mkdir()
    (ftp.root / "images" / "station-7.1.0.bin").write_bytes(b"\x7fELF" + b"\x00" * 4096)
    cp = await booted_cp(make_cp, fw_csms.url)
    await fw_csms.update_firmware(
        "CP1", location=ftp.url("images/station-7.1.0.bin"), retrieve_date=cp.clock.now()
    )
    await fw_statuses(fw_csms, "Downloading", "Downloaded", "Installing")
    second = await fw_csms.wait_for_message(
        "CP1", "BootNotification", lambda p: p["firmwareVersion"] == "7.1.0", WAIT
    )
    assert second["firmwareVersion"] == "7.1.0"
    await fw_statuses(fw_csms, "Installed")
    assert len(ftp.sent) == 1


async def test_a_protocol_missing_from_supported_file_transfer_protocols_is_not_used(
    fw_csms: CentralSystem, make_cp: CpFactory, ftp: FtpServer
):
    """1.6 errata §9.5.1 SupportedFileTransferProtocols."""
    (ftp.root / "fw-1.2.3.bin").write_bytes(b"x")
    cp = await booted_cp(make_cp, fw_csms.url, keys={"SupportedFileTransferProtocols": "HTTP"})
    await fw_csms.update_firmware(
        "CP1", location=ftp.url("fw-1.2.3.bin"), retrieve_date=cp.clock.now(), retries=3
    )
    await fw_statuses(fw_csms, "Downloading", "DownloadFailed")
    assert ftp.sent == []


async def test_the_installed_version_survives_a_restart_of_the_bench(
    fw_csms: CentralSystem, make_cp: CpFactory, tmp_path: Path
):
    assert fw_csms.files is not None
    url = fw_csms.files.publish("fw.json", firmware_file("8.0.0"))
    cp = await booted_cp(make_cp, fw_csms.url, db_path=tmp_path / "cp1.db")
    await fw_csms.update_firmware("CP1", location=url, retrieve_date=cp.clock.now())
    await fw_statuses(fw_csms, "Installed")
    await cp.stop()
    again = await make_cp(fw_csms.url, db_path=tmp_path / "cp1.db")
    assert again.station.identity.firmware_version == "8.0.0"


async def test_supported_file_transfer_protocols_is_reported_read_only(
    csms: CentralSystem, make_cp: CpFactory
):
    await make_cp(csms.url)
    reply = await csms.get_configuration("CP1", ["SupportedFileTransferProtocols"])
    (entry,) = reply["configurationKey"]
    assert entry == {
        "key": "SupportedFileTransferProtocols",
        "readonly": True,
        "value": "FTP,FTPS,HTTP,HTTPS",
    }
    profiles = await csms.get_configuration("CP1", ["SupportedFeatureProfiles"])
    assert "FirmwareManagement" in profiles["configurationKey"][0]["value"]


async def test_with_stop_transactions_for_install_the_reboot_ends_the_session(
    fw_csms: CentralSystem, make_cp: CpFactory
):
    """1.6 §5.19 leaves waiting RECOMMENDED; the bench can also stop the session (reason Reboot)."""
    assert fw_csms.files is not None
    url = fw_csms.files.publish("fw.json", firmware_file("6.1.0"))
    cp = await booted_cp(make_cp, fw_csms.url)
    cp.firmware.stop_transactions_for_install = True
    await start_charging(cp, fw_csms)
    await fw_csms.update_firmware("CP1", location=url, retrieve_date=cp.clock.now())
    stop = await stopped(fw_csms)
    assert stop["reason"] == "Reboot"
    await fw_statuses(fw_csms, "Installed")
    assert cp.station.identity.firmware_version == "6.1.0"
