"""Issue 17 part 1: the proxy's two legs: TLS, credentials, subprotocols, and either side vanishing.

A real 1.6 station and the built-in CSMS (or a raw OCPP-J peer) on loopback; the
charger's leg and the CSMS's leg are configured and fail independently.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from bench.csms.server import CentralSystem
from tests.core.certs import make_pki, server_ssl_context
from tests.e2e.conftest import (
    WAIT,
    CpFactory,
    RawCsms,
    kill,
    raw_csms,
    start_charging,
    stopped,
    wait_until,
)
from tests.e2e.proxy_support import ProxyFactory, make_proxy

__all__ = ["make_proxy", "raw_csms"]  # fixtures, imported for pytest

KEY = "00112233445566778899aabbccddeeff"
OTHER_KEY = "ffeeddccbbaa99887766554433221100"


async def test_tls_on_the_charger_leg_with_a_plain_upstream_charges_with_basic_auth_passed_through(
    make_csms, make_cp: CpFactory, make_proxy: ProxyFactory, tmp_path: Path
) -> None:
    """Whitepaper §2.4 toward the bench (wss://, Basic auth), §2.3 from it to the CSMS (ws://).

    The CSMS checks the charger's own password (A00.FR.204): the bench holds none.
    """
    pki = make_pki(tmp_path / "pki")
    csms = await make_csms(basic_auth={"CP1": KEY})
    proxy = await make_proxy(csms.url, ssl_context=server_ssl_context(pki.server))
    assert proxy.url.startswith("wss://") and csms.url.startswith("ws://")
    cp = await make_cp(proxy.url, password=KEY, ca_file=str(pki.ca.cert_file))
    assert cp.link_config.profile == 2
    tx_id = await start_charging(cp, csms)
    cp.present_id("TAG1")
    assert (await stopped(csms))["transactionId"] == tx_id
    assert proxy.log.count(station="CP1", action="StopTransaction", leg="csms") >= 1


async def test_a_wrong_password_is_refused_by_the_csms_and_the_refusal_reaches_the_charger(
    make_csms, make_cp: CpFactory, make_proxy: ProxyFactory
) -> None:
    """Whitepaper §2.3: the CSMS's HTTP 401 is the charger's answer too, not the bench's."""
    csms = await make_csms(basic_auth={"CP1": KEY})
    proxy = await make_proxy(csms.url)
    cp = await make_cp(proxy.url, password=OTHER_KEY, wait_accepted=False)
    error = await wait_until(lambda: cp.last_link_error, what="a link error")
    assert "401" in error, error
    assert not cp.online and csms.connected_stations() == []
    assert proxy.server.stations == {}


async def test_the_charger_gets_the_subprotocol_the_csms_chose_among_those_it_offered(
    make_csms, make_proxy: ProxyFactory
) -> None:
    """OCPP-J 1.6 §3.1.2 / 2.0.1 part 4 §3.1.2: offered upstream as offered, answered as chosen."""
    csms = await make_csms(subprotocols=("ocpp1.6",))
    proxy = await make_proxy(csms.url)
    async with connect(
        f"{proxy.url}/ocpp/PICKY", subprotocols=["ocpp2.0.1", "ocpp1.6"], proxy=None
    ) as charger:
        assert charger.subprotocol == "ocpp1.6"
        await charger.send(
            json.dumps(
                [2, "b1", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}]
            )
        )
        reply = json.loads(await charger.recv())
        assert reply[0] == 3 and reply[2]["status"] == "Accepted"
    assert csms.protocol_version("PICKY") == "1.6"


async def test_an_invalid_frame_is_forwarded_and_marked_in_the_log(
    raw_csms: RawCsms, make_proxy: ProxyFactory
) -> None:
    """1.6 §4.2 BootNotification.req needs chargePointVendor: the CSMS still gets the frame."""
    proxy = await make_proxy(raw_csms.url)
    async with connect(f"{proxy.url}/RAW1", subprotocols=["ocpp1.6"], proxy=None) as charger:
        await charger.send(json.dumps([2, "b1", "BootNotification", {"chargePointModel": "M"}]))
        reply = json.loads(await charger.recv())
    assert reply[0] == 3  # the raw CSMS answered what the proxy forwarded
    assert raw_csms.calls == [("BootNotification", {"chargePointModel": "M"})]
    rows = proxy.rows(station="RAW1", type="CALL")
    assert [(r.leg, r.valid) for r in rows] == [("charger", False), ("csms", False)]
    assert "chargePointVendor" in (rows[0].error or "")


