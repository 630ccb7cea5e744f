"""The built-in CSMS's control API and faults with the bench's own 1.6 station on the other end.

What a conformance run does: the adapter asks the control API for a CSMS action,
the real ``ChargePoint16`` reacts as a station would.
"""

from __future__ import annotations

import aiohttp

from bench.csms.control import ControlServer
from tests.e2e.conftest import WAIT, sent, wait_until


async def test_a_reset_sent_through_the_control_api_reboots_the_real_station(csms, make_cp):
    """1.6 §5.14: Reset.conf Accepted, then the station reboots and boots again."""
    cp = await make_cp(csms.url)
    await csms.wait_for_station("CP1", WAIT, accepted=True)
    async with ControlServer(csms) as control, aiohttp.ClientSession() as http:
        call = {"action": "Reset", "payload": {"type": "Soft"}}
        async with http.post(control.url + "stations/CP1/call", json=call) as response:
            assert response.status == 200
            assert await response.json() == {"reply": {"status": "Accepted"}}
    await wait_until(lambda: csms.station("CP1").boot_count == 2, what="a second boot")
    assert [r.action for r in sent(cp, "CALL", "BootNotification")] == ["BootNotification"] * 2


async def test_a_rejecting_boot_fault_leaves_the_real_station_rejected(make_csms, make_cp):
    """1.6 §4.2: the station believes the (injected) Rejected and is not accepted."""
    csms = await make_csms(faults=["reply:BootNotification:status=Rejected"])
    cp = await make_cp(csms.url, wait_accepted=False)
    registration = await wait_until(
        lambda: cp.registration if cp.registration != "None" else None, what="a boot reply"
    )
    assert registration == "Rejected" and not cp.accepted
