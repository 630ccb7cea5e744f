"""2.0.1 TLS trust: the CA file plus the CSMS roots installed over OCPP (M05, A00.FR.307).

Security profile 2 over loopback: TLS fronts of one built-in CSMS, each presenting a
server certificate from a chosen root. The station is installed with root 1 (its CA
file); root 2 comes over OCPP with InstallCertificate. With AdditionalRootCertificateCheck
(the station setting ``additional_root_certificate_check``) root 2 is signed by root 1
and replaces it, root 1 staying as the fallback (M05.FR.09-17).
"""

from __future__ import annotations

import datetime as dt
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from bench.csms.server import CentralSystem
from bench.model.templates import load_station_template, with_settings
from bench.ocpp.common.certificates import hash_data
from bench.ocpp.v201.sec_network import NetworkProfileChanged
from bench.transport.server import OcppServer, serve_ocpp
from tests.core.certs import CertAuthority, KeyPair, make_ca, server_ssl_context
from tests.e2e.conftest import WAIT, wait_until
from tests.e2e.v201.sec_support import PASSWORD, boots, network_profile, set_variable

CSMS_ROOT = "CSMSRootCertificate"


def cross_signed(parent: CertAuthority, folder: Path, name: str) -> CertAuthority:
    """<CSMS Root certificate 2>: a new root key whose certificate ``parent`` signed."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    issuer = x509.load_pem_x509_certificate(parent.cert_file.read_bytes())
    issuer_key = serialization.load_pem_private_key(parent.key_file.read_bytes(), None)
    assert isinstance(issuer_key, ec.EllipticCurvePrivateKey)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = folder / "root2.pem", folder / "root2.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return CertAuthority(name, cert_file, key_file, cert, key)


@dataclass
class Front:
    """A TLS listener in front of the CSMS: its URL, TLS handshakes and connections seen."""

    server: OcppServer
    handshakes: list[str] = field(default_factory=list)
    connections: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url


FrontFactory = Callable[[KeyPair], Awaitable[Front]]


@pytest.fixture
async def front(csms: CentralSystem) -> AsyncIterator[FrontFactory]:
    made: list[Front] = []

    async def start(server_pair: KeyPair) -> Front:
        context = server_ssl_context(server_pair)
        record: list[Front] = []

        def hello(_sslobj: Any, _name: str | None, _ctx: ssl.SSLContext) -> None:
            record[0].handshakes.append(_name or "")

        async def connected(station_id: str, link: Any, subprotocol: str) -> None:
            record[0].connections.append(station_id)
            await csms._on_connection(station_id, link, subprotocol)

        context.sni_callback = hello
        server = await serve_ocpp(
            connected,
            subprotocols=("ocpp2.0.1",),
            ssl_context=context,
            basic_auth=csms._check_password,
        )
        made.append(Front(server))
        record.append(made[-1])
        return made[-1]

    yield start
    for each in made:
        await each.server.close()


@pytest.fixture
async def csms(make_csms) -> CentralSystem:
    """The built-in CSMS, asking for the station's Basic auth password (profile 2)."""
    return await make_csms(basic_auth={"CS1": PASSWORD})


def checking_template() -> Any:
    """ac-11kw with AdditionalRootCertificateCheck true (part 5 AS-2)."""
    return with_settings(load_station_template("ac-11kw"), additional_root_certificate_check=True)


async def install_root(csms: CentralSystem, root: CertAuthority) -> str:
    reply = await csms.call(
        "CS1",
        "InstallCertificate",
        {"certificateType": CSMS_ROOT, "certificate": root.cert_file.read_text()},
    )
    return str(reply["status"])


async def installed_serials(csms: CentralSystem) -> set[str]:
    reply = await csms.call("CS1", "GetInstalledCertificateIds", {"certificateType": [CSMS_ROOT]})
    return {e["certificateHashData"]["serialNumber"] for e in reply["certificateHashDataChain"]}


def serial(root: CertAuthority) -> str:
    cert = x509.load_pem_x509_certificate(root.cert_file.read_bytes())
    return hash_data(cert)["serialNumber"]


