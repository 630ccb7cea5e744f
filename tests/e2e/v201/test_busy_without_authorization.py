"""A 2.0.1 transaction that runs without an authorization still makes its EVSE busy.

With TxStartPoint EVConnected the transaction starts at plug-in, before any token
(E01); availability changes and a Reset OnIdle must wait for it like for any other.
"""

from __future__ import annotations

from bench.csms.server import CentralSystem
from tests.e2e.conftest import ev, wait_until
from tests.e2e.v201.conftest import Cp201Factory, request

AT_PLUG_IN = {"TxCtrlr.TxStartPoint": "EVConnected", "TxCtrlr.TxStopPoint": "EVConnected"}


def ended(cp) -> bool:
    return any(e["eventType"] == "Ended" for e in request(cp, "TransactionEvent"))


async def test_change_availability_is_scheduled_for_a_transaction_started_at_plug_in(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """G03.FR.05: Inoperative for an EVSE with a transaction is Scheduled; G03.FR.06: it
    applies once the transaction has ended, and the transaction runs on until then."""
    cp = await make_cp201(csms.url, "BZ1", variables=AT_PLUG_IN)
    connector = cp.station.connector(1)
    connector.plug_in(ev())
    await wait_until(lambda: cp.transactions.active(1) is not None, what="Started at plug-in")
    reply = await csms.call(
        "BZ1", "ChangeAvailability", {"operationalStatus": "Inoperative", "evse": {"id": 1}}
    )
    assert reply["status"] == "Scheduled"
    assert connector.operative and cp.transactions.active(1) is not None
    connector.unplug()
    await wait_until(lambda: ended(cp), what="Ended at unplug")
    await wait_until(lambda: cp.status_of(1).status == "Unavailable", what="Unavailable")


async def test_reset_on_idle_waits_for_a_transaction_started_at_plug_in(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """B12.FR.01: Reset OnIdle with a transaction is Scheduled and the transaction ends
    normally (B12.FR.03), then the station reboots (B11.FR.04: a new BootNotification)."""
    cp = await make_cp201(csms.url, "BZ2", variables=AT_PLUG_IN)
    connector = cp.station.connector(1)
    connector.plug_in(ev())
    await wait_until(lambda: cp.transactions.active(1) is not None, what="Started at plug-in")
    reply = await csms.call("BZ2", "Reset", {"type": "OnIdle"})
    assert reply["status"] == "Scheduled"
    assert len(request(cp, "BootNotification")) == 1
    connector.unplug()
    await wait_until(lambda: len(request(cp, "BootNotification")) == 2, what="the reboot")
    [end] = [e for e in request(cp, "TransactionEvent") if e["eventType"] == "Ended"]
    assert end["transactionInfo"]["stoppedReason"] == "EVDisconnected"
    # TC_B_21_CS: a reset that waited for idle boots with ScheduledReset.
    assert request(cp, "BootNotification")[1]["reason"] == "ScheduledReset"
