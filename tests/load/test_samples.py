"""Frames become Locust statistics (issue 16): named by action, failures with their reason."""

from __future__ import annotations

import queue

from bench.kernel.frames import FrameRecord
from bench.load.samples import LoadSink, Sample


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _sink() -> tuple[LoadSink, queue.SimpleQueue[Sample], Clock]:
    out: queue.SimpleQueue[Sample] = queue.SimpleQueue()
    clock = Clock()
    return LoadSink(out, monotonic=clock), out, clock


def _samples(out: queue.SimpleQueue[Sample]) -> list[Sample]:
    return [out.get_nowait() for _ in range(out.qsize())]


def _call(station: str, msg_id: str, action: str) -> FrameRecord:
    return FrameRecord(0.0, station, "tx", "CALL", msg_id, action, {}, True)


def _reply(station: str, msg_id: str, action: str, **kw: object) -> FrameRecord:
    fields = {"type": "CALLRESULT", "valid": True, "latency_ms": 12.5, "raw": "[3,1,{}]"}
    fields.update(kw)
    return FrameRecord(
        0.0,
        station,
        "rx",
        str(fields["type"]),
        msg_id,
        action,
        {},
        fields["valid"],  # type: ignore[arg-type]
        fields.get("error"),  # type: ignore[arg-type]
        fields["latency_ms"],  # type: ignore[arg-type]
        str(fields["raw"]),
    )


def test_a_station_request_answered_is_a_success_named_by_its_action_with_the_csms_response_time():
    sink, out, _ = _sink()
    sink.record(_call("CP1", "a", "BootNotification"))
    sink.record(_reply("CP1", "a", "BootNotification"))
    assert _samples(out) == [Sample("CALL", "BootNotification", 12.5, 8, None)]


def test_a_callerror_reply_is_a_failure_that_names_its_error_code():
    sink, out, _ = _sink()
    sink.record(_call("CP1", "h", "Heartbeat"))
    sink.record(_reply("CP1", "h", "Heartbeat", type="CALLERROR", error="InternalError"))
    [sample] = _samples(out)
    assert (sample.name, sample.error) == ("Heartbeat", "CALLERROR InternalError")


def test_a_reply_that_fails_its_schema_is_a_failure_with_the_schema_problem():
    sink, out, _ = _sink()
    sink.record(_call("CP1", "s", "StatusNotification"))
    sink.record(_reply("CP1", "s", "StatusNotification", valid=False, error="bad field"))
    [sample] = _samples(out)
    assert sample.error == "schema-invalid reply: bad field"


def test_a_call_left_unanswered_fails_as_a_timeout_when_the_station_sends_its_next_one():
    # OCPP-J allows one outstanding CALL (1.6-J §4.1.1): a next CALL means the last timed out.
    sink, out, clock = _sink()
    sink.record(_call("CP1", "1", "Heartbeat"))
    clock.now += 30
    sink.record(_call("CP1", "2", "Heartbeat"))
    [sample] = _samples(out)
    assert sample.error is not None and "timed out" in sample.error
    assert sample.ms == 30_000


def test_a_call_left_unanswered_past_the_timeout_fails_at_the_sweep_even_with_nothing_after_it():
    sink, out, clock = _sink()
    sink.record(_call("CP1", "1", "MeterValues"))
    sink.sweep(35)
    assert _samples(out) == []
    clock.now += 36
    sink.sweep(35)
    [sample] = _samples(out)
    assert sample.name == "MeterValues" and sample.error == "no reply within 35 s"


def test_a_connection_the_csms_drops_fails_the_waiting_call_and_counts_a_drop():
    sink, out, _ = _sink()
    sink.connect_done("CP1", 5.0, None)
    sink.record(_call("CP1", "1", "Authorize"))
    sink.link_down("CP1", "connection closed (1011)")
    samples = _samples(out)
    assert [(s.kind, s.name, s.error) for s in samples] == [
        ("WebSocket", "connect", None),
        ("CALL", "Authorize", "connection dropped: connection closed (1011)"),
        ("WebSocket", "dropped", "connection dropped: connection closed (1011)"),
    ]
    assert "CP1" not in sink.connected


def test_a_link_the_mix_cuts_on_purpose_is_not_counted_as_a_failure():
    sink, out, _ = _sink()
    sink.connect_done("CP1", 5.0, None)
    _samples(out)
    sink.record(_call("CP1", "1", "Heartbeat"))
    sink.cutting("CP1")
    sink.link_down("CP1", "network cut")
    assert _samples(out) == []


def test_a_connection_that_cannot_be_opened_is_a_failed_connect_entry():
    sink, out, _ = _sink()
    sink.connect_done("CP1", 3.0, "connection refused")
    assert _samples(out) == [Sample("WebSocket", "connect", 3.0, 0, "connection refused")]


def test_a_csms_initiated_request_is_counted_with_the_station_answer_time_never_as_a_failure():
    sink, out, _ = _sink()
    sink.record(FrameRecord(0.0, "CP1", "rx", "CALL", "r1", "RemoteStartTransaction", {}, True))
    sink.record(
        FrameRecord(
            0.0, "CP1", "tx", "CALLERROR", "r1", "RemoteStartTransaction", {}, True, "X", 2.0
        )
    )
    assert _samples(out) == [Sample("CSMS", "RemoteStartTransaction", 2.0, 0, None)]


def test_a_station_that_loses_its_link_stays_booted_but_not_connected():
    # A reconnecting station keeps its registration: it sends no new BootNotification.
    sink, _out, _ = _sink()
    sink.connect_done("CP1", 5.0, None)
    sink.boot_accepted("CP1", 40.0)
    sink.cutting("CP1")
    sink.link_down("CP1", "network cut")
    assert "CP1" in sink.booted and "CP1" not in sink.connected
