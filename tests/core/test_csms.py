"""The built-in CSMS answering charge-point-initiated OCPP 1.6 messages over loopback WebSockets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bench.csms import CentralSystem, CsmsConfig, NotAllowed, TagEntry, UnknownStation
from bench.csms.testing import stub_station
from bench.model.clock import ManualClock
from bench.ocpp.errors import CallError
from bench.transport.errors import LinkError

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

TAGS = {
    "GOOD": TagEntry("Accepted", expiry_date=T0 + timedelta(days=30), parent_id_tag="FLEET"),
    "BLOCKED": TagEntry("Blocked"),
    "OLD": TagEntry("Accepted", expiry_date=T0 - timedelta(days=1)),
    "LAPSED": TagEntry("Expired"),
}


def make_config(tmp_path, **overrides) -> CsmsConfig:
    fields = {"db_path": tmp_path / "csms.db", "tags": dict(TAGS), "clock": ManualClock(T0)}
    fields.update(overrides)
    return CsmsConfig(**fields)


@pytest.fixture
async def csms(tmp_path):
    async with CentralSystem(make_config(tmp_path)) as central:
        yield central


def start_req(connector=1, tag="GOOD", meter=100, ts="2026-03-01T12:00:00Z"):
    return {"connectorId": connector, "idTag": tag, "meterStart": meter, "timestamp": ts}


# --------------------------------------------------------------------------- boot


async def test_boot_answers_pending_then_accepted_and_the_last_status_repeats(tmp_path):
    """1.6 §4.2: Pending carries the retry interval, Accepted the heartbeat interval."""
    config = make_config(
        tmp_path, boot_responses=["Pending", "Accepted"], heartbeat_interval=120,
        boot_retry_interval=7,
    )  # fmt: skip
    async with CentralSystem(config) as csms, stub_station(csms.url, "CP1") as cp:
        first = await cp.boot()
        assert first == {"status": "Pending", "currentTime": "2026-03-01T12:00:00.000Z",
                         "interval": 7}  # fmt: skip
        assert csms.station("CP1").registration == "Pending"
        second = await cp.boot()
        third = await cp.boot()
        assert (second["status"], second["interval"]) == ("Accepted", 120)
        assert (third["status"], third["interval"]) == ("Accepted", 120)
        info = csms.station("CP1")
        assert info.accepted and info.boot_count == 3
        assert info.boot["chargePointModel"] == "Stub"


async def test_each_station_walks_the_boot_sequence_on_its_own(tmp_path):
    """1.6 §4.2: the configured sequence is per station, so a second station starts at Pending."""
    config = make_config(tmp_path, boot_responses=["Pending", "Accepted"])
    async with CentralSystem(config) as csms:
        async with stub_station(csms.url, "A") as a, stub_station(csms.url, "B") as b:
            assert (await a.boot())["status"] == "Pending"
            assert (await a.boot())["status"] == "Accepted"
            assert (await b.boot())["status"] == "Pending"
        assert csms.connected_stations() == []


async def test_a_pending_station_may_only_send_what_the_csms_triggered(tmp_path):
    """1.6 §4.2: while Pending the station sends nothing unless asked with TriggerMessage;
    anything else is answered with SecurityError (the code 2.0.1 B02.FR.09 names)."""
    async with (
        CentralSystem(make_config(tmp_path, boot_responses=["Pending"])) as csms,
        stub_station(csms.url, "CP1") as cp,
    ):
        await cp.boot()
        with pytest.raises(CallError) as refused:
            await cp.call("Heartbeat", {})
        assert refused.value.code == "SecurityError"
        assert (await csms.trigger_message("CP1", "Heartbeat"))["status"] == "Accepted"
        assert "currentTime" in await cp.call("Heartbeat", {})
        with pytest.raises(CallError) as again:  # one trigger opens the door once
            await cp.call("Heartbeat", {})
        assert again.value.code == "SecurityError"


async def test_a_station_that_never_booted_is_refused_until_it_boots(csms):
    """1.6 §4.2: no other request before a BootNotification was accepted."""
    async with stub_station(csms.url, "CP1") as cp:
        with pytest.raises(CallError) as refused:
            await cp.call("StatusNotification", {"connectorId": 0, "errorCode": "NoError",
                                                 "status": "Available"})  # fmt: skip
        assert refused.value.code == "SecurityError"
        await cp.boot()
        assert await cp.call("Heartbeat", {})


async def test_the_lenient_policy_handles_requests_before_boot(tmp_path):
    async with (
        CentralSystem(make_config(tmp_path, pre_accept_policy="lenient")) as csms,
        stub_station(csms.url, "CP1") as cp,
    ):
        reply = await cp.call("Authorize", {"idTag": "GOOD"})
        assert reply["idTagInfo"]["status"] == "Accepted"


async def test_the_csms_sends_no_remote_start_while_pending_and_nothing_while_rejected(tmp_path):
    """1.6 §4.2: RemoteStart/RemoteStop are not allowed while Pending; the CSMS SHOULD NOT
    initiate anything while Rejected. ``force`` overrides, for negative testing."""
    config = make_config(tmp_path, boot_responses=["Pending", "Rejected"])
    async with CentralSystem(config) as csms, stub_station(csms.url, "CP1") as cp:
        await cp.boot()
        with pytest.raises(NotAllowed):
            await csms.remote_start_transaction("CP1", "GOOD")
        assert (await csms.get_configuration("CP1"))["configurationKey"]  # allowed while Pending
        assert (await cp.boot())["status"] == "Rejected"
        with pytest.raises(NotAllowed):
            await csms.get_configuration("CP1")
        forced = await csms.call("CP1", "Reset", {"type": "Soft"}, force=True)
        assert forced == {"status": "Accepted"}


async def test_registration_survives_a_reconnect_without_reboot(csms):
    """1.6 §4.2: a station boots once per power-up, not per connection, so an accepted
    station that reconnects may go straight on; the newest connection replaces the old."""
    async with stub_station(csms.url, "CP1") as first:
        await first.boot()
        async with stub_station(csms.url, "CP1") as second:
            await csms.wait_for_station("CP1", accepted=True)
            assert await second.call("Heartbeat", {})
            assert csms.connected_stations() == ["CP1"]
            assert first.link.closed
    await csms.wait_for_disconnect("CP1", timeout=5)
    assert not csms.station("CP1").connected


# --------------------------------------------------------------------------- core messages


async def test_heartbeat_returns_the_csms_time_and_is_recorded(csms):
    """1.6 §4.6: Heartbeat.conf carries currentTime."""
    async with stub_station(csms.url, "CP1") as cp:
        await cp.boot()
        csms.clock.advance(90.5)
        reply = await cp.call("Heartbeat", {})
        assert reply == {"currentTime": "2026-03-01T12:01:30.500Z"}
        assert csms.station("CP1").last_heartbeat == T0 + timedelta(seconds=90.5)


async def test_status_notifications_are_stored_per_connector_with_error_codes(csms):
    """1.6 §4.9: connector 0 is the charge point; the latest status per connector is kept."""
    async with stub_station(csms.url, "CP1") as cp:
        await cp.boot()
        for cid, status, code in [
            (0, "Available", "NoError"),
            (1, "Preparing", "NoError"),
            (1, "Faulted", "GroundFailure"),
        ]:
            await cp.call("StatusNotification", {"connectorId": cid, "errorCode": code,
                                                 "status": status, "info": f"c{cid}"})  # fmt: skip
        latest = csms.statuses("CP1")
        assert {k: (v.status, v.error_code) for k, v in latest.items()} == {
            0: ("Available", "NoError"),
            1: ("Faulted", "GroundFailure"),
        }
        assert csms.station("CP1").connectors[1].info == "c1"
        assert len(csms.store.status_history("CP1", 1)) == 2


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("GOOD", {"status": "Accepted", "expiryDate": "2026-03-31T12:00:00Z",
                  "parentIdTag": "FLEET"}),
        ("good", {"status": "Accepted", "expiryDate": "2026-03-31T12:00:00Z",
                  "parentIdTag": "FLEET"}),
        ("BLOCKED", {"status": "Blocked"}),
        ("OLD", {"status": "Expired", "expiryDate": "2026-02-28T12:00:00Z"}),
        ("LAPSED", {"status": "Expired"}),
        ("NOBODY", {"status": "Invalid"}),
    ],
)  # fmt: skip
async def test_authorize_answers_from_the_tag_list(csms, tag, expected):
    """1.6 §4.1 / §7.28: status, expiry and parent id from the tag list; a passed expiry
    date means Expired; an unknown tag is Invalid; IdToken is case-insensitive (§7.26)."""
    async with stub_station(csms.url, "CP1") as cp:
        await cp.boot()
        assert await cp.call("Authorize", {"idTag": tag}) == {"idTagInfo": expected}


async def test_unknown_tags_are_accepted_when_configured(tmp_path):
    async with (
        CentralSystem(make_config(tmp_path, accept_unknown_tags=True)) as csms,
        stub_station(csms.url, "CP1") as cp,
    ):
        await cp.boot()
        reply = await cp.call("Authorize", {"idTag": "STRANGER"})
        assert reply == {"idTagInfo": {"status": "Accepted"}}
        blocked = await cp.call("Authorize", {"idTag": "BLOCKED"})
        assert blocked["idTagInfo"]["status"] == "Blocked"


# --------------------------------------------------------------------------- transactions


async def test_start_and_stop_transaction_store_the_whole_transaction(csms):
    """1.6 §4.8 / §4.10: unique increasing ids; the stop stores meter, reason and
    transactionData; idTagInfo comes back only when the stop carries an idTag."""
    async with stub_station(csms.url, "CP1") as cp:
        await cp.boot()
        one = await cp.call("StartTransaction", start_req(1))
        two = await cp.call("StartTransaction", start_req(2, tag="NOBODY"))
        assert two["transactionId"] > one["transactionId"]
        assert one["idTagInfo"]["status"] == "Accepted"
        assert two["idTagInfo"] == {"status": "Invalid"}  # refused, but still given an id
        data = [{"timestamp": "2026-03-01T12:30:00Z",
                 "sampledValue": [{"value": "5100", "context": "Transaction.End"}]}]  # fmt: skip
        stop = await cp.call("StopTransaction", {
            "transactionId": one["transactionId"], "meterStop": 5100, "idTag": "GOOD",
            "timestamp": "2026-03-01T12:30:00Z", "reason": "EVDisconnected",
            "transactionData": data,
        })  # fmt: skip
        assert stop["idTagInfo"]["status"] == "Accepted"
        plain = await cp.call("StopTransaction", {
            "transactionId": two["transactionId"], "meterStop": 100,
            "timestamp": "2026-03-01T12:31:00Z",
        })  # fmt: skip
        assert plain == {}
        first, second = csms.transactions("CP1")
        assert (first.meter_start, first.meter_stop, first.reason) == (100, 5100, "EVDisconnected")
        assert first.stop_ts == "2026-03-01T12:30:00Z" and first.transaction_data == data
        assert second.reason == "Local"  # §7.36: an absent reason means Local
        rows = csms.meter_values(first.id)
        assert [(r.value, r.context, r.origin) for r in rows] == [
            ("5100", "Transaction.End", "StopTransaction")
        ]
        assert csms.station("CP1").transactions == []


async def test_a_resent_start_transaction_gets_the_same_transaction_id(csms):
    """1.6 §4.8 with OCPP-J §4.1 retries: a StartTransaction repeated because the station
    lost our conf (same connector, idTag and timestamp) must not open a second transaction."""
    async with stub_station(csms.url, "CP1") as cp:
        await cp.boot()
        first = await cp.call("StartTransaction", start_req(ts="2026-03-01T12:00:00Z"))
        again = await cp.call("StartTransaction", start_req(ts="2026-03-01T13:00:00+01:00"))
        other = await cp.call("StartTransaction", start_req(ts="2026-03-01T12:05:00Z"))
        assert again["transactionId"] == first["transactionId"]
        assert other["transactionId"] != first["transactionId"]
        assert len(csms.transactions("CP1")) == 2


async def test_transaction_ids_continue_after_a_restart_with_the_same_database(tmp_path):
    """1.6 §4.8: transaction ids stay unique across a CSMS restart (sequence in SQLite)."""
    ids = []
    for run in range(2):
        async with (
            CentralSystem(make_config(tmp_path)) as csms,
            stub_station(csms.url, "CP1") as cp,
        ):
            if run == 0:
                await cp.boot()
            # run 1: the station reconnects without rebooting and is still accepted.
            for minute in range(2):
                ts = f"2026-03-01T12:0{minute}:0{run}Z"
                ids.append((await cp.call("StartTransaction", start_req(ts=ts)))["transactionId"])
    assert ids == sorted(ids) and len(set(ids)) == 4


async def test_a_second_transaction_for_a_busy_tag_is_concurrent_tx_when_configured(tmp_path):
    """1.6 §7.29 AuthorizationStatus ConcurrentTx."""
    async with (
        CentralSystem(make_config(tmp_path, reject_concurrent_tx=True)) as csms,
        stub_station(csms.url, "CP1") as cp,
    ):
        await cp.boot()
        first = await cp.call("StartTransaction", start_req(1))
        second = await cp.call("StartTransaction", start_req(2))
        assert first["idTagInfo"]["status"] == "Accepted"
        assert second["idTagInfo"]["status"] == "ConcurrentTx"


async def test_meter_values_are_stored_as_one_row_per_sampled_value(csms):
    """1.6 §4.7 / §7.45: defaults (Sample.Periodic, Raw, Energy.Active.Import.Register,
    Outlet, Wh) are filled in for what the station left out."""
    async with stub_station(csms.url, "CP1") as cp:
        await cp.boot()
        tx = (await cp.call("StartTransaction", start_req()))["transactionId"]
        await cp.call("MeterValues", {"connectorId": 1, "transactionId": tx, "meterValue": [
            {"timestamp": "2026-03-01T12:01:00Z", "sampledValue": [
                {"value": "1234"},
                {"value": "16.0", "measurand": "Current.Import", "phase": "L1", "unit": "A"},
                {"value": "15.5", "measurand": "Current.Import", "phase": "L2", "unit": "A"},
            ]},
        ]})  # fmt: skip
        await cp.call("MeterValues", {"connectorId": 0, "meterValue": [
            {"timestamp": "2026-03-01T12:01:00Z", "sampledValue": [
                {"value": "230", "measurand": "Voltage", "unit": "V",
                 "context": "Sample.Clock"}]},
        ]})  # fmt: skip
        rows = csms.meter_values(tx)
        assert [(r.measurand, r.phase, r.unit, r.value) for r in rows] == [
            ("Energy.Active.Import.Register", None, "Wh", "1234"),
            ("Current.Import", "L1", "A", "16.0"),
            ("Current.Import", "L2", "A", "15.5"),
        ]
        assert {(r.context, r.format, r.location) for r in rows} == {
            ("Sample.Periodic", "Raw", "Outlet")
        }
        assert rows[0].timestamp == "2026-03-01T12:01:00Z"
        clock_rows = csms.store.meter_values(station="CP1", connector_id=0)
        assert [(r.transaction_id, r.context) for r in clock_rows] == [(None, "Sample.Clock")]
        assert csms.station("CP1").last_meter_values[1][1].phase == "L1"


async def test_a_resent_stop_transaction_stores_its_meter_data_once(csms):
    async with stub_station(csms.url, "CP1") as cp:
        await cp.boot()
        tx = (await cp.call("StartTransaction", start_req()))["transactionId"]
        stop = {"transactionId": tx, "meterStop": 900, "timestamp": "2026-03-01T13:00:00Z",
                "transactionData": [{"timestamp": "2026-03-01T13:00:00Z",
                                     "sampledValue": [{"value": "900"}]}]}  # fmt: skip
        await cp.call("StopTransaction", stop)
        await cp.call("StopTransaction", stop)
        assert len(csms.meter_values(tx)) == 1


# --------------------------------------------------------------------------- other messages


async def test_data_transfer_echoes_for_the_bench_vendor_and_refuses_unknown_vendors(csms):
    """1.6 §4.3: an unknown vendorId gets UnknownVendorId."""
    async with stub_station(csms.url, "CP1") as cp:
        await cp.boot()
        echo = await cp.call("DataTransfer", {"vendorId": "bench", "messageId": "m", "data": "hi"})
        assert echo == {"status": "Accepted", "data": "hi"}
        other = await cp.call("DataTransfer", {"vendorId": "com.example"})
        assert other == {"status": "UnknownVendorId"}


async def test_firmware_diagnostics_and_security_notifications_are_stored_as_events(csms):
    """1.6 §4.4 / §4.5 and the security whitepaper's notifications (N01, L01, security events)."""
    messages = [
        ("FirmwareStatusNotification", {"status": "Downloading"}),
        ("DiagnosticsStatusNotification", {"status": "Uploaded"}),
        ("SecurityEventNotification", {"type": "SettingSystemTime",
                                       "timestamp": "2026-03-01T12:00:00Z"}),
        ("SignedFirmwareStatusNotification", {"status": "Installed", "requestId": 3}),
        ("LogStatusNotification", {"status": "Uploading", "requestId": 4}),
    ]  # fmt: skip
    async with stub_station(csms.url, "CP1") as cp:
        await cp.boot()
        for action, payload in messages:
            assert await cp.call(action, payload) == {}
        events = csms.store.events("CP1")
        assert [(e.kind, e.payload) for e in events] == messages
        info = csms.station("CP1")
        assert (info.firmware_status, info.diagnostics_status) == ("Installed", "Uploaded")


