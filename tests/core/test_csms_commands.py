"""CSMS-initiated OCPP 1.6 requests, and OCPP-J error handling, over loopback WebSockets."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from bench.csms import CentralSystem, CsmsConfig, TagEntry
from bench.csms.testing import DEFAULT_REPLIES_16, stub_station
from bench.model.clock import ManualClock
from bench.ocpp import schemas
from bench.ocpp.errors import CallError, ErrorKind, InvalidOutgoing, InvalidReply, OcppError
from bench.transport.config import LinkConfig
from bench.transport.websocket import open_link

WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

PROFILE = {
    "chargingProfileId": 7,
    "stackLevel": 0,
    "chargingProfilePurpose": "TxDefaultProfile",
    "chargingProfileKind": "Absolute",
    "chargingSchedule": {
        "chargingRateUnit": "A",
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}],
    },
}

# (helper, keyword arguments, action, fields the request must carry)
CASES = [
    ("change_availability", {"connector_id": 1, "type": "Inoperative"}, "ChangeAvailability",
     {"connectorId": 1, "type": "Inoperative"}),
    ("change_configuration", {"key": "MeterValueSampleInterval", "value": "60"},
     "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "60"}),
    ("clear_cache", {}, "ClearCache", {}),
    ("data_transfer", {"vendor_id": "bench", "message_id": "ping", "data": "x"}, "DataTransfer",
     {"vendorId": "bench", "messageId": "ping", "data": "x"}),
    ("get_configuration", {"keys": ["HeartbeatInterval"]}, "GetConfiguration",
     {"key": ["HeartbeatInterval"]}),
    ("remote_start_transaction", {"id_tag": "GOOD", "connector_id": 1,
                                  "charging_profile": {**PROFILE, "chargingProfilePurpose":
                                                       "TxProfile"}},
     "RemoteStartTransaction", {"idTag": "GOOD", "connectorId": 1}),
    ("remote_stop_transaction", {"transaction_id": 42}, "RemoteStopTransaction",
     {"transactionId": 42}),
    ("reset", {"type": "Hard"}, "Reset", {"type": "Hard"}),
    ("unlock_connector", {"connector_id": 2}, "UnlockConnector", {"connectorId": 2}),
    ("get_diagnostics", {"location": "ftp://example.test/diag", "retries": 2,
                         "retry_interval": 30, "start_time": WHEN}, "GetDiagnostics",
     {"location": "ftp://example.test/diag", "startTime": "2026-03-01T12:00:00Z"}),
    ("update_firmware", {"location": "https://example.test/fw.bin", "retrieve_date": WHEN},
     "UpdateFirmware", {"retrieveDate": "2026-03-01T12:00:00Z"}),
    ("send_local_list", {"list_version": 3, "update_type": "Full",
                         "local_authorization_list": {"GOOD": TagEntry("Accepted",
                                                                       parent_id_tag="FLEET")}},
     "SendLocalList", {"listVersion": 3, "localAuthorizationList": [
         {"idTag": "GOOD", "idTagInfo": {"status": "Accepted", "parentIdTag": "FLEET"}}]}),
    ("get_local_list_version", {}, "GetLocalListVersion", {}),
    ("reserve_now", {"connector_id": 1, "expiry_date": WHEN, "id_tag": "GOOD",
                     "reservation_id": 5, "parent_id_tag": "FLEET"}, "ReserveNow",
     {"reservationId": 5, "expiryDate": "2026-03-01T12:00:00Z", "parentIdTag": "FLEET"}),
    ("cancel_reservation", {"reservation_id": 5}, "CancelReservation", {"reservationId": 5}),
    ("trigger_message", {"requested_message": "StatusNotification", "connector_id": 1},
     "TriggerMessage", {"requestedMessage": "StatusNotification", "connectorId": 1}),
    ("set_charging_profile", {"connector_id": 0, "cs_charging_profiles": PROFILE},
     "SetChargingProfile", {"connectorId": 0, "csChargingProfiles": PROFILE}),
    ("clear_charging_profile", {"id": 7, "charging_profile_purpose": "TxDefaultProfile"},
     "ClearChargingProfile", {"id": 7, "chargingProfilePurpose": "TxDefaultProfile"}),
    ("get_composite_schedule", {"connector_id": 1, "duration": 3600, "charging_rate_unit": "W"},
     "GetCompositeSchedule", {"connectorId": 1, "duration": 3600, "chargingRateUnit": "W"}),
]  # fmt: skip


def make_config(tmp_path) -> CsmsConfig:
    return CsmsConfig(db_path=tmp_path / "csms.db", clock=ManualClock(WHEN))


@pytest.fixture
async def csms(tmp_path):
    async with CentralSystem(make_config(tmp_path)) as central:
        yield central


def test_every_csms_initiated_core_and_profile_action_has_a_helper():
    """1.6 §5: each CSMS-initiated message of the six profiles is covered by a helper case."""
    assert {case[2] for case in CASES} == set(DEFAULT_REPLIES_16)
    assert all(hasattr(CentralSystem, case[0]) for case in CASES)


@pytest.mark.parametrize(("helper", "kwargs", "action", "fields"), CASES, ids=[c[0] for c in CASES])
async def test_each_helper_sends_a_schema_valid_request_and_returns_the_reply(
    csms, helper, kwargs, action, fields
):
    """1.6 §5: the request leaves as the action's schema demands and the station's
    reply comes back unchanged."""
    reply = {**DEFAULT_REPLIES_16[action]}
    if action == "DataTransfer":
        reply["data"] = "pong"  # a reply the default would not give: proves it is passed on
    async with stub_station(csms.url, "CP1", replies={action: reply}) as cp:
        await cp.boot()
        got = await getattr(csms, helper)("CP1", **kwargs)
        assert got == reply
        assert len(cp.received) == 1
        sent_action, payload = cp.received[0]
        assert sent_action == action
        schemas.validate("1.6", action, payload, response=False)
        assert {k: payload[k] for k in fields} == fields


async def test_a_station_answering_not_implemented_raises_call_error(csms):
    """OCPP-J 1.6 §4.2.3: a CALLERROR reply surfaces as CallError with its code."""

    async def refuse(payload):
        raise OcppError(ErrorKind.NOT_IMPLEMENTED, "no smart charging here")

    async with stub_station(csms.url, "CP1", replies={"SetChargingProfile": refuse}) as cp:
        await cp.boot()
        with pytest.raises(CallError) as err:
            await csms.set_charging_profile("CP1", 1, PROFILE)
        assert (err.value.code, err.value.description) == (
            "NotImplemented",
            "no smart charging here",
        )


async def test_an_invalid_reply_from_a_station_raises_invalid_reply(csms):
    """OCPP-J 1.6 §4.2.2: the CSMS validates the CALLRESULT against the response schema."""
    replies = {"Reset": {"status": "Maybe"}}
    async with stub_station(csms.url, "CP1", replies=replies, validate=False) as cp:
        await cp.boot()
        with pytest.raises(InvalidReply):
            await csms.reset("CP1")


async def test_an_invalid_request_never_leaves_the_csms(csms):
    async with stub_station(csms.url, "CP1") as cp:
        await cp.boot()
        with pytest.raises(InvalidOutgoing):
            await csms.reset("CP1", "Gentle")
        assert cp.received == []


@pytest.mark.parametrize(
    ("frame", "msg_id", "code"),
    [
        ('[2, "m1", "Heartbeat"', "-1", "FormationViolation"),
        ('[2, "m2", "Teleport", {}]', "m2", "NotImplemented"),
        ('[2, "m3", "StatusNotification", {"connectorId": "one", "errorCode": "NoError", '
         '"status": "Available"}]', "m3", "TypeConstraintViolation"),
    ],
)  # fmt: skip
async def test_bad_frames_from_a_station_get_spec_callerror_codes(csms, frame, msg_id, code):
    """OCPP-J 1.6 §4.2.3 (errata spellings): the session answers malformed frames."""
    link = await open_link(LinkConfig(csms.url, "RAW"))
    try:
        await link.send(frame)
        answer = orjson.loads(await link.recv())
    finally:
        await link.close()
    assert answer[:3] == [4, msg_id, code]
