"""Block L of 2.0.1 over a loopback CSMS with its HTTP file server (L01, L02, L03, L04).

Firmware files are in the bench's format (``bench.firmware_image``); signatures
are made with a manufacturer root and a Firmware Signing certificate.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bench.csms.server import CentralSystem
from bench.firmware_image import sign_firmware
from bench.model.templates import load_station_template, with_settings
from bench.ocpp.common.timestamps import iso
from tests.e2e.conftest import WAIT, wait_until
from tests.e2e.firmware_support import Signer, firmware_file, make_signer
from tests.e2e.v201.conftest import request
from tests.e2e.v201.sec_support import security_event, stored

SIGNED_STEPS = [
    "Downloading",
    "Downloaded",
    "SignatureVerified",
    "Installing",
    "InstallRebooting",
    "Installed",
]


@pytest.fixture
async def fw_csms(make_csms, tmp_path: Path) -> CentralSystem:
    return await make_csms(files=tmp_path / "files")


@pytest.fixture
def signer() -> Signer:
    return make_signer("ec")


def firmware_statuses(csms: CentralSystem) -> list[str]:
    return [p["status"] for p in stored(csms, "FirmwareStatusNotification")]


def update_request(
    cp: Any, url: str, request_id: int, signer: Signer | None = None, data: bytes = b"", **extra
) -> dict[str, Any]:
    firmware: dict[str, Any] = {"location": url, "retrieveDateTime": iso(cp.clock.now())}
    if signer is not None:
        firmware["signingCertificate"] = signer.cert_pem
        firmware["signature"] = sign_firmware(data, signer.key)
    firmware.update(extra)
    return {"requestId": request_id, "retries": 0, "retryInterval": 1, "firmware": firmware}


async def install_root(csms: CentralSystem, signer: Signer) -> None:
    payload = {"certificateType": "ManufacturerRootCertificate", "certificate": signer.root_pem}
    assert (await csms.call("CS1", "InstallCertificate", payload))["status"] == "Accepted"


async def test_a_signed_update_runs_every_step_and_reboots_into_the_new_firmware(
    fw_csms, make_cp201, signer
) -> None:
    """L01: Downloading, Downloaded, SignatureVerified (L01.FR.04), Installing,
    InstallRebooting before the reboot (L01.FR.15), Installed from the new firmware
    (L01.FR.28/32a), each with the requestId (L01.FR.10); the boot reason is FirmwareUpdate,
    the new version is in BootNotification and FirmwareUpdated follows (L01.FR.31)."""
    cp = await make_cp201(fw_csms.url)
    await install_root(fw_csms, signer)
    data = firmware_file("2.0.1-bench")
    url = fw_csms.files.publish("fw/station-2.0.1.json", data)
    reply = await fw_csms.call("CS1", "UpdateFirmware", update_request(cp, url, 7, signer, data))
    assert reply["status"] == "Accepted"
    await wait_until(lambda: "Installed" in firmware_statuses(fw_csms), WAIT, "Installed")
    assert firmware_statuses(fw_csms) == SIGNED_STEPS
    assert {p["requestId"] for p in stored(fw_csms, "FirmwareStatusNotification")} == {7}
    boots = request(cp, "BootNotification")
    assert boots[-1]["reason"] == "FirmwareUpdate"
    assert boots[-1]["chargingStation"]["firmwareVersion"] == "2.0.1-bench"
    await security_event(fw_csms, "FirmwareUpdated")
    assert not cp.firmware.installing
    # L01.FR.25: after Installed a triggered notification says Idle.
    reply = await fw_csms.call(
        "CS1", "TriggerMessage", {"requestedMessage": "FirmwareStatusNotification"}
    )
    assert reply["status"] == "Accepted"
    await wait_until(lambda: firmware_statuses(fw_csms)[-1] == "Idle", WAIT, "Idle")
    assert "requestId" not in stored(fw_csms, "FirmwareStatusNotification")[-1]


async def test_a_firmware_update_whose_signature_check_fails_by_injection(
    fw_csms, make_cp201, signer
) -> None:
    """L01.FR.03: an injected signature failure gives InvalidSignature and the
    InvalidFirmwareSignature security event; nothing is installed, no reboot;
    L01.FR.26: a trigger then repeats the last status with its requestId."""
    cp = await make_cp201(fw_csms.url)
    await install_root(fw_csms, signer)
    version = cp.station.identity.firmware_version
    data = firmware_file("6.6.6")
    url = fw_csms.files.publish("fw-6.6.6.json", data)
    cp.firmware.inject_failure("signature")
    reply = await fw_csms.call("CS1", "UpdateFirmware", update_request(cp, url, 9, signer, data))
    assert reply["status"] == "Accepted"
    await security_event(fw_csms, "InvalidFirmwareSignature")
    await wait_until(lambda: firmware_statuses(fw_csms)[-1:] == ["InvalidSignature"], WAIT)
    assert firmware_statuses(fw_csms) == ["Downloading", "Downloaded", "InvalidSignature"]
    assert cp.station.identity.firmware_version == version
    assert len(request(cp, "BootNotification")) == 1
    await fw_csms.call("CS1", "TriggerMessage", {"requestedMessage": "FirmwareStatusNotification"})
    await wait_until(lambda: len(firmware_statuses(fw_csms)) == 4, WAIT, "the triggered status")
    assert stored(fw_csms, "FirmwareStatusNotification")[-1] == {
        "status": "InvalidSignature",
        "requestId": 9,
    }


async def test_a_signing_certificate_from_another_manufacturer_is_refused(
    fw_csms, make_cp201, signer
) -> None:
    """L01.FR.21/22: the certificate is checked before the reply: InvalidCertificate, and
    L01.FR.02: the InvalidFirmwareSigningCertificate security event; no download."""
    cp = await make_cp201(fw_csms.url)
    await install_root(fw_csms, signer)
    stranger = make_signer("ec")
    data = firmware_file("1.2.3")
    url = fw_csms.files.publish("fw-1.2.3.json", data)
    reply = await fw_csms.call("CS1", "UpdateFirmware", update_request(cp, url, 3, stranger, data))
    assert reply["status"] == "InvalidCertificate"
    await security_event(fw_csms, "InvalidFirmwareSigningCertificate")
    assert fw_csms.files.count("GET") == 0


async def test_a_plain_update_installs_at_once_without_a_reboot(fw_csms, make_cp201) -> None:
    """L02: no signature: Downloading, Downloaded, Installing, Installed (L02.FR.20) when the
    firmware activates without a reboot; the station reports the new version."""
    cp = await make_cp201(fw_csms.url)
    cp.firmware.reboot_to_install = False
    url = fw_csms.files.publish("plain/fw-3.0.0.bin", b"\x00binary image")
    reply = await fw_csms.call("CS1", "UpdateFirmware", update_request(cp, url, 11))
    assert reply["status"] == "Accepted"
    await wait_until(lambda: "Installed" in firmware_statuses(fw_csms), WAIT, "Installed")
    assert firmware_statuses(fw_csms) == ["Downloading", "Downloaded", "Installing", "Installed"]
    assert cp.station.identity.firmware_version == "3.0.0"
    assert len(request(cp, "BootNotification")) == 1


async def test_an_image_without_a_version_installs_and_boots_with_a_version_from_its_hash(
    fw_csms, make_cp201
) -> None:
    """L02: an arbitrary file installs (no InstallVerificationFailed); the new firmware's
    BootNotification carries the old version plus the file's hash (issue 10)."""
    cp = await make_cp201(fw_csms.url)
    before = cp.station.identity.firmware_version
    data = b"\x00whatever image the CSMS engineer had"
    url = fw_csms.files.publish("fw.bin", data)
    reply = await fw_csms.call("CS1", "UpdateFirmware", update_request(cp, url, 13))
    assert reply["status"] == "Accepted"
    await wait_until(lambda: "Installed" in firmware_statuses(fw_csms), WAIT, "Installed")
    assert firmware_statuses(fw_csms) == [
        "Downloading",
        "Downloaded",
        "Installing",
        "InstallRebooting",
        "Installed",
    ]
    expected = f"{before}+{hashlib.sha256(data).hexdigest()[:8]}"
    boots = request(cp, "BootNotification")
    assert boots[-1]["reason"] == "FirmwareUpdate"
    assert boots[-1]["chargingStation"]["firmwareVersion"] == expected


