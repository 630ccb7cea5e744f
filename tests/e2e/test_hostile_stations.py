"""Hostile stations against the built-in CSMS: refused clearly, nobody else disturbed.

Raw WebSocket clients on 127.0.0.1 play the attackers, frame by frame; a real
bench station of each version plays the honest neighbour that must keep
booting and charging. The CSMS logs to a real SQLite message log and a real
JSON Lines file, which must hold every frame, attacks included.
"""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from bench.csms.config import CsmsConfig
from bench.csms.server import CentralSystem
from bench.kernel.frames import FanOut
from bench.model.clock import ManualClock
from bench.store.db import open_database
from bench.store.messages import MessageLog
from bench.store.sinks import JsonlSink
from bench.transport.auth_throttle import FIRST_LOCK as AUTH_FIRST_LOCK
from tests.e2e.conftest import TAGS, ev, wait_until

BOOT16 = {"chargePointVendor": "Evil", "chargePointModel": "X"}
BOOT201 = {"reason": "PowerUp", "chargingStation": {"vendorName": "Evil", "model": "X"}}


class Attacker:
    """One raw station connection: sends any text or bytes, collects replies by id."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.replies: dict[str, list[Any]] = {}
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            for _ in range(1_000_000):
                frame = orjson.loads(await self.conn.recv())
                self.replies.setdefault(frame[1], []).append(frame)
        except Exception:
            return

    async def send(self, data: str | bytes) -> None:
        await self.conn.send(data)

    async def call(self, msg_id: str, action: str, payload: dict) -> list[Any]:
        await self.send(orjson.dumps([2, msg_id, action, payload]).decode())
        return await self.reply(msg_id)

    async def reply(self, msg_id: str) -> list[Any]:
        return (await wait_until(lambda: self.replies.get(msg_id), what=f"reply {msg_id}"))[0]

    async def close(self) -> None:
        await self.conn.close()
        await self.reader


@pytest.fixture
async def logged_csms(tmp_path: Path):
    conn = open_database(tmp_path / "csms-log.db")
    sqlite_log = MessageLog(conn)
    jsonl = JsonlSink(tmp_path / "csms.jsonl")
    central = CentralSystem(
        CsmsConfig(db_path=tmp_path / "csms.db", tags=dict(TAGS), heartbeat_interval=3600),
        sink=FanOut(sqlite_log, jsonl),
    )
    await central.start()
    yield central, sqlite_log, jsonl, tmp_path / "csms.jsonl"
    await central.stop()
    jsonl.close()
    sqlite_log.close()
    conn.close()


async def attacker(url: str, station_id: str, version: str = "1.6", **kw: Any) -> Attacker:
    conn = await connect(f"{url}/{station_id}", subprotocols=[f"ocpp{version}"], **kw)
    return Attacker(conn)


async def booted_attacker(url: str, station_id: str, version: str = "1.6") -> Attacker:
    evil = await attacker(url, station_id, version)
    reply = await evil.call("boot", "BootNotification", BOOT16 if version == "1.6" else BOOT201)
    assert reply[2]["status"] == "Accepted"
    return evil


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_malformed_deep_huge_and_binary_frames_are_answered_and_all_logged(
    logged_csms, make_cp, version: str
) -> None:
    """Issue 11 #1 and #6: every attack answered; the log and a neighbour unaffected."""
    central, sqlite_log, jsonl, path = logged_csms
    evil = await booted_attacker(central.url, "EVIL-1", version)
    format_violation = "FormationViolation" if version == "1.6" else "FormatViolation"
    await evil.send(f'[2, "deep", "Heartbeat", {{"x": {nested(1000)}}}]')
    assert (await evil.reply("deep"))[2] == format_violation
    await evil.send('[2, "huge", "DataTransfer", {"vendorId": "' + "x" * 5_000_000 + '"}]')
    assert (await evil.reply("huge"))[2] == format_violation
    await evil.send(b'[2, "bin", "Heartbeat", {}]')
    assert "binary" in (await evil.reply("bin"))[3]
    await evil.send(b"\xff\xfe not utf-8")
    await evil.send("not json")
    await evil.send('[2, "unknown", "Teleport", {}]')
    assert (await evil.reply("unknown"))[2] == "NotImplemented"
    await evil.send('[3, "stray", {}]')
    for i in range(500):
        await evil.send(f'[2, "hb{i}", "Heartbeat", {{}}]')
    # A bound for a slow machine, not a pause: 500 logged round trips.
    await wait_until(lambda: "hb499" in evil.replies, 30.0, "the 500th heartbeat reply")
    assert all(evil.replies[f"hb{i}"][0][0] == 3 for i in range(500))
    # An honest neighbour still boots and charges.
    cp = await make_cp(central.url, "GOOD-1")
    cp.station.connector(1).plug_in(ev())
    cp.present_id("TAG1")
    await wait_until(lambda: cp.status_of(1).status == "Charging", what="Charging")
    await evil.close()
    jsonl.flush()
    logged = sqlite_log.count()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == logged
    assert sqlite_log.count(station="EVIL-1") >= 2 * 500 + 10
    assert sqlite_log.count(station="EVIL-1", type="MALFORMED") == 5
    for line in lines:
        json.loads(line)


