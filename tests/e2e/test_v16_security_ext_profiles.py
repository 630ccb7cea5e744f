"""Security profiles changing over OCPP (whitepaper §2, A02/A03 on profile 3, A05).

The CSMS serves each profile on its own listener (A00.FR.006): Basic auth on
its plain ws:// port, TLS fronts (``TlsFronts``) for profiles 2 and 3. The
station learns the URL of each profile with ``cp.security.set_profile_url``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bench.csms.certificates import (
    CertificateAuthority,
    delete_certificate,
    extended_trigger_message,
    get_installed_certificate_ids,
    install_certificate,
)
from bench.ocpp.v16.security import SecurityProfileChanged
from tests.core.certs import Pki, make_ca, make_pki, server_ssl_context
from tests.e2e.conftest import WAIT, wait_until
from tests.e2e.security_ext_support import (
    CPO,
    KEY,
    TlsFronts,
    csms_events,
    security_event,
)

CS_ROOT = "CentralSystemRootCertificate"


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return make_pki(tmp_path / "pki")


@pytest.fixture
async def fronts() -> AsyncIterator[TlsFronts]:
    opened = TlsFronts()
    yield opened
    await opened.close()


async def security_profile(csms, station: str = "CP1") -> str:
    reply = await csms.get_configuration(station, ["SecurityProfile"])
    return reply["configurationKey"][0]["value"]


async def test_a_signed_certificate_is_used_for_the_next_connection_on_profile_3(
    make_csms, make_cp, fronts: TlsFronts, pki: Pki, tmp_path: Path
) -> None:
    """A02: ExtendedTriggerMessage(SignChargePointCertificate) -> SignCertificate with a CSR
    -> the CSMS's CA signs -> CertificateSigned Accepted -> the station reconnects with
    the new client certificate, which the CSMS's TLS port requires (A00.FR.401-403)."""
    csms = await make_csms()
    ca = CertificateAuthority.from_files(pki.ca.cert_file, pki.ca.key_file, cpo_name=CPO)
    ca.attach(csms)
    url = await fronts.open(
        csms, server_ssl_context(pki.server, client_ca=pki.ca.cert_file), basic_auth=False
    )
    factory_cert = pki.ca.issue_client(tmp_path / "factory", "CP1")
    cp = await make_cp(
        url,
        ca_file=str(pki.ca.cert_file),
        cert_file=str(factory_cert.cert_file),
        key_file=str(factory_cert.key_file),
        keys={"CpoName": CPO},
    )
    assert cp.security.profile() == 3
    first = fronts.on(url)[0][2]
    assert first is not None
    reply = await extended_trigger_message(csms, "CP1", "SignChargePointCertificate")
    assert reply == {"status": "Accepted"}
    csr = await csms.wait_for_message("CP1", "SignCertificate", timeout=WAIT)
    assert "BEGIN CERTIFICATE REQUEST" in csr["csr"]
    await wait_until(lambda: len(fronts.on(url)) >= 2, what="a second TLS connection")
    await ca.wait_idle()
    assert csms_events(csms, "CertificateSigned") == [{"status": "Accepted"}]
    used = fronts.on(url)[-1][2]
    assert used is not None
    assert used.serial_number == ca.issued[-1].serial_number != first.serial_number
    await csms.wait_for_station("CP1", WAIT, accepted=True)
    assert await security_profile(csms) == "3"


async def test_upgrading_from_profile_1_to_2_reconnects_over_tls(
    make_csms, make_cp, fronts: TlsFronts, pki: Pki
) -> None:
    """A05.FR.05-07: Accepted, disconnect, reconnect with TLS + Basic auth; it sticks."""
    csms = await make_csms(basic_auth={"CP1": KEY})
    tls_url = await fronts.open(csms, server_ssl_context(pki.server), basic_auth=True)
    cp = await make_cp(csms.url, password=KEY)
    assert await security_profile(csms) == "1"
    changes: list[SecurityProfileChanged] = []
    cp.events.subscribe(
        lambda e: changes.append(e) if isinstance(e, SecurityProfileChanged) else None
    )
    # A05.FR.03: without a CentralSystemRootCertificate profile 2 is refused.
    assert (await csms.change_configuration("CP1", "SecurityProfile", "2"))["status"] == "Rejected"
    root = pki.ca.cert_file.read_text()
    assert (await install_certificate(csms, "CP1", CS_ROOT, root))["status"] == "Accepted"
    cp.security.set_profile_url(2, tls_url)
    assert (await csms.change_configuration("CP1", "SecurityProfile", "2"))["status"] == "Accepted"
    await wait_until(lambda: fronts.on(tls_url), what="a connection on the TLS port")
    await wait_until(lambda: cp.accepted, what="accepted again")
    assert cp.security.link_config().profile == 2
    assert [c.outcome for c in changes] == ["upgrading", "confirmed"]
    assert await security_profile(csms) == "2"
    # A05.FR.01: never down, not even to the same value.
    for value in ("1", "2"):
        reply = await csms.change_configuration("CP1", "SecurityProfile", value)
        assert reply["status"] == "Rejected"
    await security_event(csms, "ReconfigurationOfSecurityParameters")
    # M04.FR.06: the root that validates the connection cannot be deleted.
    listed = await get_installed_certificate_ids(csms, "CP1", CS_ROOT)
    only = listed["certificateHashData"][0]
    assert (await delete_certificate(csms, "CP1", only))["status"] == "Failed"


