"""Firmware files, their signatures and diagnostics archives (pure logic).

Whitepaper L01.FR.04/L01.FR.12 (signature over the whole file, SHA-256, with
the signing certificate), L01.FR.23/24 (certificate checked against the
Manufacturer root), A00.FR.502/503 (key sizes); 1.6 §5.9 (one archive file).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bench.firmware_image import (
    CertificateProblem,
    ImageError,
    check_signing_certificate,
    derived_version,
    read_image,
    sign_firmware,
    verify_signature,
    version_from_name,
)
from bench.ocpp.common.archive import archive_name, pack, unpack
from tests.e2e.firmware_support import firmware_file, make_certificate, make_signer

NOW = dt.datetime.now(dt.UTC)


# --------------------------------------------------------------------------- the file format
def test_a_json_manifest_gives_the_version_and_installability():
    image = read_image(firmware_file("2.0.0", notes="x"), "http://h/whatever.json")
    assert (image.version, image.installable) == ("2.0.0", True)
    assert read_image(firmware_file("2.0.1", installable=False)).installable is False
    assert len(image.sha256) == 64


@pytest.mark.parametrize(
    "data", [b'{"version": ""}', b'{"version": 3}', b'{"version": "' + b"9" * 51 + b'"}']
)
def test_a_manifest_naming_an_unusable_version_cannot_be_installed(data: bytes):
    with pytest.raises(ImageError):
        read_image(data, "http://h/fw-1.0.0.json", "1.0.0")


def test_a_binary_image_takes_its_version_from_the_file_name():
    assert read_image(b"\x7fELF...", "ftp://u:p@h/fw/station-3.1.4.bin").version == "3.1.4"


@pytest.mark.parametrize(
    "data",
    [b"\x7fELF...", b"{not json", b'{"notes": "no version"}', b'{"other": "json"}', b"[1, 2]"],
)
def test_any_file_without_a_version_installs_as_the_old_version_plus_its_hash(data: bytes):
    """Whatever file a CSMS points at installs; the hash tells different files apart."""
    image = read_image(data, "http://h/firmware.bin", "1.0.0")
    assert image.version == f"1.0.0+{hashlib.sha256(data).hexdigest()[:8]}"
    assert image.installable


def test_a_derived_version_replaces_the_build_metadata_and_fits_ciString50():
    digest = hashlib.sha256(b"x").hexdigest()
    assert derived_version("1.0.0+0badc0de", digest) == "1.0.0+" + digest[:8]
    long = derived_version("9" * 60, digest)
    assert len(long) == 50 and long.endswith("+" + digest[:8])


def test_a_manifest_without_a_version_that_is_not_installable_still_fails():
    image = read_image(b'{"installable": false}', "http://h/firmware.json", "1.0.0")
    assert not image.installable


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("http://h/fw-2.1.0.bin", "2.1.0"),
        ("http://h/a/station_v3.0.1-rc1.img", "3.0.1-rc1"),
        ("http://h/fw.2.0.tar.gz", "2.0"),
        ("http://h/fw%2D4.5.6.bin", "4.5.6"),
        ("http://h/firmware.bin", None),
        ("http://h/", None),
    ],
)
def test_versions_in_file_names(name: str, version: str | None):
    assert version_from_name(name) == version


# --------------------------------------------------------------------------- signatures
@pytest.mark.parametrize("kind", ["ec", "rsa"])
def test_a_signature_over_the_whole_file_verifies_and_a_changed_file_does_not(kind: str):
    signer = make_signer(kind)
    data = firmware_file("9.0.0") + b" " * 100
    signature = sign_firmware(data, signer.key)
    assert verify_signature(signer.cert, data, signature)
    assert not verify_signature(signer.cert, data + b"!", signature)
    other = make_signer(kind)
    assert not verify_signature(other.cert, data, signature)


def test_rsa_pkcs1v15_signatures_are_accepted_too():
    signer = make_signer("rsa")
    data = b"firmware"
    raw = signer.key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    assert verify_signature(signer.cert, data, base64.b64encode(raw).decode())


@pytest.mark.parametrize("signature", ["", "not base64 at all!", "AAAA"])
def test_missing_or_garbled_signatures_are_invalid(signature: str):
    """L01 step 5: a missing signature is an invalid signature."""
    signer = make_signer()
    assert not verify_signature(signer.cert, b"data", signature)


# --------------------------------------------------------------------------- certificates
def test_a_signing_certificate_issued_by_the_installed_root_is_valid():
    signer = make_signer()
    assert check_signing_certificate(signer.cert_pem, NOW, [signer.root]) == signer.cert


def test_a_signing_certificate_from_another_manufacturer_is_refused():
    signer, stranger = make_signer(), make_signer()
    with pytest.raises(CertificateProblem, match="not issued"):
        check_signing_certificate(signer.cert_pem, NOW, [stranger.root])


def test_without_an_installed_root_only_the_certificate_itself_is_checked():
    signer = make_signer()
    assert check_signing_certificate(signer.cert_pem, NOW, []) == signer.cert


def test_an_expired_or_not_yet_valid_certificate_is_refused():
    signer = make_signer(days=1)
    with pytest.raises(CertificateProblem, match="expired"):
        check_signing_certificate(signer.cert_pem, NOW + dt.timedelta(days=3), [signer.root])
    with pytest.raises(CertificateProblem, match="not valid before"):
        check_signing_certificate(signer.cert_pem, NOW - dt.timedelta(days=3), [signer.root])


def test_a_weak_rsa_key_is_refused():
    """A00.FR.502: RSA keys of at least 2048 bits."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    cert = make_certificate("weak", key)
    from cryptography.hazmat.primitives import serialization

    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    with pytest.raises(CertificateProblem, match="2048"):
        check_signing_certificate(pem, NOW, [])


def test_garbage_is_not_a_certificate():
    with pytest.raises(CertificateProblem):
        check_signing_certificate("-----BEGIN CERTIFICATE-----\nAAAA\n", NOW, [])


# --------------------------------------------------------------------------- archives
@pytest.mark.parametrize("fmt", ["zip", "tar.gz"])
def test_archives_round_trip_with_their_manifest(fmt: str):
    files = {"messages.jsonl": b'{"a":1}\n', "configuration.json": b"[]"}
    data = pack(files, fmt, {"kind": "diagnostics"}, NOW)
    members = unpack(data)
    assert members["messages.jsonl"] == b'{"a":1}\n'
    assert json.loads(members["manifest.json"]) == {"kind": "diagnostics"}
    assert (data[:2] == b"PK") == (fmt == "zip")


def test_archive_names_are_safe_file_names():
    name = archive_name("CP/1 ../x", "diagnostics", dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC))
    assert name == "CP_1_.._x-diagnostics-20260102T030405Z.zip"
    assert "/" not in name
    with pytest.raises(ValueError):
        archive_name("CP1", "diagnostics", NOW, "rar")


def test_a_manifest_can_say_the_image_installs_but_does_not_start() -> None:
    """``activates: false``: installable, but the new firmware does not start (L01.FR.29)."""
    image = read_image(b'{"version": "7.0.0", "activates": false}', "fw.json", "1.0.0")
    assert image.installable and not image.activates
    assert read_image(b'{"version": "7.0.0"}', "fw.json", "1.0.0").activates
