"""The virtual display is never blank: the station's own status screen (part 2 O).

A real station shows its state, the power and the session's energy, and the tariff
or cost where it knows one. CSMS messages take precedence: AlwaysFront and InFront
hide the status screen (O01.FR.15-17); NormalCycle messages take turns with it, as
they are shown "in the normal cycle of messages" (O01.FR.14).
"""

from __future__ import annotations

from bench.csms.server import CentralSystem
from tests.e2e.conftest import wait_until
from tests.e2e.v201.conftest import Cp201Factory
from tests.e2e.v201.test_display import message
from tests.e2e.v201.test_monitoring_support import start_charging


async def test_an_idle_station_shows_its_own_screen_not_a_blank(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    cp = await make_cp201(csms.url, "SCR1")
    screen = cp.display.screen(1)
    assert screen.station_screen and screen.message_id is None
    assert screen.content == "Available · plug in to charge"
    assert cp.display.current(1) is None  # no message configured: current() is unchanged


async def test_during_a_charge_the_screen_shows_state_power_energy_and_the_cost(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    cp = await make_cp201(csms.url, "SCR2")
    connector = start_charging(cp)
    await wait_until(lambda: connector.transaction is not None and connector.drawing, what="power")
    state, power_energy = cp.display.screen(1).content.split("\n")[:2]
    assert state == "Charging"
    assert power_energy.endswith(" kWh") and " kW · " in power_energy
    cp.tariff.show_cost(1, 3.5)  # I02.FR.03: the running cost, shown by the station
    screen = cp.display.screen(1)
    assert screen.station_screen and screen.content.split("\n")[-1].startswith("Cost so far: 3.50")


async def test_csms_messages_take_precedence_and_normal_cycle_ones_take_turns_with_it(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    cp = await make_cp201(csms.url, "SCR3")
    await csms.call("SCR3", "SetDisplayMessage", message(1, "Happy hour", "NormalCycle"))
    # O01.FR.14: in the normal cycle, with the station's own screen (8 virtual s each).
    await wait_until(lambda: cp.display.screen(1).content == "Happy hour", what="the message")
    await wait_until(lambda: cp.display.screen(1).station_screen, what="the status screen")
    await csms.call("SCR3", "SetDisplayMessage", message(2, "Closed at 22:00", "InFront"))
    # O01.FR.15: in front of the normal cycle (the status screen included), whatever the turn.
    assert cp.display.screen(1).content == "Closed at 22:00"
    await csms.call("SCR3", "ClearDisplayMessage", {"id": 2})
    await csms.call("SCR3", "ClearDisplayMessage", {"id": 1})
    assert cp.display.screen(1).station_screen
