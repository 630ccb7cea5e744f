"""The built-in CSMS's HTTP control API, driven over 127.0.0.1 against a real CSMS and stations.

The CSMS, its control API and the stations (``stub_station``: a real WebSocket
link and ``OcppSession``) all run on loopback with OS-assigned ports; the HTTP
client is aiohttp's, as an adapter's would be.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest

from bench.csms import CentralSystem, CsmsConfig, TagEntry
from bench.csms.control import ControlServer
from bench.csms.testing import stub_station
from bench.model.clock import ManualClock
from bench.ocpp.errors import ErrorKind, OcppError

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
WAIT = 5.0  # real seconds any one condition may take


class Api:
    """A tiny JSON client: ``status, body = await api.get("/stations")``."""

    def __init__(self, http: aiohttp.ClientSession, base: str) -> None:
        self.http = http
        self.base = base.rstrip("/")

    async def request(self, method: str, path: str, body: object = None) -> tuple[int, dict]:
        async with self.http.request(method, self.base + path, json=body) as response:
            return response.status, await response.json()

    async def get(self, path: str) -> tuple[int, dict]:
        return await self.request("GET", path)

    async def post(self, path: str, body: object) -> tuple[int, dict]:
        return await self.request("POST", path, body)

    async def put(self, path: str, body: object) -> tuple[int, dict]:
        return await self.request("PUT", path, body)

    async def patch(self, path: str, body: object) -> tuple[int, dict]:
        return await self.request("PATCH", path, body)

    async def delete(self, path: str) -> tuple[int, dict]:
        return await self.request("DELETE", path)


@pytest.fixture
async def csms(tmp_path) -> AsyncIterator[CentralSystem]:
    config = CsmsConfig(
        db_path=tmp_path / "csms.db",
        tags={"GOOD": TagEntry("Accepted")},
        clock=ManualClock(T0),
        heartbeat_interval=300,
    )
    async with CentralSystem(config) as central:
        yield central


@pytest.fixture
async def api(csms: CentralSystem) -> AsyncIterator[Api]:
    async with ControlServer(csms) as control, aiohttp.ClientSession() as http:
        assert control.url.startswith("http://127.0.0.1:") and control.port != 0
        yield Api(http, control.url)


async def _poll_done(api: Api, href: str) -> dict:
    """GET a background call until it is done (bounded in time, never a fixed sleep)."""
    async with asyncio.timeout(WAIT):
        while True:
            status, body = await api.get(href)
            assert status == 200
            if body["state"] == "done":
                return body
            await asyncio.sleep(0.01)


# --------------------------------------------------------------------------- stations and calls


async def test_the_control_api_lists_connected_stations_with_their_ocpp_version(csms, api):
    assert await api.get("/stations") == (200, {"stations": []})
    async with stub_station(csms.url, "CP1") as cp:
        await cp.boot()
        status, body = await api.get("/stations")
        assert status == 200
        assert body == {"stations": [{"id": "CP1", "ocpp": "1.6", "registration": "Accepted"}]}
        status, one = await api.get("/stations/CP1")
        assert (status, one["connected"], one["bootCount"]) == (200, True, 1)


async def test_the_control_api_sends_a_reset_to_a_connected_station_and_returns_its_reply(
    csms, api
):
    """1.6 §5.14: the CSMS sends Reset; the station's Reset.conf comes back as the reply."""
    async with stub_station(csms.url, "CP1", replies={"Reset": {"status": "Rejected"}}) as cp:
        await cp.boot()
        status, body = await api.post(
            "/stations/CP1/call", {"action": "Reset", "payload": {"type": "Hard"}}
        )
        assert (status, body) == (200, {"reply": {"status": "Rejected"}})
        assert cp.received == [("Reset", {"type": "Hard"})]


async def test_a_call_to_a_station_that_is_not_connected_is_404_and_names_it(csms, api):
    status, body = await api.post(
        "/stations/NOPE/call", {"action": "Reset", "payload": {"type": "Soft"}}
    )
    assert status == 404 and "NOPE" in body["error"]
    assert (await api.get("/stations/NOPE"))[0] == 404


async def test_a_callerror_from_the_station_comes_back_as_callerror(csms, api):
    async def refuse(payload: dict) -> dict:
        raise OcppError(ErrorKind.NOT_SUPPORTED, "no resets here")

    async with stub_station(csms.url, "CP1", replies={"Reset": refuse}) as cp:
        await cp.boot()
        status, body = await api.post(
            "/stations/CP1/call", {"action": "Reset", "payload": {"type": "Soft"}}
        )
        assert status == 200
        assert body["callerror"]["code"] == "NotSupported"
        assert body["callerror"]["description"] == "no resets here"


