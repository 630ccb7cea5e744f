"""2.0.1 ChangeAvailability for station, EVSE and connector over a loopback CSMS (G01, G03, G04)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.csms.server import CentralSystem
from bench.ocpp.v201.charge_point import ChargePoint201
from bench.ocpp.v201.device_model import ComponentKey
from tests.e2e.conftest import WAIT, ev, wait_until
from tests.e2e.v201.conftest import Cp201Factory


def change(operative: bool, evse: int | None = None, connector: int | None = None) -> dict:
    payload: dict[str, Any] = {"operationalStatus": "Operative" if operative else "Inoperative"}
    if evse is not None:
        payload["evse"] = {"id": evse}
        if connector is not None:
            payload["evse"]["connectorId"] = connector
    return payload


async def reported(csms: CentralSystem, station: str, evse: int, status: str) -> None:
    await csms.wait_for_message(
        station,
        "StatusNotification",
        lambda p: p["evseId"] == evse and p["connectorStatus"] == status,
        timeout=WAIT,
    )


async def start_transaction(cp: ChargePoint201, evse: int = 1) -> None:
    """Plug an EV and present TAG1 there: the transactions block starts a transaction."""
    cp.station.connector(evse).plug_in(ev())
    cp.present_id("TAG1", evse)
    await wait_until(lambda: cp.station.connector(evse).transaction is not None, what="a tx")


async def stop_transaction(cp: ChargePoint201, evse: int = 1) -> None:
    """Present TAG1 again: its authorization, and so the transaction, ends (E07)."""
    cp.present_id("TAG1", evse)
    await wait_until(lambda: cp.station.connector(evse).transaction is None, what="the tx ended")


def describe(action: str | None, payload: dict[str, Any]) -> str:
    """A sent CALL in a word: a TransactionEvent by its eventType, a status by its value."""
    if action == "TransactionEvent":
        return str(payload["eventType"])
    if action == "StatusNotification":
        return f"Status:{payload['connectorStatus']}"
    return str(action)


def availability_state(cp: ChargePoint201, component: Any) -> str | None:
    return cp.device_model.value(component, "AvailabilityState")


async def test_an_evse_made_inoperative_reports_unavailable_and_back(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """G03.FR.04, G03.FR.06/07, G01.FR.07: the connector follows its EVSE, with statuses."""
    cp = await make_cp201(csms.url, "CS1", template="ac-22kw-dual")
    await reported(csms, "CS1", 2, "Available")
    assert await csms.call("CS1", "ChangeAvailability", change(False, 2)) == {"status": "Accepted"}
    await reported(csms, "CS1", 2, "Unavailable")
    assert availability_state(cp, ComponentKey("EVSE", evse=2)) == "Unavailable"
    assert availability_state(cp, ComponentKey("Connector", evse=2, connector=1)) == "Unavailable"
    assert availability_state(cp, ComponentKey("EVSE", evse=1)) == "Available"
    assert cp.status_of(1).status == "Available"
    await csms.call("CS1", "ChangeAvailability", change(True, 2))
    await reported(csms, "CS1", 2, "Available")
    assert availability_state(cp, ComponentKey("EVSE", evse=2)) == "Available"


async def test_the_station_made_inoperative_takes_every_evse_down(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """G04.FR.01 (no evse), G04.FR.05, G04.FR.07/08; ChargingStation.AvailabilityState."""
    cp = await make_cp201(csms.url, "CS1", template="ac-22kw-dual")
    assert await csms.call("CS1", "ChangeAvailability", change(False)) == {"status": "Accepted"}
    await reported(csms, "CS1", 1, "Unavailable")
    await reported(csms, "CS1", 2, "Unavailable")
    assert availability_state(cp, "ChargingStation") == "Unavailable"
    await csms.call("CS1", "ChangeAvailability", change(True))
    await reported(csms, "CS1", 1, "Available")
    await reported(csms, "CS1", 2, "Available")
    assert availability_state(cp, "ChargingStation") == "Available"


async def test_asking_for_the_state_already_in_is_accepted(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """G03.FR.03, G04.FR.04: Accepted, nothing changes."""
    cp = await make_cp201(csms.url, "CS1")
    assert await csms.call("CS1", "ChangeAvailability", change(True, 1)) == {"status": "Accepted"}
    assert await csms.call("CS1", "ChangeAvailability", change(True)) == {"status": "Accepted"}
    assert cp.station.connector(1).operative


async def test_an_unknown_evse_or_connector_is_rejected(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """G03.FR.02: Rejected with UnknownEvse / UnknownConnectorId."""
    await make_cp201(csms.url, "CS1")
    reply = await csms.call("CS1", "ChangeAvailability", change(False, 7))
    assert reply["status"] == "Rejected"
    assert reply["statusInfo"]["reasonCode"] == "UnknownEvse"
    reply = await csms.call("CS1", "ChangeAvailability", change(False, 1, 3))
    assert reply["statusInfo"]["reasonCode"] == "UnknownConnectorId"


async def test_a_change_during_a_transaction_is_scheduled_for_its_end(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """G03.FR.05, G04.FR.06, G01.FR.05: Scheduled; Unavailable once the transaction ends."""
    cp = await make_cp201(csms.url, "CS1")
    connector = cp.station.connector(1)
    await start_transaction(cp)
    reply = await csms.call("CS1", "ChangeAvailability", change(False, 1))
    assert reply == {"status": "Scheduled"}
    assert connector.operative and cp.status_of(1).status == "Occupied"
    # Asking again while it is still scheduled does not pretend it is done.
    assert (await csms.call("CS1", "ChangeAvailability", change(False, 1)))["status"] == (
        "Scheduled"
    )
    await stop_transaction(cp)
    await reported(csms, "CS1", 1, "Unavailable")
    assert not connector.operative


async def test_a_scheduled_inoperative_reports_unavailable_after_the_ended_event(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """G03.FR.05/06, G04.FR.06: the change waits for the transaction's end, so the CSMS
    hears TransactionEvent Ended first and only then StatusNotification Unavailable."""
    cp = await make_cp201(csms.url, "CS1")
    await start_transaction(cp)
    assert await csms.call("CS1", "ChangeAvailability", change(False, 1)) == {"status": "Scheduled"}
    since = len(cp.session.sink.sent("CALL"))
    await stop_transaction(cp)
    await reported(csms, "CS1", 1, "Unavailable")
    order = [describe(r.action, r.payload) for r in cp.session.sink.sent("CALL")[since:]]
    assert "Ended" in order and "Status:Unavailable" in order
    assert order.index("Ended") < order.index("Status:Unavailable")


async def test_going_back_to_operative_cancels_a_scheduled_change(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """G03: the connector is already operative, so Operative is Accepted and nothing is pending."""
    cp = await make_cp201(csms.url, "CS1")
    connector = cp.station.connector(1)
    await start_transaction(cp)
    await csms.call("CS1", "ChangeAvailability", change(False))
    assert await csms.call("CS1", "ChangeAvailability", change(True)) == {"status": "Accepted"}
    await stop_transaction(cp)
    assert connector.operative and connector.pending_operative is None


async def test_connector_evse_and_station_states_are_separate(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """G03 Note 1: an Inoperative connector stays so when its EVSE becomes Operative again."""
    cp = await make_cp201(csms.url, "CS1")
    await csms.call("CS1", "ChangeAvailability", change(False, 1, 1))
    await csms.call("CS1", "ChangeAvailability", change(False, 1))
    await csms.call("CS1", "ChangeAvailability", change(True, 1))
    assert not cp.station.connector(1).operative
    await csms.call("CS1", "ChangeAvailability", change(True, 1, 1))
    await wait_until(lambda: cp.station.connector(1).operative, what="operative again")


async def test_unavailable_survives_a_restart(
    csms: CentralSystem, make_cp201: Cp201Factory, tmp_path: Path
) -> None:
    """B01.FR.07, G01.FR.02, G03.FR.08, G04.FR.09: the set state persists a reboot."""
    db = tmp_path / "keep.db"
    cp = await make_cp201(csms.url, "CS1", template="ac-22kw-dual", db_path=db)
    await csms.call("CS1", "ChangeAvailability", change(False, 2))
    await reported(csms, "CS1", 2, "Unavailable")
    await cp.stop(drain_timeout=1.0)
    await csms.wait_for_disconnect("CS1")
    mark = csms.mark()
    again = await make_cp201(csms.url, "CS1", template="ac-22kw-dual", db_path=db)
    boot_status = await csms.wait_for_message(
        "CS1", "StatusNotification", lambda p: p["evseId"] == 2, timeout=WAIT, since=mark
    )
    assert boot_status["connectorStatus"] == "Unavailable"  # B01.FR.05 after boot
    assert not again.station.connector(2).operative
    assert again.station.connector(1).operative


async def test_an_in_process_reboot_keeps_the_station_unavailable(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """B01.FR.07: a Reset keeps the Unavailable state set by ChangeAvailability."""
    cp = await make_cp201(csms.url, "CS1")
    await csms.call("CS1", "ChangeAvailability", change(False))
    await reported(csms, "CS1", 1, "Unavailable")
    mark = csms.mark()
    await cp.reboot_as("RemoteReset")
    await csms.wait_for_message("CS1", "BootNotification", timeout=WAIT, since=mark)
    status = await csms.wait_for_message("CS1", "StatusNotification", timeout=WAIT, since=mark)
    assert status["connectorStatus"] == "Unavailable"
