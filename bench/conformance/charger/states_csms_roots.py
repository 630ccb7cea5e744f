"""2.0.1 CSMS roots for the migration and AdditionalRootCertificateCheck cases (B10, M05).

- ``cross_signed_root(old)``: <Configured (new) CSMS Root certificate 2>, a new root key
  whose certificate the old root signed (M05.FR.10: with AdditionalRootCertificateCheck
  the station only takes a root signed by the one it replaces).
- ``new_csms_root(ctx)``: that root signed by the run's CA when the bench has its key,
  else (a station without AS-2 takes any root) a root of its own.
- ``tls_context(signer, client_ca, like, host, folder)``: a server context presenting a
  certificate from ``signer``, asking for client certificates from ``client_ca`` as the
  run's context ``like`` does.
- ``second_csms(ctx, signer)``: the OCTT's "alternative internal endpoint" on TLS: a
  second listening port of the bench whose server certificate ``signer`` signed, for
  the length of a case. Its frames go to the case; ``ctx.endpoint`` is the run's
  endpoint again when it closes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ssl
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bench.conformance.charger.endpoint import CsmsEndpoint, Discard
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.states_security import now, pki, server_credential
from bench.conformance.material_lm import Credential, issue


def cross_signed_root(old: Credential, name: str = "OCPP Bench CSMS Root 2") -> Credential:
    """<Configured new CSMS Root certificate 2>: a new root key, signed by the old root."""
    key = ec.generate_private_key(ec.SECP256R1())
    start = now() - dt.timedelta(hours=1)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(old.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(old.key, hashes.SHA256())
    )
    return Credential(cert, key)


def has_run_ca_key(ctx: ChargerRun) -> bool:
    """Whether the bench has the key of the CA its server certificate comes from."""
    return bool(ctx.settings.extra.get("ca_key_file"))


def new_csms_root(ctx: ChargerRun) -> Credential:
    """<Configured (new) CSMS Root certificate 2> for ``ctx``'s station."""
    if has_run_ca_key(ctx):
        return cross_signed_root(pki(ctx).csms_root)
    if "AS-2" in ctx.settings.features:
        ctx.not_applicable(
            "AdditionalRootCertificateCheck needs a CSMS root signed by the run's CA, and the "
            "bench does not have that CA's key (ca_key_file)"
        )
    return issue("OCPP Bench CSMS Root 2", now(), days=365)


def needs_tls(ctx: ChargerRun) -> ssl.SSLContext:
    """The run's server context; not applicable when the run is not over TLS."""
    context = ctx.endpoint.ssl_context
    if context is None:
        ctx.not_applicable(
            "the run is not over TLS (--cert/--tls): security profile 2/3 is not in use"
        )
    assert context is not None
    return context


@dataclass
class SecondCsms:
    endpoint: CsmsEndpoint
    handshakes: list[str] = field(default_factory=list)  # TLS ClientHellos it received

    @property
    def url(self) -> str:
        return self.endpoint.url

    def connections(self) -> int:
        return sum(1 for e in self.endpoint.events if e.kind == "connected")


def tls_context(
    signer: Credential, client_ca: Credential, like: ssl.SSLContext, host: str, folder: Path
) -> ssl.SSLContext:
    """TLS 1.2 or above (A00.FR.313) with a certificate for ``host`` from ``signer``; asks
    for the station's certificate as the run's endpoint does (from the run's CA)."""
    server = server_credential(signer, host)
    cert_file, key_file, ca_file = folder / "server.pem", folder / "server.key", folder / "ca.pem"
    cert_file.write_text(server.pem)
    key_file.touch(mode=0o600)
    key_file.write_bytes(
        server.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    ca_file.write_text(client_ca.pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_file, key_file)
    if like.verify_mode != ssl.CERT_NONE:
        context.load_verify_locations(cafile=str(ca_file))
        context.verify_mode = like.verify_mode
    return context


@contextlib.asynccontextmanager
async def second_csms(ctx: ChargerRun, signer: Credential) -> AsyncIterator[SecondCsms]:
    """A second TLS endpoint of the bench, its server certificate from ``signer``."""
    main = ctx.endpoint
    like = needs_tls(ctx)
    with tempfile.TemporaryDirectory(prefix="bench-csms2-") as folder:
        context = tls_context(signer, pki(ctx).csms_root, like, main.host, Path(folder))
        second = CsmsEndpoint(
            ctx.settings.version,
            ctx.settings.station_id,
            host=main.host,
            ssl_context=context,
            password=main.password,
            heartbeat_interval=main.defaults.heartbeat_interval,
            accepted_tokens=main.defaults._accepted,
            call_timeout=main.call_timeout,
        )
        made = SecondCsms(second)

        def hello(_sslobj: Any, server_name: str | None, _ctx: ssl.SSLContext) -> None:
            made.handshakes.append(server_name or "")
            second.changed.set()

        context.sni_callback = hello
        # One flag for both endpoints: a case waits for whichever the station reaches.
        second.changed = main.changed
        second.sink = ctx
        await second.start()
        try:
            yield made
        finally:
            ctx.endpoint = main
            second.sink = Discard()
            await second.stop()