async def test_an_image_marked_not_installable_fails_installation(fw_csms, make_cp201) -> None:
    """L01.FR.29: ``installable: false`` is the bench's way to provoke InstallationFailed."""
    cp = await make_cp201(fw_csms.url)
    before = cp.station.identity.firmware_version
    url = fw_csms.files.publish("fw-9.9.9.json", firmware_file("9.9.9", installable=False))
    reply = await fw_csms.call("CS1", "UpdateFirmware", update_request(cp, url, 14))
    assert reply["status"] == "Accepted"
    await wait_until(lambda: "InstallationFailed" in firmware_statuses(fw_csms), WAIT)
    assert cp.station.identity.firmware_version == before
    assert len(request(cp, "BootNotification")) == 1


async def test_a_download_that_keeps_failing_ends_in_download_failed(fw_csms, make_cp201) -> None:
    """L01.FR.30: after 1 + retries attempts DownloadFailed."""
    cp = await make_cp201(fw_csms.url)
    url = fw_csms.files.url_for("missing.json")
    payload = update_request(cp, url, 12)
    payload["retries"] = 1
    assert (await fw_csms.call("CS1", "UpdateFirmware", payload))["status"] == "Accepted"
    await wait_until(lambda: "DownloadFailed" in firmware_statuses(fw_csms), WAIT)
    assert firmware_statuses(fw_csms) == ["Downloading", "Downloading", "DownloadFailed"]
    assert fw_csms.files.count("GET", "missing.json") == 2


