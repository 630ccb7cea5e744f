"""The proxy's rules and its frame path, on in-memory links (issue 17 part 1).

Each leg of a ``ProxiedStation`` is one end of a ``memory_pair``; the test holds the
other ends as "the charger" and "the CSMS". The clock is a ``ManualClock``, so a
delay rule is exact and no test waits for real time.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bench.kernel.frames import FrameRecord
from bench.model.clock import ManualClock
from bench.proxy.frames import parse_frame
from bench.proxy.rules import TO_CHARGER, TO_CSMS, Rule, RuleBook, RuleError, load_rules
from bench.proxy.station import CHARGER, CSMS, Leg, ProxiedStation
from bench.transport.memory import MemoryLink, memory_pair

BOOT = [2, "b1", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}]
METER = [
    2,
    "m1",
    "MeterValues",
    {"connectorId": 2, "meterValue": [{"timestamp": "2026-01-01T00:00:00Z", "sampledValue": []}]},
]


class Records:
    def __init__(self) -> None:
        self.rows: list[FrameRecord] = []

    def record(self, rec: FrameRecord) -> None:
        self.rows.append(rec)


@dataclass
class Bench:
    station: ProxiedStation
    charger: MemoryLink  # the charger's end of its leg
    csms: MemoryLink  # the CSMS's end of its leg
    log: Records
    clock: ManualClock
    drops: list[str]


@pytest.fixture
async def bench() -> AsyncIterator[Bench]:
    charger_end, proxy_charger = memory_pair(("charger", "proxy-charger"))
    proxy_csms, csms_end = memory_pair(("proxy-csms", "csms"))
    log = Records()
    clock = ManualClock()
    drops: list[str] = []
    station = ProxiedStation(
        "CP1",
        Leg(CHARGER, proxy_charger, lambda: drops.append(CHARGER)),
        Leg(CSMS, proxy_csms, lambda: drops.append(CSMS)),
        "ocpp1.6",
        rules=RuleBook(),
        sink=log,
        clock=clock,
    )
    task = asyncio.create_task(station.run())
    yield Bench(station, charger_end, csms_end, log, clock, drops)
    await charger_end.close()
    await csms_end.close()
    await asyncio.wait_for(task, 5)


async def recv(link: MemoryLink) -> Any:
    return json.loads(await asyncio.wait_for(link.recv(), 5))


async def settle() -> None:
    # Let the pumps take what was sent: each hop is one wake-up of a waiting task.
    for _ in range(20):
        await asyncio.sleep(0)


async def test_a_frame_no_rule_matches_is_forwarded_as_received_and_logged_on_both_legs(
    bench: Bench,
) -> None:
    text = '[2, "b1", "BootNotification", {"chargePointModel": "M", "chargePointVendor": "V"}]'
    await bench.charger.send(text)
    assert await asyncio.wait_for(bench.csms.recv(), 5) == text  # not re-serialised
    rows = [(r.leg, r.direction, r.type, r.valid) for r in bench.log.rows if r.type == "CALL"]
    assert rows == [("charger", "tx", "CALL", True), ("csms", "tx", "CALL", True)]


async def test_duplicate_sends_the_frame_twice(bench: Bench) -> None:
    bench.station.rules.replace([Rule("duplicate", action="BootNotification")])
    await bench.charger.send(json.dumps(BOOT))
    assert await recv(bench.csms) == BOOT
    assert await recv(bench.csms) == BOOT
    assert [r.leg for r in bench.log.rows if r.type == "CALL"] == ["charger", "csms", "csms"]


async def test_delay_holds_one_frame_for_its_seconds_while_others_pass(bench: Bench) -> None:
    bench.station.rules.replace([Rule("delay", action="MeterValues", seconds=10)])
    await bench.charger.send(json.dumps(METER))
    await bench.charger.send(json.dumps(BOOT))
    assert await recv(bench.csms) == BOOT  # the frame behind the delayed one went first
    bench.clock.advance(9.9)
    await settle()
    assert bench.csms.pending == 0
    bench.clock.advance(0.1)
    assert await recv(bench.csms) == METER
    rule = next(r for r in bench.log.rows if r.type == "RULE")
    assert rule.payload == {"rule": "delay MeterValues", "then": "delay", "seconds": 10}


async def test_a_held_frame_waits_for_its_release(bench: Bench) -> None:
    bench.station.rules.replace([Rule("hold", action="BootNotification", name="inspect boot")])
    await bench.charger.send(json.dumps(BOOT))
    await settle()
    assert bench.csms.pending == 0
    assert [(h.number, h.frame.action, h.rule) for h in bench.station.held] == [
        (1, "BootNotification", "inspect boot")
    ]
    assert await bench.station.release(1) == 1
    assert await recv(bench.csms) == BOOT
    assert bench.station.held == []
    with pytest.raises(KeyError):
        await bench.station.release(1)


async def test_a_rule_can_keep_frames_that_fail_their_schema_from_the_other_side(
    bench: Bench,
) -> None:
    """1.6 §4.2: a BootNotification without chargePointVendor is invalid; only it is dropped."""
    bench.station.rules.replace([Rule("drop", valid=False, name="no invalid frames")])
    invalid = [2, "b0", "BootNotification", {"chargePointModel": "M"}]
    await bench.charger.send(json.dumps(invalid))
    await bench.charger.send(json.dumps(BOOT))
    assert await recv(bench.csms) == BOOT  # the valid one, and nothing before it
    assert bench.csms.pending == 0
    rule = next(r for r in bench.log.rows if r.type == "RULE")
    assert (rule.id, rule.payload["rule"]) == ("b0", "no invalid frames")


async def test_rules_match_by_payload_fields_and_direction(bench: Bench) -> None:
    bench.station.rules.replace(
        [
            Rule("drop", direction=TO_CHARGER, action="MeterValues"),  # wrong direction
            Rule("drop", direction=TO_CSMS, action="MeterValues", match={"connectorId": 1}),
            Rule(
                "replace",
                action="MeterValues",
                match={"meterValue.0.timestamp": "2026-01-01T00:00:00Z"},
                set={"connectorId": 3},
            ),
        ]
    )
    await bench.charger.send(json.dumps(METER))
    forwarded = await recv(bench.csms)
    assert forwarded[3]["connectorId"] == 3 and forwarded[3]["meterValue"] == METER[3]["meterValue"]
    rule = next(r for r in bench.log.rows if r.type == "RULE")
    assert rule.payload["set"] == {"connectorId": 3}


async def test_a_reply_is_matched_by_the_action_of_its_request(bench: Bench) -> None:
    bench.station.rules.replace(
        [Rule("replace", type="CALLRESULT", action="BootNotification", set={"status": "Rejected"})]
    )
    await bench.charger.send(json.dumps(BOOT))
    await recv(bench.csms)
    await bench.csms.send(
        json.dumps(
            [3, "b1", {"status": "Accepted", "currentTime": "2026-01-01T00:00:00Z", "interval": 5}]
        )
    )
    reply = await recv(bench.charger)
    assert reply[2]["status"] == "Rejected"
    legs = {r.leg: r for r in bench.log.rows if r.type == "CALLRESULT"}
    assert legs["csms"].payload["status"] == "Accepted"
    assert legs["charger"].payload["status"] == "Rejected"
    assert legs["csms"].action == legs["charger"].action == "BootNotification"


async def test_a_csms_leg_that_drops_without_a_close_drops_the_chargers_tcp_too(
    bench: Bench,
) -> None:
    """RFC 6455 §7.4.1: 1006 is never sent; the charger must see a lost connection too."""
    await bench.csms.close(1006, "")
    await settle()
    assert bench.drops == [CHARGER]
    closed = [r for r in bench.log.rows if r.type == "LINK" and r.payload["event"] == "closed"]
    assert closed[0].leg == CSMS and closed[0].payload["code"] == 1006


def test_a_rule_file_is_read_and_its_mistakes_name_the_rule(tmp_path: Path) -> None:
    good = tmp_path / "rules.json"
    good.write_text(
        json.dumps(
            {
                "rules": [
                    {
                        "name": "no meter",
                        "direction": "to_csms",
                        "action": "MeterValues",
                        "then": "drop",
                    },
                    {"action": "DataTransfer", "then": "answer", "error": {"code": "NotSupported"}},
                ]
            }
        )
    )
    rules = load_rules(good)
    assert [r.then for r in rules] == ["drop", "answer"]
    assert json.loads(RuleBook(rules).to_json())["rules"][0] == {
        "name": "no meter",
        "direction": "to_csms",
        "action": "MeterValues",
        "then": "drop",
    }
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"action": "Heartbeat", "then": "delay"}]))
    with pytest.raises(RuleError, match=r"rule 1: .*delay needs 'seconds'"):
        load_rules(bad)
    bad.write_text(json.dumps([{"then": "explode"}]))
    with pytest.raises(RuleError, match="rule 1: 'then' must be one of"):
        load_rules(bad)
    bad.write_text("{not json")
    with pytest.raises(RuleError, match="is not JSON"):
        load_rules(bad)


def test_a_frame_that_is_not_ocpp_j_is_parsed_as_malformed() -> None:
    assert parse_frame("hello").type == "MALFORMED"
    assert parse_frame('{"a": 1}').error == "not an OCPP-J array"
    assert parse_frame(b"\x00").error == "binary frame"
    assert parse_frame('[3, "x", {}]').type == "CALLRESULT"
