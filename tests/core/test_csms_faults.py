"""Fault injection in the built-in CSMS: each fault breaks exactly the behaviour it names.

Real CSMS on 127.0.0.1, real stations over WebSocket (``stub_station`` for 1.6,
a bare 2.0.1 ``OcppSession`` where the version matters). A stub that must see a
broken payload as it came runs with validation off.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bench.csms import CentralSystem, CsmsConfig, TagEntry
from bench.csms.config import ConfigError
from bench.csms.faults import parse_fault
from bench.csms.testing import stub_station
from bench.kernel.frames import FrameRecord
from bench.model.clock import ManualClock, SystemClock
from bench.ocpp.errors import CallError, ErrorKind, InvalidReply
from bench.ocpp.session import OcppSession
from bench.transport.config import LinkConfig
from bench.transport.websocket import open_link
from tests.waiting import wait_until

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
BOOT_201 = {"chargingStation": {"model": "M", "vendorName": "V"}, "reason": "PowerUp"}


class Frames:
    """A frame sink keeping every record."""

    def __init__(self) -> None:
        self.records: list[FrameRecord] = []

    def record(self, rec: FrameRecord) -> None:
        self.records.append(rec)

    def find(self, direction: str, type_: str, action: str) -> list[FrameRecord]:
        return [
            r for r in self.records if (r.direction, r.type, r.action) == (direction, type_, action)
        ]


@contextlib.asynccontextmanager
async def running(tmp_path, *faults: str, sink=None, clock=None) -> AsyncIterator[CentralSystem]:
    config = CsmsConfig(
        db_path=tmp_path / "csms.db",
        tags={"GOOD": TagEntry("Accepted")},
        clock=clock or ManualClock(T0),
        faults=list(faults),
    )
    async with CentralSystem(config, sink) as csms:
        yield csms


@contextlib.asynccontextmanager
async def station_201(url: str, station_id: str) -> AsyncIterator[OcppSession]:
    """A bare 2.0.1 charge point end: it sends what the test tells it to."""
    link = await open_link(LinkConfig(url, station_id, subprotocol="ocpp2.0.1"))
    session = OcppSession(link, version="2.0.1", station_id=station_id, handlers={})
    reader = asyncio.create_task(session.serve(), name=f"{station_id} reader")
    try:
        yield session
    finally:
        await link.close()
        await asyncio.wait_for(reader, 10.0)


def fault_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "bench.csms.faults" and r.levelno == logging.WARNING
    ]


# --------------------------------------------------------------------------- specs


def test_fault_specs_read_json_typed_values_dotted_paths_and_both_code_spellings():
    assert parse_fault("reply:BootNotification:interval=0").value == 0
    assert parse_fault('reply:BootNotification:status="0"').value == "0"
    fault = parse_fault("reply:Authorize:idTagInfo.status=Blocked")
    assert (fault.kind, fault.action, fault.path, fault.value) == (
        "reply", "Authorize", ("idTagInfo", "status"), "Blocked",
    )  # fmt: skip
    assert parse_fault("late:Heartbeat:1.5").seconds == 1.5
    assert parse_fault("callerror:Heartbeat:FormationViolation").code is ErrorKind.FORMAT_VIOLATION
    order = parse_fault("order:Reset,ChangeAvailability")
    assert (order.action, order.before) == ("Reset", "ChangeAvailability")
    assert str(parse_fault("drop:Reset:type")) == "drop:Reset:type"


@pytest.mark.parametrize(
    "spec",
    [
        "wrong:Heartbeat:1",
        "reply:Bootnotification:status=Rejected",
        "reply:BootNotification:status",
        "late:Heartbeat:0",
        "late:Heartbeat:soon",
        "callerror:Heartbeat:Oops",
        "order:Reset,Reset",
        "order:Reset",
        "drop:Authorize:idTagInfo..status",
        "drop:Authorize",
    ],
)
def test_a_bad_fault_spec_is_refused_with_a_sentence_naming_it(spec):
    with pytest.raises(ConfigError) as caught:
        parse_fault(spec)
    assert repr(spec) in str(caught.value)
    with pytest.raises(ConfigError):
        CsmsConfig(faults=[spec])


def test_no_fault_is_on_by_default():
    assert CsmsConfig().faults == []


# --------------------------------------------------------------------------- replies


async def test_a_reply_fault_makes_the_boot_notification_rejected_in_both_versions(
    tmp_path, caplog
):
    """1.6 §4.2 / B01: the status the station reads is the injected one."""
    async with (
        running(tmp_path, "reply:BootNotification:status=Rejected") as csms,
        stub_station(csms.url, "CP16") as cp,
    ):
        reply = await cp.boot()
        assert reply["status"] == "Rejected"
        assert reply["interval"] == 300  # the other fields as the CSMS made them
        assert "currentTime" in await cp.call("Heartbeat", {})  # other actions untouched
        async with station_201(csms.url, "CP201") as cp201:
            assert (await cp201.call("BootNotification", BOOT_201))["status"] == "Rejected"
    warnings = fault_warnings(caplog)
    assert any(
        "reply:BootNotification:status=Rejected" in w and "'Accepted'" in w for w in warnings
    )


async def test_a_reply_value_is_json_typed(tmp_path):
    async with (
        running(tmp_path, "reply:BootNotification:interval=0") as csms,
        stub_station(csms.url, "CP1") as cp,
    ):
        interval = (await cp.boot())["interval"]
        assert interval == 0 and isinstance(interval, int)


async def test_a_dropped_required_field_goes_out_although_it_fails_the_schema(tmp_path, caplog):
    """1.6 §7.28: idTagInfo.status is required; the CSMS's own validation does not stop it."""
    frames = Frames()
    async with (
        running(tmp_path, "drop:Authorize:idTagInfo.status", sink=frames) as csms,
        stub_station(csms.url, "CP1") as cp,
    ):
        await cp.boot()
        with pytest.raises(InvalidReply) as caught:
            await cp.call("Authorize", {"idTag": "GOOD"})
        assert caught.value.payload == {"idTagInfo": {}}
        [sent] = frames.find("tx", "CALLRESULT", "Authorize")
        assert sent.payload == {"idTagInfo": {}}
        assert sent.valid is False and "status" in (sent.error or "")
    assert any("lacks idTagInfo.status" in w for w in fault_warnings(caplog))


