"""2.0.1 reusable and memory states of blocks A and M, charging-station side.

The OCTT keeps a CSMS root certificate (with its key: it signs the station's CSRs),
other root certificates to install and a V2G certificate chain. The bench makes
them, per case, unless the run was given its CA: ``ChargerSettings.extra``
``ca_cert_file`` / ``ca_key_file`` name the CA the bench's TLS server certificate
and the station's trust come from (a station on security profile 3 reconnects with
the certificate the bench signs, so it must be one the server trusts).

- ``pki(ctx)``: the case's ``Pki`` (``csms_root``, ``signs``, ``other_root``, ``v2g``).
- ``certificate_installed``: memory state CertificateInstalled (InstallCertificate Accepted).
- ``installed_certificates``: reusable state GetInstalledCertificates (Accepted, the
  expected certificate among the hashes).
- ``renew_certificate``: memory states RenewChargingStationCertificate and
  RenewV2GChargingStationCertificate (TriggerMessage, SignCertificate, CertificateSigned).
- ``csms_root_present``: the CSMSRootCertificate the bench signs with, installed when
  the station does not have it yet (a station on profile 2/3 has the run's CA).
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import logging
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID

from bench.conformance.charger.run import ChargerRun
from bench.conformance.evidence import Inconclusive, StopCase
from bench.conformance.expect import satisfies
from bench.conformance.material_lm import Credential, V2gChain, issue, v2g_chain
from bench.ocpp.common.certificates import hash_data

log = logging.getLogger(__name__)

CSMS_ROOT = "CSMSRootCertificate"
MF_ROOT = "ManufacturerRootCertificate"
V2G_ROOT = "V2GRootCertificate"
MO_ROOT = "MORootCertificate"
V2G_CHAIN = "V2GCertificateChain"
CS_CERT = "ChargingStationCertificate"
V2G_CERT = "V2GCertificate"


def now() -> dt.datetime:
    """The bench's (the OCTT's) own time, for the certificates it makes."""
    return dt.datetime.now(dt.UTC)


@dataclass
class Pki:
    csms_root: Credential  # <Configured CSMS Root certificate>: signs the station's CSRs
    others: dict[str, Credential] = field(default_factory=dict)
    _v2g: V2gChain | None = None

    def root(self, certificate_type: str) -> Credential:
        """<Corresponding certificate> of an InstallCertificateUseEnumType."""
        if certificate_type == CSMS_ROOT:
            return self.csms_root
        if certificate_type == V2G_ROOT:
            return self.v2g.root
        if certificate_type not in self.others:
            self.others[certificate_type] = issue(f"OCPP Bench {certificate_type}", now(), days=365)
        return self.others[certificate_type]

    @property
    def v2g(self) -> V2gChain:
        if self._v2g is None:
            self._v2g = v2g_chain(now())
        return self._v2g


def pki(ctx: ChargerRun) -> Pki:
    found = ctx.memory.get("pki")
    if isinstance(found, Pki):
        return found
    made = Pki(_run_ca(ctx) or issue("OCPP Bench CSMS Root", now(), days=365))
    ctx.memory["pki"] = made
    return made


def _run_ca(ctx: ChargerRun) -> Credential | None:
    cert_file = ctx.settings.extra.get("ca_cert_file")
    key_file = ctx.settings.extra.get("ca_key_file")
    if not cert_file or not key_file:
        return None
    with open(cert_file, "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    with open(key_file, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise StopCase(f"{key_file}: the bench signs with an EC key only")
    return Credential(cert, key)


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def hash_of(cert: x509.Certificate, issuer: x509.Certificate | None = None) -> dict[str, str]:
    return hash_data(cert, issuer)


def same_hash(a: dict[str, Any], b: dict[str, Any]) -> bool:
    keys = ("issuerNameHash", "issuerKeyHash")
    return all(str(a.get(k, "")).lower() == str(b.get(k, "")).lower() for k in keys) and str(
        a.get("serialNumber", "")
    ).lower().lstrip("0") == str(b.get("serialNumber", "")).lower().lstrip("0")


# ---------------------------------------------------------------- CSRs and signing
def csr_problem(text: Any, *, min_ec_bits: int = 224) -> str | None:
    """Why ``text`` is not a PEM PKCS#10 CSR with a key long enough (A00.FR.5xx), or None."""
    if not isinstance(text, str) or "BEGIN CERTIFICATE REQUEST" not in text:
        return "not a PEM certificate request"
    try:
        csr = x509.load_pem_x509_csr(text.encode())
    except ValueError as exc:
        return f"not a valid RFC 2986 request ({exc})"
    key = csr.public_key()
    if isinstance(key, rsa.RSAPublicKey | dsa.DSAPublicKey) and key.key_size < 2048:
        return f"{key.key_size}-bit RSA/DSA key (at least 2048)"
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.key_size < min_ec_bits:
        return f"{key.curve.key_size}-bit EC key (at least {min_ec_bits})"
    if not csr.is_signature_valid:
        return "its signature does not verify"
    return None


