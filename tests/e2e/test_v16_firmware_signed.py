"""SignedUpdateFirmware end to end (security whitepaper edition 3, L01).

The firmware is downloaded for real from the CSMS file server; its signature
is verified with the signing certificate from the request, and the
certificate against the ManufacturerRootCertificate the CSMS installed with
InstallCertificate (M05).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bench.csms.server import CentralSystem
from bench.csms.transfer_commands import signed_firmware, signed_update_firmware
from bench.firmware_image import sign_firmware
from tests.e2e.conftest import WAIT, CpFactory, wait_until
from tests.e2e.firmware_support import Signer, firmware_file, make_signer

ORIGINAL = "1.0.0"


@pytest.fixture
async def fw_csms(make_csms: Callable[..., Any], tmp_path: Path) -> CentralSystem:
    return await make_csms(files=tmp_path / "csms-files")


@pytest.fixture(scope="module")
def signer() -> Signer:
    return make_signer("ec")


async def station(csms: CentralSystem, make_cp: CpFactory, root: Signer | None = None) -> Any:
    cp = await make_cp(csms.url, start=False)
    cp.station.set_firmware_version(ORIGINAL)
    await cp.start()
    await cp.wait_accepted(WAIT)
    if root is not None:
        reply = await csms.call(
            "CP1",
            "InstallCertificate",
            {"certificateType": "ManufacturerRootCertificate", "certificate": root.root_pem},
        )
        assert reply == {"status": "Accepted"}
    return cp


def signed_statuses(csms: CentralSystem) -> list[tuple[str, int | None]]:
    return [
        (m.payload["status"], m.payload.get("requestId"))
        for m in csms._states["CP1"].history
        if m.action == "SignedFirmwareStatusNotification"
    ]


async def wait_signed(csms: CentralSystem, status: str) -> dict[str, Any]:
    return await csms.wait_for_message(
        "CP1", "SignedFirmwareStatusNotification", lambda p: p["status"] == status, WAIT
    )


async def security_event(csms: CentralSystem, kind: str) -> dict[str, Any]:
    return await csms.wait_for_message(
        "CP1", "SecurityEventNotification", lambda p: p["type"] == kind, WAIT
    )


def publish(csms: CentralSystem, name: str, data: bytes) -> str:
    assert csms.files is not None
    return csms.files.publish(name, data)


@pytest.mark.parametrize("kind", ["ec", "rsa"])
async def test_a_validly_signed_firmware_is_verified_installed_and_reported_with_its_request_id(
    fw_csms: CentralSystem, make_cp: CpFactory, kind: str
):
    """L01 happy flow; L01.FR.01, FR.04, FR.10, FR.15; §8 FirmwareUpdated."""
    signer = make_signer(kind)
    cp = await station(fw_csms, make_cp, signer)
    data = firmware_file("3.2.1")
    url = publish(fw_csms, "signed/fw.json", data)
    firmware = signed_firmware(data, url, cp.clock.now(), signer.cert_pem, signer.key)
    reply = await signed_update_firmware(fw_csms, "CP1", 41, firmware)
    assert reply == {"status": "Accepted"}

    await wait_signed(fw_csms, "InstallRebooting")
    boot = await fw_csms.wait_for_message(
        "CP1", "BootNotification", lambda p: p["firmwareVersion"] == "3.2.1", WAIT
    )
    assert boot["firmwareVersion"] == "3.2.1"
    await wait_signed(fw_csms, "Installed")
    assert signed_statuses(fw_csms) == [
        ("Downloading", 41),
        ("Downloaded", 41),
        ("SignatureVerified", 41),
        ("Installing", 41),
        ("InstallRebooting", 41),
        ("Installed", 41),
    ]
    await security_event(fw_csms, "FirmwareUpdated")
    assert cp.station.identity.firmware_version == "3.2.1"
    # L01.FR.28: after Installed, a trigger reports Idle.
    await wait_until(lambda: cp.firmware.signed_firmware_status == "Idle", what="Idle")


async def test_a_wrong_signature_is_reported_invalid_and_nothing_is_installed(
    fw_csms: CentralSystem, make_cp: CpFactory, signer: Signer
):
    """L01 step 5, L01.FR.03: InvalidSignature + InvalidFirmwareSignature event."""
    cp = await station(fw_csms, make_cp, signer)
    data = firmware_file("6.6.6")
    url = publish(fw_csms, "fw.json", data)
    firmware = signed_firmware(data, url, cp.clock.now(), signer.cert_pem, signer.key)
    firmware["signature"] = sign_firmware(b"some other file", signer.key)
    assert (await signed_update_firmware(fw_csms, "CP1", 7, firmware))["status"] == "Accepted"

    await wait_signed(fw_csms, "InvalidSignature")
    await security_event(fw_csms, "InvalidFirmwareSignature")
    assert signed_statuses(fw_csms) == [
        ("Downloading", 7),
        ("Downloaded", 7),
        ("InvalidSignature", 7),
    ]
    assert cp.station.identity.firmware_version == ORIGINAL
    # L01.FR.29: a trigger reports the last status that is not Installed.
    assert cp.firmware.signed_firmware_status == "InvalidSignature"


async def test_a_certificate_from_another_manufacturer_is_refused_before_any_download(
    fw_csms: CentralSystem, make_cp: CpFactory, signer: Signer
):
    """L01.FR.23/24, L01.FR.02: InvalidCertificate + InvalidFirmwareSigningCertificate."""
    cp = await station(fw_csms, make_cp, signer)
    stranger = make_signer()
    data = firmware_file("6.6.6")
    url = publish(fw_csms, "fw.json", data)
    firmware = signed_firmware(data, url, cp.clock.now(), stranger.cert_pem, stranger.key)
    reply = await signed_update_firmware(fw_csms, "CP1", 8, firmware)
    assert reply == {"status": "InvalidCertificate"}
    await security_event(fw_csms, "InvalidFirmwareSigningCertificate")
    assert fw_csms.files is not None and fw_csms.files.count("GET") == 0
    assert signed_statuses(fw_csms) == []
    assert cp.station.identity.firmware_version == ORIGINAL


async def test_an_expired_signing_certificate_is_invalid_on_the_stations_clock(
    fw_csms: CentralSystem, make_cp: CpFactory
):
    signer = make_signer(days=1)
    cp = await station(fw_csms, make_cp, signer)
    data = firmware_file("6.6.6")
    url = publish(fw_csms, "fw.json", data)
    firmware = signed_firmware(data, url, cp.clock.now(), signer.cert_pem, signer.key)
    # Two virtual days pass in a blink: run the station's clock ahead.
    cp.clock.resume_at(cp.clock.now() + timedelta(days=2))
    reply = await signed_update_firmware(fw_csms, "CP1", 9, firmware)
    assert reply == {"status": "InvalidCertificate"}


@pytest.mark.parametrize(
    ("fault", "reply_status", "final", "event"),
    [
        ("certificate", "InvalidCertificate", None, "InvalidFirmwareSigningCertificate"),
        ("signature", "Accepted", "InvalidSignature", "InvalidFirmwareSignature"),
        ("install", "Accepted", "InstallationFailed", None),
        ("download", "Accepted", "DownloadFailed", None),
    ],
)
async def test_injected_failures_give_the_whitepaper_outcomes(
    fw_csms: CentralSystem,
    make_cp: CpFactory,
    signer: Signer,
    fault: str,
    reply_status: str,
    final: str | None,
    event: str | None,
):
    cp = await station(fw_csms, make_cp, signer)
    cp.firmware.inject_failure(fault)
    data = firmware_file("7.0.0")
    url = publish(fw_csms, "fw.json", data)
    firmware = signed_firmware(data, url, cp.clock.now(), signer.cert_pem, signer.key)
    reply = await signed_update_firmware(fw_csms, "CP1", 5, firmware, retries=0)
    assert reply == {"status": reply_status}
    if final is not None:
        await wait_signed(fw_csms, final)
    if event is not None:
        await security_event(fw_csms, event)
    assert cp.station.identity.firmware_version == ORIGINAL


async def test_without_a_manufacturer_root_the_certificate_is_checked_on_its_own(
    fw_csms: CentralSystem, make_cp: CpFactory, signer: Signer
):
    """Documented fallback: no root installed -> parse, validity and key size only."""
    cp = await station(fw_csms, make_cp)
    data = firmware_file("3.0.0")
    url = publish(fw_csms, "fw.json", data)
    firmware = signed_firmware(data, url, cp.clock.now(), signer.cert_pem, signer.key)
    assert (await signed_update_firmware(fw_csms, "CP1", 1, firmware))["status"] == "Accepted"
    await wait_signed(fw_csms, "Installed")
    # With require_manufacturer_root the same request is refused.
    cp.firmware.require_manufacturer_root = True
    reply = await signed_update_firmware(fw_csms, "CP1", 2, firmware)
    assert reply == {"status": "InvalidCertificate"}


async def test_future_dates_schedule_the_download_and_the_installation(
    fw_csms: CentralSystem, make_cp: CpFactory, signer: Signer
):
    """L01.FR.13 DownloadScheduled, L01.FR.16 InstallScheduled (virtual clock)."""
    cp = await station(fw_csms, make_cp, signer)
    data = firmware_file("4.4.4")
    url = publish(fw_csms, "fw.json", data)
    now = cp.clock.now()
    firmware = signed_firmware(
        data,
        url,
        now + timedelta(seconds=60),
        signer.cert_pem,
        signer.key,
        install_date_time=now + timedelta(seconds=180),
    )
    await signed_update_firmware(fw_csms, "CP1", 12, firmware)
    await wait_signed(fw_csms, "InstallScheduled")
    await wait_signed(fw_csms, "Installed")
    statuses = [s for s, _ in signed_statuses(fw_csms)]
    assert statuses[:5] == [
        "DownloadScheduled",
        "Downloading",
        "Downloaded",
        "SignatureVerified",
        "InstallScheduled",
    ]
    assert cp.clock.now() >= now + timedelta(seconds=180)


async def test_a_second_request_cancels_a_scheduled_update(
    fw_csms: CentralSystem, make_cp: CpFactory, signer: Signer
):
    """L01.FR.26: cancel the ongoing update and answer AcceptedCanceled."""
    cp = await station(fw_csms, make_cp, signer)
    data = firmware_file("5.5.5")
    url = publish(fw_csms, "fw.json", data)
    later = cp.clock.now() + timedelta(hours=10)
    first = signed_firmware(data, url, later, signer.cert_pem, signer.key)
    assert (await signed_update_firmware(fw_csms, "CP1", 1, first))["status"] == "Accepted"
    await wait_signed(fw_csms, "DownloadScheduled")
    second = signed_firmware(data, url, cp.clock.now(), signer.cert_pem, signer.key)
    reply = await signed_update_firmware(fw_csms, "CP1", 2, second)
    assert reply == {"status": "AcceptedCanceled"}
    await wait_signed(fw_csms, "Installed")
    assert {rid for _, rid in signed_statuses(fw_csms)} == {1, 2}
    assert [s for s, rid in signed_statuses(fw_csms) if rid == 1] == ["DownloadScheduled"]
    assert fw_csms.files is not None and fw_csms.files.count("GET", "fw.json") == 1