async def test_a_new_update_cancels_a_scheduled_one(fw_csms, make_cp201) -> None:
    """L01.FR.13: a future retrieveDateTime is DownloadScheduled; L01.FR.24: a new
    UpdateFirmware cancels it (AcceptedCanceled) and runs instead."""
    cp = await make_cp201(fw_csms.url)
    cp.firmware.reboot_to_install = False
    url = fw_csms.files.publish("fw-4.0.0.json", firmware_file("4.0.0"))
    later = iso(cp.clock.now() + timedelta(days=1))
    first = update_request(cp, url, 20, retrieveDateTime=later)
    assert (await fw_csms.call("CS1", "UpdateFirmware", first))["status"] == "Accepted"
    await wait_until(lambda: firmware_statuses(fw_csms) == ["DownloadScheduled"], WAIT)
    second = update_request(cp, url, 21)
    assert (await fw_csms.call("CS1", "UpdateFirmware", second))["status"] == "AcceptedCanceled"
    await wait_until(lambda: "Installed" in firmware_statuses(fw_csms), WAIT, "Installed")
    assert [p["requestId"] for p in stored(fw_csms, "FirmwareStatusNotification")][1:] == [21] * 4


async def test_publish_and_unpublish_are_answered_as_a_station_that_is_no_local_controller(
    fw_csms, make_cp201
) -> None:
    """L03.FR.05: PublishFirmware answered (Rejected: not a local controller); L04.FR.03:
    UnpublishFirmware NoFirmware; F06 + L03.FR.10/11: PublishFirmwareStatusNotification Idle;
    F06.FR.16: FirmwareStatusNotification Idle when no update runs."""
    await make_cp201(fw_csms.url)
    publish = {"location": "http://127.0.0.1/fw.bin", "checksum": "0" * 32, "requestId": 1}
    reply = await fw_csms.call("CS1", "PublishFirmware", publish)
    assert reply["status"] == "Rejected"
    reply = await fw_csms.call("CS1", "UnpublishFirmware", {"checksum": "0" * 32})
    assert reply == {"status": "NoFirmware"}
    for message in ("PublishFirmwareStatusNotification", "FirmwareStatusNotification"):
        reply = await fw_csms.call("CS1", "TriggerMessage", {"requestedMessage": message})
        assert reply["status"] == "Accepted"
        await wait_until(lambda m=message: stored(fw_csms, m), WAIT, message)
        assert stored(fw_csms, message) == [{"status": "Idle"}]