async def test_a_1_6_station_cannot_stop_or_meter_another_stations_transaction(
    csms: CentralSystem, make_cp
) -> None:
    """Issue 11 #3: a forged StopTransaction/MeterValues leaves the owner's record alone."""
    victim = await make_cp(csms.url, "VICTIM-1")
    victim.station.connector(1).plug_in(ev())
    victim.present_id("TAG1")
    await wait_until(lambda: csms.store.transactions("VICTIM-1", active=True), what="a start")
    (tx,) = csms.store.transactions("VICTIM-1", active=True)
    evil = await booted_attacker(csms.url, "EVIL-1")
    meter = {
        "connectorId": 1,
        "transactionId": tx.id,
        "meterValue": [
            {"timestamp": "2026-01-01T00:00:00Z", "sampledValue": [{"value": "999999999"}]}
        ],
    }
    assert (await evil.call("mv", "MeterValues", meter))[0] == 3
    stop = {"transactionId": tx.id, "meterStop": 999999999, "timestamp": "2026-01-01T00:00:00Z"}
    reply = await evil.call("stop", "StopTransaction", {**stop, "reason": "Other"})
    assert reply[0] == 3  # a CALLRESULT: the station must not retry forever (1.6 §4.10)
    untouched = csms.store.transaction(tx.id)
    assert untouched.stop_ts is None and untouched.meter_stop is None
    assert all(r.station == "VICTIM-1" for r in csms.store.meter_values(tx.id))
    kinds = [e.kind for e in csms.store.events("EVIL-1")]
    assert "StopRejectedForOtherStationsTransaction" in kinds
    assert "MeterValuesForOtherStationsTransaction" in kinds
    # The owner's own stop is the one that counts.
    victim.present_id("TAG1")
    await wait_until(lambda: csms.store.transaction(tx.id).stop_ts, what="the owner's stop")
    assert csms.store.transaction(tx.id).meter_stop < 999999999
    await evil.close()


@pytest.mark.parametrize(
    "station_id",
    ["..%2Fx", "%00", "A" * 49, "%1B%5B2J", "new%0Aline", "sp%20ace", "caf%C3%A9", "CP:1"],
)
async def test_station_ids_outside_the_identity_rule_are_refused_before_the_upgrade(
    csms: CentralSystem, station_id: str
) -> None:
    """Issue 11 #5: 2.0.1 identifierString, at most 48 characters, no colon (part 4
    §3.1.1: it is the Basic-auth username); HTTP 400."""
    with pytest.raises(InvalidStatus) as refused:
        await connect(f"{csms.url}/{station_id}", subprotocols=["ocpp1.6"])
    assert refused.value.response.status_code == 400
    assert csms.store.stations() == []


