"""2.0.1: the CA file given at start is the one TLS trusts, every run (issue 11 #4).

Security profile 2 (A00.FR.301-324): a TLS listener in front of the built-in
CSMS, as in the 1.6 security tests. Before, a later run with the same database
trusted the roots copied into the store on the first run, not the CA file given.
"""

from __future__ import annotations

from pathlib import Path

from bench.transport.server import serve_ocpp
from tests.core.certs import make_ca, make_pki, server_ssl_context
from tests.e2e.conftest import wait_until
from tests.e2e.v201.sec_support import PASSWORD


async def test_each_2_0_1_run_trusts_the_ca_file_it_is_given(
    make_csms, make_cp201, tmp_path: Path
) -> None:
    pki = make_pki(tmp_path / "pki")
    csms = await make_csms(basic_auth={"CS1": PASSWORD})
    front = await serve_ocpp(
        csms._on_connection,
        subprotocols=("ocpp2.0.1",),
        ssl_context=server_ssl_context(pki.server),
        basic_auth=csms._check_password,
    )
    try:
        db = tmp_path / "station.db"
        stranger = make_ca(tmp_path / "other", "Some Other Root")
        first = await make_cp201(
            front.url, password=PASSWORD, ca_file=str(pki.ca.cert_file), db_path=db
        )
        assert first.accepted
        await first.stop()
        wrong = await make_cp201(
            front.url,
            password=PASSWORD,
            ca_file=str(stranger.cert_file),
            db_path=db,
            wait_accepted=False,
        )
        error = await wait_until(lambda: wrong.last_link_error, what="a link error")
        assert str(stranger.cert_file) in error and "roots.pem" not in error, error
        assert not wrong.accepted
        await wrong.stop()
        again = await make_cp201(
            front.url, password=PASSWORD, ca_file=str(pki.ca.cert_file), db_path=db
        )
        assert again.accepted
        await again.stop()
    finally:
        await front.close()