async def test_an_image_that_fails_verification_reports_installing_first(
    fw_csms, make_cp201
) -> None:
    """L01.FR.29, TC_L_08_CS: the image is verified as its installation begins, so the
    station reports Installing and then InstallVerificationFailed; no reboot follows."""
    cp = await make_cp201(fw_csms.url)
    before = cp.station.identity.firmware_version
    url = fw_csms.files.publish("fw-bad.json", b'{"version": ""}')
    reply = await fw_csms.call("CS1", "UpdateFirmware", update_request(cp, url, 15))
    assert reply["status"] == "Accepted"
    await wait_until(lambda: "InstallVerificationFailed" in firmware_statuses(fw_csms), WAIT)
    assert firmware_statuses(fw_csms) == [
        "Downloading",
        "Downloaded",
        "Installing",
        "InstallVerificationFailed",
    ]
    assert cp.station.identity.firmware_version == before
    assert len(request(cp, "BootNotification")) == 1


async def test_an_image_that_does_not_start_reports_installation_failed_after_the_reboot(
    fw_csms, make_cp201
) -> None:
    """L01.FR.15/29: ``activates: false`` installs, reboots with reason FirmwareUpdate and
    comes back on the old firmware, which reports InstallationFailed (no FirmwareUpdated)."""
    cp = await make_cp201(fw_csms.url)
    before = cp.station.identity.firmware_version
    url = fw_csms.files.publish("fw-7.0.0.json", firmware_file("7.0.0", activates=False))
    reply = await fw_csms.call("CS1", "UpdateFirmware", update_request(cp, url, 16))
    assert reply["status"] == "Accepted"
    await wait_until(lambda: "InstallationFailed" in firmware_statuses(fw_csms), WAIT)
    assert firmware_statuses(fw_csms) == [
        "Downloading",
        "Downloaded",
        "Installing",
        "InstallRebooting",
        "InstallationFailed",
    ]
    boots = request(cp, "BootNotification")
    assert [b["reason"] for b in boots][-1] == "FirmwareUpdate"
    assert boots[-1]["chargingStation"]["firmwareVersion"] == before
    assert cp.station.identity.firmware_version == before
    events = [p["type"] for p in stored(fw_csms, "SecurityEventNotification")]
    assert "FirmwareUpdated" not in events


async def test_a_station_doing_secure_updates_only_refuses_an_unsigned_update(
    fw_csms, make_cp201
) -> None:
    """L01.FR.21 (TC_L_18_CS): with the unsigned_firmware setting off there is no signing
    certificate to validate: InvalidCertificate, and no download starts."""
    secure_only = with_settings(load_station_template("ac-11kw"), unsigned_firmware=False)
    cp = await make_cp201(fw_csms.url, template=secure_only)
    url = fw_csms.files.publish("plain/fw-3.0.0.bin", b"\x00binary image")
    reply = await fw_csms.call("CS1", "UpdateFirmware", update_request(cp, url, 12))
    assert reply["status"] == "InvalidCertificate"
    assert firmware_statuses(fw_csms) == []
    assert fw_csms.files.count("GET") == 0