async def test_sign_certificate_is_rejected_because_the_bench_has_no_certificate_authority(csms):
    """Security whitepaper A02.FR.12: Rejected when the CSMS cannot process the CSR."""
    async with stub_station(csms.url, "CP1") as cp:
        await cp.boot()
        reply = await cp.call("SignCertificate", {"csr": "-----BEGIN CERTIFICATE REQUEST-----"})
        assert reply == {"status": "Rejected"}


# --------------------------------------------------------------------------- test helpers


async def test_wait_for_message_sees_a_message_that_arrived_before_the_wait_exactly_once(csms):
    async with stub_station(csms.url, "CP1") as cp:
        await cp.boot()
        await cp.call("Authorize", {"idTag": "A"})
        await cp.call("Authorize", {"idTag": "B"})
        assert (await csms.wait_for_message("CP1", "Authorize"))["idTag"] == "A"
        got = await csms.wait_for_message("CP1", "Authorize", lambda p: p["idTag"] == "B")
        assert got == {"idTag": "B"}
        with pytest.raises(TimeoutError):
            await csms.wait_for_message("CP1", "Authorize", timeout=0.2)
        mark = csms.mark()
        await cp.call("Authorize", {"idTag": "C"})
        exchange = await csms.wait_for_exchange("CP1", "Authorize", since=mark)
        assert exchange.payload == {"idTag": "C"} and exchange.reply == {
            "idTagInfo": {"status": "Invalid"}
        }


async def test_unknown_stations_raise_unknown_station(csms):
    with pytest.raises(UnknownStation):
        csms.station("NOPE")
    with pytest.raises(KeyError):  # UnknownStation is a KeyError
        await csms.reset("NOPE")


async def test_stop_closes_every_connection(tmp_path):
    csms = CentralSystem(make_config(tmp_path))
    await csms.start()
    async with stub_station(csms.url, "CP1") as cp:
        await cp.boot()
        await csms.stop()
        assert cp.link.closed
    assert csms.connected_stations() == []


async def test_basic_auth_admits_only_the_configured_password(tmp_path):
    """Security whitepaper §2.3 (profile 1): HTTP Basic auth with the station id as user."""
    config = make_config(tmp_path, basic_auth={"CP1": "s3cret-password"})
    async with CentralSystem(config) as csms:
        with pytest.raises(LinkError):
            async with stub_station(csms.url, "CP1", password="wrong-password"):
                pass
        async with stub_station(csms.url, "CP1", password="s3cret-password") as cp:
            assert (await cp.boot())["status"] == "Accepted"
