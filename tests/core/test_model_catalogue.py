"""Fault catalogue, templates, identity and the memory cost of a station."""

from __future__ import annotations

import gc
import json
import tracemalloc

import pytest

from bench.model.clock import ManualClock
from bench.model.faults import ERROR_CODES_16, FAULTS, Fault, fault
from bench.model.templates import (
    TemplateError,
    UnknownTemplateError,
    build_station,
    list_ev_templates,
    list_station_templates,
    load_ev_template,
    load_station_template,
)

REQUIRED_FAULTS = {
    "ground_failure",
    "over_current",
    "over_voltage",
    "under_voltage",
    "high_temperature",
    "connector_lock_failure",
    "ev_communication_error",
    "power_meter_failure",
    "power_switch_failure",
    "reader_failure",
    "internal_error",
    "rcd_trip",
    "diode_fault",
    "weak_signal",
    "other",
}


def test_fault_catalogue_has_every_required_fault_with_a_valid_16_error_code():
    """1.6 §7.6 ChargePointErrorCode."""
    assert set(FAULTS) >= REQUIRED_FAULTS
    for name, entry in FAULTS.items():
        assert entry.name == name
        assert entry.error_code in ERROR_CODES_16 and entry.error_code != "NoError"
        assert entry.scope in ("connector", "station")
        assert entry.vendor_error_code and len(entry.vendor_error_code) <= 50  # CiString50
        assert entry.description


def test_fault_mapping_follows_the_spec_reading():
    assert fault("rcd_trip").error_code == "GroundFailure"
    assert fault("rcd_trip").vendor_error_code != fault("ground_failure").vendor_error_code
    # 1.6 §4.9: EVCommunicationError is a warning used with SuspendedEVSE, never Faulted.
    for name in ("ev_communication_error", "diode_fault"):
        assert fault(name).error_code == "EVCommunicationError"
        assert not fault(name).stops_charging and fault(name).pauses_charging
    for name in ("reader_failure", "weak_signal", "power_meter_failure"):
        assert not fault(name).blocks_current
    assert fault("ground_failure").stops_charging


def test_unknown_fault_name_lists_the_valid_names():
    with pytest.raises(KeyError, match="ground_failure"):
        fault("banana")


def test_fault_with_an_invalid_error_code_is_rejected():
    with pytest.raises(ValueError):
        Fault("x", "Exploded", "X", True, "nope")


def test_shipped_templates_load():
    assert {"ac-11kw", "ac-22kw-dual", "dc-50kw"} <= set(list_station_templates())
    assert {"compact-ev", "family-ev", "ev-11kw-3ph"} <= set(list_ev_templates())
    for name in list_station_templates():
        assert load_station_template(name).name == name
    for name in list_ev_templates():
        spec = load_ev_template(name)
        assert spec.name == name and 0 <= spec.initial_soc <= spec.target_soc <= 100
    assert any(load_ev_template(n).dc_capable for n in list_ev_templates())


def test_station_templates_describe_their_hardware():
    ac11 = load_station_template("ac-11kw")
    assert (ac11.current_type, ac11.phases, ac11.max_current_a, ac11.connectors) == ("AC", 3, 16, 1)
    assert ac11.max_power_w == pytest.approx(11_040)
    dual = load_station_template("ac-22kw-dual")
    assert (dual.connectors, dual.max_current_a) == (2, 32)
    dc = load_station_template("dc-50kw")
    assert (dc.current_type, dc.max_power_w, dc.connector_type) == ("DC", 50_000, "CCS2")


def test_templates_are_shared_not_copied_per_station():
    assert load_station_template("ac-11kw") is load_station_template("ac-11kw")


def test_unknown_template_error_names_the_available_templates():
    with pytest.raises(UnknownTemplateError, match="ac-11kw"):
        load_station_template("no-such-station")
    with pytest.raises(UnknownTemplateError, match="family-ev"):
        load_ev_template("no-such-car")


def test_template_from_a_path_and_typo_in_a_field_is_reported(tmp_path):
    good = tmp_path / "mine.json"
    good.write_text(json.dumps({"battery_kwh": 10, "max_ac_current_a": 10, "ac_phases": 1}))
    assert load_ev_template(good).name == "mine"
    bad = tmp_path / "typo.json"
    bad.write_text(json.dumps({"battery_kwh": 10, "max_ac_curent_a": 10, "ac_phases": 1}))
    with pytest.raises(TemplateError, match="max_ac_curent_a"):
        load_ev_template(bad)


def test_iso15118_ev_templates_say_what_they_ask_for_their_contract(tmp_path):
    # M01 (a new contract), M02 (one due for renewal), C07 (the valid one it holds).
    asks = {n: load_ev_template(n).contract_request for n in list_ev_templates()}
    assert asks["iso15118-ev"] == "install"
    assert asks["iso15118-ev-renewal"] == "update"
    assert asks["iso15118-ev-contract"] == "none"
    bad = tmp_path / "renew.json"
    fields = {"battery_kwh": 10, "max_ac_current_a": 10, "ac_phases": 1, "iso15118": True}
    bad.write_text(json.dumps({**fields, "contract_request": "renew"}))
    with pytest.raises(TemplateError, match="contract_request must be one of install, update"):
        load_ev_template(bad)


def test_build_station_derives_identity_and_accepts_overrides():
    clock = ManualClock()
    station = build_station("CP42", "ac-11kw", clock, iccid="8931", firmware_version="0.9")
    ident = station.identity
    assert (ident.vendor, ident.model) == ("OCPPBench", "WB-11")
    assert ident.serial_number.endswith("CP42") and ident.iccid == "8931"
    assert ident.firmware_version == "0.9" and ident.meter_type == "EM-3P-MID"
    assert [c.id for c in station.connectors] == [1]
    with pytest.raises(TypeError, match="colour"):
        build_station("CP43", "ac-11kw", clock, colour="red")


def test_a_built_ac_11kw_station_costs_less_than_8_kib():
    clock = ManualClock()
    template = load_station_template("ac-11kw")
    build_station("warm-up", template, clock)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        stations = [build_station(f"CP{i:05d}", template, clock, seed=i) for i in range(1000)]
        gc.collect()
        used = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(stations) == 1000
    assert used / 1000 < 8 * 1024, f"{used / 1000:.0f} bytes per station"