async def test_a_payload_that_fails_its_schema_is_refused_with_400_and_nothing_is_sent(csms, api):
    async with stub_station(csms.url, "CP1") as cp:
        await cp.boot()
        status, body = await api.post("/stations/CP1/call", {"action": "Reset", "payload": {}})
        assert status == 400 and "type" in body["error"]
        status, body = await api.post("/stations/CP1/call", {"action": "GetVariables"})
        assert status == 400 and "not an OCPP 1.6 action" in body["error"]
        status, body = await api.post("/stations/CP1/call", {"action": "Reset", "bogus": 1})
        assert status == 400 and "bogus" in body["error"]
        assert cp.received == []


async def test_a_call_the_station_does_not_answer_in_time_is_504(csms, api):
    release = asyncio.Event()

    async def stall(payload: dict) -> dict:
        await release.wait()
        return {"status": "Accepted"}

    async with stub_station(csms.url, "CP1", replies={"ClearCache": stall}) as cp:
        await cp.boot()
        status, body = await api.post(
            "/stations/CP1/call", {"action": "ClearCache", "payload": {}, "timeout": 0.2}
        )
        release.set()  # the stub's read loop may go on and the block end cleanly
        assert status == 504 and "ClearCache" in body["error"]


async def test_a_call_sent_without_waiting_is_202_and_its_reply_is_read_at_its_href(csms, api):
    release = asyncio.Event()

    async def reset(payload: dict) -> dict:
        await release.wait()
        return {"status": "Accepted"}

    async with stub_station(csms.url, "CP1", replies={"Reset": reset}) as cp:
        await cp.boot()
        status, body = await api.post(
            "/stations/CP1/call",
            {"action": "Reset", "payload": {"type": "Soft"}, "wait": False},
        )
        assert status == 202
        href = body["href"]
        assert href == f"/calls/{body['call']}"
        # The API answered while the station still holds the request.
        status, pending = await api.get(href)
        assert pending["state"] == "pending" and pending["action"] == "Reset"
        release.set()
        done = await _poll_done(api, href)
        assert (done["status"], done["reply"]) == (200, {"status": "Accepted"})
    assert (await api.get("/calls/999"))[0] == 404


async def test_a_request_the_registration_state_forbids_is_409_unless_forced(csms, api):
    """1.6 §4.2: no RemoteStartTransaction to a Pending station; force sends it anyway."""
    csms.set_boot_responses("CP1", ["Pending"])
    async with stub_station(csms.url, "CP1") as cp:
        await cp.boot()
        call = {"action": "RemoteStartTransaction", "payload": {"idTag": "GOOD"}}
        status, body = await api.post("/stations/CP1/call", call)
        assert status == 409 and "force" in body["error"]
        assert cp.received == []
        status, body = await api.post("/stations/CP1/call", {**call, "force": True})
        assert (status, body) == (200, {"reply": {"status": "Accepted"}})


# --------------------------------------------------------------------------- boot, tags, settings


async def test_boot_responses_set_through_the_api_make_the_next_boots_pending_then_accepted(
    csms, api
):
    """1.6 §4.2: Pending, then Accepted; the station need not be connected yet."""
    status, body = await api.put(
        "/stations/CP1/boot-responses", {"statuses": ["Pending", "Accepted"]}
    )
    assert (status, body) == (200, {"station": "CP1", "statuses": ["Pending", "Accepted"]})
    async with stub_station(csms.url, "CP1") as cp:
        assert (await cp.boot())["status"] == "Pending"
        assert (await cp.boot())["status"] == "Accepted"
    status, body = await api.put("/stations/CP1/boot-responses", {"statuses": ["Maybe"]})
    assert status == 400 and "Maybe" in body["error"]


