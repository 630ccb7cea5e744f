"""TriggerMessage over a real loopback link (1.6 §5.17, errata 3.35, 3.46)."""

from __future__ import annotations

import orjson
import pytest

from bench.ocpp.v16.charge_point import ChargePoint16
from tests.e2e.conftest import WAIT, sent, start_charging, wait_until


def reply_then_call(cp: ChargePoint16, action: str) -> tuple[int, int]:
    """Positions in the station's frame log of its last TriggerMessage reply and of the
    first ``action`` CALL after it (-1 when none followed)."""
    records = cp.session.sink.records  # type: ignore[attr-defined]
    replies = [
        i
        for i, r in enumerate(records)
        if r.direction == "tx" and r.type == "CALLRESULT" and r.action == "TriggerMessage"
    ]
    assert replies, "no TriggerMessage reply was sent"
    after = [
        i
        for i, r in enumerate(records)
        if i > replies[-1] and r.direction == "tx" and r.type == "CALL" and r.action == action
    ]
    return replies[-1], (after[0] if after else -1)


async def test_supported_feature_profiles_lists_remote_trigger(csms, make_cp) -> None:
    """1.6 §9.1.29."""
    cp = await make_cp(csms.url)
    assert "RemoteTrigger" in cp.config.value("SupportedFeatureProfiles")


async def test_a_triggered_heartbeat_is_sent_after_the_reply(csms, make_cp) -> None:
    """1.6 §5.17: the TriggerMessage.conf first, then the requested message."""
    cp = await make_cp(csms.url)
    mark = csms.mark()
    assert await csms.trigger_message("CP1", "Heartbeat") == {"status": "Accepted"}
    await csms.wait_for_message("CP1", "Heartbeat", timeout=WAIT, since=mark)
    reply_at, call_at = reply_then_call(cp, "Heartbeat")
    assert call_at > reply_at


async def test_a_triggered_status_notification_for_one_connector_reports_only_it(
    csms, make_cp
) -> None:
    """1.6 §5.17: with a connectorId, the status of that connector."""
    cp = await make_cp(csms.url, template="ac-22kw-dual")
    await wait_until(lambda: len(sent(cp, "CALL", "StatusNotification")) >= 3, what="statuses")
    before = len(sent(cp, "CALL", "StatusNotification"))
    assert await csms.trigger_message("CP1", "StatusNotification", 2) == {"status": "Accepted"}
    await wait_until(lambda: len(sent(cp, "CALL", "StatusNotification")) > before)
    reply_at, call_at = reply_then_call(cp, "StatusNotification")
    assert call_at > reply_at
    new = sent(cp, "CALL", "StatusNotification")[before:]
    assert [f.payload["connectorId"] for f in new] == [2]
    assert new[0].payload["status"] == "Available"


async def test_a_triggered_status_notification_without_connector_reports_all_of_them(
    csms, make_cp
) -> None:
    """1.6 §5.17: without connectorId, the charge point (0) and each connector."""
    cp = await make_cp(csms.url, template="ac-22kw-dual")
    await wait_until(lambda: len(sent(cp, "CALL", "StatusNotification")) >= 3, what="statuses")
    before = len(sent(cp, "CALL", "StatusNotification"))
    assert await csms.trigger_message("CP1", "StatusNotification") == {"status": "Accepted"}
    await wait_until(lambda: len(sent(cp, "CALL", "StatusNotification")) >= before + 3)
    new = sent(cp, "CALL", "StatusNotification")[before:]
    assert sorted(f.payload["connectorId"] for f in new) == [0, 1, 2]


@pytest.mark.parametrize("requested", ["StatusNotification", "MeterValues"])
async def test_a_trigger_for_a_connector_that_does_not_exist_is_rejected(
    csms, make_cp, requested: str
) -> None:
    """1.6 §5.17, §7.44 Rejected."""
    cp = await make_cp(csms.url)
    # The boot's own statuses (connectors 0 and 1) first, so only new frames count.
    await wait_until(lambda: len(sent(cp, "CALL", "StatusNotification")) >= 2, what="statuses")
    before = len(sent(cp, "CALL", requested))
    assert await csms.trigger_message("CP1", requested, 7) == {"status": "Rejected"}
    assert len(sent(cp, "CALL", requested)) == before


async def test_triggered_meter_values_report_the_sampled_measurands_of_the_transaction(
    csms, make_cp
) -> None:
    """1.6 §5.17, errata 3.46: the most recent values of every MeterValuesSampledData
    measurand, with the transaction's id."""
    measurands = ["Energy.Active.Import.Register", "Power.Active.Import", "Current.Import"]
    cp = await make_cp(
        csms.url,
        keys={"MeterValuesSampledData": ",".join(measurands), "MeterValueSampleInterval": "0"},
    )
    tx_id = await start_charging(cp, csms)
    mark = csms.mark()
    assert await csms.trigger_message("CP1", "MeterValues", 1) == {"status": "Accepted"}
    mv = await csms.wait_for_message("CP1", "MeterValues", timeout=WAIT, since=mark)
    assert mv["connectorId"] == 1
    assert mv["transactionId"] == tx_id
    values = mv["meterValue"][0]["sampledValue"]
    assert {v["context"] for v in values} == {"Trigger"}
    assert {v["measurand"] for v in values} == set(measurands)
    reply_at, call_at = reply_then_call(cp, "MeterValues")
    assert call_at > reply_at


