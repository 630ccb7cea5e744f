"""Security profiles 1-3 between a charge point and the built-in CSMS (security whitepaper §2).

The built-in CSMS speaks Basic auth itself (``CsmsConfig.basic_auth``) but has
no TLS setting yet, so profiles 2 and 3 put a TLS listener in front of it:
``serve_ocpp`` with an SSL context hands every connection to the same
``CentralSystem`` connection handler the plain listener uses.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bench.csms.server import CentralSystem
from bench.transport.server import OcppServer, serve_ocpp
from tests.core.certs import Pki, make_ca, make_pki, server_ssl_context
from tests.e2e.conftest import WAIT, start_charging, stopped, wait_until

KEY = "00112233445566778899aabbccddeeff"
OTHER_KEY = "ffeeddccbbaa99887766554433221100"


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return make_pki(tmp_path / "pki")


@pytest.fixture
async def tls_front() -> AsyncIterator:
    servers: list[OcppServer] = []

    async def open_front(csms: CentralSystem, context, *, basic_auth: bool) -> str:
        server = await serve_ocpp(
            csms._on_connection,
            ssl_context=context,
            basic_auth=csms._check_password if basic_auth else None,
        )
        servers.append(server)
        return server.url

    yield open_front
    for server in servers:
        await server.close()


async def test_profile_1_basic_auth_with_the_right_key_charges(make_csms, make_cp) -> None:
    """Whitepaper §2.3 (A00.FR.201-205): ws:// with Basic auth, user = identity."""
    csms = await make_csms(basic_auth={"CP1": KEY})
    cp = await make_cp(csms.url, password=KEY)
    assert cp.link_config.profile == 1
    await start_charging(cp, csms)


async def test_profile_1_with_a_wrong_password_stays_offline_with_a_clear_error(
    make_csms, make_cp
) -> None:
    """Whitepaper §2.3: the CSMS answers 401; the station never gets to boot."""
    csms = await make_csms(basic_auth={"CP1": KEY})
    cp = await make_cp(csms.url, password=OTHER_KEY, wait_accepted=False)
    error = await wait_until(lambda: cp.last_link_error, what="a link error")
    assert "401" in error or "credential" in error.lower() or "password" in error.lower(), error
    assert not cp.online
    assert not cp.accepted
    assert csms.connected_stations() == []


async def test_a_new_authorization_key_is_used_from_the_next_connection(make_csms, make_cp) -> None:
    """Whitepaper §3.1 / A00.FR.205: ChangeConfiguration AuthorizationKey -> new password."""
    csms = await make_csms(basic_auth={"CP1": KEY})
    cp = await make_cp(csms.url, password=KEY)
    reply = await csms.change_configuration("CP1", "AuthorizationKey", OTHER_KEY)
    assert reply["status"] == "Accepted"
    assert cp.link_config.password == OTHER_KEY
    await csms.wait_for_disconnect("CP1", timeout=WAIT)  # it reconnects with the new key
    await csms.wait_for_station("CP1", timeout=WAIT)
    since = csms.mark()
    assert await csms.reset("CP1", "Soft") == {"status": "Accepted"}
    # Only the new key opens the CSMS now: a second boot proves the station used it.
    await csms.wait_for_message("CP1", "BootNotification", timeout=WAIT, since=since)
    await wait_until(lambda: cp.accepted, what="accepted with the new key")


async def test_an_accepted_authorization_key_reconnects_at_once_and_only_it_opens_the_csms(
    make_csms, make_cp
) -> None:
    """Whitepaper A01.FR.03: on Accepted the CSMS refuses the old password, so the station
    answers Accepted (not RebootRequired) and reconnects with the new key right away
    (OCTT TC_073_CS step 3); the built-in CSMS takes the new key as the station's."""
    csms = await make_csms(basic_auth={"CP1": KEY})
    cp = await make_cp(csms.url, password=KEY)
    reply = await csms.change_configuration("CP1", "AuthorizationKey", OTHER_KEY)
    assert reply == {"status": "Accepted"}
    assert csms.config.basic_auth == {"CP1": OTHER_KEY}
    await csms.wait_for_disconnect("CP1", timeout=WAIT)
    await csms.wait_for_station("CP1", timeout=WAIT)
    await wait_until(lambda: cp.online, what="connected with the new key")
    assert cp.last_link_error is None or "401" not in cp.last_link_error


async def test_a_refused_authorization_key_leaves_the_password_and_the_connection_alone(
    make_csms, make_cp
) -> None:
    """Whitepaper A01.FR.04: Rejected -> the CSMS keeps accepting the old credentials."""
    csms = await make_csms(basic_auth={"CP1": KEY})
    cp = await make_cp(csms.url, password=KEY)
    reply = await csms.change_configuration("CP1", "AuthorizationKey", "not-hex")
    assert reply == {"status": "Rejected"}
    assert csms.config.basic_auth == {"CP1": KEY}
    assert cp.online
    assert cp.link_config.password == KEY


