"""Smart charging during 2.0.1 transactions: limits that cap the simulated power (K01-K05, K11-K16).

Transactions are real: an EV plugged in and a card presented, through the
transactions block, against the built-in CSMS.
"""

from __future__ import annotations

from typing import Any

from bench.csms import v201_smart
from bench.csms.server import CentralSystem
from bench.model.ev import Ev
from bench.model.templates import load_ev_template
from bench.ocpp.v201.charge_point import ChargePoint201
from bench.smart.profiles import TX
from tests.e2e.conftest import ev, wait_until
from tests.e2e.v201.conftest import Cp201Factory, request
from tests.e2e.v201.test_smart_support import amps_drawn, now_iso, profile201

VOLTAGE = 230.0
NOISE = 1.006  # the meter's voltage noise is within +/-0.5 %
START = {
    "TxCtrlr.TxStartPoint": "Authorized,EVConnected",
    "TxCtrlr.TxStopPoint": "EVConnected,Authorized",
    "SampledDataCtrlr.TxUpdatedInterval": "30",
    "SampledDataCtrlr.TxUpdatedMeasurands": "Power.Active.Import,Energy.Active.Import.Register",
}


async def charging(
    cp: ChargePoint201, evse_id: int = 1, car: Ev | None = None, tag: str = "TAG1"
) -> str:
    """Plug ``car`` in on ``evse_id`` and badge ``tag``; the transactionId once power flows."""
    cp.station.connector(evse_id).plug_in(car or ev())
    cp.present_id(tag, evse_id)
    await wait_until(
        lambda: (
            cp.transactions.active(evse_id) is not None
            and cp.station.connector(evse_id).meter.power_w > 0
        ),
        what="charging",
    )
    return cp.transactions.active(evse_id).transaction_id


def tx_profile(pid: int, tx_id: str, amps: float, **kw: Any) -> dict[str, Any]:
    return profile201(pid, "TxProfile", [(0, amps)], transactionId=tx_id, **kw)


def periodic_power(cp: ChargePoint201) -> list[tuple[str, float]]:
    """(timestamp, W) of every Power.Active.Import in MeterValuePeriodic TransactionEvents."""
    found = []
    for event in request(cp, "TransactionEvent"):
        if event["triggerReason"] != "MeterValuePeriodic":
            continue
        for mv in event.get("meterValue", []):
            for sv in mv["sampledValue"]:
                if sv.get("measurand") == "Power.Active.Import" and "phase" not in sv:
                    found.append((mv["timestamp"], float(sv["value"])))
    return found


