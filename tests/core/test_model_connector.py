"""The connector's verbs: state transitions and the events each one emits.

These are the facts the 1.6 status derivation reads (1.6 §4.9, §7.7), so each
test checks the state *and* the ``ConnectorChanged`` reason.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bench.model.changes import ConnectorChanged, IdPresented, StationChanged
from bench.model.clock import ManualClock
from bench.model.connector import StateError
from bench.model.ev import Ev
from bench.model.faults import fault
from bench.model.station import Station
from bench.model.templates import build_station, load_ev_template
from bench.model.transaction import Reservation


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def station(clock: ManualClock) -> Station:
    return build_station("CP-T", "ac-22kw-dual", clock, seed=7)


@pytest.fixture
def events(station: Station) -> list[object]:
    seen: list[object] = []
    station.events.subscribe(seen.append)
    return seen


def reasons(events: list[object]) -> list[str]:
    return [e.reason for e in events if isinstance(e, ConnectorChanged)]


def family_ev(**kwargs: float) -> Ev:
    return Ev(load_ev_template("family-ev"), **kwargs)


def start(station: Station, connector_id: int = 1, ev: Ev | None = None) -> Ev:
    connector = station.connector(connector_id)
    ev = ev or family_ev()
    connector.plug_in(ev)
    connector.begin_transaction("TAG1", connector.energy_wh, station.clock.now())
    return ev


def test_plug_in_and_unplug_change_plugged_state_and_emit_events(station, events):
    connector = station.connector(1)
    ev = family_ev()
    connector.plug_in(ev)
    assert connector.plugged and connector.ev is ev
    assert not connector.contactor_closed, "no transaction yet: the outlet stays dead"
    assert connector.unplug() is ev
    assert not connector.plugged and connector.ev is None
    assert reasons(events) == ["plugged", "unplugged"]
    assert events[0] == ConnectorChanged(1, "plugged", "CP-T")


def test_a_cable_pulled_at_the_ev_stays_in_a_socket_outlet_until_taken_out(station, events):
    # 1.6 §4.9 Finishing "the cable has not been removed" (OCTT TC_005_1_CS): pulling the
    # EV end leaves the loose cable in the socket; taking it out frees the connector.
    connector = station.connector(1)
    connector.plug_in(family_ev())
    connector.unplug_ev_side()
    assert not connector.plugged and connector.cable_in_socket
    connector.remove_cable()
    assert not connector.cable_in_socket
    assert reasons(events) == ["plugged", "unplugged", "cable_left", "cable_removed"]
    with pytest.raises(StateError):
        connector.remove_cable()


def test_a_tethered_cable_pulled_at_the_ev_leaves_nothing_in_a_socket(clock):
    connector = build_station("CP-DC", "dc-50kw", clock, seed=7).connector(1)
    connector.plug_in(Ev(load_ev_template("dc-fast-ev")))
    connector.unplug_ev_side()
    assert not connector.plugged and not connector.cable_in_socket


def test_plugging_an_occupied_connector_is_refused(station):
    connector = station.connector(1)
    connector.plug_in(family_ev())
    with pytest.raises(StateError):
        connector.plug_in(family_ev())


def test_one_ev_cannot_be_plugged_into_two_connectors(station):
    ev = family_ev()
    station.connector(1).plug_in(ev)
    with pytest.raises(StateError):
        station.connector(2).plug_in(ev)


def test_begin_transaction_locks_and_closes_the_contactor_so_current_flows(station, events):
    connector = station.connector(1)
    start(station)
    assert connector.transaction is not None and connector.transaction.id_tag == "TAG1"
    assert connector.locked and connector.contactor_closed
    assert connector.offered_current_a == 32.0
    assert connector.drawing and connector.meter.current_a == [16.0, 16.0, 16.0]
    assert reasons(events) == ["plugged", "transaction_started"]


def test_transaction_started_before_plug_in_energises_on_plug_in(station):
    """1.6 §4.9: authorize first, then connect the cable."""
    connector = station.connector(1)
    connector.begin_transaction("TAG1", 0, station.clock.now())
    assert not connector.contactor_closed
    connector.plug_in(family_ev())
    assert connector.contactor_closed and connector.drawing


def test_end_transaction_opens_contactor_sets_finishing_until_unplugged(station, clock, events):
    connector = station.connector(1)
    start(station)
    clock.advance(60)
    tx = connector.end_transaction()
    assert tx.meter_stop_wh == connector.energy_wh > 0
    assert tx.ended_at == clock.now()
    assert connector.transaction is None and not connector.contactor_closed
    assert connector.finishing and not connector.locked and not connector.drawing
    connector.unplug()
    assert not connector.finishing
    assert reasons(events)[-2:] == ["transaction_ended", "unplugged"]


def test_a_second_transaction_or_ending_none_is_a_state_error(station):
    connector = station.connector(1)
    with pytest.raises(StateError):
        connector.end_transaction()
    start(station)
    with pytest.raises(StateError):
        connector.begin_transaction("TAG2", 0, station.clock.now())


def test_unplug_during_transaction_keeps_the_transaction_and_opens_contactor(station):
    """1.6 §4.9 StopTransactionOnEVSideDisconnect=false: the transaction survives."""
    connector = station.connector(1)
    start(station)
    connector.unplug()
    assert connector.transaction is not None
    assert not connector.contactor_closed and connector.offered_current_a == 0


def test_stopping_fault_opens_contactor_and_clearing_it_resumes(station, events):
    connector = station.connector(1)
    start(station)
    connector.raise_fault(fault("ground_failure"))
    assert connector.fault is fault("ground_failure")
    assert not connector.contactor_closed and not connector.drawing
    connector.clear_fault()
    assert connector.fault is None and connector.contactor_closed and connector.drawing
    assert reasons(events)[-2:] == ["fault", "fault_cleared"]


def test_warning_fault_keeps_charging(station):
    """1.6 §4.9: a non-Faulted status with an error code is a warning."""
    connector = station.connector(1)
    start(station)
    connector.raise_fault("power_meter_failure")
    assert connector.drawing and connector.offered_current_a == 32


def test_ev_communication_error_pauses_current_without_opening_the_contactor(station):
    """1.6 §7.6: EVCommunicationError goes to SuspendedEVSE, not Faulted."""
    connector = station.connector(1)
    start(station)
    connector.raise_fault("ev_communication_error")
    assert connector.contactor_closed and connector.offered_current_a == 0
    assert not connector.drawing
    connector.clear_fault()
    assert connector.drawing


def test_faulted_connector_starts_a_transaction_without_energising(station):
    connector = station.connector(1)
    connector.raise_fault("over_current")
    connector.plug_in(family_ev())
    connector.begin_transaction("TAG1", 0, station.clock.now())
    assert not connector.contactor_closed
    assert not connector.close_contactor()


def test_lock_failure_makes_unlock_fail(station, events):
    connector = station.connector(1)
    connector.plug_in(family_ev())
    assert connector.lock() and connector.locked
    connector.raise_fault("connector_lock_failure")
    assert connector.unlock() is False and connector.locked
    connector.clear_fault()
    assert connector.unlock() is True and not connector.locked
    assert reasons(events) == ["plugged", "lock", "fault", "fault_cleared", "lock"]


def test_set_operative_and_scheduled_change_applied_when_transaction_ends(station, events):
    """1.6 §5.2: a change of availability during a transaction is Scheduled."""
    connector = station.connector(1)
    assert connector.schedule_operative(False) is True and not connector.operative
    connector.set_operative(True)
    start(station)
    assert connector.schedule_operative(False) is False
    assert connector.operative and connector.pending_operative is False
    connector.end_transaction()
    assert not connector.operative and connector.pending_operative is None
    assert reasons(events).count("availability") == 3


def test_reservation_is_held_cancelled_and_consumed_by_matching_transaction(station, clock, events):
    connector = station.connector(1)
    reservation = Reservation(5, "TAG1", clock.now() + timedelta(hours=1))
    connector.reserve(reservation)
    assert connector.reservation is reservation
    assert connector.cancel_reservation() is reservation and connector.reservation is None
    connector.reserve(reservation)
    connector.begin_transaction("TAG1", 0, clock.now(), reservation_id=5)
    assert connector.reservation is None and connector.transaction.reservation_id == 5
    assert reasons(events) == ["reservation", "reservation", "reservation", "transaction_started"]


def test_reservation_expires_on_tick_after_its_expiry(station, clock, events):
    connector = station.connector(2)
    connector.reserve(Reservation(9, "TAG9", clock.now() + timedelta(seconds=30)))
    clock.advance(29)
    station.tick()
    assert connector.reservation is not None
    clock.advance(2)
    station.tick()
    assert connector.reservation is None
    assert reasons(events) == ["reservation", "reservation"]


def test_offered_current_is_the_minimum_of_hardware_cable_limit_and_local_limit(station):
    connector = station.connector(1)
    ev = Ev(load_ev_template("ev-11kw-3ph"))  # its own cable is rated 20 A
    start(station, ev=ev)
    assert connector.offered_current_a == 20.0, "cable 20 A < hardware 32 A"
    connector.set_limit(18.0, "TxProfile")
    assert connector.offered_current_a == 18.0 and connector.limit_source == "TxProfile"
    connector.set_local_limit(10.0)
    assert connector.offered_current_a == 10.0
    connector.set_limit(6.0, "TxDefaultProfile")
    assert connector.offered_current_a == 6.0
    connector.set_limit(None, None)
    connector.set_local_limit(None)
    assert connector.offered_current_a == 20.0
    connector.unplug()
    assert connector.current_limit_a == 32.0, "no cable plugged: hardware limit only"
    assert connector.offered_current_a == 0.0, "contactor open"


def test_limit_changes_emit_limit_events_only_when_the_value_changes(station, events):
    connector = station.connector(1)
    connector.set_limit(16, "ChargePointMaxProfile")
    connector.set_limit(16, "ChargePointMaxProfile")
    connector.set_local_limit(8)
    assert reasons(events) == ["limit", "limit"]
    with pytest.raises(ValueError):
        connector.set_limit(-1, "x")


def test_limit_zero_stops_drawing_and_raising_it_resumes(station):
    connector = station.connector(1)
    start(station)
    connector.set_limit(0, "TxProfile")
    assert connector.offered_current_a == 0 and not connector.drawing
    assert connector.meter.power_w == 0
    energy = connector.meter.energy_wh
    station.clock.advance(600)
    station.tick()
    assert connector.meter.energy_wh == energy
    connector.set_limit(10, "TxProfile")
    assert connector.drawing and connector.meter.current_a == [10.0, 10.0, 10.0]


def test_offer_below_six_amps_is_refused_by_the_ev_on_ac(station):
    """IEC 61851-1: a pilot signal under 6 A means no charging."""
    connector = station.connector(1)
    start(station)
    connector.set_limit(5, "TxProfile")
    assert connector.offered_current_a == 5 and not connector.drawing
    assert connector.ev_wants_energy


def test_ev_suspend_and_resume_emit_events_and_stop_current(station, events):
    connector = station.connector(1)
    ev = start(station)
    ev.suspend()
    assert not connector.drawing and not connector.ev_wants_energy
    ev.resume()
    assert connector.drawing
    assert reasons(events)[-2:] == ["ev_suspended", "ev_resumed"]


def test_raising_target_after_it_was_reached_emits_ev_demand(station, events):
    connector = station.connector(1)
    ev = start(station, ev=family_ev(soc=50, target_soc=50))
    assert not connector.drawing
    ev.set_target_soc(80)
    assert connector.drawing
    ev.set_soc(85)
    assert not connector.drawing
    ev.set_soc(40)
    assert reasons(events)[-3:] == ["ev_demand", "ev_target_reached", "ev_demand"]


def test_manual_contactor_verbs_emit_contactor_events(station, events):
    connector = station.connector(1)
    start(station)
    connector.open_contactor()
    assert not connector.drawing
    assert connector.close_contactor() and connector.drawing
    assert reasons(events)[-2:] == ["contactor", "contactor"]


def test_two_connectors_are_isolated_from_each_other(station, clock):
    one, two = station.connector(1), station.connector(2)
    start(station, 1)
    two.plug_in(Ev(load_ev_template("compact-ev")))
    two.raise_fault("rcd_trip")
    clock.advance(1800)
    station.tick()
    assert one.drawing and one.energy_wh > 0 and one.fault is None
    assert not two.drawing and two.energy_wh == 0 and two.transaction is None
    one.set_limit(10, "TxProfile")
    assert two.limit_a is None


def test_unknown_connector_ids_are_value_errors(station):
    for bad in (0, 3, -1):
        with pytest.raises(ValueError, match=r"connectors 1\.\.2"):
            station.connector(bad)


def test_station_fault_blocks_every_connector_and_emits_station_changed(station, events):
    start(station, 1)
    start(station, 2, Ev(load_ev_template("compact-ev")))
    station.raise_fault("internal_error")
    assert station.fault is fault("internal_error")
    assert all(not c.drawing and not c.contactor_closed for c in station.connectors)
    station.clear_fault()
    assert all(c.drawing for c in station.connectors)
    kinds = [e.reason for e in events if isinstance(e, StationChanged)]
    assert kinds == ["fault", "fault_cleared"]


def test_power_cycle_opens_contactors_but_keeps_transactions(station, events):
    connector = station.connector(1)
    start(station)
    station.power_off()
    assert not connector.contactor_closed and connector.transaction is not None
    assert connector.close_contactor() is False
    station.power_on()
    assert not connector.contactor_closed, "the protocol layer decides whether to resume"
    assert connector.close_contactor() and connector.drawing
    kinds = [e.reason for e in events if isinstance(e, StationChanged)]
    assert kinds == ["power_off", "power_on"]


def test_present_id_emits_id_presented_unless_the_reader_is_broken(station, events):
    assert station.present_id("ABC", 2) is True
    station.raise_fault("reader_failure")
    assert station.present_id("ABC") is False
    assert [e for e in events if isinstance(e, IdPresented)] == [IdPresented("ABC", 2, "CP-T")]
    with pytest.raises(ValueError):
        station.present_id("ABC", 9)


def test_set_firmware_version_updates_identity_and_emits(station, events):
    station.set_firmware_version("9.9.9")
    assert station.identity.firmware_version == "9.9.9"
    assert events == [StationChanged("firmware", "CP-T")]


def test_connector_ev_verbs_delegate_to_the_plugged_ev(station, events):
    connector = station.connector(1)
    with pytest.raises(StateError):
        connector.suspend_ev()
    ev = start(station)
    connector.suspend_ev()
    assert ev.suspended
    connector.resume_ev()
    connector.set_ev_soc(55)
    connector.set_ev_target_soc(55)
    assert ev.soc == 55 and not connector.drawing
    assert reasons(events)[-4:] == ["ev_suspended", "ev_resumed", "ev_soc", "ev_target_reached"]


def test_unplugging_the_ev_end_leaves_the_station_side_lock_as_it_was(station):
    """1.6 §9.1.33: releasing the cable after an EV-side disconnect is the protocol's call."""
    start(station)
    connector = station.connector(1)
    assert connector.locked
    connector.unplug()
    assert connector.locked
    tx = connector.end_transaction(unlock=False)
    assert connector.locked and tx.meter_stop_wh is not None
    assert connector.unlock() and not connector.locked
