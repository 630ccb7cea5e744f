"""CSMS-initiated Core requests and DataTransfer both ways (1.6 §4.3, §5.2-§5.18)."""

from __future__ import annotations

import pytest

from bench.ocpp.v16.config import CORE_KEYS
from bench.ocpp.v16.keys import ALL_KEYS
from tests.e2e.conftest import (
    WAIT,
    db_file,
    ev,
    present,
    sent,
    start_charging,
    status_sent,
    stopped,
    wait_until,
)

AUTH_KEY = "0123456789abcdef0123"


def sent_in_order(cp, since: int = 0) -> list[str]:
    """The CALLs the station sent, oldest first; a StatusNotification as
    ``Status<connectorId>:<status>``."""
    return [
        f"Status{r.payload['connectorId']}:{r.payload['status']}"
        if r.action == "StatusNotification"
        else str(r.action)
        for r in sent(cp, "CALL")[since:]
    ]


# ------------------------------------------------------------------ ChangeAvailability
async def test_change_availability_during_a_transaction_is_scheduled_until_it_ends(
    csms, make_cp
) -> None:
    """1.6 §5.2: Scheduled while charging; Unavailable once the transaction has finished."""
    cp = await make_cp(csms.url)
    await start_charging(cp, csms)
    assert await csms.change_availability("CP1", 1, "Inoperative") == {"status": "Scheduled"}
    assert cp.status_of(1).status == "Charging"
    cp.present_id("TAG1")
    await stopped(csms)
    await status_sent(csms, "Unavailable")
    cp.station.connector(1).unplug()
    # Nothing could start on the Unavailable connector: the tag is not even authorized.
    assert await present(cp, "TAG1") == "Ignored"
    assert cp.station.connector(1).transaction is None  # no charging while Unavailable


async def test_a_scheduled_unavailable_is_reported_after_the_stop_transaction(
    csms, make_cp
) -> None:
    """1.6 §5.2: the change happens once the transaction has finished; the CSMS hears
    StopTransaction first, then StatusNotification Unavailable for the connector. The
    Charge Point itself (connector 0) was not made Inoperative: it stays Available,
    even with its only connector Unavailable (OCTT TC_013_CS)."""
    cp = await make_cp(csms.url)
    await start_charging(cp, csms)
    assert await csms.change_availability("CP1", 1, "Inoperative") == {"status": "Scheduled"}
    since = len(sent(cp, "CALL"))
    await csms.remote_stop_transaction("CP1", cp.station.connector(1).transaction.protocol_id)
    await stopped(csms)
    await status_sent(csms, "Unavailable")
    order = [a for a in sent_in_order(cp, since) if a == "StopTransaction" or "Unavailable" in a]
    assert order == ["StopTransaction", "Status1:Unavailable"]
    assert cp.status_of(0).status == "Available"


async def test_change_availability_of_connector_zero_applies_to_the_whole_station(
    csms, make_cp
) -> None:
    """1.6 §5.2: connectorId 0 changes the Charge Point and all its connectors."""
    await make_cp(csms.url, template="ac-22kw-dual")
    assert await csms.change_availability("CP1", 0, "Inoperative") == {"status": "Accepted"}
    for connector_id in (0, 1, 2):
        await status_sent(csms, "Unavailable", connector_id)
    assert await csms.change_availability("CP1", 0, "Operative") == {"status": "Accepted"}
    for connector_id in (0, 1, 2):
        await status_sent(csms, "Available", connector_id)


async def test_change_availability_to_the_current_state_is_accepted(csms, make_cp) -> None:
    """1.6 §5.2: a change to the state the connector is already in -> Accepted."""
    await make_cp(csms.url)
    assert await csms.change_availability("CP1", 1, "Operative") == {"status": "Accepted"}


async def test_change_availability_of_a_missing_connector_is_rejected(csms, make_cp) -> None:
    """1.6 §5.2, §7.3: the Charge Point cannot change a connector it does not have."""
    await make_cp(csms.url)
    assert await csms.change_availability("CP1", 5, "Inoperative") == {"status": "Rejected"}