async def test_a_certificate_about_to_expire_is_renewed_by_the_station(
    make_csms, make_cp, fronts: TlsFronts, pki: Pki, tmp_path: Path
) -> None:
    """A03.FR.02/03: within a month of expiry the station sends SignCertificate itself."""
    csms = await make_csms()
    ca = CertificateAuthority.from_files(
        pki.ca.cert_file, pki.ca.key_file, cpo_name=CPO, validity=timedelta(days=10)
    )
    ca.attach(csms)
    url = await fronts.open(
        csms, server_ssl_context(pki.server, client_ca=pki.ca.cert_file), basic_auth=False
    )
    factory_cert = pki.ca.issue_client(tmp_path / "factory", "CP1")
    cp = await make_cp(
        url,
        ca_file=str(pki.ca.cert_file),
        cert_file=str(factory_cert.cert_file),
        key_file=str(factory_cert.key_file),
        keys={"CpoName": CPO},
    )
    await extended_trigger_message(csms, "CP1", "SignChargePointCertificate")
    await wait_until(lambda: len(fronts.on(url)) >= 2, what="the reconnect")
    await wait_until(lambda: cp.accepted, what="accepted on the new certificate")
    assert len(ca.issued) == 1  # just renewed: no second request straight away
    # A day later (renewals are paced to one a day) the next connection renews.
    cp.state.put("CP1", "security_last_csr", "2000-01-01T00:00:00.000Z")
    cp.cut_network()
    await wait_until(lambda: not cp.online, what="offline")
    cp.restore_network()
    await wait_until(lambda: len(ca.issued) == 2, what="a renewal")
    await wait_until(lambda: len(fronts.on(url)) >= 4, what="a connection on the renewed one")
    assert fronts.on(url)[-1][2].serial_number == ca.issued[1].serial_number  # type: ignore[union-attr]


async def test_an_upgrade_that_cannot_connect_falls_back_to_the_previous_profile(
    make_csms, make_cp, fronts: TlsFronts, pki: Pki, tmp_path: Path
) -> None:
    """A05 error handling / A05.FR.08: profile 3 fails (the CSMS refuses our certificate),
    so the station goes back to profile 2 and says so with a security event."""
    csms = await make_csms(basic_auth={"CP1": KEY})
    ca = CertificateAuthority.from_files(pki.ca.cert_file, pki.ca.key_file, cpo_name=CPO)
    ca.attach(csms)
    p2 = await fronts.open(csms, server_ssl_context(pki.server), basic_auth=True)
    other = make_ca(tmp_path / "other", "Other Client Root")
    p3 = await fronts.open(
        csms, server_ssl_context(pki.server, client_ca=other.cert_file), basic_auth=False
    )
    cp = await make_cp(p2, password=KEY, ca_file=str(pki.ca.cert_file), keys={"CpoName": CPO})
    assert await security_profile(csms) == "2"
    # A05.FR.04: no charge point certificate yet -> profile 3 is refused.
    assert (await csms.change_configuration("CP1", "SecurityProfile", "3"))["status"] == "Rejected"
    await extended_trigger_message(csms, "CP1", "SignChargePointCertificate")
    await wait_until(lambda: csms_events(csms, "CertificateSigned"), what="CertificateSigned")
    assert csms_events(csms, "CertificateSigned") == [{"status": "Accepted"}]
    cp.security.set_profile_url(3, p3)
    assert (await csms.change_configuration("CP1", "SecurityProfile", "3"))["status"] == "Accepted"
    event = await wait_until(
        lambda: next(
            (e for e in cp.security.security_log() if "back to 2" in e.get("techInfo", "")),
            None,
        ),
        what="the fallback",
    )
    assert event["type"] == "ReconfigurationOfSecurityParameters"
    await wait_until(lambda: cp.accepted and cp.security.profile() == 2, what="back on profile 2")
    assert fronts.on(p3) == []
    assert len(fronts.on(p2)) >= 2
    assert await security_profile(csms) == "2"
    await security_event(csms, "FailedToAuthenticationAtCentralSystem")
    # The fallback is persisted: a restart stays on profile 2.
    assert cp.config.value("SecurityProfile") == 2
