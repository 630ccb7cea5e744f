"""The charge point's certificate store and the CSMS's CA, without any network.

Whitepaper edition 3: CertificateHashDataType (§6.1, RFC 6960), M03-M05,
A02/A03 verification of CertificateSigned, AdditionalRootCertificateCheck (§7.1).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bench.csms.certificates import CertificateAuthority, CsrRejected
from bench.ocpp.common.certificates import (
    CS_ROOT,
    MF_ROOT,
    CertificateError,
    CertificateStore,
    build_csr,
    hash_data,
    load_pem_certificates,
    new_private_key,
    verify_chain,
)

# One instant for the whole module; every CA below is generated at it, so a test that
# runs minutes after the import (a long suite on a busy machine) still finds the roots
# valid at NOW.
NOW = dt.datetime.now(dt.UTC)


class Saved:
    """A ``save`` callback that remembers what it was given (and can be told to fail)."""

    def __init__(self) -> None:
        self.data: dict[str, Any] | None = None
        self.fail = False

    def __call__(self, data: dict[str, Any]) -> None:
        if self.fail:
            raise OSError("disk full")
        self.data = data


def _store() -> tuple[CertificateStore, Saved]:
    saved = Saved()
    return CertificateStore(None, saved), saved


def _root(name: str = "Root", serial: int | None = None, *, days: int = 30) -> tuple[str, Any]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key


# ----------------------------------------------------------------------- hash data
def test_hash_data_follows_rfc_6960_and_writes_the_serial_without_leading_zeros() -> None:
    """Whitepaper §6.1: hashes of the issuer's DER name and key bits; serial 4095 is "fff"."""
    pem, key = _root("Hash Root", serial=4095)
    cert = load_pem_certificates(pem)[0]
    data = hash_data(cert)
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    assert data == {
        "hashAlgorithm": "SHA256",
        "issuerNameHash": hashlib.sha256(cert.issuer.public_bytes()).hexdigest(),
        "issuerKeyHash": hashlib.sha256(point).hexdigest(),
        "serialNumber": "fff",
    }
    assert len(hash_data(cert, algorithm="SHA512")["issuerKeyHash"]) == 128


# ----------------------------------------------------------------------- M05 / M03 / M04
def test_a_root_is_installed_listed_found_by_any_algorithm_and_deleted() -> None:
    store, saved = _store()
    pem, _key = _root()
    assert store.install_root(MF_ROOT, pem, NOW, max_length=5) == "Accepted"
    assert saved.data is not None and saved.data["roots"][0]["type"] == MF_ROOT
    assert store.install_root(MF_ROOT, pem, NOW, max_length=5) == "Accepted"  # no duplicate
    assert store.count() == 1
    ids = store.installed_ids(MF_ROOT)
    assert len(ids) == 1 and store.installed_ids(CS_ROOT) == []
    wanted = hash_data(load_pem_certificates(pem)[0], algorithm="SHA384")
    wanted["issuerKeyHash"] = wanted["issuerKeyHash"].upper()  # CiString: case-insensitive
    found = store.find_root(wanted)
    assert found is not None and found[0] == MF_ROOT
    store.delete_root(found[1])
    assert store.count() == 0 and store.find_root(wanted) is None


@pytest.mark.parametrize(
    "problem", ["garbage", "two certificates", "not a CA", "expired", "unknown type"]
)
def test_install_rejects_an_invalid_certificate(problem: str) -> None:
    """M05.FR.06: an invalid and/or incorrect certificate is Rejected."""
    store, _saved = _store()
    pem, _key = _root()
    kind = CS_ROOT
    if problem == "garbage":
        pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    elif problem == "two certificates":
        pem = pem + _root("Second")[0]
    elif problem == "not a CA":
        ca = CertificateAuthority.generate(now=NOW)
        csr = build_csr(new_private_key(), "CP1", "CPO")
        pem = ca.sign_csr(csr, "CP1", NOW)
    elif problem == "expired":
        pem, _key = _root(days=-1)
    else:
        kind = "ChargePointCertificate"
    assert store.install_root(kind, pem, NOW, max_length=5) == "Rejected"
    assert store.count() == 0


def test_a_full_store_rejects_and_a_storage_failure_is_failed() -> None:
    """M05.FR.03 (CertificateStoreMaxLength) and M05.FR.04 (installation failed)."""
    store, saved = _store()
    assert store.install_root(CS_ROOT, _root("A")[0], NOW, max_length=1) == "Accepted"
    assert store.install_root(CS_ROOT, _root("B")[0], NOW, max_length=1) == "Rejected"
    saved.fail = True
    assert store.install_root(CS_ROOT, _root("C")[0], NOW, max_length=None) == "Failed"
    assert store.count() == 1


def test_additional_root_check_keeps_the_old_root_as_fallback_until_dropped() -> None:
    """M05.FR.08-12 (AdditionalRootCertificateCheck, whitepaper §7.1)."""
    store, _saved = _store()
    old = CertificateAuthority.generate("Old", now=NOW)
    assert (
        store.install_root(CS_ROOT, old.root_pem, NOW, max_length=None, additional_check=True)
        == "Accepted"
    )
    stranger = CertificateAuthority.generate("Stranger", now=NOW)
    verdict = store.install_root(
        CS_ROOT, stranger.root_pem, NOW, max_length=None, additional_check=True
    )
    assert verdict == "Rejected"
    new_key = ec.generate_private_key(ec.SECP256R1())
    successor = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "New")]))
        .issuer_name(old.cert.subject)
        .public_key(new_key.public_key())
        .serial_number(7)
        .not_valid_before(NOW - dt.timedelta(hours=1))
        .not_valid_after(NOW + dt.timedelta(days=9))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(old.key, hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM)
        .decode()
    )
    assert (
        store.install_root(CS_ROOT, successor, NOW, max_length=None, additional_check=True)
        == "Accepted"
    )
    assert store.has_fallback_root()
    assert store.trust_pem(with_fallback=False) == successor
    assert old.root_pem in store.trust_pem(with_fallback=True)
    # Its issuer is installed, so issuerKeyHash is the old root's key (RFC 6960).
    listed = store.installed_ids(CS_ROOT)
    new_ids = next(i for i in listed if i["serialNumber"] == "7")
    assert new_ids == hash_data(load_pem_certificates(successor)[0], old.cert)
    assert store.drop_fallback_root()
    assert store.roots(CS_ROOT) == load_pem_certificates(successor)


