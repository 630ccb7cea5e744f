"""Remote control of 2.0.1 transactions from the built-in CSMS (F01-F03, F05, E14, F06)."""

from __future__ import annotations

from typing import Any

from bench.csms.server import CentralSystem
from tests.e2e.conftest import ev, wait_until
from tests.e2e.v201.conftest import Cp201Factory, request

TAG1 = {"idToken": "TAG1", "type": "ISO14443"}
QUIET = {"SampledDataCtrlr.TxUpdatedInterval": "0"}


def events(cp: Any) -> list[dict[str, Any]]:
    return request(cp, "TransactionEvent")


async def test_remote_start_with_cable_plugged_first_starts_with_remote_start_id(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """F01.FR.01/19/25: RequestStartTransaction authorizes; the next event says RemoteStart
    with the remoteStartId and the idToken (F01.FR.04)."""
    cp = await make_cp201(csms.url, "RS1", variables=QUIET)
    cp.station.connector(1).plug_in(ev())
    reply = await csms.call(
        "RS1", "RequestStartTransaction", {"idToken": TAG1, "remoteStartId": 42, "evseId": 1}
    )
    assert reply["status"] == "Accepted"
    await wait_until(lambda: len(events(cp)) == 1, what="Started")
    started = events(cp)[0]
    assert started["triggerReason"] == "RemoteStart"
    assert started["transactionInfo"]["remoteStartId"] == 42
    assert started["idToken"] == TAG1
    assert cp.station.connector(1).contactor_closed


async def test_remote_start_returns_the_id_of_a_transaction_already_running(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """F01.FR.13: a transaction started on EVConnected, not authorized: its id is returned."""
    cp = await make_cp201(
        csms.url, "RS2", variables={**QUIET, "TxCtrlr.TxStartPoint": "EVConnected"}
    )
    cp.station.connector(1).plug_in(ev())
    await wait_until(lambda: len(events(cp)) == 1, what="Started")
    tx_id = events(cp)[0]["transactionInfo"]["transactionId"]
    reply = await csms.call(
        "RS2", "RequestStartTransaction", {"idToken": TAG1, "remoteStartId": 7, "evseId": 1}
    )
    assert reply == {"status": "Accepted", "transactionId": tx_id}
    await wait_until(lambda: len(events(cp)) == 2, what="Updated RemoteStart")
    assert events(cp)[1]["triggerReason"] == "RemoteStart"
    assert events(cp)[1]["transactionInfo"]["remoteStartId"] == 7


async def test_remote_start_is_rejected_on_an_authorized_or_faulted_evse(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """F01.FR.24 (an authorized transaction runs), F01.FR.23 (Faulted), unknown EVSE."""
    cp = await make_cp201(csms.url, "RS3", template="ac-22kw-dual", variables=QUIET)
    cp.station.connector(1).plug_in(ev())
    cp.present_id("TAG1", 1)
    await wait_until(lambda: len(events(cp)) == 1, what="Started")
    busy = await csms.call(
        "RS3", "RequestStartTransaction", {"idToken": TAG1, "remoteStartId": 1, "evseId": 1}
    )
    assert busy["status"] == "Rejected"
    cp.station.connector(2).raise_fault("ground_failure")
    faulted = await csms.call(
        "RS3", "RequestStartTransaction", {"idToken": TAG1, "remoteStartId": 2, "evseId": 2}
    )
    assert faulted["status"] == "Rejected"
    unknown = await csms.call(
        "RS3", "RequestStartTransaction", {"idToken": TAG1, "remoteStartId": 3, "evseId": 9}
    )
    assert unknown["status"] == "Rejected"


async def test_remote_start_with_a_non_tx_profile_is_rejected_as_invalid(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """F01.FR.09/26: the profile of a remote start must be a TxProfile."""
    cp = await make_cp201(csms.url, "RS4", variables=QUIET)
    profile = {
        "id": 5,
        "stackLevel": 0,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": [
            {
                "id": 1,
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10}],
            }
        ],
    }
    reply = await csms.call(
        "RS4",
        "RequestStartTransaction",
        {"idToken": TAG1, "remoteStartId": 1, "evseId": 1, "chargingProfile": profile},
    )
    assert reply["status"] == "Rejected"
    assert reply["statusInfo"]["reasonCode"] == "InvalidProfile"
    assert events(cp) == []


async def test_remote_stop_ends_the_transaction_with_remote(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """F03.FR.03/07: TxStopPoint Authorized: Ended, RemoteStop, Remote, no idToken."""
    cp = await make_cp201(csms.url, "RS5", variables=QUIET)
    connector = cp.station.connector(1)
    connector.plug_in(ev())
    cp.present_id("TAG1")
    await wait_until(lambda: len(events(cp)) == 1, what="Started")
    tx_id = events(cp)[0]["transactionInfo"]["transactionId"]
    reply = await csms.call("RS5", "RequestStopTransaction", {"transactionId": tx_id})
    assert reply["status"] == "Accepted"
    await wait_until(lambda: len(events(cp)) == 2, what="Ended")
    ended = events(cp)[1]
    assert (ended["eventType"], ended["triggerReason"]) == ("Ended", "RemoteStop")
    assert ended["transactionInfo"]["stoppedReason"] == "Remote"
    assert "idToken" not in ended
    assert not connector.contactor_closed
    unknown = await csms.call("RS5", "RequestStopTransaction", {"transactionId": "nope"})
    assert unknown["status"] == "Rejected"  # F03.FR.08


async def test_remote_stop_with_stop_point_ev_connected_only_stops_energy(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """F03.FR.02: Updated/RemoteStop, energy off; the unplug ends it with stoppedReason Remote."""
    cp = await make_cp201(
        csms.url,
        "RS6",
        variables={
            **QUIET,
            "TxCtrlr.TxStartPoint": "EVConnected",
            "TxCtrlr.TxStopPoint": "EVConnected",
        },
    )
    connector = cp.station.connector(1)
    connector.plug_in(ev())
    cp.present_id("TAG1")
    await wait_until(lambda: len(events(cp)) == 2, what="Started, Authorized")
    tx_id = events(cp)[0]["transactionInfo"]["transactionId"]
    await csms.call("RS6", "RequestStopTransaction", {"transactionId": tx_id})
    await wait_until(lambda: len(events(cp)) == 3, what="Updated RemoteStop")
    update = events(cp)[2]
    assert (update["eventType"], update["triggerReason"]) == ("Updated", "RemoteStop")
    assert update["transactionInfo"]["chargingState"] == "EVConnected"
    assert not connector.contactor_closed and not connector.locked  # F04.FR.02
    connector.unplug()
    await wait_until(lambda: len(events(cp)) == 4, what="Ended")
    assert events(cp)[3]["transactionInfo"]["stoppedReason"] == "Remote"


async def test_unlock_connector_statuses(csms: CentralSystem, make_cp201: Cp201Factory) -> None:
    """F05.FR.02 OngoingAuthorizedTransaction, F05.FR.03 UnknownConnector, F05.FR.04 Unlocked."""
    cp = await make_cp201(csms.url, "UL1", variables=QUIET)
    connector = cp.station.connector(1)
    connector.plug_in(ev())
    cp.present_id("TAG1")
    await wait_until(lambda: len(events(cp)) == 1, what="Started")
    busy = await csms.call("UL1", "UnlockConnector", {"evseId": 1, "connectorId": 1})
    assert busy["status"] == "OngoingAuthorizedTransaction"
    assert connector.locked
    unknown = await csms.call("UL1", "UnlockConnector", {"evseId": 1, "connectorId": 2})
    assert unknown["status"] == "UnknownConnector"
    cp.present_id("TAG1")
    await wait_until(lambda: len(events(cp)) == 2, what="Ended")
    connector.lock()
    done = await csms.call("UL1", "UnlockConnector", {"evseId": 1, "connectorId": 1})
    assert done["status"] == "Unlocked" and not connector.locked


async def test_get_transaction_status_reports_ongoing_and_queued(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """E14.FR.01/02/03/05/06/08."""
    cp = await make_cp201(csms.url, "GS1", variables=QUIET)
    connector = cp.station.connector(1)
    connector.plug_in(ev())
    cp.present_id("TAG1")
    await wait_until(lambda: len(events(cp)) == 1, what="Started")
    tx_id = events(cp)[0]["transactionInfo"]["transactionId"]
    await wait_until(lambda: len(cp.transactions.queue) == 0, what="delivered")
    ongoing = await csms.call("GS1", "GetTransactionStatus", {"transactionId": tx_id})
    assert ongoing == {"ongoingIndicator": True, "messagesInQueue": False}
    unknown = await csms.call("GS1", "GetTransactionStatus", {"transactionId": "other"})
    assert unknown == {"ongoingIndicator": False, "messagesInQueue": False}
    assert await csms.call("GS1", "GetTransactionStatus", {}) == {"messagesInQueue": False}
    connector.unplug()
    await wait_until(lambda: len(events(cp)) == 2, what="Ended")
    await wait_until(lambda: len(cp.transactions.queue) == 0, what="delivered")
    ended = await csms.call("GS1", "GetTransactionStatus", {"transactionId": tx_id})
    assert ended["ongoingIndicator"] is False


async def test_triggered_transaction_event_and_meter_values(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """F06.FR.07: Updated/Trigger with chargingState and meter values; F06.FR.06 MeterValues
    with the AlignedDataCtrlr.Measurands, context Trigger."""
    cp = await make_cp201(csms.url, "TM1", variables=QUIET)
    cp.station.connector(1).plug_in(ev())
    cp.present_id("TAG1")
    await wait_until(lambda: len(events(cp)) == 1, what="Started")
    reply = await csms.call(
        "TM1", "TriggerMessage", {"requestedMessage": "TransactionEvent", "evse": {"id": 1}}
    )
    assert reply["status"] == "Accepted"
    await wait_until(lambda: len(events(cp)) == 2, what="triggered event")
    triggered = events(cp)[1]
    assert triggered["triggerReason"] == "Trigger"
    assert triggered["transactionInfo"]["chargingState"] == "Charging"
    assert triggered["meterValue"][0]["sampledValue"][0]["context"] == "Trigger"
    # TC_F_14_CS: asked of every EVSE at once, each triggered event names its EVSE.
    await csms.call("TM1", "TriggerMessage", {"requestedMessage": "TransactionEvent"})
    await wait_until(lambda: len(events(cp)) == 3, what="the event triggered for all EVSEs")
    assert events(cp)[2]["evse"]["id"] == 1
    await csms.call("TM1", "TriggerMessage", {"requestedMessage": "MeterValues"})
    await wait_until(lambda: request(cp, "MeterValues"), what="MeterValues")
    sent = request(cp, "MeterValues")[0]
    assert sent["evseId"] == 1
    assert sent["meterValue"][0]["sampledValue"][0]["measurand"] == "Energy.Active.Import.Register"
    assert sent["meterValue"][0]["sampledValue"][0]["context"] == "Trigger"
