"""External charging limits set from the bench (K11-K13) and ISO 15118 charging needs (K15).

``cp.smart.set_external_limit(evse_id, amps)`` stands for an EMS or DSO signal: it
becomes a ChargingStationExternalConstraints profile, caps the composite schedule
and is announced with NotifyChargingLimit; releasing it sends ClearedChargingLimit.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from bench.csms import v201_smart
from bench.csms.server import CentralSystem
from bench.model.ev import Ev
from bench.model.templates import load_ev_template
from bench.ocpp.v201.charge_point import ChargePoint201
from bench.ocpp.v201.smart_charging import ChargingLimitChanged
from tests.e2e.conftest import ev, wait_until
from tests.e2e.v201.conftest import Cp201Factory, request
from tests.e2e.v201.test_smart_support import profile201


async def test_an_external_limit_is_notified_reported_and_caps_the_composite(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """K12.FR.01/02/04/05: NotifyChargingLimit with source EMS (never CSO); the limit is a
    ChargingStationExternalConstraints profile with a negative id; the composite obeys it."""
    cp = await make_cp201(csms.url, "E1")
    seen: list[ChargingLimitChanged] = []
    cp.events.subscribe(lambda e: seen.append(e) if isinstance(e, ChargingLimitChanged) else None)
    cp.smart.set_external_limit(0, 10.0)
    notified = await csms.wait_for_message("E1", "NotifyChargingLimit")
    assert notified["chargingLimit"]["chargingLimitSource"] == "EMS"
    assert "evseId" not in notified  # a station-wide limit
    assert "chargingSchedule" not in notified  # NotifyChargingLimitWithSchedules is false
    assert cp.smart.limit_a(0) == 10.0
    assert ChargingLimitChanged(0, 10.0) in seen
    composite = await csms.call("E1", "GetCompositeSchedule", {"evseId": 1, "duration": 600})
    assert composite["schedule"]["chargingSchedulePeriod"][0]["limit"] == 10.0
    reply = await csms.call(
        "E1",
        "GetChargingProfiles",
        {
            "requestId": 7,
            "chargingProfile": {"chargingProfilePurpose": "ChargingStationExternalConstraints"},
        },
    )
    assert reply["status"] == "Accepted"
    report = await wait_until(lambda: v201_smart.charging_profile_report(csms.store.conn, "E1", 7))
    [entry] = report
    assert entry["chargingLimitSource"] == "EMS"  # K12.FR.05
    assert entry["chargingProfile"]["id"] < 0


async def test_the_csms_can_neither_replace_nor_clear_an_external_limit(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """K01.FR.05 (errata 2.38): the id of an external limit cannot be reused by the CSMS;
    K10.FR.08/09: ClearChargingProfile leaves it and answers Unknown."""
    cp = await make_cp201(csms.url, "E2")
    cp.smart.set_external_limit(1, 12.0)
    [entry] = list(cp.smart.store)
    clash = await csms.call(
        "E2", "SetChargingProfile", {"evseId": 1, "chargingProfile": profile201(entry.profile.id)}
    )
    assert clash["statusInfo"]["reasonCode"] == "InvalidProfile"
    by_id = await csms.call("E2", "ClearChargingProfile", {"chargingProfileId": entry.profile.id})
    assert by_id == {"status": "Unknown"}
    by_evse = await csms.call(
        "E2", "ClearChargingProfile", {"chargingProfileCriteria": {"evseId": 1}}
    )
    assert by_evse == {"status": "Unknown"}
    assert len(cp.smart.store) == 1


async def test_small_changes_are_not_notified_and_a_release_is_cleared(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """K12.FR.02: only changes beyond LimitChangeSignificance (10 %) are notified, with the
    schedule when NotifyChargingLimitWithSchedules is true (K12.FR.03); K13.FR.01/02 a
    release lifts the limit and sends ClearedChargingLimit."""
    cp = await make_cp201(
        csms.url, "E3", variables={"SmartChargingCtrlr.NotifyChargingLimitWithSchedules": "true"}
    )
    cp.smart.set_external_limit(1, 20.0, source="SO")
    first = await csms.wait_for_message("E3", "NotifyChargingLimit")
    assert first["evseId"] == 1
    assert first["chargingSchedule"][0]["chargingSchedulePeriod"][0]["limit"] == 20.0
    cp.smart.set_external_limit(1, 19.0, source="SO")  # 5 %: not significant
    cp.smart.set_external_limit(1, 12.0, source="SO")  # 40 %: notified
    second = await csms.wait_for_message("E3", "NotifyChargingLimit")
    assert second["chargingSchedule"][0]["chargingSchedulePeriod"][0]["limit"] == 12.0
    assert len(request(cp, "NotifyChargingLimit")) == 2
    assert v201_smart.external_limit(csms.store.conn, "E3", 1).keys() == {"SO"}
    cp.smart.set_external_limit(1, None, source="SO")
    cleared = await csms.wait_for_message("E3", "ClearedChargingLimit")
    assert cleared == {"chargingLimitSource": "SO", "evseId": 1}
    assert len(cp.smart.store) == 0
    assert v201_smart.external_limit(csms.store.conn, "E3", 1) == {}


async def test_an_external_limit_from_the_cso_is_refused(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """K11.FR.05 / K12.FR.04: chargingLimitSource is never CSO."""
    cp = await make_cp201(csms.url, "E4")
    with pytest.raises(ValueError, match="CSO"):
        cp.smart.set_external_limit(1, 10.0, source="CSO")


async def test_an_iso15118_ev_states_its_charging_needs_on_plug_in(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """K15.FR.01/02/06: NotifyEVChargingNeeds with AC parameters on plug-in; the CSMS answers;
    an EV without ISO 15118 sends nothing."""
    cp = await make_cp201(csms.url, "I1", template="ac-22kw-dual")
    cp.station.connector(2).plug_in(ev())
    car = Ev(load_ev_template("iso15118-ev"))
    cp.station.connector(1).plug_in(car)
    needs = await csms.wait_for_message("I1", "NotifyEVChargingNeeds")
    assert needs["evseId"] == 1
    assert needs["maxScheduleTuples"] == 24  # ISO15118Ctrlr.MaxScheduleEntries
    params = needs["chargingNeeds"]["acChargingParameters"]
    assert needs["chargingNeeds"]["requestedEnergyTransfer"] == "AC_three_phase"
    assert params["evMaxCurrent"] == 16 and params["evMinCurrent"] == 6
    assert params["energyAmount"] == int(77_000 * (90 - 20) / 100)
    await wait_until(lambda: cp.smart.iso15118.answer(1) == "Accepted", what="the CSMS answer")
    assert len(request(cp, "NotifyEVChargingNeeds")) == 1  # not for the plain EV on EVSE 2


async def test_charging_needs_wait_until_the_station_is_accepted(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """K15.FR.15: offline the needs are not sent; they go out once the station is accepted,
    with the CSMS's configured answer (K15.FR.05 Processing)."""
    v201_smart.set_ev_charging_needs_answer(csms.store.conn, "I2", "Processing")
    cp = await make_cp201(csms.url, "I2", start=False)
    spec = replace(load_ev_template("phev-1ph"), iso15118=True)
    cp.station.connector(1).plug_in(Ev(spec))
    assert not cp.smart.iso15118.needs_sent(1)
    await cp.start()
    needs = await csms.wait_for_message("I2", "NotifyEVChargingNeeds")
    assert needs["chargingNeeds"]["requestedEnergyTransfer"] == "AC_single_phase"
    await wait_until(lambda: cp.smart.iso15118.answer(1) == "Processing", what="Processing")


