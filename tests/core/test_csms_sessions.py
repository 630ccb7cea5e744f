"""The built-in CSMS's sessions: one row per transaction of either OCPP version (issue 10).

Hand-driven stations over loopback WebSockets send exactly the messages a test
names, so energy, meter value counts and costs can be checked to the watt-hour and
the cent. 1.6: StartTransaction / MeterValues / StopTransaction (1.6 §4.7, §4.8,
§4.10); 2.0.1: TransactionEvent Started / Updated / Ended (E01-E06, J02) with the
CSMS's price in totalCost (I02.FR.01, I03.FR.01).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.csms import CentralSystem, CsmsConfig, TagEntry
from bench.csms.sessions import OPEN, Session, SessionChanged, SessionFilter, SessionKey
from bench.csms.sessions_csv import CSV_COLUMNS, write_sessions_csv
from bench.csms.storage import SCHEMA as CSMS_SCHEMA
from bench.csms.storage import CsmsStore
from bench.csms.testing import stub_station
from bench.csms.v201_tx import ensure_tables
from bench.model.clock import ManualClock
from bench.ocpp.errors import CallError
from bench.ocpp.session import OcppSession
from bench.store.db import ensure_schema, open_database, schema_version
from bench.transport.config import LinkConfig
from bench.transport.websocket import open_link

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TAGS = {"TAG1": TagEntry("Accepted"), "TAG2": TagEntry("Accepted")}


def config(tmp_path: Path, **overrides: Any) -> CsmsConfig:
    fields: dict[str, Any] = {
        "db_path": tmp_path / "csms.db",
        "tags": dict(TAGS),
        "clock": ManualClock(T0),
    }
    fields.update(overrides)
    return CsmsConfig(**fields)


def register(wh: float, ts: str, unit: str = "Wh", **extra: Any) -> dict[str, Any]:
    """A 1.6 MeterValue with one energy register sample."""
    return {"timestamp": ts, "sampledValue": [{"value": str(wh), "unit": unit, **extra}]}


def only(csms: CentralSystem, station: str) -> Session:
    assert csms.store is not None
    [session] = csms.store.sessions.sessions(SessionFilter(station=station))
    return session


@contextlib.asynccontextmanager
async def station_201(url: str, station_id: str) -> AsyncIterator[OcppSession]:
    """A hand-driven 2.0.1 charging station: a real link, no model behind it."""
    link = await open_link(LinkConfig(url, station_id, subprotocol="ocpp2.0.1"))
    session = OcppSession(link, version="2.0.1", station_id=station_id, handlers={})
    reader = asyncio.create_task(session.serve(), name=f"{station_id} reader")
    try:
        boot = {"chargingStation": {"model": "Stub", "vendorName": "Bench"}, "reason": "PowerUp"}
        assert (await session.call("BootNotification", boot))["status"] == "Accepted"
        yield session
    finally:
        await link.close()
        await asyncio.wait_for(reader, 10.0)


def tx_event(
    event_type: str, seq: int, ts: str, trigger: str, wh: float | None = None, **extra: Any
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "eventType": event_type,
        "timestamp": ts,
        "triggerReason": trigger,
        "seqNo": seq,
        "transactionInfo": {"transactionId": "TX-A", **extra.pop("info", {})},
        **extra,
    }
    if wh is not None:
        unit = "kWh" if wh < 100 else "Wh"  # small numbers are sent in kWh
        payload["meterValue"] = [
            {
                "timestamp": ts,
                "sampledValue": [
                    {
                        "value": wh,
                        "measurand": "Energy.Active.Import.Register",
                        "unitOfMeasure": {"unit": unit},
                    }
                ],
            }
        ]
    return payload


# --------------------------------------------------------------------------- 1.6


async def test_a_1_6_session_shows_energy_meter_values_and_cost_from_start_to_stop(tmp_path):
    """1.6 §4.8 meterStart, §4.7 MeterValues (Wh and kWh), §4.10 meterStop with
    transactionData: the session's energy follows the register, the count every
    MeterValue, the cost the CSMS's price; the stop reason arrives with the stop."""
    async with (
        CentralSystem(config(tmp_path, price_per_kwh=0.25, currency="EUR")) as csms,
        stub_station(csms.url, "CP1") as cp,
    ):
        await cp.boot()
        start = {"connectorId": 2, "idTag": "TAG1", "meterStart": 1000, "timestamp": T0.isoformat()}
        tx_id = (await cp.call("StartTransaction", start))["transactionId"]
        opened = only(csms, "CP1")
        assert opened.key == SessionKey("CP1", "1.6", str(tx_id))
        assert (opened.connector_id, opened.id_tag, opened.start) == (
            2,
            "TAG1",
            "2026-03-01T12:00:00Z",
        )
        assert (opened.energy_wh, opened.meter_values, opened.cost) == (0.0, 0, 0.0)
        assert opened.active and opened.stop_reason is None

        await cp.call(
            "MeterValues",
            {
                "connectorId": 2,
                "transactionId": tx_id,
                "meterValue": [
                    register(2500, "2026-03-01T12:15:00Z"),
                    register(4.0, "2026-03-01T12:30:00Z", unit="kWh"),
                ],
            },
        )
        charging = only(csms, "CP1")
        assert charging.energy_wh == 3000.0  # 4 kWh - 1000 Wh
        assert charging.meter_values == 2
        assert (charging.cost, charging.currency) == (0.75, "EUR")

        stop = {
            "transactionId": tx_id,
            "meterStop": 6000,
            "timestamp": "2026-03-01T13:00:00Z",
            "reason": "EVDisconnected",
            "transactionData": [register(6000, "2026-03-01T13:00:00Z", context="Transaction.End")],
        }
        await cp.call("StopTransaction", stop)
        closed = only(csms, "CP1")
        assert not closed.active
        assert (closed.stop, closed.stop_reason) == ("2026-03-01T13:00:00Z", "EVDisconnected")
        assert (closed.energy_wh, closed.energy_kwh, closed.meter_values) == (5000.0, 5.0, 3)
        assert closed.cost == 1.25


