"""1.6 security extension cases (1.6 test case document §3.21) against the built-in
Central System: over Basic auth (profile 1), over TLS with Basic auth (profile 2)
and over TLS with client certificates (profile 3), each with a fresh test PKI."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from bench.conformance.case_run import CaseSettings
from bench.conformance.catalogue import case as catalogue_case
from bench.conformance.results import CaseResult, Verdict
from bench.conformance.runner import run_case
from bench.csms.certificates import CertificateAuthority
from bench.csms.config import CsmsConfig, TagEntry
from bench.csms.server import CentralSystem
from tests.conformance.conftest import DirectPrompter
from tests.conformance.v16_support import assert_fails_naming, explain, mangle
from tests.core.certs import KeyPair, Pki, make_pki

STATION = "BENCH-CONFORMANCE"
KEY = "00112233445566778899aabbccddeeff"  # the run's Basic auth password (AuthorizationKey)
SERIAL = "WB11-BENCH-CONFORMANCE"  # the station's serial number: its certificate's CN

BASIC_AUTH_CASES = ["TC_073_CSMS", "TC_085_CSMS", "TC_076_CSMS", "TC_079_CSMS"]
SIGNED_FIRMWARE_CASES = ["TC_080_CSMS", "TC_081_CSMS"]
TLS_CASES = ["TC_075_1_CSMS", "TC_075_2_CSMS", "TC_078_CSMS", "TC_086_CSMS"]
CLIENT_CERTIFICATE_CASES = ["TC_074_CSMS", "TC_077_CSMS", "TC_087_CSMS"]
NEEDS_A_PROFILE = [
    "TC_073_CSMS",
    "TC_074_CSMS",
    "TC_075_1_CSMS",
    "TC_075_2_CSMS",
    "TC_077_CSMS",
    "TC_078_CSMS",
    "TC_079_CSMS",
    "TC_080_CSMS",
    "TC_081_CSMS",
    "TC_085_CSMS",
    "TC_086_CSMS",
    "TC_087_CSMS",
]


# ------------------------------------------------------------------ a TLS built-in CSMS
def rsa_server(pki: Pki, folder: Path) -> KeyPair:
    """An RSA server certificate for 127.0.0.1 from the test CA, beside its EC one:
    the four cipher suites of whitepaper A00.FR.317 need both kinds."""
    ca_key = serialization.load_pem_private_key(pki.ca.key_file.read_bytes(), None)
    ca_cert = x509.load_pem_x509_certificate(pki.ca.cert_file.read_bytes())
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    pair = KeyPair(folder / "rsa-server.pem", folder / "rsa-server.key")
    pair.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pair.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return pair


def server_context(pki: Pki, folder: Path, *, rsa_too: bool = True) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(pki.server.cert_file, pki.server.key_file)
    if rsa_too:
        pair = rsa_server(pki, folder)
        context.load_cert_chain(pair.cert_file, pair.key_file)
        context.set_ciphers("ECDHE+AESGCM:AES128-GCM-SHA256:AES256-GCM-SHA384")
    # Profile 3 stations present a certificate of the test CA; profile 2 ones none.
    context.verify_mode = ssl.CERT_OPTIONAL
    context.load_verify_locations(cafile=str(pki.ca.cert_file))
    return context


Runner = Callable[..., Awaitable[CaseResult]]


@pytest.fixture
async def tls_runner(tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[Runner]]]:
    """``await tls_runner(rsa_too=True)`` starts a TLS built-in CSMS; the runner it returns
    plays a case over profile 2 (``profile=2``) or 3 (``profile=3``)."""
    pki = make_pki(tmp_path / "pki")
    client = pki.ca.issue_client(tmp_path / "pki", SERIAL)
    started: list[tuple[CentralSystem, DirectPrompter]] = []

    async def start(*, rsa_too: bool = True) -> Runner:
        config = CsmsConfig(
            boot_retry_interval=1,
            tags={"TAG1": TagEntry("Accepted")},
            ssl_context=server_context(pki, tmp_path / "pki", rsa_too=rsa_too),
            certificate_authority=CertificateAuthority.from_files(
                pki.ca.cert_file, pki.ca.key_file
            ),
        )
        csms = CentralSystem(config)
        await csms.start()
        prompter = DirectPrompter(csms)
        started.append((csms, prompter))

        async def run(case_id: str, *, profile: int = 2, **settings: Any) -> CaseResult:
            case = catalogue_case(case_id)
            security: dict[str, Any] = {"ca_file": str(pki.ca.cert_file)}
            if profile == 3:
                security |= {"cert_file": str(client.cert_file), "key_file": str(client.key_file)}
            else:
                security["password"] = KEY
            values: dict[str, Any] = {"timeout": 15.0, **security, **settings}
            case_settings = CaseSettings(csms_url=csms.url, version=case.version, **values)
            return await run_case(case, case_settings, prompter)

        run.csms = csms  # type: ignore[attr-defined]
        run.prompter = prompter  # type: ignore[attr-defined]
        return run

    try:
        yield start
    finally:
        for csms, prompter in started:
            await prompter.drain()
            await csms.stop()


@pytest.fixture
async def auth_runner() -> AsyncIterator[Runner]:
    """A built-in CSMS that checks Basic auth (profile 1); cases run with the password."""
    config = CsmsConfig(
        boot_retry_interval=1, tags={"TAG1": TagEntry("Accepted")}, basic_auth={STATION: KEY}
    )
    async with CentralSystem(config) as csms:
        prompter = DirectPrompter(csms)

        async def run(case_id: str, **settings: Any) -> CaseResult:
            case = catalogue_case(case_id)
            values: dict[str, Any] = {"timeout": 15.0, "password": KEY, **settings}
            case_settings = CaseSettings(csms_url=csms.url, version=case.version, **values)
            return await run_case(case, case_settings, prompter)

        run.csms = csms  # type: ignore[attr-defined]
        run.prompter = prompter  # type: ignore[attr-defined]
        try:
            yield run
        finally:
            await prompter.drain()


# ------------------------------------------------------------------ passing runs
@pytest.mark.parametrize("case_id", BASIC_AUTH_CASES + SIGNED_FIRMWARE_CASES)
async def test_the_case_passes_over_basic_auth_against_the_built_in_csms(
    auth_runner, case_id: str
) -> None:
    """Security profile 1: the built-in CSMS checks the station's password."""
    result = await auth_runner(case_id)
    assert result.verdict is Verdict.PASS, explain(result)