async def test_relaxed_ids_accept_other_1_6_ids_but_never_control_characters(
    make_csms,
) -> None:
    central = await make_csms(relaxed_station_ids=True)
    ok = await booted_attacker(central.url, "Zapp%C3%A9%20Station%2042")
    await ok.close()
    with pytest.raises(InvalidStatus):
        await connect(f"{central.url}/new%0Aline", subprotocols=["ocpp1.6"])


async def basic_auth_status(url: str, station_id: str, password: str) -> int:
    """The HTTP status a WebSocket upgrade with these Basic credentials gets (101: upgraded)."""
    token = base64.b64encode(f"{station_id}:{password}".encode()).decode()
    try:
        conn = await connect(
            f"{url}/{station_id}",
            subprotocols=["ocpp1.6"],
            additional_headers={"Authorization": f"Basic {token}"},
        )
    except InvalidStatus as refused:
        if refused.response.status_code == 429:
            assert int(refused.response.headers["Retry-After"]) >= 1
        return refused.response.status_code
    await conn.close()
    return 101


async def test_repeated_password_guesses_are_throttled_and_kept_as_security_events(
    make_csms,
) -> None:
    """Issue 11 #11: after a few failures, HTTP 429 with Retry-After, even for a right guess.

    The CSMS runs on a ManualClock, so the lock holds for as long as the test needs,
    however slow the machine, and ends when the test moves time past it.
    """
    clock = ManualClock()
    central = await make_csms(basic_auth={"CP-AUTH": "right-password-0123"}, clock=clock)
    statuses = [await basic_auth_status(central.url, "CP-AUTH", f"wrong-{i}") for i in range(30)]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 401  # the sixth failure starts the lock
    assert set(statuses[6:]) == {429}
    assert await basic_auth_status(central.url, "CP-AUTH", "right-password-0123") == 429
    events = [e for e in central.store.events("CP-AUTH") if e.kind == "InvalidBasicAuthCredentials"]
    assert len(events) == 6
    clock.advance(AUTH_FIRST_LOCK)  # the first lock is over: the right password is heard
    assert await basic_auth_status(central.url, "CP-AUTH", "right-password-0123") == 101
    # A success clears the count: the next wrong guess is an ordinary 401.
    assert await basic_auth_status(central.url, "CP-AUTH", "wrong-again") == 401


@pytest.mark.parametrize(
    ("action", "payload"),
    [
        (
            "StartTransaction",
            {
                "connectorId": 1,
                "idTag": "TAG1",
                "meterStart": 2**63,
                "timestamp": "2026-01-01T00:00:00Z",
            },
        ),
        (
            "StartTransaction",
            {
                "connectorId": 1,
                "idTag": "TAG1",
                "meterStart": 0,
                "timestamp": "0000-01-01T00:00:00Z",
            },
        ),
        (
            "StatusNotification",
            {"connectorId": -1, "errorCode": "NoError", "status": "Available"},
        ),
    ],
)
async def test_edge_values_get_a_property_constraint_violation_before_storage(
    csms: CentralSystem, action: str, payload: dict
) -> None:
    """Issue 11 #7: out-of-range values never reach SQLite (no InternalError)."""
    evil = await booted_attacker(csms.url, "EDGE-1")
    reply = await evil.call("edge", action, payload)
    assert reply[0] == 4 and reply[2] == "PropertyConstraintViolation"
    assert csms.store.transactions("EDGE-1") == []
    await evil.close()


async def test_a_2_0_1_seq_no_past_64_bits_is_a_property_constraint_violation(
    csms: CentralSystem,
) -> None:
    evil = await booted_attacker(csms.url, "EDGE-2", "2.0.1")
    event = {
        "eventType": "Started",
        "timestamp": "2026-01-01T00:00:00Z",
        "triggerReason": "Authorized",
        "seqNo": 2**63,
        "transactionInfo": {"transactionId": "t1"},
    }
    reply = await evil.call("seq", "TransactionEvent", event)
    assert reply[0] == 4 and reply[2] == "PropertyConstraintViolation"
    await evil.close()