# An hour of virtual time per real minute would fire the 60 s ChargeParameterDiscovery
# timeout (K15.FR.08) within half a second; these run at wall speed so it cannot.
WALL = 1.0
ISO_START = {
    "TxCtrlr.TxStartPoint": "Authorized,EVConnected",
    "TxCtrlr.TxStopPoint": "EVConnected,Authorized",
}


def charging_states(cp: ChargePoint201) -> list[tuple[str, str | None]]:
    return [
        (e["triggerReason"], e.get("transactionInfo", {}).get("chargingState"))
        for e in request(cp, "TransactionEvent")
    ]


async def test_an_iso15118_ev_draws_no_power_until_the_csms_sets_its_tx_profile(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """K15 steps 4-9: the transaction starts, but power flows only after the TxProfile
    (ChargeParameterDiscoveryRes, then PowerDeliveryReq Start): SuspendedEVSE, then a
    TransactionEvent ChargingStateChanged with chargingState Charging."""
    cp = await make_cp201(csms.url, "I3", speed=WALL, variables=ISO_START)
    cp.station.connector(1).plug_in(Ev(load_ev_template("iso15118-ev")))
    cp.present_id("TAG1", 1)
    await csms.wait_for_message("I3", "NotifyEVChargingNeeds")
    await wait_until(
        lambda: ("Authorized", "SuspendedEVSE") in charging_states(cp),
        what="the authorized transaction waiting for its schedule",
    )
    connector = cp.station.connector(1)
    assert connector.power_w == 0.0 and not connector.contactor_closed
    tx_id = cp.transactions.active(1).transaction_id
    prof = profile201(1, "TxProfile", [(0, 10.0)], transactionId=tx_id)
    reply = await csms.call("I3", "SetChargingProfile", {"evseId": 1, "chargingProfile": prof})
    assert reply == {"status": "Accepted"}
    await wait_until(lambda: connector.power_w > 0, what="power after the schedule")
    await wait_until(
        lambda: ("ChargingStateChanged", "Charging") in charging_states(cp),
        what="TransactionEvent ChargingStateChanged Charging",
    )


async def test_an_iso15118_ev_charges_on_the_stations_schedule_when_its_needs_are_rejected(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """K15.FR.04 and the K15 error handling: no schedule from the CSMS, so the station
    answers the EV with one of its own and the EV charges without a TxProfile."""
    v201_smart.set_ev_charging_needs_answer(csms.store.conn, "I4", "Rejected")
    cp = await make_cp201(csms.url, "I4", speed=WALL, variables=ISO_START)
    cp.station.connector(1).plug_in(Ev(load_ev_template("iso15118-ev")))
    cp.present_id("TAG1", 1)
    await wait_until(lambda: cp.smart.iso15118.answer(1) == "Rejected", what="Rejected")
    await wait_until(lambda: cp.station.connector(1).power_w > 0, what="power")
    assert not len(cp.smart.store)  # no TxProfile was needed


async def test_an_iso15118_ev_renegotiates_its_needs_through_the_station_api(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """K17.FR.01: the EV renegotiates, and the station relays its needs again; an EV
    without ISO 15118 has nothing to renegotiate."""
    cp = await make_cp201(csms.url, "I5", template="ac-22kw-dual")
    cp.station.connector(1).plug_in(Ev(load_ev_template("iso15118-ev")))
    cp.station.connector(2).plug_in(ev())
    await wait_until(lambda: len(request(cp, "NotifyEVChargingNeeds")) == 1, what="the needs")
    assert cp.renegotiate_ev(1) is True
    await wait_until(lambda: len(request(cp, "NotifyEVChargingNeeds")) == 2, what="new needs")
    assert cp.renegotiate_ev(2) is False