async def test_a_meter_value_naming_another_stations_transaction_leaves_that_session_alone(
    tmp_path,
):
    """Sessions are keyed by station and transaction id: CP2 sending MeterValues with
    CP1's transactionId moves neither CP1's energy nor its meter value count."""
    async with (
        CentralSystem(config(tmp_path)) as csms,
        stub_station(csms.url, "CP1") as cp1,
        stub_station(csms.url, "CP2") as cp2,
    ):
        await cp1.boot()
        await cp2.boot()
        start = {"connectorId": 1, "idTag": "TAG1", "meterStart": 500, "timestamp": T0.isoformat()}
        tx_id = (await cp1.call("StartTransaction", start))["transactionId"]
        stray = {
            "connectorId": 1,
            "transactionId": tx_id,
            "meterValue": [register(90_000, "2026-03-01T12:10:00Z")],
        }
        with contextlib.suppress(CallError):  # the CSMS may refuse it outright; either is fine
            await cp2.call("MeterValues", stray)
        session = only(csms, "CP1")
        assert (session.energy_wh, session.meter_values) == (0.0, 0)
        assert csms.store is not None
        assert csms.store.sessions.sessions(SessionFilter(station="CP2")) == []


async def test_a_late_reading_sampled_earlier_does_not_lower_the_energy(tmp_path):
    """1.6 §4.7: MeterValues can arrive out of order (a queue drained after an outage);
    the session's energy is the latest sampled reading, not the latest to arrive."""
    async with CentralSystem(config(tmp_path)) as csms, stub_station(csms.url, "CP1") as cp:
        await cp.boot()
        start = {"connectorId": 1, "idTag": "TAG1", "meterStart": 0, "timestamp": T0.isoformat()}
        tx_id = (await cp.call("StartTransaction", start))["transactionId"]
        for wh, ts in ((3000, "2026-03-01T12:30:00Z"), (1000, "2026-03-01T12:10:00.5+00:00")):
            mv = {"connectorId": 1, "transactionId": tx_id, "meterValue": [register(wh, ts)]}
            await cp.call("MeterValues", mv)
        session = only(csms, "CP1")
        assert (session.energy_wh, session.meter_values) == (3000.0, 2)


async def test_each_stored_message_announces_the_session_it_changed(tmp_path):
    """CentralSystem.events carries SessionChanged with the session's key, so a view
    re-reads that one session instead of every row."""
    async with CentralSystem(config(tmp_path)) as csms, stub_station(csms.url, "CP1") as cp:
        seen: list[SessionKey] = []
        csms.events.subscribe(lambda e: seen.append(e.key) if isinstance(e, SessionChanged) else 0)
        await cp.boot()
        start = {"connectorId": 1, "idTag": "TAG2", "meterStart": 0, "timestamp": T0.isoformat()}
        tx_id = (await cp.call("StartTransaction", start))["transactionId"]
        mv = {
            "connectorId": 1,
            "transactionId": tx_id,
            "meterValue": [register(10, T0.isoformat())],
        }
        await cp.call("MeterValues", mv)
        await cp.call("Heartbeat", {})
        stop = {"transactionId": tx_id, "meterStop": 20, "timestamp": "2026-03-01T12:05:00Z"}
        await cp.call("StopTransaction", stop)
        assert seen == [SessionKey("CP1", "1.6", str(tx_id))] * 3


