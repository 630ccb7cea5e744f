"""The connection test: each step's verdict, and the step that fails says why."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest

from bench.csms.config import CsmsConfig
from bench.csms.server import CentralSystem
from bench.ocpp.probe import Step, Verdict, probe
from bench.transport.config import LinkConfig
from tests.core.certs import make_pki, server_ssl_context

PASSWORD = "0123456789abcdef0123456789abcdef"  # AuthorizationKey (whitepaper A00.FR.205)


@pytest.fixture
async def csms() -> AsyncIterator[CentralSystem]:
    async with CentralSystem(CsmsConfig(heartbeat_interval=42)) as server:
        yield server


def free_port() -> int:
    """A port nothing listens on: bound and released by the OS, never hard-coded."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_every_step_passes_against_the_built_in_csms_and_boot_is_accepted(csms):
    """OCPP-J 1.6 §3 handshake with subprotocol ocpp1.6, then 1.6 §4.2 BootNotification."""
    report = await probe(LinkConfig(csms.url, "PROBE-1"))
    verdicts = {r.step: r.verdict for r in report.results}
    assert verdicts == {
        Step.RESOLVE: Verdict.OK,
        Step.TCP: Verdict.OK,
        Step.TLS: Verdict.SKIPPED,
        Step.UPGRADE: Verdict.OK,
        Step.SUBPROTOCOL: Verdict.OK,
        Step.BOOT: Verdict.OK,
    }
    assert report.ok
    assert [r.step for r in report.results] == list(Step)
    assert "Accepted" in report.result(Step.BOOT).detail
    assert "42 s" in report.result(Step.BOOT).detail
    assert "ocpp1.6" in report.result(Step.SUBPROTOCOL).detail
    assert report.summary().startswith("Connection works")


async def test_a_refused_port_fails_at_tcp_and_later_steps_are_not_run():
    report = await probe(LinkConfig(f"ws://127.0.0.1:{free_port()}/ocpp", "PROBE-1"))
    assert report.result(Step.RESOLVE).verdict is Verdict.OK
    tcp = report.result(Step.TCP)
    assert tcp.verdict is Verdict.FAIL
    assert "connection refused" in tcp.detail
    assert report.failed is tcp
    assert not report.ok
    for step in (Step.TLS, Step.UPGRADE, Step.SUBPROTOCOL, Step.BOOT):
        assert report.result(step).verdict is Verdict.NOT_RUN
    assert report.summary().startswith("TCP connect failed: connection refused")


async def test_an_unknown_host_fails_at_name_resolution():
    report = await probe(LinkConfig("ws://no-such-host.invalid:9000/", "PROBE-1"), timeout=5)
    step = report.result(Step.RESOLVE)
    assert step.verdict is Verdict.FAIL
    assert "cannot resolve host name 'no-such-host.invalid'" in step.detail
    assert report.result(Step.TCP).verdict is Verdict.NOT_RUN


async def test_a_wrong_password_fails_at_the_websocket_upgrade_with_http_401():
    """Whitepaper §2.3 (A00.FR.203): the CSMS checks Basic auth during the upgrade."""
    config = CsmsConfig(basic_auth={"PROBE-1": PASSWORD})
    async with CentralSystem(config) as csms:
        good = await probe(LinkConfig(csms.url, "PROBE-1", password=PASSWORD))
        bad = await probe(LinkConfig(csms.url, "PROBE-1", password="wrong-password-123"))
    assert good.ok, good.summary()
    assert "Basic auth" in good.result(Step.UPGRADE).detail
    upgrade = bad.result(Step.UPGRADE)
    assert bad.result(Step.TCP).verdict is Verdict.OK
    assert upgrade.verdict is Verdict.FAIL
    assert "HTTP 401" in upgrade.detail and "check the password" in upgrade.detail
    assert "wrong-password-123" not in upgrade.detail
    assert bad.result(Step.BOOT).verdict is Verdict.NOT_RUN


