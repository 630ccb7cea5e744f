"""What a station answers before it is accepted (B02 Pending, B03 Rejected)."""

from __future__ import annotations

import pytest

from bench.csms.server import CentralSystem
from bench.ocpp.errors import CallError
from tests.e2e.conftest import wait_until
from tests.e2e.v201.conftest import Cp201Factory, request

TOKEN = {"idToken": "TAG1", "type": "ISO14443"}


async def test_a_rejected_station_answers_the_csms_with_security_error(
    make_csms, make_cp201: Cp201Factory
) -> None:
    """B03.FR.08: while Rejected, a CSMS request gets CALLERROR SecurityError, not silence."""
    csms: CentralSystem = await make_csms(boot_responses=["Rejected"], boot_retry_interval=3600)
    cp = await make_cp201(csms.url, "REJ1", wait_accepted=False)
    await wait_until(lambda: cp.registration == "Rejected", what="Rejected")
    with pytest.raises(CallError) as refused:
        await csms.call(
            "REJ1",
            "GetVariables",
            {
                "getVariableData": [
                    {
                        "component": {"name": "OCPPCommCtrlr"},
                        "variable": {"name": "HeartbeatInterval"},
                    }
                ]
            },
            force=True,
        )
    assert refused.value.code == "SecurityError"


async def test_a_pending_station_rejects_remote_start_and_stop(
    make_csms, make_cp201: Cp201Factory
) -> None:
    """B02.FR.05: RequestStart/StopTransaction while Pending are Rejected; B02.FR.01: other
    requests (GetVariables) are answered."""
    csms: CentralSystem = await make_csms(boot_responses=["Pending"], boot_retry_interval=3600)
    cp = await make_cp201(csms.url, "PEN1", wait_accepted=False)
    await wait_until(lambda: cp.registration == "Pending", what="Pending")
    start = await csms.call(
        "PEN1", "RequestStartTransaction", {"idToken": TOKEN, "remoteStartId": 1}, force=True
    )
    assert start["status"] == "Rejected"
    stop = await csms.call("PEN1", "RequestStopTransaction", {"transactionId": "x"}, force=True)
    assert stop["status"] == "Rejected"
    answered = await csms.call(
        "PEN1",
        "GetVariables",
        {
            "getVariableData": [
                {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}
            ]
        },
    )
    assert answered["getVariableResult"][0]["attributeStatus"] == "Accepted"
    assert cp.transactions.transaction_ids() == []


def _status_evses(cp, since: int) -> list[int]:
    return [p["evseId"] for p in request(cp, "StatusNotification")[since:]]


async def test_back_after_more_than_the_offline_threshold_every_connector_is_reported(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """B04.FR.01 (TC_B_51_CS): offline longer than OfflineThreshold, the station sends a
    StatusNotification for all its connectors when it is back, changed or not."""
    cp = await make_cp201(
        csms.url, "OFF1", template="ac-22kw-dual", variables={"OCPPCommCtrlr.OfflineThreshold": "0"}
    )
    await wait_until(lambda: len(_status_evses(cp, 0)) >= 2, what="the boot's statuses")
    before = len(request(cp, "StatusNotification"))
    cp.cut_network()
    await wait_until(lambda: not cp.accepted, what="the station offline")
    cp.restore_network()
    await wait_until(
        lambda: len(_status_evses(cp, before)) >= 2, what="statuses after the reconnect"
    )
    assert sorted(_status_evses(cp, before)) == [1, 2]


async def test_back_within_the_offline_threshold_only_changed_connectors_are_reported(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """B04.FR.02 (TC_B_52_CS): offline shorter than OfflineThreshold, only the connector
    whose status changed meanwhile is reported (EVSE 2 here; EVSE 1 is reported first
    when all are, so its absence is seen once EVSE 2's report is in)."""
    cp = await make_cp201(
        csms.url,
        "OFF2",
        template="ac-22kw-dual",
        variables={"OCPPCommCtrlr.OfflineThreshold": "86400"},
    )
    await wait_until(lambda: len(_status_evses(cp, 0)) >= 2, what="the boot's statuses")
    before = len(request(cp, "StatusNotification"))
    cp.cut_network()
    await wait_until(lambda: not cp.accepted, what="the station offline")
    cp.plug_in(2, "family-ev")
    cp.restore_network()
    await wait_until(lambda: 2 in _status_evses(cp, before), what="EVSE 2's status")
    assert _status_evses(cp, before) == [2]