async def test_a_late_fault_delays_the_reply_by_at_least_its_seconds(tmp_path, caplog):
    frames = Frames()  # the CSMS's own log, on its (real-time) clock
    station_frames = Frames()
    async with (
        running(tmp_path, "late:Heartbeat:0.5", sink=frames, clock=SystemClock()) as csms,
        stub_station(csms.url, "CP1", sink=station_frames) as cp,
    ):
        await cp.boot()
        assert "currentTime" in await cp.call("Heartbeat", {})
    [received] = frames.find("rx", "CALL", "Heartbeat")
    [answered] = frames.find("tx", "CALLRESULT", "Heartbeat")
    assert answered.ts - received.ts >= 0.45  # a timer may fire a hair early
    [reply] = station_frames.find("rx", "CALLRESULT", "Heartbeat")
    assert reply.latency_ms is not None and reply.latency_ms >= 450
    assert any("answered 0.5 s late" in w for w in fault_warnings(caplog))


async def test_a_callerror_fault_answers_with_that_code_and_leaves_the_action_unhandled(
    tmp_path, caplog
):
    faults = ("callerror:Heartbeat:InternalError", "callerror:StatusNotification:FormatViolation")
    async with running(tmp_path, *faults) as csms, stub_station(csms.url, "CP1") as cp:
        assert (await cp.boot())["status"] == "Accepted"
        with pytest.raises(CallError) as caught:
            await cp.call("Heartbeat", {})
        assert caught.value.code == "InternalError"
        assert "callerror:Heartbeat:InternalError" in caught.value.description
        assert csms.station("CP1").last_heartbeat is None  # not handled
        with pytest.raises(CallError) as caught:
            status = {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
            await cp.call("StatusNotification", status)
        assert caught.value.code == "FormationViolation"  # spelt the 1.6 way on 1.6
    assert any("CALLERROR InternalError" in w for w in fault_warnings(caplog))


# --------------------------------------------------------------------------- CSMS-initiated


async def test_a_request_fault_sends_a_wrong_value_even_outside_the_schema(tmp_path, caplog):
    async with (
        running(tmp_path, "request:Reset:type=Bogus") as csms,
        stub_station(csms.url, "CP1", validate=False) as cp,
    ):
        await cp.boot()
        assert await csms.call("CP1", "Reset", {"type": "Hard"}) == {"status": "Accepted"}
        assert cp.received == [("Reset", {"type": "Bogus"})]
    assert any("type='Bogus' (was 'Hard')" in w for w in fault_warnings(caplog))


async def test_a_drop_fault_removes_a_required_field_from_a_csms_request(tmp_path):
    async with (
        running(tmp_path, "drop:RemoteStartTransaction:idTag") as csms,
        stub_station(csms.url, "CP1", validate=False) as cp,
    ):
        await cp.boot()
        payload = {"idTag": "GOOD", "connectorId": 1}
        await csms.call("CP1", "RemoteStartTransaction", payload)
        assert cp.received == [("RemoteStartTransaction", {"connectorId": 1})]
        assert payload == {"idTag": "GOOD", "connectorId": 1}  # the caller's dict is intact


async def test_an_order_fault_sends_the_second_request_first(tmp_path, caplog):
    async with (
        running(tmp_path, "order:Reset,ChangeAvailability") as csms,
        stub_station(csms.url, "CP1") as cp,
    ):
        await cp.boot()
        reset = asyncio.create_task(csms.call("CP1", "Reset", {"type": "Soft"}))
        try:
            # The CSMS was asked for the Reset first: it is held, not sent.
            await wait_until(lambda: any("held" in w for w in fault_warnings(caplog)))
            change = {"connectorId": 0, "type": "Inoperative"}
            assert (await csms.call("CP1", "ChangeAvailability", change))["status"]
            assert (await asyncio.wait_for(reset, 5.0)) == {"status": "Accepted"}
        finally:
            reset.cancel()
            await asyncio.gather(reset, return_exceptions=True)
        assert [action for action, _ in cp.received] == ["ChangeAvailability", "Reset"]


async def test_a_request_held_by_an_order_fault_goes_anyway_after_its_timeout(tmp_path, caplog):
    async with (
        running(tmp_path, "order:Reset,ChangeAvailability") as csms,
        stub_station(csms.url, "CP1") as cp,
    ):
        await cp.boot()
        reply = await csms.call("CP1", "Reset", {"type": "Soft"}, timeout=0.2)
        assert reply == {"status": "Accepted"}
        assert cp.received == [("Reset", {"type": "Soft"})]
    assert any("goes anyway" in w for w in fault_warnings(caplog))