async def test_profile_2_tls_with_basic_auth_charges(
    make_csms, make_cp, tls_front, pki: Pki
) -> None:
    """Whitepaper §2.4 (A00.FR.301-320): wss:// verified against the CSMS's CA, Basic auth."""
    csms = await make_csms(basic_auth={"CP1": KEY})
    url = await tls_front(csms, server_ssl_context(pki.server), basic_auth=True)
    cp = await make_cp(url, password=KEY, ca_file=str(pki.ca.cert_file))
    assert cp.link_config.profile == 2
    tx_id = await start_charging(cp, csms)
    cp.present_id("TAG1")
    stop = await stopped(csms)
    assert stop["transactionId"] == tx_id


async def test_profile_2_against_a_server_of_another_ca_stays_offline(
    make_csms, make_cp, tls_front, pki: Pki, tmp_path: Path
) -> None:
    """Whitepaper A00.FR.313: the station verifies the server certificate."""
    csms = await make_csms(basic_auth={"CP1": KEY})
    url = await tls_front(csms, server_ssl_context(pki.server), basic_auth=True)
    stranger = make_ca(tmp_path / "other", "Some Other Root")
    cp = await make_cp(url, password=KEY, ca_file=str(stranger.cert_file), wait_accepted=False)
    error = await wait_until(lambda: cp.last_link_error, what="a link error")
    assert "certificate" in error.lower(), error
    assert not cp.accepted


async def test_profile_3_tls_with_a_client_certificate_charges(
    make_csms, make_cp, tls_front, pki: Pki, tmp_path: Path
) -> None:
    """Whitepaper §2.5 (A00.FR.401-420): mutual TLS, no password needed."""
    csms = await make_csms()
    context = server_ssl_context(pki.server, client_ca=pki.ca.cert_file)
    url = await tls_front(csms, context, basic_auth=False)
    client = pki.ca.issue_client(tmp_path / "pki", "CP1")
    cp = await make_cp(
        url,
        ca_file=str(pki.ca.cert_file),
        cert_file=str(client.cert_file),
        key_file=str(client.key_file),
    )
    assert cp.link_config.profile == 3
    await start_charging(cp, csms)


async def test_profile_3_with_a_certificate_the_csms_does_not_trust_stays_offline(
    make_csms, make_cp, tls_front, pki: Pki, tmp_path: Path
) -> None:
    """Whitepaper A00.FR.407: the CSMS refuses a client certificate of an unknown CA."""
    csms = await make_csms()
    context = server_ssl_context(pki.server, client_ca=pki.ca.cert_file)
    url = await tls_front(csms, context, basic_auth=False)
    stranger = make_ca(tmp_path / "other", "Some Other Root")
    client = stranger.issue_client(tmp_path / "other", "CP1")
    cp = await make_cp(
        url,
        ca_file=str(pki.ca.cert_file),
        cert_file=str(client.cert_file),
        key_file=str(client.key_file),
        wait_accepted=False,
    )
    await wait_until(lambda: cp.last_link_error, what="a link error")
    assert not cp.accepted
    assert csms.connected_stations() == []


# Issue 11 #4: the CA file given at start is the one TLS trusts, every run. Before, the
# first run's CA file was copied into the certificate store and later runs with the same
# database trusted the store: a wrong CA still connected, a corrected one was still
# refused, and errors named an internal roots.pem.
async def test_each_run_trusts_the_ca_file_it_is_given(
    make_csms,
    make_cp,
    tls_front,
    pki,
    tmp_path: Path,
    caplog,
) -> None:
    csms = await make_csms(basic_auth={"CP1": KEY})
    url = await tls_front(csms, server_ssl_context(pki.server), basic_auth=True)
    db = tmp_path / "station.db"
    stranger = make_ca(tmp_path / "other", "Some Other Root")

    first = await make_cp(url, password=KEY, ca_file=str(pki.ca.cert_file), db_path=db)
    assert first.accepted
    await first.stop()

    caplog.set_level(logging.WARNING)
    wrong = await make_cp(
        url, password=KEY, ca_file=str(stranger.cert_file), db_path=db, wait_accepted=False
    )
    error = await wait_until(lambda: wrong.last_link_error, what="a link error")
    assert str(stranger.cert_file) in error and "roots.pem" not in error, error
    assert not wrong.accepted
    assert "differs from the roots in the station's certificate store" in caplog.text
    await wrong.stop()

    again = await make_cp(url, password=KEY, ca_file=str(pki.ca.cert_file), db_path=db)
    assert again.accepted


async def test_a_corrected_ca_file_connects_after_a_wrong_first_run(
    make_csms,
    make_cp,
    tls_front,
    pki,
    tmp_path: Path,
) -> None:
    csms = await make_csms(basic_auth={"CP1": KEY})
    url = await tls_front(csms, server_ssl_context(pki.server), basic_auth=True)
    db = tmp_path / "station.db"
    stranger = make_ca(tmp_path / "other", "Some Other Root")
    wrong = await make_cp(
        url, password=KEY, ca_file=str(stranger.cert_file), db_path=db, wait_accepted=False
    )
    await wait_until(lambda: wrong.last_link_error, what="a link error")
    await wrong.stop()
    fixed = await make_cp(url, password=KEY, ca_file=str(pki.ca.cert_file), db_path=db)
    assert fixed.accepted
