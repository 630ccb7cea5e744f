"""TriggerMessage (F06) and DataTransfer both ways (P01, P02) against the built-in CSMS."""

from __future__ import annotations

import pytest

from bench.csms.server import CentralSystem
from bench.ocpp.errors import CallError
from tests.e2e.conftest import WAIT, wait_until
from tests.e2e.v201.conftest import Cp201Factory, request

# MessageTriggerEnumType (part 2 §3.54).
ALL_TRIGGERS = (
    "BootNotification",
    "LogStatusNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "MeterValues",
    "SignChargingStationCertificate",
    "SignV2GCertificate",
    "StatusNotification",
    "TransactionEvent",
    "SignCombinedCertificate",
    "PublishFirmwareStatusNotification",
)


def _frames(cp) -> list[tuple[str, str, str | None]]:
    """(direction, type, action) of every frame, in order."""
    return [(r.direction, r.type, r.action) for r in cp.session.sink.records]


async def test_a_triggered_heartbeat_follows_the_accepted_reply(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """F06.FR.04/05/10: TriggerMessage(Heartbeat) -> Accepted first, then the Heartbeat."""
    cp = await make_cp201(csms.url, "TR1")
    mark = csms.mark()
    assert (await csms.v201.trigger_message("TR1", "Heartbeat"))["status"] == "Accepted"
    await csms.wait_for_message("TR1", "Heartbeat", timeout=WAIT, since=mark)
    frames = _frames(cp)
    answered = max(
        i
        for i, f in enumerate(frames)
        if f[:2] == ("tx", "CALLRESULT") and f[2] == "TriggerMessage"
    )
    sent = max(i for i, f in enumerate(frames) if f == ("tx", "CALL", "Heartbeat"))
    assert answered < sent


async def test_an_evse_that_is_not_relevant_to_the_trigger_is_ignored(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """F06.FR.03: a Heartbeat asked for "EVSE 9" is still sent; the evse is not relevant."""
    await make_cp201(csms.url, "TR2")
    mark = csms.mark()
    reply = await csms.v201.trigger_message("TR2", "Heartbeat", evse_id=9)
    assert reply["status"] == "Accepted"
    await csms.wait_for_message("TR2", "Heartbeat", timeout=WAIT, since=mark)


async def test_a_triggered_status_notification_reports_the_named_evse(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """F06.FR.13: StatusNotification for EVSE 2 connector 1 -> that status is sent again;
    an EVSE the station lacks is Rejected."""
    await make_cp201(csms.url, "TR3", template="ac-22kw-dual")
    await wait_until(lambda: len(csms.statuses("TR3")) == 2, what="both EVSEs reported")
    mark = csms.mark()
    reply = await csms.v201.trigger_message("TR3", "StatusNotification", 2, 1)
    assert reply["status"] == "Accepted"
    status = await csms.wait_for_message("TR3", "StatusNotification", timeout=WAIT, since=mark)
    assert (status["evseId"], status["connectorId"]) == (2, 1)
    unknown = await csms.v201.trigger_message("TR3", "StatusNotification", 5, 1)
    assert unknown["status"] == "Rejected"


async def test_a_boot_notification_is_not_triggered_once_accepted(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """F06.FR.17: TriggerMessage(BootNotification) after Accepted -> Rejected, no boot."""
    cp = await make_cp201(csms.url, "TR4")
    assert (await csms.v201.trigger_message("TR4", "BootNotification"))["status"] == "Rejected"
    await csms.v201.trigger_message("TR4", "Heartbeat")  # a round trip later ...
    await wait_until(lambda: request(cp, "Heartbeat"), what="the heartbeat")
    assert len(request(cp, "BootNotification")) == 1  # ... still one boot


async def test_a_pending_station_boots_again_at_once_when_triggered(
    make_csms, make_cp201: Cp201Factory
) -> None:
    """F06 while Pending (B02.FR.04): the BootNotification comes before its interval, with
    reason Triggered, and the CSMS may accept it."""
    central = await make_csms(boot_responses=["Pending", "Accepted"], boot_retry_interval=86400)
    cp = await make_cp201(central.url, "TR5", wait_accepted=False)
    await central.wait_for_message("TR5", "BootNotification", timeout=WAIT)
    # Once it knows it is Pending the station waits out the interval (a trigger that
    # overtakes the Pending reply is lost in charge_point_base._boot_pause; reported).
    await wait_until(lambda: cp.registration == "Pending", what="the station to be Pending")
    assert (await central.v201.trigger_message("TR5", "BootNotification"))["status"] == "Accepted"
    boot = await central.wait_for_message("TR5", "BootNotification", timeout=WAIT)
    assert boot["reason"] == "Triggered"
    await cp.wait_accepted(WAIT)


async def test_every_message_trigger_is_implemented(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """F06: the station sends every MessageTriggerEnumType value on request, so the
    NotImplemented answer of F06.FR.08 never arises."""
    cp = await make_cp201(csms.url, "TR6")
    assert set(ALL_TRIGGERS) <= set(cp.trigger._available())


# ---------------------------------------------------------------- P01/P02 DataTransfer
async def test_data_transfer_to_the_station_echoes_for_its_vendor_and_refuses_others(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """P01.FR.02-05: our vendor id echoes any JSON data; an unknown vendor is
    UnknownVendorId, an unknown messageId UnknownMessageId."""
    await make_cp201(csms.url, "DT1")
    data = {"ping": [1, 2, 3]}
    echoed = await csms.v201.data_transfer("DT1", "bench", "echo", data)
    assert echoed == {"status": "Accepted", "data": data}
    assert (await csms.v201.data_transfer("DT1", "acme"))["status"] == "UnknownVendorId"
    unknown = await csms.v201.data_transfer("DT1", "bench", "launch-rockets")
    assert unknown["status"] == "UnknownMessageId"


async def test_data_transfer_from_the_station_is_answered_and_kept_by_the_csms(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """P02.FR.02-03: the CSMS echoes data for a vendor it knows, UnknownVendorId otherwise."""
    cp = await make_cp201(csms.url, "DT2")
    reply = await cp.session.call("DataTransfer", {"vendorId": "bench", "data": {"soc": 80}})
    assert reply == {"status": "Accepted", "data": {"soc": 80}}
    other = await cp.session.call("DataTransfer", {"vendorId": "acme", "messageId": "x"})
    assert other["status"] == "UnknownVendorId"
    kept = [e.payload for e in csms.store.events("DT2", "DataTransfer")]
    assert kept == [
        {"vendorId": "bench", "data": {"soc": 80}},
        {"vendorId": "acme", "messageId": "x"},
    ]


async def test_data_transfer_from_a_pending_station_is_a_security_error(
    make_csms, make_cp201: Cp201Factory
) -> None:
    """B02.FR.09: while Pending, a CALL nobody asked for gets CALLERROR SecurityError."""
    central = await make_csms(boot_responses=["Pending"], boot_retry_interval=86400)
    cp = await make_cp201(central.url, "DT3", wait_accepted=False)
    await central.wait_for_message("DT3", "BootNotification", timeout=WAIT)
    with pytest.raises(CallError) as caught:
        await cp.session.call("DataTransfer", {"vendorId": "bench"})
    assert caught.value.code == "SecurityError"