async def test_an_unavailable_connector_stays_unavailable_after_a_restart(csms, make_cp) -> None:
    """1.6 §5.2: "Connector set to Unavailable shall persist a reboot"."""
    cp = await make_cp(csms.url)
    assert await csms.change_availability("CP1", 1, "Inoperative") == {"status": "Accepted"}
    await status_sent(csms, "Unavailable")
    path = db_file(cp)
    await cp.stop()
    again = await make_cp(csms.url, db_path=path)
    assert again.status_of(1).status == "Unavailable"
    await status_sent(csms, "Unavailable")


# ------------------------------------------------------------------ GetConfiguration
async def test_get_configuration_without_keys_reports_every_readable_key(csms, make_cp) -> None:
    """1.6 §5.8: no key list -> all keys; AuthorizationKey is write-only and never shown."""
    await make_cp(csms.url)
    conf = await csms.get_configuration("CP1")
    keys = {k["key"]: k for k in conf["configurationKey"]}
    expected = {d.name for d in ALL_KEYS.values() if d.access != "W"}
    assert {d.name for d in CORE_KEYS if d.access != "W"} <= expected
    assert set(keys) == expected
    assert "AuthorizationKey" not in keys
    assert keys["NumberOfConnectors"] == {
        "key": "NumberOfConnectors",
        "readonly": True,
        "value": "1",
    }
    assert keys["HeartbeatInterval"]["readonly"] is False
    assert "unknownKey" not in conf


async def test_get_configuration_of_named_keys_reports_those_and_the_unknown_ones(
    csms, make_cp
) -> None:
    """1.6 §5.8: requested keys, and unknownKey for the ones the station does not know."""
    await make_cp(csms.url, keys={"MeterValueSampleInterval": "45"})
    conf = await csms.get_configuration(
        "CP1", ["MeterValueSampleInterval", "NoSuchKey", "AuthorizationKey"]
    )
    assert conf["configurationKey"] == [
        {"key": "MeterValueSampleInterval", "readonly": False, "value": "45"}
    ]
    assert conf["unknownKey"] == ["NoSuchKey", "AuthorizationKey"]


async def test_a_set_authorization_key_is_still_never_reported(csms, make_cp) -> None:
    """Security whitepaper §3.1 / 1.6-J errata: AuthorizationKey is write-only."""
    await make_cp(csms.url)
    reply = await csms.change_configuration("CP1", "AuthorizationKey", AUTH_KEY)
    assert reply["status"] in ("Accepted", "RebootRequired")
    conf = await csms.get_configuration("CP1")
    assert AUTH_KEY not in str(conf)


# ------------------------------------------------------------------ ChangeConfiguration
async def test_change_configuration_accepted_changes_the_reported_value(csms, make_cp) -> None:
    """1.6 §5.3: Accepted, and the new value is in effect."""
    cp = await make_cp(csms.url)
    assert await csms.change_configuration("CP1", "ConnectionTimeOut", "90") == {
        "status": "Accepted"
    }
    assert cp.config.value("ConnectionTimeOut") == 90
    conf = await csms.get_configuration("CP1", ["ConnectionTimeOut"])
    assert conf["configurationKey"][0]["value"] == "90"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("HeartbeatInterval", "soon"),
        ("HeartbeatInterval", "-5"),
        ("LocalPreAuthorize", "yes"),
        ("MeterValuesSampledData", "Energy.Active.Import.Register,Warp.Drive"),
        ("TransactionMessageAttempts", "0"),
        ("AuthorizationKey", "not-hex"),
        ("NumberOfConnectors", "4"),
        ("GetConfigurationMaxKeys", "5"),
    ],
)
async def test_change_configuration_rejects_bad_values_and_read_only_keys(
    csms, make_cp, key: str, value: str
) -> None:
    """1.6 §5.3: Rejected for a value out of range/format and for a read-only key."""
    cp = await make_cp(csms.url)
    before = cp.config.raw(key)
    assert await csms.change_configuration("CP1", key, value) == {"status": "Rejected"}
    assert cp.config.raw(key) == before


