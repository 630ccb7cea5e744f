"""Meter and EV physics: energy integration, SoC, taper, target, noise, DC."""

from __future__ import annotations

import dataclasses

import pytest

from bench.model.changes import ConnectorChanged
from bench.model.clock import ManualClock
from bench.model.ev import Ev, EvSpec
from bench.model.station import Station
from bench.model.templates import build_station, load_ev_template, load_station_template


def charging_station(
    template: str = "ac-11kw", ev_name: str = "family-ev", seed: int = 1, **ev_kwargs: float
) -> tuple[Station, ManualClock, Ev]:
    clock = ManualClock()
    station = build_station("CP-P", template, clock, seed=seed)
    ev = Ev(load_ev_template(ev_name), **ev_kwargs)
    connector = station.connector(1)
    connector.plug_in(ev)
    connector.begin_transaction("TAG", connector.energy_wh, clock.now())
    return station, clock, ev


def run(station: Station, clock: ManualClock, seconds: int, every: float) -> None:
    steps = int(seconds / every)
    for _ in range(steps):
        clock.advance(every)
        station.tick()


def test_ac_power_is_the_sum_of_phase_voltage_times_current():
    station, _, _ = charging_station()
    meter = station.connector(1).meter
    assert meter.current_a == [16.0, 16.0, 16.0]
    assert meter.power_w == pytest.approx(sum(v * 16.0 for v in meter.voltage_v))
    assert meter.offered_power_w == pytest.approx(230 * 16 * 3)


def test_single_phase_ev_draws_on_l1_only():
    station, _, _ = charging_station("ac-22kw-dual", "compact-ev")
    meter = station.connector(1).meter
    assert meter.current_a == [32.0, 0.0, 0.0]
    assert meter.power_w == pytest.approx(meter.voltage_v[0] * 32.0)


def test_energy_is_independent_of_update_frequency_in_the_flat_region():
    fine, fine_clock, _ = charging_station(soc=20)
    coarse, coarse_clock, _ = charging_station(soc=20)
    run(fine, fine_clock, 600, every=1.0)
    run(coarse, coarse_clock, 600, every=600.0)
    expected = 11040 * 600 / 3600  # 11.04 kW nominal for ten minutes
    assert fine.connector(1).meter.energy_wh == pytest.approx(expected, rel=0.01)
    assert coarse.connector(1).meter.energy_wh == pytest.approx(
        fine.connector(1).meter.energy_wh, rel=0.01
    )


def test_energy_is_independent_of_update_frequency_across_the_taper():
    """Start below the knee and cross into the taper: the sub-steps honour the curve."""
    fine, fine_clock, fine_ev = charging_station(soc=79.5)
    coarse, coarse_clock, coarse_ev = charging_station(soc=79.5)
    run(fine, fine_clock, 3600, every=1.0)
    run(coarse, coarse_clock, 3600, every=3600.0)
    fine_wh = fine.connector(1).meter.energy_wh
    assert coarse.connector(1).meter.energy_wh == pytest.approx(fine_wh, rel=0.01)
    assert coarse_ev.soc == pytest.approx(fine_ev.soc, abs=0.1)
    # Had the taper been ignored, one hour at 11 kW would have added ~14.7 % SoC.
    assert fine_ev.soc - 79.5 < 14.0


def test_without_voltage_noise_integration_is_exact_whatever_the_update_rate():
    template = dataclasses.replace(load_station_template("ac-11kw"), voltage_noise_pct=0)
    results = []
    for every in (0.25, 1.0, 9.0, 60.0, 7200.0):
        clock = ManualClock()
        station = build_station("CP-X", template, clock)
        ev = Ev(load_ev_template("family-ev"), soc=70)
        connector = station.connector(1)
        connector.plug_in(ev)
        connector.begin_transaction("TAG", 0, clock.now())
        run(station, clock, 7200, every=every)
        results.append((connector.meter.energy_wh, ev.soc))
    for energy, soc in results[1:]:
        assert energy == pytest.approx(results[0][0], rel=1e-9)
        assert soc == pytest.approx(results[0][1], rel=1e-9)


def test_soc_rises_by_energy_over_capacity():
    station, clock, ev = charging_station(soc=20)
    run(station, clock, 3600, every=60)
    wh = station.connector(1).meter.energy_wh
    assert ev.soc == pytest.approx(20 + wh / 75_000 * 100)


def test_ev_stops_at_target_and_emits_ev_target_reached_during_update():
    station, clock, ev = charging_station(soc=50, target_soc=60)
    seen: list[ConnectorChanged] = []
    station.events.subscribe(seen.append)
    connector = station.connector(1)
    # 10 % of 75 kWh at ~11 kW takes ~41 minutes; jump well past it in one update.
    clock.advance(3 * 3600)
    station.tick()
    assert ev.soc == 60.0
    assert connector.meter.energy_wh == pytest.approx(7500.0)
    assert not connector.drawing and connector.power_w == 0
    assert connector.transaction is not None, "the EV stopped, the transaction goes on"
    assert [e.reason for e in seen] == ["ev_target_reached"]
    clock.advance(600)
    station.tick()
    assert connector.meter.energy_wh == pytest.approx(7500.0)
    assert len(seen) == 1, "reported once, not on every tick"