async def test_a_csms_outage_closes_the_charger_leg_and_a_restart_brings_the_charger_back(
    make_csms, make_cp: CpFactory, make_proxy: ProxyFactory
) -> None:
    """1.6 §4.8 offline behaviour is exercised: the charger sees its CSMS go, then return."""
    csms = await make_csms()
    port = csms.port
    proxy = await make_proxy(csms.url)
    cp = await make_cp(proxy.url)
    await csms.stop()
    await wait_until(lambda: not cp.online, what="the charger offline")
    # While the CSMS is gone, the charger's reconnects are refused by the bench (502).
    error = await wait_until(
        lambda: cp.last_link_error if "502" in (cp.last_link_error or "") else None,
        what="a refused reconnect",
    )
    assert "Bad Gateway" in error
    closed = [r for r in proxy.rows(station="CP1", type="LINK") if r.payload["event"] == "closed"]
    assert [r.leg for r in closed] == ["csms", "charger"]
    # The charger's leg ends with the close code the CSMS ended its leg with.
    assert closed[1].payload["code"] == closed[0].payload["code"]

    again = await make_csms(port=port)
    await again.wait_for_station("CP1", timeout=WAIT)
    await wait_until(lambda: cp.online, what="the charger back online")
    opened = [r for r in proxy.rows(station="CP1", type="LINK") if r.payload["event"] == "open"]
    assert [r.leg for r in opened] == ["charger", "csms", "charger", "csms"]


async def test_a_charger_that_reconnects_gets_a_fresh_upstream_leg(
    csms: CentralSystem, make_cp: CpFactory, make_proxy: ProxyFactory, tmp_path: Path
) -> None:
    """One upstream connection per station: a power cut ends it, the next boot opens another."""
    proxy = await make_proxy(csms.url)
    first = await make_cp(proxy.url, db_path=tmp_path / "first.db")
    old = await proxy.server.wait_station("CP1", WAIT)
    await kill(first)
    await csms.wait_for_disconnect("CP1", timeout=WAIT)
    await old.ended.wait()
    await make_cp(proxy.url, db_path=tmp_path / "second.db")
    await csms.wait_for_station("CP1", timeout=WAIT, accepted=True)
    new = await proxy.server.wait_station("CP1", WAIT)
    assert new is not old and list(proxy.server.stations) == ["CP1"]
    closed = [r for r in proxy.rows(station="CP1", type="LINK") if r.payload["event"] == "closed"]
    assert [r.leg for r in closed][:2] == ["charger", "csms"]


@pytest.mark.parametrize("path", ["/", ""])
async def test_a_path_without_an_identity_is_refused_before_any_upstream_connection(
    raw_csms: RawCsms, make_proxy: ProxyFactory, path: str
) -> None:
    """OCPP-J 1.6 §3.1.1: the identity is the last path segment; none, HTTP 404."""
    from websockets.exceptions import InvalidStatus

    proxy = await make_proxy(raw_csms.url)
    with pytest.raises(InvalidStatus) as refused:
        async with connect(proxy.url + path, subprotocols=["ocpp1.6"], proxy=None):
            pass
    assert refused.value.response.status_code == 404
    assert not raw_csms.connected.is_set()


async def test_a_wrapper_can_stand_on_either_leg_of_each_station(
    csms: CentralSystem, make_cp: CpFactory, make_proxy: ProxyFactory
) -> None:
    """The hook network faults use: each leg's link is the wrapper's, for every frame."""
    sent: list[tuple[str, str]] = []

    class Counting:
        def __init__(self, leg: str, link) -> None:
            self.leg, self.link = leg, link

        async def send(self, text: str) -> None:
            sent.append((self.leg, json.loads(text)[0]))
            await self.link.send(text)

        async def recv(self):
            return await self.link.recv()

        async def close(self, code: int = 1000, reason: str = "") -> None:
            await self.link.close(code, reason)

    proxy = await make_proxy(csms.url, wrap_leg=lambda _sid, leg, link: Counting(leg, link))
    await make_cp(proxy.url)
    # The boot CALL went out on the CSMS leg, its reply on the charger leg, both wrapped.
    assert ("csms", 2) in sent and ("charger", 3) in sent


async def test_a_plain_charger_leg_with_tls_upstream_verified_against_the_given_ca(
    csms: CentralSystem, make_cp: CpFactory, make_proxy: ProxyFactory, tmp_path: Path
) -> None:
    """Whitepaper A00.FR.313 on the bench's own leg: the CSMS's certificate is checked."""
    from bench.proxy.tls import csms_side
    from bench.transport.server import serve_ocpp

    pki = make_pki(tmp_path / "pki")
    front = await serve_ocpp(
        csms._on_connection,
        subprotocols=("ocpp1.6",),
        ssl_context=server_ssl_context(pki.server),
    )
    try:
        proxy = await make_proxy(front.url, upstream_ssl=csms_side(str(pki.ca.cert_file)))
        assert proxy.url.startswith("ws://") and front.url.startswith("wss://")
        cp = await make_cp(proxy.url)
        await start_charging(cp, csms)
        # Another CA's bench refuses the CSMS: the charger hears 502, never a bad CSMS.
        stranger = make_pki(tmp_path / "other").ca
        wary = await make_proxy(front.url, upstream_ssl=csms_side(str(stranger.cert_file)))
        other = await make_cp(wary.url, "CP2", wait_accepted=False, db_path=tmp_path / "cp2.db")
        error = await wait_until(lambda: other.last_link_error, what="a refused connection")
        assert "502" in error, error
        assert "CP2" not in csms.connected_stations()
    finally:
        await front.close()