async def test_triggered_meter_values_without_connector_cover_every_connector(
    csms, make_cp
) -> None:
    """1.6 §5.17: connectorId relevant but absent means all connectors."""
    cp = await make_cp(csms.url, template="ac-22kw-dual")
    before = len(sent(cp, "CALL", "MeterValues"))
    assert await csms.trigger_message("CP1", "MeterValues") == {"status": "Accepted"}
    await wait_until(lambda: len(sent(cp, "CALL", "MeterValues")) >= before + 2)
    new = sent(cp, "CALL", "MeterValues")[before:]
    assert sorted(f.payload["connectorId"] for f in new) == [1, 2]
    assert all("transactionId" not in f.payload for f in new)


async def test_a_triggered_boot_notification_is_rejected_once_accepted(csms, make_cp) -> None:
    """errata 3.35: after BootNotification.conf(Accepted) a triggered boot is rejected."""
    cp = await make_cp(csms.url)
    boots = len(sent(cp, "CALL", "BootNotification"))
    reply = await csms.trigger_message("CP1", "BootNotification")
    assert reply == {"status": "Rejected"}
    assert len(sent(cp, "CALL", "BootNotification")) == boots


async def test_a_triggered_boot_notification_while_pending_is_sent_at_once(
    make_csms, make_cp
) -> None:
    """1.6 §4.2, §5.17: a Pending station sends what TriggerMessage asks for, here its boot."""
    # The retry interval is far beyond the test: only the trigger can bring the next boot.
    csms = await make_csms(boot_responses=["Pending", "Accepted"], boot_retry_interval=86400)
    cp = await make_cp(csms.url, wait_accepted=False)
    await wait_until(lambda: cp.registration == "Pending", what="Pending")
    assert await csms.trigger_message("CP1", "BootNotification") == {"status": "Accepted"}
    await cp.wait_accepted(WAIT)
    assert len(sent(cp, "CALL", "BootNotification")) == 2
    reply_at, call_at = reply_then_call(cp, "BootNotification")
    assert call_at > reply_at


async def test_a_pending_station_sends_a_triggered_status_notification(raw_csms, make_cp) -> None:
    """1.6 §4.2: while Pending the station sends nothing but what TriggerMessage asked for,
    and that only after its TriggerMessage.conf (§5.17)."""

    def pending(msg_id: str, payload: dict) -> str:
        reply = {"status": "Pending", "currentTime": "2025-01-01T00:00:00Z", "interval": 86400}
        return orjson.dumps([3, msg_id, reply]).decode()

    raw_csms.override["BootNotification"] = pending
    cp = await make_cp(raw_csms.url, wait_accepted=False)
    await wait_until(lambda: cp.registration == "Pending", what="Pending")
    trigger = {"requestedMessage": "StatusNotification", "connectorId": 1}
    await raw_csms.send_raw(orjson.dumps([2, "t-1", "TriggerMessage", trigger]).decode())
    assert (await raw_csms.reply_to("t-1"))[2] == {"status": "Accepted"}
    (status,) = await raw_csms.wait_call("StatusNotification")
    assert (status["connectorId"], status["status"]) == (1, "Available")
    reply_at, call_at = reply_then_call(cp, "StatusNotification")
    assert call_at > reply_at
    assert [a for a, _ in raw_csms.calls] == ["BootNotification", "StatusNotification"]


@pytest.mark.parametrize(
    ("requested", "action", "method"),
    [
        (
            "DiagnosticsStatusNotification",
            "DiagnosticsStatusNotification",
            "send_diagnostics_status",
        ),
        ("FirmwareStatusNotification", "FirmwareStatusNotification", "send_firmware_status"),
    ],
)
async def test_triggered_firmware_and_diagnostics_status_report_idle_when_nothing_runs(
    csms, make_cp, requested: str, action: str, method: str
) -> None:
    """1.6 §5.17, §4.4, §4.5: the current state, Idle when no upload or update runs."""
    cp = await make_cp(csms.url)
    mark = csms.mark()
    assert await csms.trigger_message("CP1", requested) == {"status": "Accepted"}
    payload = await csms.wait_for_message("CP1", action, timeout=WAIT, since=mark)
    assert payload == {"status": "Idle"}
    reply_at, call_at = reply_then_call(cp, action)
    assert call_at > reply_at


async def test_an_unknown_requested_message_is_not_implemented(csms, make_cp) -> None:
    """1.6 §5.17: unknown or not implemented -> NotImplemented (the handler, past the schema)."""
    cp = await make_cp(csms.url)
    reply = await cp.trigger.trigger_message({"requestedMessage": "StartTransaction"})
    assert reply == {"status": "NotImplemented"}
