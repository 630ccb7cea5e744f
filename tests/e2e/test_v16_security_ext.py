"""The 1.6 security extension end to end: security events, certificates, ExtendedTriggerMessage.

Real loopback WebSockets against the built-in CSMS; certificates are made in
the test with ``cryptography`` (tests/core/certs.py and the CSMS's own CA).
Security profiles and their upgrades are in test_v16_security_ext_profiles.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bench.csms.certificates import (
    CertificateAuthority,
    certificate_signed,
    delete_certificate,
    extended_trigger_message,
    get_installed_certificate_ids,
    install_certificate,
)
from bench.ocpp.common.certificates import hash_data, load_pem_certificates
from tests.core.certs import Pki, make_ca, make_pki
from tests.e2e.conftest import WAIT, status_sent, wait_until
from tests.e2e.security_ext_support import (
    CPO,
    csms_events,
    security_event,
    security_events,
)

CS_ROOT = "CentralSystemRootCertificate"
MF_ROOT = "ManufacturerRootCertificate"


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return make_pki(tmp_path / "pki")


# ----------------------------------------------------------------------- security events
async def test_startup_is_a_security_event_the_csms_receives_after_the_boot(csms, make_cp) -> None:
    """Whitepaper §8 StartupOfTheDevice (critical), A04.FR.01/03; A04.FR.04: also logged."""
    cp = await make_cp(csms.url)
    event = await security_event(csms, "StartupOfTheDevice")
    assert event["timestamp"].endswith("Z")
    assert [e["type"] for e in cp.security.security_log()] == ["StartupOfTheDevice"]
    assert cp.security.security_log()[0]["critical"] is True
    await wait_until(lambda: not cp.security.pending_notifications(), what="an empty queue")


async def test_a_reset_is_reported_as_reset_or_reboot(csms, make_cp) -> None:
    """Whitepaper §8 ResetOrReboot."""
    cp = await make_cp(csms.url)
    assert (await csms.reset("CP1", "Soft"))["status"] == "Accepted"
    event = await security_event(csms, "ResetOrReboot")
    assert event.get("techInfo") == "SoftReset"
    assert cp.registration == "Accepted"


async def test_events_raised_while_offline_arrive_in_order_with_their_own_time(
    csms, make_cp
) -> None:
    """A04.FR.02: queued while disconnected, delivered in order once connected again."""
    cp = await make_cp(csms.url)
    await security_event(csms, "StartupOfTheDevice")
    cp.cut_network()
    await wait_until(lambda: not cp.online, what="offline")
    cp.security.notify("TamperDetectionActivated", "door opened")
    cp.security.notify("MemoryExhaustion")
    queued = cp.security.pending_notifications()
    assert [q["type"] for q in queued] == ["TamperDetectionActivated", "MemoryExhaustion"]
    cp.restore_network()
    await security_event(csms, "MemoryExhaustion")
    types = [e["type"] for e in security_events(csms)]
    assert types[-2:] == ["TamperDetectionActivated", "MemoryExhaustion"]
    got = security_events(csms)[-2]
    assert got["timestamp"] == queued[0]["timestamp"]
    assert got["techInfo"] == "door opened"


async def test_queued_events_survive_a_restart_of_the_station(csms, make_cp, tmp_path) -> None:
    """A04.FR.02 (guaranteed delivery): the queue is persisted with the station."""
    db = tmp_path / "cp.db"
    cp = await make_cp(csms.url, db_path=db)
    cp.cut_network()
    await wait_until(lambda: not cp.online, what="offline")
    cp.security.notify("TamperDetectionActivated", "lid")
    await cp.stop(drain_timeout=0.1)
    again = await make_cp(csms.url, db_path=db)
    event = await security_event(csms, "TamperDetectionActivated")
    assert event["techInfo"] == "lid"
    assert [e["type"] for e in again.security.security_log()][-2:] == [
        "TamperDetectionActivated",
        "StartupOfTheDevice",
    ]


async def test_a_wrong_password_is_logged_and_reported_once_the_station_gets_in(
    make_csms, make_cp
) -> None:
    """Whitepaper §8 FailedToAuthenticationAtCentralSystem on HTTP 401 (§2.3)."""
    csms = await make_csms(basic_auth={"CP1": "ffeeddccbbaa99887766554433221100"})
    cp = await make_cp(csms.url, password="00112233445566778899aabbccddeeff", wait_accepted=False)
    await wait_until(
        lambda: any(
            e["type"] == "FailedToAuthenticationAtCentralSystem" for e in cp.security.security_log()
        ),
        what="the event in the security log",
    )
    assert csms.config.basic_auth is not None
    csms.config.basic_auth["CP1"] = "00112233445566778899aabbccddeeff"  # the CPO fixes it
    event = await security_event(csms, "FailedToAuthenticationAtCentralSystem")
    assert "401" in event["techInfo"]
    # One event per kind of failure, not one per retry.
    failures = [e for e in security_events(csms) if e["type"] == event["type"]]
    assert len(failures) == 1


async def test_an_untrusted_csms_certificate_is_an_invalid_central_system_certificate_event(
    make_csms, make_cp, pki: Pki, tmp_path: Path
) -> None:
    """A00.FR.309/413: verification of the server certificate failed."""
    from tests.core.certs import server_ssl_context

    stranger = make_ca(tmp_path / "other", "Some Other Root")
    csms = await make_csms(ssl_context=server_ssl_context(pki.server))
    cp = await make_cp(
        csms.url.replace("ws://", "wss://"),
        ca_file=str(stranger.cert_file),
        wait_accepted=False,
    )
    entry = await wait_until(
        lambda: next(
            (
                e
                for e in cp.security.security_log()
                if e["type"] == "InvalidCentralSystemCertificate"
            ),
            None,
        ),
        what="InvalidCentralSystemCertificate",
    )
    assert "certificate" in entry["techInfo"].lower()
    assert not cp.accepted


# ----------------------------------------------------------------------- M03 / M04 / M05
async def test_install_list_and_delete_a_root_certificate(csms, make_cp, tmp_path) -> None:
    """M05.FR.02, M03.FR.02-04, M04.FR.02/04: a full round trip with hash data."""
    await make_cp(csms.url)
    root = make_ca(tmp_path / "mf", "Maker Root")
    pem = root.cert_file.read_text()
    assert (await get_installed_certificate_ids(csms, "CP1", MF_ROOT)) == {"status": "NotFound"}
    assert (await install_certificate(csms, "CP1", MF_ROOT, pem))["status"] == "Accepted"
    listed = await get_installed_certificate_ids(csms, "CP1", MF_ROOT)
    assert listed["status"] == "Accepted"
    expected = hash_data(load_pem_certificates(pem)[0])
    assert listed["certificateHashData"] == [expected]
    assert (await get_installed_certificate_ids(csms, "CP1", CS_ROOT)) == {"status": "NotFound"}
    assert (await delete_certificate(csms, "CP1", expected))["status"] == "Accepted"
    assert (await get_installed_certificate_ids(csms, "CP1", MF_ROOT)) == {"status": "NotFound"}
    assert (await delete_certificate(csms, "CP1", expected))["status"] == "NotFound"
    await security_event(csms, "ReconfigurationOfSecurityParameters")


async def test_install_certificate_rejects_garbage_and_a_full_store(
    csms, make_cp, tmp_path
) -> None:
    """M05.FR.06 (invalid: Rejected), M05.FR.03 (CertificateStoreMaxLength: Rejected)."""
    await make_cp(csms.url, keys={"CertificateStoreMaxLength": "1"})
    bad = "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n"
    assert (await install_certificate(csms, "CP1", CS_ROOT, bad))["status"] == "Rejected"
    first = make_ca(tmp_path / "a", "Root A").cert_file.read_text()
    second = make_ca(tmp_path / "b", "Root B").cert_file.read_text()
    assert (await install_certificate(csms, "CP1", CS_ROOT, first))["status"] == "Accepted"
    assert (await install_certificate(csms, "CP1", MF_ROOT, second))["status"] == "Rejected"


async def test_an_invalid_central_system_root_raises_invalid_central_system_certificate(
    csms, make_cp
) -> None:
    """M05.FR.06 and whitepaper §8 (OCTT TC_078_CS): an expired CentralSystemRootCertificate
    is Rejected and reported as the security event InvalidCentralSystemCertificate."""
    await make_cp(csms.url)
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    expired = CertificateAuthority.generate(
        "Expired Root", now=long_ago, lifetime=timedelta(days=30)
    )
    reply = await install_certificate(csms, "CP1", CS_ROOT, expired.root_pem)
    assert reply["status"] == "Rejected"
    event = await security_event(csms, "InvalidCentralSystemCertificate")
    assert "expired" in event.get("techInfo", "")


async def test_with_additional_root_check_a_new_root_must_be_signed_by_the_old(
    csms, make_cp, tmp_path
) -> None:
    """M05.FR.08-11: only a successor signed by the installed root replaces it."""
    await make_cp(csms.url, keys={"AdditionalRootCertificateCheck": "true"})
    old = CertificateAuthority.generate("Old Root")
    assert (await install_certificate(csms, "CP1", CS_ROOT, old.root_pem))["status"] == "Accepted"
    unrelated = CertificateAuthority.generate("Unrelated Root")
    reply = await install_certificate(csms, "CP1", CS_ROOT, unrelated.root_pem)
    assert reply["status"] == "Rejected"  # M05.FR.10
    successor = _cross_signed_root(old, "New Root")
    assert (await install_certificate(csms, "CP1", CS_ROOT, successor))["status"] == "Accepted"
    listed = await get_installed_certificate_ids(csms, "CP1", CS_ROOT)
    assert len(listed["certificateHashData"]) == 2  # the new one plus the old as fallback


# ----------------------------------------------------------------------- A02 / A03
async def test_certificate_signed_is_verified_against_the_installed_root(
    make_csms, make_cp, pki: Pki
) -> None:
    """A02.FR.06/07: not ours, not in the CPO hierarchy or too long -> Rejected and the
    InvalidChargePointCertificate event; a good chain -> Accepted."""
    csms = await make_csms(certificate_authority=False)
    cp = await make_cp(csms.url, keys={"CpoName": CPO})
    ca = CertificateAuthority.from_files(pki.ca.cert_file, pki.ca.key_file)
    assert (await install_certificate(csms, "CP1", CS_ROOT, ca.root_pem))["status"] == "Accepted"
    # No CA attached: the CSMS rejects the CSR (A02.FR.12), the station keeps its key.
    reply = await extended_trigger_message(csms, "CP1", "SignChargePointCertificate")
    assert reply == {"status": "Accepted"}
    csr = (await csms.wait_for_message("CP1", "SignCertificate", timeout=WAIT))["csr"]
    now = datetime.now(UTC)
    stranger = CertificateAuthority.generate("Stranger Root")
    foreign = stranger.sign_csr(csr, "CP1", now)
    assert (await certificate_signed(csms, "CP1", foreign))["status"] == "Rejected"
    event = await security_event(csms, "InvalidChargePointCertificate")
    assert "root" in event["techInfo"].lower()
    not_ours = pki.ca.issue_client(pki.ca.cert_file.parent, "CP1").cert_pem.decode()
    assert (await certificate_signed(csms, "CP1", not_ours))["status"] == "Rejected"
    good = ca.sign_csr(csr, "CP1", now)
    cp.config.set("CertificateSignedMaxChainSize", str(len(good) - 1))
    assert (await certificate_signed(csms, "CP1", good))["status"] == "Rejected"
    cp.config.set("CertificateSignedMaxChainSize", "10000")
    assert (await certificate_signed(csms, "CP1", good))["status"] == "Accepted"
    creds = cp.security.store.client_credentials(cp.clock.now())
    assert creds is not None and creds.chain_pem == good
    rejected = [
        e for e in cp.security.security_log() if e["type"] == "InvalidChargePointCertificate"
    ]
    assert len(rejected) == 3


async def test_sign_charge_point_certificate_needs_a_cpo_name(csms, make_cp) -> None:
    """A02 prerequisite: CpoName MUST be set; the CSR carries it as O (A02.FR.13)."""
    cp = await make_cp(csms.url)
    reply = await extended_trigger_message(csms, "CP1", "SignChargePointCertificate")
    assert reply == {"status": "Rejected"}
    cp.config.set("CpoName", "Acme Charging")
    ca = CertificateAuthority.generate(cpo_name="Acme Charging")
    ca.attach(csms)
    reply = await extended_trigger_message(csms, "CP1", "SignChargePointCertificate")
    assert reply == {"status": "Accepted"}
    exchange = await csms.wait_for_exchange("CP1", "SignCertificate", timeout=WAIT)
    assert exchange.reply == {"status": "Accepted"}
    await wait_until(lambda: ca.issued, what="a signed certificate")
    subject = ca.issued[0].subject.rfc4514_string()
    assert "CN=CP1" in subject and "O=Acme Charging" in subject
    await ca.wait_idle()
    # No CentralSystemRootCertificate of this CA on the station: not in its hierarchy.
    assert csms_events(csms, "CertificateSigned") == [{"status": "Rejected"}]


# ----------------------------------------------------------------------- ExtendedTriggerMessage
@pytest.mark.parametrize(
    ("requested", "action"),
    [
        ("BootNotification", "BootNotification"),
        ("Heartbeat", "Heartbeat"),
        ("StatusNotification", "StatusNotification"),
        ("MeterValues", "MeterValues"),
        ("FirmwareStatusNotification", "SignedFirmwareStatusNotification"),
        ("LogStatusNotification", "LogStatusNotification"),
    ],
)
async def test_extended_trigger_message_sends_the_message_after_the_reply(
    csms, make_cp, requested: str, action: str
) -> None:
    """Whitepaper §5.5/§6.16: Accepted, then the requested message."""
    cp = await make_cp(csms.url)
    await status_sent(csms, "Available", 1)  # the boot's own reports are out of the way
    since = csms.mark()
    connector = 1 if requested in ("StatusNotification", "MeterValues") else None
    reply = await extended_trigger_message(csms, "CP1", requested, connector)
    assert reply == {"status": "Accepted"}
    payload = await csms.wait_for_message("CP1", action, timeout=WAIT, since=since)
    if connector is not None:
        assert payload["connectorId"] == 1
    if requested.endswith("StatusNotification") and requested != "StatusNotification":
        assert payload == {"status": "Idle"}  # §6.8/§6.19: Idle only when triggered
    assert cp.accepted


async def test_extended_trigger_message_for_a_missing_connector_is_rejected(csms, make_cp) -> None:
    """Whitepaper §6.17: Rejected when the message will not be sent."""
    await make_cp(csms.url)
    reply = await extended_trigger_message(csms, "CP1", "StatusNotification", 9)
    assert reply == {"status": "Rejected"}


def _cross_signed_root(old: CertificateAuthority, name: str) -> str:
    """A new CA certificate whose issuer is ``old`` (M05.FR.09: signed by the old root)."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(old.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(old.key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()