async def test_change_configuration_of_an_unknown_key_is_not_supported(csms, make_cp) -> None:
    """1.6 §5.3: a key the station does not know -> NotSupported."""
    await make_cp(csms.url)
    assert await csms.change_configuration("CP1", "FluxCapacitor", "1.21") == {
        "status": "NotSupported"
    }


async def test_change_configuration_of_a_boot_time_key_asks_for_a_reboot(csms, make_cp) -> None:
    """1.6 §5.3, §7.17: RebootRequired when the change applies at the next boot."""
    cp = await make_cp(csms.url)
    assert await csms.change_configuration("CP1", "ConnectorPhaseRotation", "0.RST,1.RTS") == {
        "status": "RebootRequired"
    }
    assert cp.config.raw("ConnectorPhaseRotation") == "0.RST,1.RTS"


async def test_a_new_websocket_ping_interval_applies_to_the_open_link(csms, make_cp) -> None:
    """1.6 §9.1.34: WebSocketPingInterval is accepted and the link starts pinging at once."""
    cp = await make_cp(csms.url)
    assert await csms.change_configuration("CP1", "WebSocketPingInterval", "30") == {
        "status": "Accepted"
    }
    assert cp._link is not None and cp._link.ping_interval == 30
    assert await csms.change_configuration("CP1", "WebSocketPingInterval", "-1") == {
        "status": "Rejected"
    }


async def test_changed_configuration_persists_for_the_station_across_a_restart(
    csms, make_cp
) -> None:
    """1.6 §5.3: configuration lives in the station, so a new process on its db sees it."""
    cp = await make_cp(csms.url)
    assert (await csms.change_configuration("CP1", "LightIntensity", "42"))["status"] == "Accepted"
    path = db_file(cp)
    await cp.stop()
    again = await make_cp(csms.url, db_path=path)
    assert again.config.value("LightIntensity") == 42
    conf = await csms.get_configuration("CP1", ["LightIntensity"])
    assert conf["configurationKey"][0]["value"] == "42"


async def test_configuration_is_kept_per_station_in_a_shared_database(
    csms, make_cp, tmp_path
) -> None:
    """Each station keeps its own values: a change on CP1 does not show on CP2."""
    shared = tmp_path / "fleet.db"
    await make_cp(csms.url, "CP1", db_path=shared)
    other = await make_cp(csms.url, "CP2", db_path=shared)
    assert (await csms.change_configuration("CP1", "LightIntensity", "7"))["status"] == "Accepted"
    assert other.config.value("LightIntensity") == 80


# ------------------------------------------------------------------ DataTransfer
async def test_data_transfer_from_the_csms_is_answered_by_the_station(csms, make_cp) -> None:
    """1.6 §5.6: a known vendor is Accepted; unknown vendor or message ids are named."""
    await make_cp(csms.url)
    assert await csms.data_transfer("CP1", "OCPPBench", "echo", "ping") == {
        "status": "Accepted",
        "data": "ping",
    }
    assert await csms.data_transfer("CP1", "Acme") == {"status": "UnknownVendorId"}
    assert await csms.data_transfer("CP1", "OCPPBench", "frobnicate") == {
        "status": "UnknownMessageId"
    }


async def test_data_transfer_from_the_station_is_answered_by_the_csms(csms, make_cp) -> None:
    """1.6 §4.3: the CSMS echoes data for its own vendor id, UnknownVendorId otherwise."""
    cp = await make_cp(csms.url)
    reply = await cp.data_transfer("bench", data="hello")
    assert reply == {"status": "Accepted", "data": "hello"}
    reply = await cp.data_transfer("Acme")
    assert reply == {"status": "UnknownVendorId"}
    msg = await csms.wait_for_message("CP1", "DataTransfer", timeout=WAIT)
    assert msg == {"vendorId": "bench", "data": "hello"}