async def migrate(csms: CentralSystem, url: str) -> None:
    """Slot 2 names ``url`` on profile 2, first in NetworkConfigurationPriority; Reset (B10)."""
    reply = await csms.call(
        "CS1",
        "SetNetworkProfile",
        {"configurationSlot": 2, "connectionData": network_profile(url, 2)},
    )
    assert reply["status"] == "Accepted"
    status = await set_variable(csms, "OCPPCommCtrlr", "NetworkConfigurationPriority", "2,1")
    assert status in ("Accepted", "RebootRequired")
    assert (await csms.call("CS1", "Reset", {"type": "Immediate"}))["status"] == "Accepted"


async def test_a_csms_root_installed_over_ocpp_is_trusted_beside_the_ca_file(
    csms, make_cp201, front, tmp_path: Path
) -> None:
    """M05.FR.01/02 + A00.FR.307: root 2, installed over OCPP, verifies the new CSMS the
    station migrates to (B10), though the station was installed with root 1 only."""
    root1 = make_ca(tmp_path / "root1", "Root 1")
    root2 = make_ca(tmp_path / "root2", "Root 2", stem="root2")
    old = await front(root1.issue_server(tmp_path / "root1"))
    new = await front(root2.issue_server(tmp_path / "root2"))
    cp = await make_cp201(old.url, password=PASSWORD, ca_file=str(root1.cert_file))
    assert await install_root(csms, root2) == "Accepted"
    before = boots(csms)

    await migrate(csms, new.url)

    await wait_until(lambda: new.connections and cp.accepted, WAIT, "a connection at root 2's CSMS")
    await wait_until(lambda: boots(csms) > before, WAIT, "the boot there")
    assert cp.variable("OCPPCommCtrlr", "ActiveNetworkProfile") == "2"
    # The CA file is still trusted too: root 1's CSMS is as good as before.
    assert await installed_serials(csms) == {serial(root1), serial(root2)}


async def test_the_station_setting_makes_additional_root_certificate_check_true(
    csms, make_cp201, front, tmp_path: Path
) -> None:
    """Part 2 appendix SecurityCtrlr.AdditionalRootCertificateCheck: read-only, false
    unless the station's setting turns it on (then M05.FR.11 refuses an unsigned root)."""
    root1 = make_ca(tmp_path / "root1", "Root 1")
    old = await front(root1.issue_server(tmp_path / "root1"))
    plain = await make_cp201(old.url, password=PASSWORD, ca_file=str(root1.cert_file))
    assert plain.variable("SecurityCtrlr", "AdditionalRootCertificateCheck") == "false"
    await plain.stop()
    cp = await make_cp201(
        old.url,
        password=PASSWORD,
        ca_file=str(root1.cert_file),
        template=checking_template(),
        db_path=tmp_path / "checking.db",
    )
    assert cp.variable("SecurityCtrlr", "AdditionalRootCertificateCheck") == "true"
    reply = await set_variable(csms, "SecurityCtrlr", "AdditionalRootCertificateCheck", "false")
    assert reply == "Rejected"
    stranger = make_ca(tmp_path / "stranger", "Stranger", stem="stranger")
    assert await install_root(csms, stranger) == "Rejected"  # M05.FR.11


