"""Pure parts of the 2.0.1 transaction block: charging states, points, sampled values."""

from __future__ import annotations

from bench.model.clock import ManualClock
from bench.model.ev import Ev
from bench.model.templates import build_station, load_ev_template
from bench.ocpp.v201.transactions import token_of
from bench.ocpp.v201.tx_meter import Sampler, measurand_list
from bench.ocpp.v201.tx_state import (
    EvseSession,
    charging_state,
    point_list,
    points_now,
    same_token,
)


def _station():
    return build_station("U1", "ac-11kw", ManualClock())


def test_charging_state_follows_plug_contactor_and_power() -> None:
    """Part 2 §3.16: Idle, EVConnected, Charging, SuspendedEV, SuspendedEVSE."""
    station = _station()
    connector = station.connector(1)
    session = EvseSession(1)
    assert charging_state(connector, session) == "Idle"
    connector.plug_in(Ev(load_ev_template("family-ev")))
    assert charging_state(connector, session) == "EVConnected"
    session.authorized = {"idToken": "A", "type": "ISO14443"}
    assert charging_state(connector, session) == "SuspendedEVSE"  # authorized, contactor open
    connector.begin_transaction("A", 0, station.clock.now())
    assert charging_state(connector, session) == "Charging"
    connector.suspend_ev()
    assert charging_state(connector, session) == "SuspendedEV"
    connector.resume_ev()
    connector.set_limit(0.0)
    assert charging_state(connector, session) == "SuspendedEVSE"


def test_points_now_names_the_start_and_stop_points_that_hold() -> None:
    """E01/E06: EVConnected (and the bay) while plugged, PowerPathClosed once authorized too."""
    station = _station()
    connector = station.connector(1)
    session = EvseSession(1)
    assert points_now(connector, session, sign_readings=False) == set()
    connector.plug_in(Ev(load_ev_template("family-ev")))
    assert points_now(connector, session, False) == {"EVConnected", "ParkingBayOccupancy"}
    session.authorized = {"idToken": "A", "type": "ISO14443"}
    assert "PowerPathClosed" in points_now(connector, session, False)
    assert "DataSigned" in points_now(connector, session, True)
    assert point_list(" Authorized, EVConnected ,") == {"Authorized", "EVConnected"}


def test_tokens_compare_by_value_and_type_and_badges_may_name_their_type() -> None:
    """C01.FR.25: additionalInfo does not count; the type does."""
    a = {
        "idToken": "X",
        "type": "ISO14443",
        "additionalInfo": [{"additionalIdToken": "y", "type": "z"}],
    }
    assert same_token(a, {"idToken": "X", "type": "ISO14443"})
    assert not same_token(a, {"idToken": "X", "type": "Local"})
    assert token_of("KeyCode:1234") == {"idToken": "1234", "type": "KeyCode"}
    assert token_of("TAG:1") == {"idToken": "TAG:1", "type": "ISO14443"}


def test_sampled_values_use_numbers_units_and_phases() -> None:
    """J01.FR.07-10: measurand, context, location, phase; 2.0.1 values are numbers."""
    station = _station()
    connector = station.connector(1)
    connector.plug_in(Ev(load_ev_template("family-ev")))
    connector.begin_transaction("A", 0, station.clock.now())
    sampler = Sampler()
    values = sampler.values(connector, ["Current.Import", "Voltage", "SoC"], "Sample.Periodic")
    phases = [sv.get("phase") for sv in values]
    assert phases == ["L1", "L2", "L3", "L1-N", "L2-N", "L3-N", None]
    assert all(isinstance(sv["value"], float | int) for sv in values)
    assert values[-1]["unitOfMeasure"] == {"unit": "Percent"} and values[-1]["location"] == "EV"
    assert measurand_list("Energy.Active.Import.Register,Temperature,SoC") == [
        "Energy.Active.Import.Register",
        "SoC",
    ]


def test_interval_energy_is_the_energy_since_the_previous_reading() -> None:
    station = _station()
    connector = station.connector(1)
    connector.plug_in(Ev(load_ev_template("family-ev")))
    connector.begin_transaction("A", 0, station.clock.now())
    sampler = Sampler()
    sampler.values(connector, ["Energy.Active.Import.Interval"], "Sample.Periodic")
    station.clock.advance(3600)
    station.tick()
    [interval] = sampler.values(connector, ["Energy.Active.Import.Interval"], "Sample.Periodic")
    assert interval["value"] == float(int(connector.meter.energy_wh))
    assert interval["value"] > 1000