# ------------------------------------------------------------------ RemoteStartTransaction
async def test_remote_start_with_authorize_remote_tx_requests_authorizes_first(
    csms, make_cp
) -> None:
    """1.6 §5.11, §9.1.3 AuthorizeRemoteTxRequests=true: Authorize before StartTransaction."""
    cp = await make_cp(csms.url, keys={"AuthorizeRemoteTxRequests": "true"})
    cp.station.connector(1).plug_in(ev())
    assert await csms.remote_start_transaction("CP1", "TAG1", 1) == {"status": "Accepted"}
    start = await csms.wait_for_message("CP1", "StartTransaction", timeout=WAIT)
    assert start["idTag"] == "TAG1"
    actions = [r.action for r in sent(cp, "CALL") if r.action in ("Authorize", "StartTransaction")]
    assert actions == ["Authorize", "StartTransaction"]
    await status_sent(csms, "Charging")


async def test_remote_start_for_a_refused_tag_starts_nothing_when_authorizing(
    csms, make_cp
) -> None:
    """1.6 §5.11: with AuthorizeRemoteTxRequests the Authorize verdict decides."""
    cp = await make_cp(csms.url, keys={"AuthorizeRemoteTxRequests": "true"})
    cp.station.connector(1).plug_in(ev())
    assert await csms.remote_start_transaction("CP1", "BLOCKED", 1) == {"status": "Accepted"}
    exchange = await csms.wait_for_exchange("CP1", "Authorize", timeout=WAIT)
    assert exchange.reply["idTagInfo"]["status"] == "Blocked"
    await wait_until(
        lambda: not any(t.get_name() == "remote-start" for t in cp.tasks.tasks),
        what="the remote start to be decided",
    )
    assert cp.station.connector(1).transaction is None
    assert not sent(cp, "CALL", "StartTransaction")


async def test_remote_start_without_authorize_remote_tx_requests_starts_directly(
    csms, make_cp
) -> None:
    """1.6 §9.1.3 AuthorizeRemoteTxRequests=false: StartTransaction without Authorize."""
    cp = await make_cp(csms.url, keys={"AuthorizeRemoteTxRequests": "false"})
    cp.station.connector(1).plug_in(ev())
    assert await csms.remote_start_transaction("CP1", "TAG1") == {"status": "Accepted"}
    await csms.wait_for_message("CP1", "StartTransaction", timeout=WAIT)
    assert not sent(cp, "CALL", "Authorize")


async def test_remote_start_before_the_cable_waits_for_it_then_starts(csms, make_cp) -> None:
    """1.6 §5.11: Preparing until the EV is plugged in, then StartTransaction."""
    cp = await make_cp(csms.url, keys={"AuthorizeRemoteTxRequests": "false"})
    assert await csms.remote_start_transaction("CP1", "TAG1", 1) == {"status": "Accepted"}
    await status_sent(csms, "Preparing")
    assert cp.station.connector(1).transaction is None
    cp.station.connector(1).plug_in(ev())
    await csms.wait_for_message("CP1", "StartTransaction", timeout=WAIT)
    await status_sent(csms, "Charging")


async def test_a_remote_start_with_the_ev_plugged_reports_charging_after_start_transaction(
    csms, make_cp
) -> None:
    """1.6 §5.11, §4.8, §4.9: as in a local start, Charging follows the StartTransaction
    the CSMS accepted; a CSMS never sees a charging connector without a transaction."""
    cp = await make_cp(csms.url)
    cp.station.connector(1).plug_in(ev())
    await status_sent(csms, "Preparing")
    since = len(sent(cp, "CALL"))
    assert await csms.remote_start_transaction("CP1", "TAG1", 1) == {"status": "Accepted"}
    await csms.wait_for_message("CP1", "StartTransaction", timeout=WAIT)
    await status_sent(csms, "Charging")
    order = [a for a in sent_in_order(cp, since) if a in ("StartTransaction", "Status1:Charging")]
    assert order == ["StartTransaction", "Status1:Charging"]


