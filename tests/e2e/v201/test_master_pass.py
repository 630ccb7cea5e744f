"""2.0.1 Master Pass against the built-in CSMS: stopping transactions, never starting one (C16).

A Master Pass is a token whose groupIdToken equals ``AuthCtrlr.MasterPassGroupId``.
Shown at the station's common reader it ends every transaction; shown at one EVSE's
reader it ends that EVSE's transaction only (the bench's stand-in for picking one on
the station's screen). Each ending is a TransactionEvent Ended with stoppedReason
MasterPass and the Master Pass's idToken.
"""

from __future__ import annotations

from typing import Any

from bench.csms.config import TagEntry
from bench.csms.server import CentralSystem
from bench.ocpp.v201.charge_point import ChargePoint201
from tests.e2e.conftest import ev, wait_until
from tests.e2e.v201.conftest import Cp201Factory, request

MASTER = {"idToken": "POLICE-1", "type": "ISO14443"}
VARIABLES = {
    "SampledDataCtrlr.TxUpdatedInterval": "0",
    "AuthCtrlr.MasterPassGroupId": "MASTERPASS",
    "TxCtrlr.TxStartPoint": "EVConnected,Authorized",
    "TxCtrlr.TxStopPoint": "EVConnected",
}


def ended(cp: ChargePoint201) -> list[dict[str, Any]]:
    return [e for e in request(cp, "TransactionEvent") if e["eventType"] == "Ended"]


async def charging_on_both(csms: CentralSystem, make_cp201: Cp201Factory) -> ChargePoint201:
    csms.config.tags["POLICE-1"] = TagEntry("Accepted", parent_id_tag="MASTERPASS")
    cp = await make_cp201(csms.url, "MP1", template="ac-22kw-dual", variables=VARIABLES)
    for evse_id, tag in ((1, "TAG1"), (2, "TAG2")):
        cp.present_id(tag, evse_id)
        await wait_until(lambda e=evse_id: cp.transactions.active(e) is not None, what="Started")
        cp.station.connector(evse_id).plug_in(ev())
    await wait_until(
        lambda: all(cp.connector(e).transaction is not None for e in (1, 2)), what="charging"
    )
    return cp


async def test_a_master_pass_at_the_common_reader_ends_every_transaction(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """C16.FR.02: every ongoing transaction ends, Ended with stoppedReason MasterPass."""
    cp = await charging_on_both(csms, make_cp201)
    cp.present_id("POLICE-1")
    await wait_until(lambda: len(ended(cp)) == 2, what="both transactions ended")
    for event in ended(cp):
        assert event["transactionInfo"]["stoppedReason"] == "MasterPass"
        assert event["idToken"] == MASTER
    assert cp.transactions.transaction_ids() == []
    assert request(cp, "Authorize")[-1] == {"idToken": MASTER}
    assert all(not cp.station.connector(e).locked for e in (1, 2))  # the cables come free


async def test_a_master_pass_at_one_evse_ends_only_that_evses_transaction(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """C16.FR.01: the transaction picked (here: the EVSE whose reader saw the pass) ends."""
    cp = await charging_on_both(csms, make_cp201)
    kept = cp.transactions.active(1)
    cp.present_id("POLICE-1", 2)
    await wait_until(lambda: len(ended(cp)) == 1, what="one transaction ended")
    assert ended(cp)[0]["transactionInfo"]["stoppedReason"] == "MasterPass"
    assert cp.transactions.active(2) is None
    assert cp.transactions.active(1) is kept


async def test_a_master_pass_never_starts_a_transaction(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """C16.FR.03, C12.FR.09: accepted by the CSMS, yet no transaction starts."""
    csms.config.tags["POLICE-1"] = TagEntry("Accepted", parent_id_tag="MASTERPASS")
    cp = await make_cp201(csms.url, "MP2", variables=VARIABLES)
    cp.present_id("POLICE-1")
    await wait_until(lambda: len(request(cp, "Authorize")) == 1, what="Authorize")
    cp.present_id("TAG1")  # a later, ordinary card still starts one: the EVSE stayed free
    await wait_until(lambda: cp.transactions.active(1) is not None, what="TAG1's transaction")
    started = request(cp, "TransactionEvent")
    assert [e["idToken"]["idToken"] for e in started if "idToken" in e] == ["TAG1"]