def valid_csr(min_ec_bits: int = 224) -> Any:
    words = f"a PEM RFC 2986 CSR, RSA/DSA >= 2048 or EC >= {min_ec_bits} bits"
    return satisfies(lambda v: csr_problem(v, min_ec_bits=min_ec_bits) is None, words)


def sign_csr(
    text: str, issuer: Credential, *, days: float = 365, chain: tuple[Credential, ...] = ()
) -> tuple[str, x509.Certificate]:
    """The PEM chain (the new certificate, then ``chain``) for the CSR, signed by ``issuer``."""
    csr = x509.load_pem_x509_csr(text.encode())
    start = now() - dt.timedelta(hours=1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(issuer.cert.subject)
        .public_key(csr.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(issuer.key, hashes.SHA256())
    )
    return pem(cert) + "".join(c.pem for c in chain), cert


# ---------------------------------------------------------------- memory / reusable states
async def certificate_installed(
    ctx: ChargerRun,
    certificate_type: str,
    *,
    step: int | None = None,
    cert: Credential | None = None,
) -> Credential:
    """Memory state CertificateInstalled: InstallCertificate, status Accepted."""
    chosen = cert or pki(ctx).root(certificate_type)
    reply = await ctx.request(
        "InstallCertificate",
        {"certificateType": certificate_type, "certificate": chosen.pem},
        step=step,
    )
    ctx.require(
        None if step is None else step + 1,
        "InstallCertificateResponse",
        reply,
        "status",
        "Accepted",
    )
    return chosen


async def get_installed(
    ctx: ChargerRun, certificate_type: str | list[str] | None, *, step: int | None
) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    if isinstance(certificate_type, str):
        payload["certificateType"] = [certificate_type]
    elif certificate_type:
        payload["certificateType"] = list(certificate_type)
    return await ctx.request("GetInstalledCertificateIds", payload, step=step)


def chain_entries(reply: dict[str, Any]) -> list[dict[str, Any]]:
    return list(reply.get("certificateHashDataChain") or [])


def has_entry(reply: dict[str, Any], certificate_type: str, data: dict[str, Any]) -> bool:
    return any(
        e.get("certificateType") == certificate_type
        and same_hash(e.get("certificateHashData") or {}, data)
        for e in chain_entries(reply)
    )


def check_entry(
    ctx: ChargerRun,
    step: int | None,
    reply: dict[str, Any],
    certificate_type: str,
    cert: x509.Certificate,
    *,
    present: bool = True,
    issuer: x509.Certificate | None = None,
) -> bool:
    data = hash_of(cert, issuer)
    found = has_entry(reply, certificate_type, data)
    return ctx.check_that(
        step,
        "GetInstalledCertificateIdsResponse",
        "certificateHashDataChain",
        found == present,
        f"{'an' if present else 'no'} entry {certificate_type} serial {data['serialNumber']}",
        ", ".join(
            f"{e.get('certificateType')} {(e.get('certificateHashData') or {}).get('serialNumber')}"
            for e in chain_entries(reply)
        )
        or "none",
    )


async def installed_certificates(
    ctx: ChargerRun,
    certificate_type: str,
    cert: x509.Certificate,
    *,
    step: int = 1,
    issuer: x509.Certificate | None = None,
) -> dict[str, Any]:
    """Reusable state GetInstalledCertificates: Accepted, with an entry for ``cert``."""
    reply = await get_installed(ctx, certificate_type, step=step)
    ctx.check(_after(step, 1), "GetInstalledCertificateIdsResponse", reply, "status", "Accepted")
    check_entry(ctx, step + 1, reply, certificate_type, cert, issuer=issuer)
    return reply


async def csms_root_present(ctx: ChargerRun) -> Credential:
    """The CSMSRootCertificate the bench signs with, installed unless already there."""
    root = pki(ctx).csms_root
    reply = await get_installed(ctx, CSMS_ROOT, step=None)
    if not has_entry(reply, CSMS_ROOT, hash_of(root.cert)):
        await certificate_installed(ctx, CSMS_ROOT, cert=root)
    return root


async def renew_certificate(
    ctx: ChargerRun,
    trigger: str = "SignChargingStationCertificate",
    *,
    step: int | None = 1,
    evse: dict[str, Any] | None = None,
) -> tuple[str, x509.Certificate]:
    """Memory state RenewChargingStationCertificate (or RenewV2G...): the station's new
    certificate, signed from its CSR and Accepted. Returns (chain PEM, certificate)."""
    v2g = trigger == "SignV2GCertificate"
    extra: tuple[Credential, ...] = ()
    if v2g:
        chain = pki(ctx).v2g
        await certificate_installed(ctx, V2G_ROOT, cert=chain.root)
        signer, extra = chain.sub2, (chain.sub2, chain.sub1)
    else:
        signer = await csms_root_present(ctx)
    since = ctx.mark()
    payload: dict[str, Any] = {"requestedMessage": trigger}
    if evse is not None:
        payload["evse"] = evse
    reply = await ctx.request("TriggerMessage", payload, step=step)
    ctx.require(_after(step, 1), "TriggerMessageResponse", reply, "status", "Accepted")
    request = await ctx.station_request("SignCertificate", step=_after(step, 2), since=since)
    ctx.require(
        _after(step, 2), "SignCertificateRequest", request, "csr", valid_csr(256 if v2g else 224)
    )
    text, cert = sign_csr(request["csr"], signer, chain=extra)
    ctx.memory["signed"] = (cert, signer)  # for the OCSP answers of block M (M06)
    signed = {"certificateChain": text, "certificateType": V2G_CERT if v2g else CS_CERT}
    result = await ctx.request("CertificateSigned", signed, step=_after(step, 4))
    ctx.check(_after(step, 5), "CertificateSignedResponse", result, "status", "Accepted")
    return text, cert


def _after(step: int | None, offset: int) -> int | None:
    """The step ``offset`` after ``step`` (None when the state runs as a preparation)."""
    return None if step is None else step + offset


# ---------------------------------------------------------------- a second CSMS endpoint
def server_credential(root: Credential, host: str) -> Credential:
    """A TLS server certificate for ``host`` (CN and subjectAltName, A00.FR.510) from ``root``."""
    key = ec.generate_private_key(ec.SECP256R1())
    start = now() - dt.timedelta(hours=1)
    try:
        alt: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        alt = x509.DNSName(host)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(root.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([alt]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(root.key, hashes.SHA256())
    )
    return Credential(cert, key)


def server_context(
    root: Credential, host: str, folder: Path, *, client_certificates: bool
) -> ssl.SSLContext:
    """The TLS context of the bench's second endpoint (TLS 1.2 or above, A00.FR.313);
    with ``client_certificates`` it requires the station's certificate from ``root``."""
    server = server_credential(root, host)
    cert_file, key_file, ca_file = folder / "server.pem", folder / "server.key", folder / "ca.pem"
    cert_file.write_text(server.pem)
    key_file.write_bytes(
        server.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    ca_file.write_text(root.pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_file, key_file)
    if client_certificates:
        context.load_verify_locations(cafile=str(ca_file))
        context.verify_mode = ssl.CERT_REQUIRED
    return context


# ---------------------------------------------------------------- OCSP (M06)
def ocsp_result(cert: x509.Certificate, issuer: Credential) -> str:
    """An OCSPResponse (RFC 6960, DER, Base64) saying ``cert`` is good, signed by its issuer."""
    start = now()
    response = (
        ocsp.OCSPResponseBuilder()
        .add_response(
            cert=cert,
            issuer=issuer.cert,
            algorithm=hashes.SHA256(),
            cert_status=ocsp.OCSPCertStatus.GOOD,
            this_update=start,
            next_update=start + dt.timedelta(days=7),
            revocation_time=None,
            revocation_reason=None,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, issuer.cert)
        .sign(issuer.key, hashes.SHA256())
    )
    return base64.b64encode(response.public_bytes(serialization.Encoding.DER)).decode()


# ---------------------------------------------------------------- BasicAuthPassword (A01)
def password_data(value: str) -> dict[str, Any]:
    return {
        "setVariableData": [
            {
                "attributeValue": value,
                "component": {"name": "SecurityCtrlr"},
                "variable": {"name": "BasicAuthPassword"},
            }
        ]
    }


async def restore_password(ctx: ChargerRun, old: str) -> None:
    """After the case, the run's password again, so the next case's connection gets in:
    the station is given it back (a real charger keeps what it was set to), and a fresh
    own station of the next case starts with it anyway."""
    if ctx.endpoint.password == old:
        return
    if ctx.endpoint.connected:
        try:
            rec = await ctx.call("SetVariables", password_data(old), step=None)
        except Inconclusive as exc:
            log.warning("%s: the run's password was not set back: %s", ctx.case.id, exc)
        else:
            payload = rec.payload if isinstance(rec.payload, dict) else {}
            result = (payload.get("setVariableResult") or [{}])[0]
            if result.get("attributeStatus") in ("Accepted", "RebootRequired"):
                ctx.endpoint.password = old
                return
    if ctx.own_station is not None:
        ctx.endpoint.password = old