async def test_a_tx_profile_caps_metered_power_within_one_meter_interval(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """K01.FR.01/04/07, K01.FR.51: a TxProfile of 6 A on the running transaction; the next
    periodic meter value (TxUpdatedInterval) already shows the power under 6 A x 3 x 230 V."""
    cp = await make_cp201(csms.url, "T1", variables=START)
    tx_id = await charging(cp)
    assert amps_drawn(cp) > 15  # the family EV takes the full 16 A
    reply = await csms.call(
        "T1", "SetChargingProfile", {"evseId": 1, "chargingProfile": tx_profile(1, tx_id, 6.0)}
    )
    assert reply == {"status": "Accepted"}
    accepted_at = now_iso(cp)
    assert cp.smart.limit_a(1) == 6.0
    assert amps_drawn(cp) <= 6.0 * NOISE
    after = await wait_until(
        lambda: [(t, w) for t, w in periodic_power(cp) if t > accepted_at],
        what="a periodic meter value after the profile",
    )
    _, watts = after[0]
    assert watts <= 6.0 * 3 * VOLTAGE * NOISE


async def test_a_tx_profile_for_an_unknown_transaction_or_idle_evse_is_rejected(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """K01.FR.09: no transaction on the EVSE -> Rejected (TxNotFound); K01.FR.33: a
    transactionId that is not known -> Rejected; K01.FR.03: a TxProfile names one."""
    cp = await make_cp201(csms.url, "T2", template="ac-22kw-dual", variables=START)
    idle = await csms.call(
        "T2", "SetChargingProfile", {"evseId": 2, "chargingProfile": tx_profile(1, "x", 6.0)}
    )
    assert idle["statusInfo"]["reasonCode"] == "TxNotFound"
    assert "K01.FR.09" in idle["statusInfo"]["additionalInfo"]
    await charging(cp)
    unknown = await csms.call(
        "T2", "SetChargingProfile", {"evseId": 1, "chargingProfile": tx_profile(1, "nope", 6.0)}
    )
    assert unknown["statusInfo"]["reasonCode"] == "TxNotFound"
    assert "K01.FR.33" in unknown["statusInfo"]["additionalInfo"]
    nameless = await csms.call(
        "T2", "SetChargingProfile", {"evseId": 1, "chargingProfile": profile201(1, "TxProfile")}
    )
    assert "K01.FR.03" in nameless["statusInfo"]["additionalInfo"]
    assert len(cp.smart.store) == 0


async def test_a_tx_profile_overrules_the_default_and_ends_with_its_transaction(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """K01.FR.32: a new TxDefaultProfile applies to the running transaction; §3.5 a TxProfile
    overrules it (even when higher); §3.2 the TxProfile ceases with the transaction."""
    cp = await make_cp201(csms.url, "T3", variables=START)
    tx_id = await charging(cp)
    default = {"evseId": 0, "chargingProfile": profile201(1, limits=[(0, 10.0)])}
    assert (await csms.call("T3", "SetChargingProfile", default))["status"] == "Accepted"
    assert cp.station.connector(1).limit_a == 10.0
    higher = {"evseId": 1, "chargingProfile": tx_profile(2, tx_id, 13.0)}
    assert (await csms.call("T3", "SetChargingProfile", higher))["status"] == "Accepted"
    assert cp.station.connector(1).limit_a == 13.0
    cp.present_id("TAG1", 1)  # ends the transaction
    await wait_until(lambda: cp.transactions.active(1) is None, what="the end")
    await wait_until(lambda: not cp.smart.store.of(TX, (1,)), what="the TxProfile gone")
    assert [e.profile.id for e in cp.smart.store] == [1]
    assert cp.station.connector(1).limit_a is None


async def test_a_remote_start_with_a_profile_charges_under_it(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """K05.FR.01/03, F01.FR.08: RequestStartTransaction's TxProfile limits that transaction;
    K05.FR.05: an invalid one refuses the start."""
    cp = await make_cp201(csms.url, "T4", variables=START)
    bad = profile201(1, "TxProfile", kind="Absolute")  # no startSchedule (K01.FR.40)
    refused = await csms.call(
        "T4",
        "RequestStartTransaction",
        {
            "idToken": {"idToken": "TAG1", "type": "ISO14443"},
            "remoteStartId": 1,
            "evseId": 1,
            "chargingProfile": bad,
        },
    )
    assert refused["status"] == "Rejected"
    good = profile201(2, "TxProfile", [(0, 8.0)])
    reply = await csms.call(
        "T4",
        "RequestStartTransaction",
        {
            "idToken": {"idToken": "TAG1", "type": "ISO14443"},
            "remoteStartId": 2,
            "evseId": 1,
            "chargingProfile": good,
        },
    )
    assert reply["status"] == "Accepted"
    cp.station.connector(1).plug_in(ev())
    await wait_until(
        lambda: cp.transactions.active(1) is not None and amps_drawn(cp) > 0, what="charging"
    )
    [entry] = cp.smart.store.of(TX, (1,))
    assert entry.raw["transactionId"] == cp.transactions.active(1).transaction_id
    assert cp.station.connector(1).limit_a == 8.0
    assert amps_drawn(cp) <= 8.0 * NOISE


async def test_an_external_limit_caps_a_running_transaction_until_released(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """K11.FR.01: not faster than the external limit; K13.FR.01: released, no longer limited."""
    cp = await make_cp201(csms.url, "T5", variables=START)
    await charging(cp)
    cp.smart.set_external_limit(1, 7.0)
    assert cp.station.connector(1).limit_a == 7.0
    assert amps_drawn(cp) <= 7.0 * NOISE
    await csms.wait_for_message("T5", "NotifyChargingLimit")
    cp.smart.set_external_limit(1, None)
    await csms.wait_for_message("T5", "ClearedChargingLimit")
    assert cp.station.connector(1).limit_a is None
    assert amps_drawn(cp) > 15


async def test_a_station_max_profile_is_shared_by_two_charging_evses(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """K04.FR.01, §3.5: a ChargingStationMaxProfile of 20 A limits both EVSEs together."""
    cp = await make_cp201(csms.url, "T6", template="ac-22kw-dual", variables=START)
    await charging(cp, 1)
    await charging(cp, 2, tag="TAG2")
    maxp = profile201(
        1, "ChargingStationMaxProfile", [(0, 20.0)], kind="Absolute", startSchedule=now_iso(cp)
    )
    reply = await csms.call("T6", "SetChargingProfile", {"evseId": 0, "chargingProfile": maxp})
    assert reply["status"] == "Accepted"
    limits = [cp.station.connector(n).limit_a for n in (1, 2)]
    assert limits == [10.0, 10.0]
    assert amps_drawn(cp, 1) + amps_drawn(cp, 2) <= 20.0 * NOISE


async def test_an_iso15118_ev_returns_its_schedule_for_a_tx_profile(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """K15.FR.07/10/19, K16.FR.01/05, K01.FR.34: after its charging needs, a TxProfile with
    two schedules is accepted; the EV picks the first and reports it (id = that schedule's)
    within the limits, and the CSMS accepts it (K15.FR.11)."""
    cp = await make_cp201(csms.url, "T7", variables=START)
    car = Ev(load_ev_template("iso15118-ev"))
    tx_id = await charging(cp, 1, car)
    await csms.wait_for_message("T7", "NotifyEVChargingNeeds")
    prof = tx_profile(1, tx_id, 10.0, schedule_id=5)
    prof["chargingSchedule"][0]["duration"] = 3600
    prof["chargingSchedule"].append(
        {
            "id": 6,
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 4.0}],
        }
    )
    reply = await csms.call("T7", "SetChargingProfile", {"evseId": 1, "chargingProfile": prof})
    assert reply == {"status": "Accepted"}
    schedule = await csms.wait_for_message("T7", "NotifyEVChargingSchedule")
    assert schedule["evseId"] == 1
    assert schedule["chargingSchedule"]["id"] == 5
    assert 3500 < schedule["chargingSchedule"]["duration"] <= 3600  # what is left of it
    assert all(
        p["limit"] <= 10.0 for p in schedule["chargingSchedule"]["chargingSchedulePeriod"]
    ), schedule
    [answer] = v201_smart.messages(csms.store.conn, "T7", "NotifyEVChargingSchedule")
    assert answer.answer == "Accepted"
    assert cp.station.connector(1).limit_a == 10.0


async def test_a_new_limit_during_a_transaction_is_reported_as_charging_rate_changed(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """K11.FR.04, TriggerReasonEnumType ChargingRateChanged: the new rate is reported."""
    cp = await make_cp201(csms.url, "T9", variables=START)
    tx_id = await charging(cp)
    reply = await csms.call(
        "T9", "SetChargingProfile", {"evseId": 1, "chargingProfile": tx_profile(1, tx_id, 8.0)}
    )
    assert reply == {"status": "Accepted"}
    await wait_until(
        lambda: any(
            e["triggerReason"] == "ChargingRateChanged" and e["eventType"] == "Updated"
            for e in request(cp, "TransactionEvent")
        ),
        what="an Updated TransactionEvent with ChargingRateChanged",
    )
