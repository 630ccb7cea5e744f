"""2.0.1 boot, heartbeat and status notifications against the built-in CSMS (B01-B03, G01)."""

from __future__ import annotations

from bench.csms.server import CentralSystem
from tests.e2e.conftest import WAIT, ev, wait_until
from tests.e2e.v201.conftest import Cp201Factory, request


async def test_a_station_boots_with_reason_power_up_and_reports_every_evse(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """B01.FR.01, B01.FR.09: BootNotification with a reason; B01.FR.05: a status per connector."""
    cp = await make_cp201(csms.url, "CS1", template="ac-22kw-dual")
    boot = request(cp, "BootNotification")[0]
    assert boot["reason"] == "PowerUp"
    assert boot["chargingStation"]["vendorName"] == cp.station.identity.vendor
    info = await csms.wait_for_station("CS1", timeout=WAIT)
    assert info.subprotocol == "ocpp2.0.1"
    await wait_until(lambda: len(csms.statuses("CS1")) == 2, what="a status per EVSE")
    assert {row.status for row in csms.statuses("CS1").values()} == {"Available"}


async def test_plugging_in_reports_occupied_for_that_evse(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """G01: a plugged-in EV makes the connector Occupied."""
    cp = await make_cp201(csms.url, "CS2")
    cp.station.connector(1).plug_in(ev())
    await wait_until(
        lambda: (row := csms.statuses("CS2").get(1)) is not None and row.status == "Occupied",
        what="Occupied reported",
    )


async def test_the_accepted_interval_becomes_the_heartbeat_interval(
    make_csms, make_cp201: Cp201Factory
) -> None:
    """B01.FR.04: interval > 0 in an Accepted reply sets OCPPCommCtrlr.HeartbeatInterval."""
    central = await make_csms(heartbeat_interval=120)
    cp = await make_cp201(central.url, "CS3")
    assert cp.variable("OCPPCommCtrlr", "HeartbeatInterval") == "120"
    # 120 virtual seconds pass in one real second at SPEED.
    await wait_until(lambda: len(request(cp, "Heartbeat")) >= 1, what="a heartbeat")


async def test_a_pending_station_boots_again_and_is_accepted(
    make_csms, make_cp201: Cp201Factory
) -> None:
    """B02.FR.01: Pending, then a new BootNotification after the interval, then Accepted."""
    central = await make_csms(boot_responses=["Pending", "Accepted"], boot_retry_interval=30)
    cp = await make_cp201(central.url, "CS4")
    assert len(request(cp, "BootNotification")) == 2
    assert cp.registration == "Accepted"