@pytest.mark.parametrize("case_id", TLS_CASES)
async def test_the_case_passes_over_tls_with_basic_auth(tls_runner, case_id: str) -> None:
    run = await tls_runner()
    result = await run(case_id, profile=2)
    assert result.verdict is Verdict.PASS, explain(result)


@pytest.mark.parametrize("case_id", [*CLIENT_CERTIFICATE_CASES, "TC_086_CSMS"])
async def test_the_case_passes_over_tls_with_client_certificates(tls_runner, case_id: str) -> None:
    run = await tls_runner()
    result = await run(case_id, profile=3)
    assert result.verdict is Verdict.PASS, explain(result)


@pytest.mark.parametrize("case_id", NEEDS_A_PROFILE)
async def test_without_the_security_profile_the_case_is_not_applicable_and_says_why(
    csms_runner, case_id: str
) -> None:
    result = await csms_runner(case_id)
    assert result.verdict is Verdict.NOT_APPLICABLE, explain(result)
    assert "security profile" in result.reason and "profile 0" in result.reason


# ------------------------------------------------------------------ a CSMS that does wrong
class KeepsOldPasswords(dict):  # type: ignore[type-arg]
    """A password table no accepted AuthorizationKey changes (A01.FR.03 ignored)."""

    def __setitem__(self, key: Any, value: Any) -> None:
        pass


async def test_a_csms_that_keeps_the_old_password_fails_the_reconnect_step(auth_runner) -> None:
    """Whitepaper A01.FR.03 / TC_073_CSMS step 3: the new password must open the CSMS."""
    auth_runner.csms.config.basic_auth = KeepsOldPasswords({STATION: KEY})
    result = await auth_runner("TC_073_CSMS", timeout=3.0)
    assert_fails_naming(result, "step 3", "accepts the new password", "401")


async def test_deleting_a_certificate_by_other_hash_data_fails_naming_the_field(
    csms_runner,
) -> None:
    """TC_076_CSMS: certificateHashData of the installed root, field by field."""

    def other_serial(request: dict[str, Any]) -> dict[str, Any]:
        data = dict(request["certificateHashData"])
        data["serialNumber"] = "1234"
        return {"certificateHashData": data}

    mangle(csms_runner, "delete_certificate", other_serial)
    result = await csms_runner("TC_076_CSMS", timeout=2.0)
    assert_fails_naming(result, "step 3: DeleteCertificate.req.certificateHashData", "1234")


async def test_a_tls_server_without_rsa_suites_fails_naming_the_cipher_suite(tls_runner) -> None:
    """Whitepaper A00.FR.317 / TC_086_CSMS step 2: all four cipher suites."""
    run = await tls_runner(rsa_too=False)
    result = await run("TC_086_CSMS", profile=2, timeout=3.0)
    assert_fails_naming(result, "step 2", "TLS_RSA_WITH_AES_128_GCM_SHA256", "refused")


async def test_an_invalid_signature_where_a_valid_one_is_asked_fails_the_secure_update(
    auth_runner,
) -> None:
    """TC_080_CSMS step 1: firmware.signature is the configured signature."""

    def bad_signature(request: dict[str, Any]) -> dict[str, Any]:
        request["firmware"] = {**request["firmware"], "signature": "AAAA"}
        return request

    mangle(auth_runner, "update_firmware", bad_signature)
    result = await auth_runner("TC_080_CSMS", timeout=2.0)
    assert_fails_naming(result, "step 1: SignedUpdateFirmware.req.firmware.signature", "AAAA")