# --------------------------------------------------------------------------- 2.0.1


async def test_a_2_0_1_session_follows_started_updated_ended_and_costs_what_the_csms_replied(
    tmp_path,
):
    """E01-E06: Started / Updated / Ended of one transaction make one session; energy is
    the latest minus the first register reading (J02, kWh converted); I02.FR.01 /
    I03.FR.01: the totalCost the CSMS replies is the session's cost."""
    async with (
        CentralSystem(config(tmp_path, price_per_kwh=0.4)) as csms,
        station_201(csms.url, "CS1") as cs,
    ):
        token = {"idToken": "TAG2", "type": "ISO14443"}
        evse = {"id": 2, "connectorId": 1}
        await cs.call(
            "TransactionEvent",
            tx_event("Started", 0, "2026-03-01T12:00:00Z", "Authorized", 10_000, idToken=token,
                     evse=evse, info={"chargingState": "Charging"}),
        )  # fmt: skip
        started = only(csms, "CS1")
        assert started.key == SessionKey("CS1", "2.0.1", "TX-A")
        assert (started.evse_id, started.connector_id, started.id_tag) == (2, 1, "TAG2")
        assert (started.energy_wh, started.meter_values, started.active) == (0.0, 1, True)

        reply = await cs.call(
            "TransactionEvent",
            tx_event("Updated", 1, "2026-03-01T12:30:00Z", "MeterValuePeriodic", 12.5),
        )
        updated = only(csms, "CS1")
        assert updated.energy_wh == 2500.0
        assert reply["totalCost"] == updated.cost == 1.0
        assert updated.currency is None  # no currency configured: the cost stands alone

        reply = await cs.call(
            "TransactionEvent",
            tx_event("Ended", 2, "2026-03-01T13:00:00Z", "EVCommunicationLost", 13_000,
                     info={"stoppedReason": "EVDisconnected"}),
        )  # fmt: skip
        ended = only(csms, "CS1")
        assert (ended.stop, ended.stop_reason, ended.active) == (
            "2026-03-01T13:00:00Z",
            "EVDisconnected",
            False,
        )
        assert (ended.energy_wh, ended.meter_values) == (3000.0, 3)
        assert reply["totalCost"] == ended.cost == 1.2


async def test_a_repeated_transaction_event_is_counted_once(tmp_path):
    """E13: a TransactionEvent sent again (same seqNo) is answered but not stored twice,
    so the session's meter value count does not grow."""
    async with CentralSystem(config(tmp_path)) as csms, station_201(csms.url, "CS1") as cs:
        token = {"idToken": "TAG1", "type": "ISO14443"}
        started = tx_event("Started", 0, "2026-03-01T12:00:00Z", "Authorized", 100, idToken=token)
        updated = tx_event("Updated", 1, "2026-03-01T12:10:00Z", "MeterValuePeriodic", 700)
        for payload in (started, updated, updated):
            await cs.call("TransactionEvent", payload)
        session = only(csms, "CS1")
        assert (session.energy_wh, session.meter_values) == (600.0, 2)


# --------------------------------------------------------------------------- store


def test_an_older_csms_database_opens_and_its_sessions_are_filled_in(tmp_path):
    """A file written before the session columns existed (schema csms 2, the 2.0.1 tables
    created on first use) gets them on open, filled from the stored meter values."""
    path = tmp_path / "old.db"
    conn = open_database(path)
    ensure_schema(conn, CSMS_SCHEMA)
    ensure_tables(conn)
    conn.execute(
        "INSERT INTO csms_transactions (id, station, connector_id, id_tag, meter_start,"
        " start_ts, start_status) VALUES (7, 'CP1', 1, 'TAG1', 1000, '2026-03-01T12:00:00Z',"
        " 'Accepted')"
    )
    energy, current = "Energy.Active.Import.Register", "Current.Import"
    rows_16 = [
        ("CP1", "2026-03-01T12:10:00Z", energy, "1800", "Wh"),
        ("CP1", "2026-03-01T12:20:00Z", energy, "2.5", "kWh"),
        ("CP1", "2026-03-01T12:20:00Z", current, "16.0", "A"),  # the same MeterValue
        ("CP9", "2026-03-01T12:30:00Z", energy, "99000", "Wh"),  # another station's
    ]
    conn.executemany(
        "INSERT INTO csms_meter_values (station, connector_id, transaction_id, timestamp,"
        " measurand, phase, unit, context, location, format, value, origin)"
        " VALUES (?, 1, 7, ?, ?, NULL, ?, 'Sample.Periodic', 'Outlet', 'Raw', ?, 'MeterValues')",
        [(st, ts, measurand, unit, value) for st, ts, measurand, value, unit in rows_16],
    )
    conn.execute(
        "INSERT INTO csms201_transactions (station, id, evse_id, id_token, started, ended,"
        " stopped_reason) VALUES ('CS1', 'TX-A', 1, 'TAG2', '2026-03-01T12:00:00Z',"
        " '2026-03-01T12:40:00Z', 'Local')"
    )
    conn.executemany(
        "INSERT INTO csms201_meter_values (station, evse_id, transaction_id, timestamp,"
        " measurand, phase, unit, context, location, value, signed, origin)"
        " VALUES ('CS1', 1, 'TX-A', ?, 'Energy.Active.Import.Register', NULL, ?,"
        " 'Sample.Periodic', 'Outlet', ?, 0, 'TransactionEvent')",
        [("2026-03-01T12:00:00Z", "Wh", 400.0), ("2026-03-01T12:40:00Z", "kWh", 1.9)],
    )
    conn.close()

    store = CsmsStore(path)
    try:
        assert schema_version(store.conn, "csms_sessions") == 1
        by_station = {s.station: s for s in store.sessions.sessions()}
        assert set(by_station) == {"CP1", "CS1"}
        old16, old201 = by_station["CP1"], by_station["CS1"]
        assert (old16.energy_wh, old16.meter_values, old16.active) == (1500.0, 2, True)
        assert (old201.energy_wh, old201.meter_values, old201.stop_reason) == (1500.0, 2, "Local")
        assert old16.cost is None  # no price was stored back then
    finally:
        store.close()
    again = CsmsStore(path)  # a second open applies nothing twice
    try:
        assert [s.energy_wh for s in again.sessions.sessions()] == [1500.0, 1500.0]
    finally:
        again.close()