# ----------------------------------------------------------------------- A02 / A03
def test_a_signed_chain_for_our_key_from_the_installed_root_is_accepted() -> None:
    """A02.FR.03/06/13: CSR with CN and O = CpoName; the chain leads to the installed root."""
    store, saved = _store()
    ca = CertificateAuthority.generate(cpo_name="Acme", now=NOW)
    store.install_root(CS_ROOT, ca.root_pem, NOW, max_length=None)
    csr_pem = store.start_signing_request("CP7", "Acme")
    csr = x509.load_pem_x509_csr(csr_pem.encode())
    assert csr.is_signature_valid
    assert csr.subject.rfc4514_string() == "O=Acme,CN=CP7"
    assert saved.data is not None and saved.data["pending_key"].startswith("-----BEGIN PRIVATE")
    chain = ca.sign_csr(csr_pem, "CP7", NOW)
    leaf = store.accept_signed_chain(chain, NOW)
    assert leaf.serial_number == ca.issued[0].serial_number
    assert not store.has_pending_request
    creds = store.client_credentials(NOW)
    assert creds is not None and creds.chain_pem == chain
    # A02.FR.05: the key stays with the station; the CSR holds only the public key.
    assert "PRIVATE" not in csr_pem


@pytest.mark.parametrize("problem", ["no request", "other key", "other root", "expired"])
def test_a_bad_signed_chain_is_refused(problem: str) -> None:
    """A02.FR.06/07."""
    store, _saved = _store()
    ca = CertificateAuthority.generate(now=NOW)
    store.install_root(CS_ROOT, ca.root_pem, NOW, max_length=None)
    if problem == "no request":
        chain = ca.sign_csr(build_csr(new_private_key(), "CP1", "O"), "CP1", NOW)
    else:
        csr = store.start_signing_request("CP1", "O")
        if problem == "other key":
            csr = build_csr(new_private_key(), "CP1", "O")
        signer = CertificateAuthority.generate("Other", now=NOW) if problem == "other root" else ca
        when = NOW - dt.timedelta(days=400) if problem == "expired" else NOW
        chain = signer.sign_csr(csr, "CP1", when)
    with pytest.raises(CertificateError):
        store.accept_signed_chain(chain, NOW)
    assert store.client_credentials(NOW) is None


def test_the_newest_valid_certificate_is_used() -> None:
    """A02.FR.08/09: newest by start of validity; a future one only from its start."""
    store, _saved = _store()
    ca = CertificateAuthority.generate(now=NOW)
    store.install_root(CS_ROOT, ca.root_pem, NOW, max_length=None)
    first = ca.sign_csr(store.start_signing_request("CP1", "O"), "CP1", NOW)
    store.accept_signed_chain(first, NOW)
    later = NOW + dt.timedelta(days=2)
    second = ca.sign_csr(store.start_signing_request("CP1", "O"), "CP1", later)
    store.accept_signed_chain(second, NOW)
    assert store.client_credentials(NOW).chain_pem == first  # type: ignore[union-attr]
    assert store.client_credentials(later).chain_pem == second  # type: ignore[union-attr]


def test_verify_chain_walks_through_a_sub_ca() -> None:
    root = CertificateAuthority.generate("Root", now=NOW)
    sub_key = ec.generate_private_key(ec.SECP256R1())
    sub_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Sub")]))
        .issuer_name(root.cert.subject)
        .public_key(sub_key.public_key())
        .serial_number(11)
        .not_valid_before(NOW - dt.timedelta(hours=1))
        .not_valid_after(NOW + dt.timedelta(days=9))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(root.key, hashes.SHA256())
    )
    sub = CertificateAuthority(sub_cert, sub_key)
    chain = sub.sign_csr(build_csr(new_private_key(), "CP1", "O"), "CP1", NOW)
    certs = load_pem_certificates(chain)
    assert len(certs) == 2  # the sub-CA travels with the leaf
    assert verify_chain(certs, [root.cert], NOW) == root.cert
    with pytest.raises(CertificateError):
        verify_chain(certs[:1], [root.cert], NOW)


# ----------------------------------------------------------------------- the CSMS's CA
@pytest.mark.parametrize(
    ("cn", "o", "why"), [("CP2", "Acme", "CN"), ("CP1", "Other", "O"), ("CP1", None, "O")]
)
def test_the_csms_ca_signs_only_for_the_requesting_station_and_its_cpo(
    cn: str, o: str | None, why: str
) -> None:
    """A00.FR.404/405: O names the CPO, CN the station."""
    ca = CertificateAuthority.generate(cpo_name="Acme", now=NOW)
    key = new_private_key()
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if o is not None:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, o))
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name(attributes))
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM)
        .decode()
    )
    with pytest.raises(CsrRejected, match=why):
        ca.sign_csr(csr, "CP1", NOW)
    assert ca.issued == []
    assert ca.on_sign_certificate("CP1", csr, NOW) == {"status": "Rejected"}  # not attached
