"""Issue 17 part 1: a charger and a CSMS talking through the bench's OCPP-J proxy.

A real 1.6 station (``make_cp``) connects to the proxy as if it were the CSMS; the
proxy connects it to the built-in CSMS. Everything is on loopback with
OS-assigned ports, and the proxy's message log is a real SQLite file.
"""

from __future__ import annotations

import pytest

from bench.csms.server import CentralSystem
from bench.ocpp.errors import CallError
from bench.proxy.rules import TO_CHARGER, TO_CSMS, Rule
from tests.e2e.conftest import (
    WAIT,
    CpFactory,
    frame_list,
    present,
    start_charging,
    stopped,
    wait_until,
)
from tests.e2e.proxy_support import ProxyFactory, legs_of, make_proxy

__all__ = ["make_proxy"]  # the fixture, imported for pytest


async def test_a_station_through_the_proxy_completes_a_charging_session_with_every_frame_logged_on_both_legs(  # noqa: E501
    csms: CentralSystem, make_cp: CpFactory, make_proxy: ProxyFactory
) -> None:
    """1.6 §4.8/§4.10 through the proxy: boot, start, stop; each frame on each leg."""
    proxy = await make_proxy(csms.url)
    cp = await make_cp(proxy.url, "CP1")
    await start_charging(cp, csms)
    await cp.clock.sleep(60)
    cp.present_id("TAG1")
    stop = await stopped(csms)
    assert stop["reason"] == "Local"
    await wait_until(lambda: not cp.session.awaiting_reply, what="the last reply")

    rows = proxy.rows(station="CP1")
    calls = frame_list(cp).sent("CALL")
    assert {"BootNotification", "StartTransaction", "StopTransaction"} <= {c.action for c in calls}
    for call in calls:
        request = legs_of(rows, call.id, "CALL")
        reply = legs_of(rows, call.id, "CALLRESULT")
        assert set(request) == {"charger", "csms"}, call.action
        assert set(reply) == {"charger", "csms"}, call.action
        # Directions are the charger's: tx toward the CSMS, rx back.
        assert {r.direction for r in request.values()} == {"tx"}
        assert {r.direction for r in reply.values()} == {"rx"}
        assert all(r.valid for r in (*request.values(), *reply.values())), call.action
        assert reply["csms"].action == call.action
        # The CSMS's own answer time, then what the charger waited through the bench.
        assert reply["csms"].latency_ms is not None and reply["csms"].latency_ms >= 0
        assert reply["charger"].latency_ms >= reply["csms"].latency_ms
    link = [r for r in rows if r.type == "LINK"]
    assert [(r.leg, r.payload["event"]) for r in link[:2]] == [
        ("charger", "open"),
        ("csms", "open"),
    ]
    assert link[0].payload["subprotocol"] == "ocpp1.6"
    assert csms.protocol_version("CP1") == "1.6"


async def test_a_drop_rule_on_meter_values_keeps_them_from_the_csms(
    csms: CentralSystem, make_cp: CpFactory, make_proxy: ProxyFactory
) -> None:
    """The issue's drop rule: MeterValues (1.6 §4.7) never reach the CSMS, each is marked."""
    drop = Rule("drop", name="no meter values", direction="to_csms", action="MeterValues")
    proxy = await make_proxy(csms.url, [drop])
    cp = await make_cp(proxy.url, "CP1", call_timeout=0.5)
    mark = csms.mark()
    await start_charging(cp, csms)
    await wait_until(
        lambda: proxy.log.count(station="CP1", action="MeterValues", type="RULE") >= 2,
        WAIT,
        "two MeterValues dropped",
    )
    rows = proxy.rows(station="CP1", action="MeterValues")
    seen_from_charger = [r for r in rows if r.type == "CALL" and r.leg == "charger"]
    assert seen_from_charger and not [r for r in rows if r.leg == "csms"]
    rule_rows = [r for r in rows if r.type == "RULE"]
    assert rule_rows[0].payload == {"rule": "no meter values", "then": "drop"}
    # Logged next to the frame it touched: the same message id, the row right after.
    all_rows = proxy.log.query_with_ids(station="CP1")
    ids = {
        rec.id: row_id for row_id, rec in all_rows if rec.type == "CALL" and rec.leg == "charger"
    }
    first_rule = next(row_id for row_id, rec in all_rows if rec.type == "RULE")
    assert ids[rule_rows[0].id] == first_rule - 1
    with pytest.raises(TimeoutError):
        await csms.wait_for_message("CP1", "MeterValues", timeout=0.2, since=mark)


async def test_a_replace_rule_changes_a_field_of_the_reply_the_charger_gets(
    csms: CentralSystem, make_cp: CpFactory, make_proxy: ProxyFactory
) -> None:
    """1.6 §4.2: the charger takes the heartbeat interval of the (rewritten) boot reply."""
    replace = Rule(
        "replace",
        direction="to_charger",
        action="BootNotification",
        type="CALLRESULT",
        set={"interval": 77},
    )
    proxy = await make_proxy(csms.url, [replace])
    cp = await make_cp(proxy.url, "CP1")
    assert cp.config.value("HeartbeatInterval") == 77
    rows = proxy.rows(station="CP1", action="BootNotification", type="CALLRESULT")
    by_leg = {r.leg: r for r in rows}
    assert by_leg["csms"].payload["interval"] == 3600  # what the CSMS said
    assert by_leg["charger"].payload["interval"] == 77  # what the charger got
    assert by_leg["charger"].valid
    rule = proxy.rows(station="CP1", type="RULE")
    assert rule[0].payload["set"] == {"interval": 77} and rule[0].leg == "csms"