def session(**fields: Any) -> Session:
    base: dict[str, Any] = {
        "station": "CP1",
        "version": "1.6",
        "transaction_id": "1",
        "evse_id": None,
        "connector_id": 1,
        "id_tag": "TAG1",
        "start": "2026-03-01T12:00:00Z",
        "stop": None,
        "energy_wh": 1234.5,
        "cost": None,
        "currency": None,
        "stop_reason": None,
        "meter_values": 3,
    }
    base.update(fields)
    return Session(**base)


def test_the_filter_narrows_by_station_tag_state_and_any_text():
    a = session()
    b = session(station="CS-7", version="2.0.1", transaction_id="abc-9", id_tag="FLEET",
                stop="2026-03-01T13:00:00Z", stop_reason="EVDisconnected")  # fmt: skip
    both = [a, b]

    def kept(f: SessionFilter) -> list[Session]:
        return [s for s in both if f.matches(s)]

    assert kept(SessionFilter()) == both
    assert kept(SessionFilter(station="CS-7")) == [b]
    assert kept(SessionFilter(id_tag="TAG1")) == [a]
    assert kept(SessionFilter(state=OPEN)) == [a]
    assert kept(SessionFilter(state="closed")) == [b]
    assert kept(SessionFilter(text="disconn")) == [b]  # stop reason, any case
    assert kept(SessionFilter(text="ABC-9")) == [b]  # transaction id
    assert kept(SessionFilter(station="CP1", text="fleet")) == []


def test_the_csv_has_a_header_iso_utc_times_kwh_and_cost_with_currency(tmp_path):
    closed = session(
        station="CS1", version="2.0.1", transaction_id="TX-A", evse_id=2, connector_id=1,
        start="2026-03-01T13:00:00.5+01:00", stop="2026-03-01T13:30:00Z", energy_wh=5432.1,
        cost=1.63, currency="EUR", stop_reason="Local", meter_values=7,
    )  # fmt: skip
    opened = session(energy_wh=None, id_tag=None)
    path = tmp_path / "out" / "sessions.csv"
    assert write_sessions_csv([closed, opened], path) == 2
    raw = path.read_bytes()
    assert raw.count(b"\r\n") == 3  # RFC 4180 line ends
    rows = list(csv.reader(raw.decode("utf-8").splitlines()))
    assert tuple(rows[0]) == CSV_COLUMNS
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first == {
        "station": "CS1",
        "transaction_id": "TX-A",
        "ocpp": "2.0.1",
        "evse": "2",
        "connector": "1",
        "id_tag": "TAG1",
        "start": "2026-03-01T12:00:00.500Z",
        "stop": "2026-03-01T13:30:00.000Z",
        "energy_kwh": "5.432",
        "cost": "1.63",
        "currency": "EUR",
        "stop_reason": "Local",
        "meter_values": "7",
        "state": "closed",
    }
    second = dict(zip(rows[0], rows[2], strict=True))
    assert (second["stop"], second["energy_kwh"], second["cost"], second["state"]) == (
        "",
        "",
        "",
        "open",
    )
    assert second["id_tag"] == ""