async def test_a_remote_start_on_a_finishing_connector_after_a_soft_reset_starts_charging(
    csms, make_cp
) -> None:
    """1.6 §4.9 Finishing -> Preparing: the user starts again (a RemoteStartTransaction
    is that), with the EV still plugged after a soft reset ended its session (§5.14)."""
    cp = await make_cp(csms.url)
    await start_charging(cp, csms)
    mark = csms.mark()
    assert await csms.reset("CP1", "Soft") == {"status": "Accepted"}
    stop = await stopped(csms)
    assert stop["reason"] == "SoftReset"
    await wait_until(
        lambda: cp.accepted and len(sent(cp, "CALL", "BootNotification")) == 2,
        what="accepted after the reset",
    )
    assert cp.status_of(1).status == "Finishing"  # the EV is still plugged
    mark = csms.mark()
    assert await csms.remote_start_transaction("CP1", "TAG2", 1) == {"status": "Accepted"}
    start = await csms.wait_for_message("CP1", "StartTransaction", timeout=WAIT, since=mark)
    assert (start["connectorId"], start["idTag"]) == (1, "TAG2")
    await status_sent(csms, "Charging", since=mark)


async def test_a_finishing_connector_is_picked_only_when_no_other_is_free(csms, make_cp) -> None:
    """1.6 §4.9: a remote start without connectorId on a two-connector station goes to the
    free connector, not to the one whose EV has finished and is still plugged."""
    cp = await make_cp(csms.url, template="ac-22kw-dual")
    await start_charging(cp, csms)
    cp.present_id("TAG1")
    await stopped(csms)
    await status_sent(csms, "Finishing")
    assert await csms.remote_start_transaction("CP1", "TAG2") == {"status": "Accepted"}
    await status_sent(csms, "Preparing", 2)
    assert cp.station.connector(1).transaction is None


async def test_remote_start_on_a_busy_connector_is_rejected(csms, make_cp) -> None:
    """1.6 §5.11: the station cannot start a second transaction on the same connector."""
    cp = await make_cp(csms.url)
    await start_charging(cp, csms)
    assert await csms.remote_start_transaction("CP1", "TAG2", 1) == {"status": "Rejected"}


async def test_remote_start_with_a_profile_that_is_not_a_tx_profile_is_rejected(
    csms, make_cp
) -> None:
    """1.6 §5.11: the chargingProfile of a RemoteStartTransaction SHALL be a TxProfile."""
    await make_cp(csms.url)
    profile = {
        "chargingProfileId": 3,
        "stackLevel": 0,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Absolute",
        "chargingSchedule": {
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 8}],
        },
    }
    assert await csms.remote_start_transaction("CP1", "TAG1", 1, profile) == {"status": "Rejected"}


async def test_remote_start_on_an_unavailable_connector_is_rejected(csms, make_cp) -> None:
    """1.6 §5.2, §5.11: an Inoperative connector allows no charging."""
    await make_cp(csms.url)
    assert await csms.change_availability("CP1", 1, "Inoperative") == {"status": "Accepted"}
    assert await csms.remote_start_transaction("CP1", "TAG1", 1) == {"status": "Rejected"}


async def test_a_new_heartbeat_interval_takes_effect_at_once(csms, make_cp) -> None:
    """1.6 §5.3, §9.1.10 HeartbeatInterval: ChangeConfiguration reschedules the heartbeat."""
    cp = await make_cp(csms.url)
    assert cp.config.value("HeartbeatInterval") == 3600  # from the boot reply
    reply = await csms.change_configuration("CP1", "HeartbeatInterval", "10")
    assert reply == {"status": "Accepted"}
    await csms.wait_for_message("CP1", "Heartbeat", timeout=WAIT)
    await csms.wait_for_message("CP1", "Heartbeat", timeout=WAIT)
