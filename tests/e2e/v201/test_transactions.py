"""2.0.1 transactions against the built-in CSMS: start/stop points, events, seqNo (E01-E10).

Every test runs a real ``ChargePoint201`` over a loopback WebSocket; the CSMS stores
what arrives in its ``csms201_*`` tables (``bench.csms.v201_tx``).
"""

from __future__ import annotations

from typing import Any

from bench.csms import v201_tx
from bench.csms.server import CentralSystem
from bench.ocpp.v201.transactions import TransactionEventSent
from tests.e2e.conftest import WAIT, ev, wait_until
from tests.e2e.v201.conftest import Cp201Factory, request

TAG1 = {"idToken": "TAG1", "type": "ISO14443"}
# No periodic Updated events unless a test asks for them: event counts stay exact.
QUIET = {"SampledDataCtrlr.TxUpdatedInterval": "0"}


def events(cp: Any) -> list[dict[str, Any]]:
    return request(cp, "TransactionEvent")


async def delivered(cp: Any) -> None:
    await wait_until(lambda: len(cp.transactions.queue) == 0, what="the queue to drain")


async def test_a_full_transaction_with_start_points_authorized_and_ev_connected(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """E01.FR.03, E02.FR.01, E06.FR.03, E07.FR.02: the issue's full transaction.

    TxStartPoint=Authorized,EVConnected starts at the first point reached (the card),
    the plug-in is an Updated CablePluggedIn with the charging state, the card again
    ends it with StopAuthorized/Local; seqNo runs 0, 1, 2, ... (E01.FR.07).
    """
    cp = await make_cp201(
        csms.url,
        "TX1",
        variables={
            **QUIET,
            "TxCtrlr.TxStartPoint": "Authorized,EVConnected",
            "TxCtrlr.TxStopPoint": "EVConnected,Authorized",
        },
    )
    seen: list[TransactionEventSent] = []
    cp.events.subscribe(lambda e: seen.append(e) if isinstance(e, TransactionEventSent) else None)
    cp.present_id("TAG1")
    await wait_until(lambda: len(events(cp)) == 1, what="Started")
    started = events(cp)[0]
    assert started["eventType"] == "Started"
    assert started["triggerReason"] == "Authorized"
    assert started["idToken"] == TAG1
    assert started["evse"] == {"id": 1, "connectorId": 1}
    assert started["transactionInfo"]["chargingState"] == "Idle"
    tx_id = started["transactionInfo"]["transactionId"]
    assert cp.transactions.active(1).transaction_id == tx_id
    assert cp.transactions.transaction_ids() == [tx_id]

    cp.station.connector(1).plug_in(ev())
    await wait_until(lambda: len(events(cp)) == 3, what="CablePluggedIn, then Charging")
    plugged, charging = events(cp)[1:3]
    # E03.FR.12: the cable and the energy it lets flow are two events, two messages.
    assert plugged["eventType"] == "Updated"
    assert plugged["triggerReason"] == "CablePluggedIn"
    assert plugged["transactionInfo"]["chargingState"] == "EVConnected"
    assert "idToken" not in plugged  # E03.FR.01: once per authorization
    assert charging["triggerReason"] == "ChargingStateChanged"
    assert charging["transactionInfo"]["chargingState"] == "Charging"
    assert charging["numberOfPhasesUsed"] == 3

    cp.present_id("TAG1")
    await wait_until(lambda: len(events(cp)) == 4, what="Ended")
    ended = events(cp)[3]
    assert ended["eventType"] == "Ended"
    assert ended["triggerReason"] == "StopAuthorized"
    assert ended["transactionInfo"]["stoppedReason"] == "Local"
    assert ended["idToken"] == TAG1
    assert [e["seqNo"] for e in events(cp)] == [0, 1, 2, 3]
    contexts = [sv["context"] for mv in ended["meterValue"] for sv in mv["sampledValue"]]
    assert contexts[0] == "Transaction.Begin" and contexts[-1] == "Transaction.End"
    assert cp.transactions.active(1) is None
    connector = cp.station.connector(1)
    assert not connector.contactor_closed and not connector.locked  # E07.FR.07

    await delivered(cp)
    row = v201_tx.transaction(csms.store.conn, "TX1", tx_id)
    assert row is not None and not row.active
    assert row.stopped_reason == "Local" and row.id_token == "TAG1" and row.last_seq == 3
    assert v201_tx.missing_seq_nos(csms.store.conn, "TX1", tx_id) == []
    assert [(e.event_type, e.seq_no) for e in seen] == [
        ("Started", 0),
        ("Updated", 1),
        ("Updated", 2),
        ("Ended", 3),
    ]


async def test_plugging_in_first_starts_on_ev_connected_and_unplugging_ends(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """E02: cable first. E01.FR.02, E02.FR.06 start; E06.FR.02 unplug ends, EVDisconnected."""
    cp = await make_cp201(
        csms.url,
        "TX2",
        variables={
            **QUIET,
            "TxCtrlr.TxStartPoint": "EVConnected",
            "TxCtrlr.TxStopPoint": "EVConnected",
        },
    )
    connector = cp.station.connector(1)
    connector.plug_in(ev())
    await wait_until(lambda: len(events(cp)) == 1, what="Started")
    started = events(cp)[0]
    assert (started["triggerReason"], started["transactionInfo"]["chargingState"]) == (
        "CablePluggedIn",
        "EVConnected",
    )
    assert not connector.contactor_closed  # no energy before authorization
    cp.present_id("TAG1")
    await wait_until(lambda: len(events(cp)) == 2, what="Authorized")
    auth = events(cp)[1]
    assert auth["triggerReason"] == "Authorized" and auth["idToken"] == TAG1  # E02.FR.01
    assert auth["transactionInfo"]["chargingState"] == "Charging"
    connector.unplug()
    await wait_until(lambda: len(events(cp)) == 3, what="Ended")
    ended = events(cp)[2]
    assert ended["triggerReason"] == "EVCommunicationLost"
    assert ended["transactionInfo"]["stoppedReason"] == "EVDisconnected"
    assert ended["transactionInfo"]["chargingState"] == "Idle"


async def test_default_start_point_power_path_closed_waits_for_card_and_cable(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """E01.FR.05: PowerPathClosed needs both; the authorization trigger is kept (E02.FR.01)."""
    cp = await make_cp201(csms.url, "TX3", variables=QUIET)
    cp.present_id("TAG1")
    await wait_until(lambda: cp.transactions.sessions[1].authorized is not None, what="authorized")
    assert events(cp) == []
    cp.station.connector(1).plug_in(ev())
    await wait_until(lambda: len(events(cp)) == 1, what="Started")
    started = events(cp)[0]
    assert started["triggerReason"] == "Authorized" and started["idToken"] == TAG1
    assert started["transactionInfo"]["chargingState"] == "Charging"
    assert started["meterValue"][0]["sampledValue"][0]["context"] == "Transaction.Begin"


async def test_a_refused_token_in_the_reply_ends_the_transaction_deauthorized(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """E05.FR.10/11: StopTxOnInvalidId with TxStopPoint Authorized: Ended/Deauthorized,
    the cable stays locked until its owner shows the card again."""
    cp = await make_cp201(
        csms.url,
        "TX4",
        variables={
            **QUIET,
            "TxCtrlr.TxStartPoint": "EVConnected",
            "TxCtrlr.TxStopPoint": "Authorized",
        },
    )
    connector = cp.station.connector(1)
    connector.plug_in(ev())
    await wait_until(lambda: len(events(cp)) == 1, what="Started")
    # Locally authorized on outdated information (E05 prerequisite); the CSMS then refuses it.
    session = cp.transactions.sessions[1]
    cp.transactions.authorize(
        session, {"idToken": "BLOCKED", "type": "ISO14443"}, None, "Authorized"
    )
    await wait_until(lambda: len(events(cp)) == 3, what="Ended after the refusal")
    ended = events(cp)[2]
    assert ended["eventType"] == "Ended"
    assert ended["triggerReason"] == "Deauthorized"
    assert ended["transactionInfo"]["stoppedReason"] == "DeAuthorized"
    assert connector.locked  # E05.FR.11
    cp.present_id("BLOCKED")
    await wait_until(lambda: not connector.locked, what="the owner unlocks")


async def test_stop_tx_on_invalid_id_false_suspends_energy_and_keeps_the_transaction(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """E05.FR.02: no stop, energy held: Updated/ChargingStateChanged SuspendedEVSE."""
    cp = await make_cp201(
        csms.url,
        "TX5",
        variables={
            **QUIET,
            "TxCtrlr.TxStartPoint": "EVConnected",
            "TxCtrlr.TxStopPoint": "EVConnected",
            "TxCtrlr.StopTxOnInvalidId": "false",
        },
    )
    connector = cp.station.connector(1)
    connector.plug_in(ev())
    await wait_until(lambda: len(events(cp)) == 1, what="Started")
    session = cp.transactions.sessions[1]
    cp.transactions.authorize(
        session, {"idToken": "BLOCKED", "type": "ISO14443"}, None, "Authorized"
    )
    await wait_until(lambda: len(events(cp)) == 3, what="suspension")
    last = events(cp)[2]
    assert last["eventType"] == "Updated"
    assert last["triggerReason"] == "ChargingStateChanged"
    assert last["transactionInfo"]["chargingState"] == "SuspendedEVSE"
    assert not connector.contactor_closed and cp.transactions.active(1) is not None


async def test_ev_side_disconnect_deauthorizes_and_unlocks_per_settings(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """E09.FR.01/03: StopTxOnEVSideDisconnect with UnlockOnEVSideDisconnect=false keeps the
    cable locked for its owner; TxStopPoint Authorized ends it, EVDisconnected."""
    cp = await make_cp201(
        csms.url,
        "TX6",
        variables={
            **QUIET,
            "TxCtrlr.TxStartPoint": "PowerPathClosed",
            "TxCtrlr.TxStopPoint": "Authorized",
            "OCPPCommCtrlr.UnlockOnEVSideDisconnect": "false",
        },
    )
    connector = cp.station.connector(1)
    connector.plug_in(ev())
    cp.present_id("TAG1")
    await wait_until(lambda: len(events(cp)) == 1, what="Started")
    connector.unplug()
    await wait_until(lambda: len(events(cp)) == 2, what="Ended")
    ended = events(cp)[1]
    assert ended["transactionInfo"]["stoppedReason"] == "EVDisconnected"
    assert connector.locked
    cp.present_id("TAG1")
    await wait_until(lambda: not connector.locked, what="unlocked for the owner")
    assert len(events(cp)) == 2


async def test_ev_connection_timeout_ends_a_transaction_started_by_the_card(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """E03.FR.05: no cable within EVConnectionTimeOut: Ended, Timeout, EVConnectTimeout."""
    cp = await make_cp201(
        csms.url,
        "TX7",
        variables={
            **QUIET,
            "TxCtrlr.TxStartPoint": "Authorized",
            "TxCtrlr.EVConnectionTimeOut": "20",
        },
    )
    cp.present_id("TAG1")
    await wait_until(lambda: len(events(cp)) == 2, what="Started then Ended")
    ended = events(cp)[1]
    assert ended["triggerReason"] == "EVConnectTimeout"
    assert ended["transactionInfo"]["stoppedReason"] == "Timeout"
    assert cp.transactions.sessions[1].authorized is None  # C01.FR.26


async def test_a_new_authorization_after_the_ev_connection_timeout_starts_a_new_transaction(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """F02.FR.07 then E03 again (TC_F_04_CS step 3): after the timeout ended the first
    transaction, the EVSE is ready: the next authorization starts another one."""
    cp = await make_cp201(
        csms.url,
        "TX7B",
        variables={
            **QUIET,
            "TxCtrlr.TxStartPoint": "Authorized",
            "TxCtrlr.EVConnectionTimeOut": "20",
        },
    )
    cp.present_id("TAG1")
    await wait_until(lambda: len(events(cp)) == 2, what="Started then Ended")
    cp.present_id("TAG1")
    await wait_until(lambda: len(events(cp)) >= 3, what="a second Started")
    again = events(cp)[2]
    assert again["eventType"] == "Started"
    assert (
        again["transactionInfo"]["transactionId"]
        != events(cp)[0]["transactionInfo"]["transactionId"]
    )


async def test_periodic_updates_carry_sampled_meter_values(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """J02.FR.11, E02.FR.10: Updated/MeterValuePeriodic every TxUpdatedInterval with the
    TxUpdatedMeasurands, per phase for currents (J01.FR.10); the CSMS stores the rows."""
    cp = await make_cp201(csms.url, "TX8", variables={"SampledDataCtrlr.TxUpdatedInterval": "60"})
    cp.station.connector(1).plug_in(ev())
    cp.present_id("TAG1")

    def periodic() -> list[dict[str, Any]]:
        return [e for e in events(cp) if e["triggerReason"] == "MeterValuePeriodic"]

    await wait_until(lambda: len(periodic()) >= 2, what="two periodic updates")
    values = periodic()[0]["meterValue"][0]["sampledValue"]
    measurands = [(sv["measurand"], sv.get("phase")) for sv in values]
    assert ("Energy.Active.Import.Register", None) in measurands
    assert ("Current.Import", "L2") in measurands
    assert all(sv["context"] == "Sample.Periodic" for sv in values)
    registers = [
        sv["value"]
        for e in periodic()
        for sv in e["meterValue"][0]["sampledValue"]
        if sv["measurand"] == "Energy.Active.Import.Register"
    ]
    assert registers[1] > registers[0]  # J02.FR.16: the register grows
    await delivered(cp)
    tx_id = events(cp)[0]["transactionInfo"]["transactionId"]
    rows = v201_tx.meter_values(csms.store.conn, "TX8", transaction_id=tx_id)
    assert any(r.context == "Sample.Periodic" and r.unit == "Wh" for r in rows)


async def test_an_ev_that_suspends_is_reported_as_suspended_ev(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """E01.FR.18/19: a charging-state change alone is an Updated/ChargingStateChanged."""
    cp = await make_cp201(csms.url, "TX9", variables=QUIET)
    connector = cp.station.connector(1)
    connector.plug_in(ev())
    cp.present_id("TAG1")
    await wait_until(lambda: len(events(cp)) == 1, what="Started")
    connector.suspend_ev()
    await wait_until(lambda: len(events(cp)) == 2, what="SuspendedEV")
    change = events(cp)[1]
    assert change["triggerReason"] == "ChargingStateChanged"
    assert change["transactionInfo"]["chargingState"] == "SuspendedEV"
    assert cp.transactions.active(1).charging_state == "SuspendedEV"


async def test_each_transaction_gets_a_new_id_and_seq_no_from_zero(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """E01.FR.08: unique ids; part 2 E §1.3.2.1: seqNo from 0 for every transaction."""
    cp = await make_cp201(csms.url, "TX10", variables=QUIET)
    connector = cp.station.connector(1)
    for n in (1, 2):
        connector.plug_in(ev())
        cp.present_id("TAG1")
        await wait_until(lambda n=n: len(events(cp)) == 2 * n - 1, what="Started")
        connector.unplug()
        await wait_until(lambda n=n: len(events(cp)) == 2 * n, what="Ended")
    first, _, second, _ = events(cp)
    assert first["seqNo"] == second["seqNo"] == 0
    assert first["transactionInfo"]["transactionId"] != second["transactionInfo"]["transactionId"]
    await wait_until(
        lambda: len(v201_tx.transactions(csms.store.conn, "TX10", active=False)) == 2,
        timeout=WAIT,
        what="both stored as ended",
    )