async def test_a_rule_answers_a_call_locally_and_the_csms_never_sees_it(
    csms: CentralSystem, make_cp: CpFactory, make_proxy: ProxyFactory
) -> None:
    """1.6 §4.1: the charger gets the bench's Authorize reply; the CSMS gets nothing."""
    answer = Rule(
        "answer",
        action="Authorize",
        match={"idTag": "TAG1"},
        result={"idTagInfo": {"status": "Blocked"}},
    )
    proxy = await make_proxy(csms.url, [answer])
    cp = await make_cp(proxy.url, "CP1")
    mark = csms.mark()
    assert await present(cp, "TAG1") == "Blocked"  # the CSMS itself accepts TAG1
    with pytest.raises(TimeoutError):
        await csms.wait_for_message("CP1", "Authorize", timeout=0.2, since=mark)
    reply = proxy.rows(station="CP1", action="Authorize", type="CALLRESULT")
    assert [(r.leg, r.direction, r.valid) for r in reply] == [("charger", "rx", True)]


async def test_a_canned_callerror_answers_locally(
    csms: CentralSystem, make_cp: CpFactory, make_proxy: ProxyFactory
) -> None:
    """OCPP-J 1.6 §4.2.3: a CALLERROR from the bench in place of the CSMS's answer."""
    answer = Rule(
        "answer",
        action="DataTransfer",
        error={"code": "NotSupported", "description": "not through this proxy"},
    )
    proxy = await make_proxy(csms.url, [answer])
    cp = await make_cp(proxy.url, "CP1")
    with pytest.raises(CallError) as caught:
        await cp.session.call("DataTransfer", {"vendorId": "bench"})
    assert caught.value.code == "NotSupported"
    assert caught.value.description == "not through this proxy"
    errors = proxy.rows(station="CP1", action="DataTransfer", type="CALLERROR")
    assert [(r.leg, r.error) for r in errors] == [("charger", "NotSupported")]


async def test_the_console_speaks_to_either_side_and_shows_the_reply(
    csms: CentralSystem, make_cp: CpFactory, make_proxy: ProxyFactory
) -> None:
    """1.6 §5.8 GetConfiguration to the charger as the CSMS; §4.6 Heartbeat to the CSMS."""
    proxy = await make_proxy(csms.url)
    cp = await make_cp(proxy.url, "CP1")
    station = await proxy.server.wait_station("CP1", WAIT)
    mark = csms.mark()

    from_charger = await station.call(
        TO_CHARGER, "GetConfiguration", {"key": ["HeartbeatInterval"]}, WAIT
    )
    assert from_charger.type == "CALLRESULT" and from_charger.valid
    assert from_charger.payload["configurationKey"][0]["key"] == "HeartbeatInterval"
    from_csms = await station.call(TO_CSMS, "Heartbeat", {}, WAIT)
    assert from_csms.type == "CALLRESULT" and "currentTime" in from_csms.payload
    await csms.wait_for_message("CP1", "Heartbeat", timeout=WAIT, since=mark)
    # The bench's own exchanges are logged on the leg they used, and go no further.
    rows = proxy.rows(station="CP1", action="GetConfiguration")
    assert [(r.type, r.leg) for r in rows] == [("CALL", "charger"), ("CALLRESULT", "charger")]
    assert cp.link_state == "connected"


async def test_a_proxied_chargers_cards_and_graphs_come_from_what_it_sends(
    csms: CentralSystem, make_cp: CpFactory, make_proxy: ProxyFactory
) -> None:
    """1.6 §4.9 status, §4.8 transaction id, §4.7 meter values: read off the charger's frames."""
    proxy = await make_proxy(csms.url)
    cp = await make_cp(
        proxy.url,
        "CP1",
        keys={"MeterValuesSampledData": "Energy.Active.Import.Register,Power.Active.Import"},
    )
    station = await proxy.server.wait_station("CP1", WAIT)
    tx_id = await start_charging(cp, csms)
    observed = station.observed
    connector = await wait_until(
        lambda: (c := observed.connectors.get((0, 1))) and len(c.samples) >= 2 and c,
        what="two meter samples",
    )
    assert connector.status == "Charging"
    assert connector.transaction_id == str(tx_id) and connector.id_tag == "TAG1"
    assert connector.power_w > 0
    assert connector.energy_wh >= connector.meter_start_wh
    energies = [row[8] for row in connector.samples]  # energy_kwh, in time order
    assert energies == sorted(energies)
    cp.present_id("TAG1")
    await stopped(csms)
    await wait_until(lambda: connector.transaction_id is None, what="the stop")
    await wait_until(lambda: connector.status == "Finishing", what="Finishing")