def test_target_inside_the_taper_is_met_exactly_not_overshot():
    station, clock, ev = charging_station(soc=90, target_soc=95)
    for _ in range(100):  # odd step sizes so no sub-step ends on the target by luck
        clock.advance(37.3)
        station.tick()
    assert ev.soc == 95.0
    assert station.connector(1).meter.energy_wh == pytest.approx(3750.0, abs=1e-6)


def test_taper_lowers_the_current_near_full():
    station, clock, ev = charging_station(soc=95)
    connector = station.connector(1)
    # At 95 % with the taper from 80 % to 10 % at 100 %: 1 - 0.9 * 0.75 = 0.325 of 16 A.
    assert connector.meter.current_a[0] == pytest.approx(16 * 0.325)
    previous = connector.meter.current_a[0]
    run(station, clock, 1800, every=300)
    assert connector.meter.current_a[0] < previous
    assert 95 < ev.soc < 100


def test_energy_register_never_decreases_and_survives_sessions():
    station, clock, _ = charging_station(soc=20)
    connector = station.connector(1)
    readings = []
    for _ in range(3):
        run(station, clock, 600, every=100)
        readings.append(connector.meter.energy_wh)
        connector.end_transaction()
        run(station, clock, 600, every=100)
        readings.append(connector.meter.energy_wh)
        connector.begin_transaction("TAG", connector.energy_wh, clock.now())
    assert readings == sorted(readings)
    assert readings[-1] > 5000


def test_same_seed_gives_identical_voltages_and_other_seed_differs():
    def trace(seed: int) -> list[list[float]]:
        station, clock, _ = charging_station(seed=seed)
        out = []
        for _ in range(20):
            clock.advance(1)
            station.tick()
            out.append(list(station.connector(1).meter.voltage_v))
        return out

    assert trace(3) == trace(3)
    assert trace(3) != trace(4)
    for volts in trace(3):
        assert all(228.8 <= v <= 231.2 for v in volts), "within +/-0.5 % of 230 V"


def test_dc_power_is_min_of_offer_and_ev_demand_and_current_is_p_over_v():
    station, _, _ = charging_station("dc-50kw", "family-ev", soc=20)
    meter = station.connector(1).meter
    # 125 A at ~400 V: the charger's 50 kW, give or take the voltage noise.
    assert meter.power_w == pytest.approx(50_000, rel=0.006)
    assert len(meter.current_a) == 1
    assert meter.current_a[0] == pytest.approx(meter.power_w / meter.voltage_v[0])
    station.connector(1).set_limit(50, "TxProfile")  # 50 A at ~400 V = 20 kW
    assert meter.power_w == pytest.approx(50 * meter.voltage_v[0])


def test_dc_power_follows_the_ev_curve_when_it_asks_for_less_than_the_offer():
    station, _, _ = charging_station("dc-50kw", "family-ev", soc=96)
    # 150 kW x (1 - 0.9 x 16/20) = 42 kW < 50 kW offered.
    assert station.connector(1).meter.power_w == pytest.approx(42_000)


def test_ac_only_ev_draws_nothing_on_a_dc_charger():
    station, _, _ = charging_station("dc-50kw", "ev-11kw-3ph")
    assert not station.connector(1).drawing


def test_dc_session_runs_to_the_target_at_the_chargers_power():
    station, clock, ev = charging_station("dc-50kw", "dc-fast-ev", soc=10)
    # 80 % of 100 kWh at ~50 kW takes ~1.6 h; the EV's own taper stays above 50 kW until 90 %.
    run(station, clock, 3600, every=30)
    assert ev.soc == pytest.approx(60, abs=0.5)
    run(station, clock, 3600, every=30)
    assert ev.soc == pytest.approx(ev.target_soc)
    assert station.connector(1).meter.energy_wh == pytest.approx(80_000)
    assert not station.connector(1).drawing


def test_temperature_rises_under_load_and_relaxes_when_idle():
    station, clock, _ = charging_station(soc=20)
    connector = station.connector(1)
    run(station, clock, 1800, every=60)
    hot = connector.meter.temperature_c
    assert hot > 30
    connector.end_transaction()
    run(station, clock, 1800, every=60)
    assert connector.meter.temperature_c < hot


def test_ev_demand_curve_and_validation():
    spec = EvSpec("t", 50, 16, 3, taper_start_soc=80, min_taper_fraction=0.2)
    ev = Ev(spec, soc=50)
    assert ev.demand_current_a(230, 3) == 16
    ev.set_soc(90)
    assert ev.demand_current_a(230, 3) == pytest.approx(16 * 0.6)
    ev.set_target_soc(90)
    assert ev.demand_current_a(230, 3) == 0 and not ev.wants_energy
    with pytest.raises(ValueError):
        ev.set_soc(101)
    with pytest.raises(ValueError):
        EvSpec("bad", 50, 16, 3, min_taper_fraction=0)
    capped = Ev(EvSpec("cap", 50, 32, 3, max_ac_power_kw=11.0))
    assert capped.demand_current_a(230, 3) == pytest.approx(11000 / 690)