async def test_with_the_check_a_new_root_replaces_the_ca_file_and_the_old_root_goes_once_used(
    csms, make_cp201, front, tmp_path: Path
) -> None:
    """M05.FR.10/12: root 2, signed by root 1, replaces it (root 1 kept as the fallback);
    M05.FR.13: once root 2 verified the CSMS, root 1 is removed - and from then on a
    CSMS with a root 1 certificate is not trusted any more, CA file or not (TC_B_50_CS,
    TC_M_30_CS)."""
    root1 = make_ca(tmp_path / "root1", "Root 1")
    root2 = cross_signed(root1, tmp_path / "root2", "Root 2")
    old = await front(root1.issue_server(tmp_path / "root1"))
    new = await front(root2.issue_server(tmp_path / "root2"))
    cp = await make_cp201(
        old.url,
        password=PASSWORD,
        ca_file=str(root1.cert_file),
        template=checking_template(),
        variables={"OCPPCommCtrlr.NetworkProfileConnectionAttempts": "1"},
    )
    assert await install_root(csms, root2) == "Accepted"
    assert await installed_serials(csms) == {serial(root1), serial(root2)}  # M05.FR.12

    await migrate(csms, new.url)

    await wait_until(lambda: new.connections and cp.accepted, WAIT, "a connection at root 2's CSMS")
    assert await installed_serials(csms) == {serial(root2)}  # M05.FR.13
    # Back to root 1's CSMS: refused now (the fallback is gone, the CA file replaced).
    seen: list[NetworkProfileChanged] = []
    cp.events.subscribe(lambda e: seen.append(e) if isinstance(e, NetworkProfileChanged) else None)
    reply = await csms.call(
        "CS1",
        "SetNetworkProfile",
        {"configurationSlot": 0, "connectionData": network_profile(old.url, 2)},
    )
    assert reply["status"] == "Accepted"
    await set_variable(csms, "OCPPCommCtrlr", "NetworkConfigurationPriority", "0,2")
    handshakes = len(old.handshakes)
    await csms.call("CS1", "Reset", {"type": "Immediate"})
    await wait_until(
        lambda: len(new.connections) == 2 and cp.accepted, WAIT, "the station back at root 2's"
    )
    assert len(old.handshakes) > handshakes and len(old.connections) == 1
    assert [(e.slot, e.outcome) for e in seen][-2:] == [(2, "trying"), (2, "connected")]


async def test_with_the_check_a_reconnect_falls_back_to_the_old_root(
    csms, make_cp201, front, tmp_path: Path
) -> None:
    """M05.FR.14 (TC_M_31_CS): the CSMS still presents a root 1 certificate; root 2 fails
    to verify it, the fallback root 1 does, in the same attempt; root 1 stays installed."""
    root1 = make_ca(tmp_path / "root1", "Root 1")
    root2 = cross_signed(root1, tmp_path / "root2", "Root 2")
    old = await front(root1.issue_server(tmp_path / "root1"))
    cp = await make_cp201(
        old.url, password=PASSWORD, ca_file=str(root1.cert_file), template=checking_template()
    )
    assert await install_root(csms, root2) == "Accepted"
    before, handshakes = boots(csms), len(old.handshakes)

    await csms.call("CS1", "Reset", {"type": "Immediate"})

    await wait_until(lambda: boots(csms) > before and cp.accepted, WAIT, "the boot after Reset")
    assert len(old.handshakes) - handshakes == 2  # root 2 refused it, then root 1 accepted
    assert len(old.connections) == 2
    assert await installed_serials(csms) == {serial(root1), serial(root2)}


async def test_with_the_check_migrating_never_uses_the_fallback_root_until_back_home(
    csms, make_cp201, front, tmp_path: Path
) -> None:
    """M05.FR.15/16 (TC_B_47_CS): the new CSMS presents a root 1 certificate; migrating
    there, root 2 alone is tried and fails (NetworkProfileConnectionAttempts 1, B10.FR.03);
    back on the previous profile the fallback root 1 verifies the old CSMS (B10.FR.07)."""
    root1 = make_ca(tmp_path / "root1", "Root 1")
    root2 = cross_signed(root1, tmp_path / "root2", "Root 2")
    old = await front(root1.issue_server(tmp_path / "root1"))
    new = await front(root1.issue_server(tmp_path / "new", stem="new"))
    cp = await make_cp201(
        old.url,
        password=PASSWORD,
        ca_file=str(root1.cert_file),
        template=checking_template(),
        variables={"OCPPCommCtrlr.NetworkProfileConnectionAttempts": "1"},
    )
    assert await install_root(csms, root2) == "Accepted"
    seen: list[NetworkProfileChanged] = []
    cp.events.subscribe(lambda e: seen.append(e) if isinstance(e, NetworkProfileChanged) else None)
    before = boots(csms)

    await migrate(csms, new.url)

    await wait_until(lambda: boots(csms) > before and cp.accepted, WAIT, "a boot at the old CSMS")
    assert len(new.handshakes) == 1 and not new.connections  # no fallback when migrating
    assert [(e.slot, e.outcome) for e in seen][-2:] == [(1, "trying"), (1, "connected")]
    assert cp.variable("OCPPCommCtrlr", "ActiveNetworkProfile") == "1"
    assert await installed_serials(csms) == {serial(root1), serial(root2)}