async def test_a_tag_status_set_through_the_api_is_what_authorize_returns(csms, api):
    """1.6 §4.1 / §7.28: Authorize.conf carries the CSMS's status (and group as parentIdTag)."""
    async with stub_station(csms.url, "CP1") as cp:
        await cp.boot()
        assert (await cp.call("Authorize", {"idTag": "NEW"}))["idTagInfo"]["status"] == "Invalid"
        assert (await api.put("/tags/NEW", {"status": "Blocked"}))[0] == 200
        assert (await cp.call("Authorize", {"idTag": "NEW"}))["idTagInfo"]["status"] == "Blocked"
        status, body = await api.put("/tags/new", {"status": "Accepted", "group": "FLEET"})
        assert (status, body) == (200, {"idTag": "new", "status": "Accepted", "group": "FLEET"})
        info = (await cp.call("Authorize", {"idTag": "NEW"}))["idTagInfo"]
        assert info == {"status": "Accepted", "parentIdTag": "FLEET"}
        assert (await api.get("/tags"))[1]["tags"]["new"] == {
            "status": "Accepted",
            "group": "FLEET",
        }
        assert await api.delete("/tags/NEW") == (200, {"idTag": "new", "deleted": True})
        assert (await cp.call("Authorize", {"idTag": "NEW"}))["idTagInfo"]["status"] == "Invalid"
        assert (await api.delete("/tags/NEW"))[0] == 404
        status, body = await api.put("/tags/X", {"status": "Maybe"})
        assert status == 400 and "Accepted" in body["error"]
        status, body = await api.put("/tags/X", {"expiryDate": "2020-01-01T00:00:00"})
        assert status == 400 and "time zone" in body["error"]


async def test_a_settings_patch_changes_the_heartbeat_interval_of_the_next_accepted_boot(csms, api):
    """1.6 §4.2: the interval in BootNotification.conf is the CSMS's heartbeat interval."""
    async with stub_station(csms.url, "CP1") as cp:
        assert (await cp.boot())["interval"] == 300
        status, body = await api.patch("/settings", {"heartbeatInterval": 42, "pricePerKwh": 0.3})
        assert status == 200
        assert (body["heartbeatInterval"], body["pricePerKwh"]) == (42, 0.3)
        assert (await cp.boot())["interval"] == 42


async def test_a_settings_patch_with_one_bad_value_changes_nothing(csms, api):
    status, body = await api.patch("/settings", {"heartbeatInterval": 60, "bootResponses": []})
    assert status == 400 and "bootResponses" in body["error"]
    assert (await api.get("/settings"))[1]["heartbeatInterval"] == 300
    status, body = await api.patch("/settings", {"heartbeat": 60})
    assert status == 400 and "heartbeat" in body["error"]


# --------------------------------------------------------------------------- faults and errors


async def test_faults_set_through_the_api_are_listed_and_cleared(csms, api):
    specs = ["reply:BootNotification:status=Rejected", "late:Heartbeat:2"]
    assert await api.put("/faults", {"faults": specs}) == (200, {"faults": specs})
    assert await api.get("/faults") == (200, {"faults": specs})
    async with stub_station(csms.url, "CP1") as cp:
        assert (await cp.boot())["status"] == "Rejected"
    assert await api.delete("/faults") == (200, {"faults": []})
    async with stub_station(csms.url, "CP1") as cp:
        assert (await cp.boot())["status"] == "Accepted"


async def test_a_bad_fault_spec_is_refused_naming_it_and_the_old_list_stays(csms, api):
    await api.put("/faults", {"faults": ["late:Heartbeat:1"]})
    status, body = await api.put("/faults", {"faults": ["reply:Bootnotification:status=X"]})
    assert status == 400 and "Bootnotification" in body["error"]
    assert await api.get("/faults") == (200, {"faults": ["late:Heartbeat:1"]})


async def test_unknown_paths_wrong_methods_and_bodies_that_are_not_json_get_json_errors(csms, api):
    status, body = await api.get("/nothing")
    assert status == 404 and body["error"]
    status, body = await api.request("DELETE", "/stations")
    assert status == 405 and body["error"]
    url = api.base + "/faults"
    async with api.http.put(url, data=b"not json") as response:
        assert response.status == 400
        assert (await response.json())["error"] == "the body must be a JSON object"


async def test_with_an_order_fault_a_call_sent_without_waiting_goes_after_the_next_one(csms, api):
    """How an adapter provokes the wrong order: the first request is sent with "wait": false."""
    await api.put("/faults", {"faults": ["order:Reset,ChangeAvailability"]})
    async with stub_station(csms.url, "CP1") as cp:
        await cp.boot()
        reset = {"action": "Reset", "payload": {"type": "Soft"}, "wait": False}
        status, first = await api.post("/stations/CP1/call", reset)
        assert status == 202
        change = {
            "action": "ChangeAvailability",
            "payload": {"connectorId": 0, "type": "Operative"},
        }
        assert (await api.post("/stations/CP1/call", change))[0] == 200
        done = await _poll_done(api, first["href"])
        assert done["reply"] == {"status": "Accepted"}
        assert [action for action, _ in cp.received] == ["ChangeAvailability", "Reset"]