async def test_a_wrong_subprotocol_fails_at_the_subprotocol_step(csms):
    """OCPP-J 1.6 §3.2: the server must select one of the offered subprotocols."""
    report = await probe(LinkConfig(csms.url, "PROBE-1", subprotocol="ocpp1.5"))
    assert report.result(Step.TCP).verdict is Verdict.OK
    failed = report.failed
    assert failed is not None and failed.step in (Step.UPGRADE, Step.SUBPROTOCOL)
    assert "subprotocol" in failed.detail


async def test_a_pending_boot_is_a_warning_and_a_rejected_boot_a_failure():
    """1.6 §4.2: Pending and Rejected are valid replies; only Accepted lets a station work."""
    async with CentralSystem(CsmsConfig(boot_responses=["Pending"])) as csms:
        pending = await probe(LinkConfig(csms.url, "PROBE-P"))
    async with CentralSystem(CsmsConfig(boot_responses=["Rejected"])) as csms:
        rejected = await probe(LinkConfig(csms.url, "PROBE-R"))
    assert pending.result(Step.BOOT).verdict is Verdict.WARN
    assert pending.ok
    assert "Pending" in pending.result(Step.BOOT).detail
    assert rejected.result(Step.BOOT).verdict is Verdict.FAIL
    assert not rejected.ok
    assert "Rejected" in rejected.summary()


async def test_tls_is_checked_on_its_own_step_against_the_given_ca(tmp_path):
    """Whitepaper A00.FR.307/308: the server certificate verifies against the CA file."""
    pki = make_pki(tmp_path / "pki")
    other = make_pki(tmp_path / "other")
    config = CsmsConfig(ssl_context=server_ssl_context(pki.server))
    async with CentralSystem(config) as csms:
        url = csms.url
        good = await probe(LinkConfig(url, "PROBE-T", ca_file=str(pki.ca.cert_file)))
        bad = await probe(LinkConfig(url, "PROBE-T", ca_file=str(other.ca.cert_file)))
    assert url.startswith("wss://")
    assert good.result(Step.TLS).verdict is Verdict.OK
    assert "TLSv1" in good.result(Step.TLS).detail
    assert good.ok, good.summary()
    tls = bad.result(Step.TLS)
    assert tls.verdict is Verdict.FAIL
    assert "did not verify" in tls.detail
    assert bad.result(Step.UPGRADE).verdict is Verdict.NOT_RUN


async def test_a_server_that_never_answers_the_boot_fails_with_a_timeout():
    """A WebSocket peer that accepts but never replies: the boot step times out."""
    from bench.transport.server import serve_ocpp

    async def silent(_station_id, link, _subprotocol) -> None:
        for _ in range(100):
            try:
                await link.recv()
            except Exception:
                return

    server = await serve_ocpp(silent, host="127.0.0.1", port=0, subprotocols=("ocpp1.6",))
    try:
        report = await asyncio.wait_for(probe(LinkConfig(server.url, "PROBE-S"), timeout=0.5), 10)
    finally:
        await server.close()
    boot = report.result(Step.BOOT)
    assert boot.verdict is Verdict.FAIL
    assert "no reply within 0.5 s" in boot.detail


@pytest.mark.parametrize(
    ("reply", "said"),
    [
        ('[3, "ID", {"status": "Accepted"}]', "not valid OCPP 1.6"),  # interval missing
        ('[3, "ID"]', "not valid OCPP 1.6"),  # no payload at all: an unreadable reply
    ],
)
async def test_a_boot_reply_that_is_not_valid_ocpp_fails_the_boot_step(reply, said):
    """A CSMS whose BootNotification.conf breaks the 1.6 schema (§4.2): a FAIL that says
    so, not an exception out of the connection test."""
    import orjson

    from bench.transport.server import serve_ocpp

    async def garbled(_station_id, link, _subprotocol) -> None:
        for _ in range(100):
            try:
                call = orjson.loads(await link.recv())
            except Exception:
                return
            await link.send(reply.replace("ID", call[1]))

    server = await serve_ocpp(garbled, host="127.0.0.1", port=0, subprotocols=("ocpp1.6",))
    try:
        report = await asyncio.wait_for(probe(LinkConfig(server.url, "PROBE-G"), timeout=5), 10)
    finally:
        await server.close()
    boot = report.result(Step.BOOT)
    assert boot.verdict is Verdict.FAIL
    assert said in boot.detail
    assert not report.ok
