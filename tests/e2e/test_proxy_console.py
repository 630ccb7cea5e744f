"""The proxy's console (``ocpp-bench proxy``'s stdin): held frames, sending to either side."""

from __future__ import annotations

from pathlib import Path

from bench.csms.server import CentralSystem
from bench.proxy.console import execute
from bench.proxy.rules import Rule
from tests.e2e.conftest import WAIT, CpFactory, ev, wait_until
from tests.e2e.proxy_support import ProxyFactory, make_proxy

__all__ = ["make_proxy"]  # the fixture, imported for pytest


async def test_a_held_status_notification_reaches_the_csms_when_released_from_the_console(
    csms: CentralSystem, make_cp: CpFactory, make_proxy: ProxyFactory
) -> None:
    """1.6 §4.9: the Preparing status waits in the bench until the user lets it go."""
    hold = Rule(
        "hold", name="look first", action="StatusNotification", match={"status": "Preparing"}
    )
    proxy = await make_proxy(csms.url, [hold])
    cp = await make_cp(proxy.url, "CP1")
    station = await proxy.server.wait_station("CP1", WAIT)
    mark = csms.mark()
    cp.station.connector(1).plug_in(ev())
    await wait_until(lambda: station.held, what="the held status")
    assert await execute(proxy.server, "held") == "CP1 #1 CALL StatusNotification (look first)"
    assert await execute(proxy.server, "release CP1 1") == "released 1 frame(s) of CP1"
    await csms.wait_for_message(
        "CP1", "StatusNotification", lambda p: p["status"] == "Preparing", WAIT, since=mark
    )
    assert await execute(proxy.server, "release CP1 7") == "error: no held frame 7 at CP1"


async def test_the_console_sends_to_the_charger_and_prints_its_reply(
    csms: CentralSystem, make_cp: CpFactory, make_proxy: ProxyFactory, tmp_path: Path
) -> None:
    """1.6 §5.8 GetConfiguration, sent to the charger as if from the CSMS."""
    proxy = await make_proxy(csms.url)
    await make_cp(proxy.url, "CP1")
    await proxy.server.wait_station("CP1", WAIT)
    answer = await execute(
        proxy.server, 'send CP1 charger GetConfiguration {"key": ["HeartbeatInterval"]}'
    )
    assert answer.startswith("CALLRESULT (valid) ") and '"HeartbeatInterval"' in answer
    assert (await execute(proxy.server, "send CP9 csms Heartbeat {}")).startswith("error: ")
    assert await execute(proxy.server, "stations") == "CP1  ocpp1.6  held 0"
    rules = tmp_path / "rules.json"
    rules.write_text('[{"action": "Heartbeat", "then": "drop"}]')
    assert await execute(proxy.server, f"rules load {rules}") == "1 rule(s) in force"
    assert '"then": "drop"' in await execute(proxy.server, "rules")
    assert (await execute(proxy.server, "fly")).startswith("error: unknown command")
