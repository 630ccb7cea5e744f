"""Gap closed in blocks C/D: LocalAuthListCtrlr.SupportsExpiryDateTime (part 2 §2.5.8) and the
cacheExpiryDateTime of local list entries (C13.FR.02/05/06, C14.FR.02/04/05)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bench.csms.server import CentralSystem
from bench.ocpp.common.timestamps import iso
from bench.ocpp.v201.charge_point import ChargePoint201
from tests.e2e.conftest import wait_until
from tests.e2e.v201.conftest import Cp201Factory, request

DAY = timedelta(days=1)


def tok(value: str) -> dict[str, Any]:
    return {"idToken": value, "type": "ISO14443"}


def listed(value: str, expiry: str | None) -> dict[str, Any]:
    info: dict[str, Any] = {"status": "Accepted"}
    if expiry is not None:
        info["cacheExpiryDateTime"] = expiry
    return {"idToken": tok(value), "idTokenInfo": info}


async def send_list(csms: CentralSystem, cp: ChargePoint201) -> None:
    """LAPSED expired a day ago, FRESH expires tomorrow, FOREVER has no date."""
    now = cp.clock.now()
    payload = {
        "versionNumber": 1,
        "updateType": "Full",
        "localAuthorizationList": [
            listed("LAPSED", iso(now - DAY)),
            listed("FRESH", iso(now + DAY)),
            listed("FOREVER", None),
        ],
    }
    assert (await csms.call("CS1", "SendLocalList", payload))["status"] == "Accepted"


async def test_the_station_reports_that_it_honours_list_expiry(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """Part 2 §2.5.8: LocalAuthListCtrlr.SupportsExpiryDateTime is a ReadOnly boolean, true."""
    await make_cp201(csms.url, "CS1")
    data = {
        "component": {"name": "LocalAuthListCtrlr"},
        "variable": {"name": "SupportsExpiryDateTime"},
    }
    reply = await csms.call("CS1", "GetVariables", {"getVariableData": [data]})
    result = reply["getVariableResult"][0]
    assert (result["attributeStatus"], result["attributeValue"]) == ("Accepted", "true")
    data["attributeValue"] = "false"
    reply = await csms.call("CS1", "SetVariables", {"setVariableData": [data]})
    assert reply["setVariableResult"][0]["attributeStatus"] == "Rejected"


async def test_online_an_expired_list_entry_is_checked_with_the_csms(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """C14.FR.04: Accepted and not expired (or no date) -> charging without AuthorizeRequest;
    C14.FR.05: expired -> AuthorizeRequest as if not in the list (the CSMS does not know it)."""
    cp = await make_cp201(csms.url, "CS1")
    await send_list(csms, cp)
    assert (await cp.auth.authorize(tok("FRESH")))["status"] == "Accepted"
    assert (await cp.auth.authorize(tok("FOREVER")))["status"] == "Accepted"
    assert request(cp, "Authorize") == []
    verdict = await cp.auth.authorize(tok("LAPSED"))
    assert request(cp, "Authorize") == [{"idToken": tok("LAPSED")}]
    assert verdict["status"] != "Accepted"


async def test_without_support_the_expiry_date_is_not_checked(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """C14.FR.02 / C13.FR.02: SupportsExpiryDateTime false -> the date is ignored, online and
    offline: an Accepted entry authorizes without the CSMS."""
    cp = await make_cp201(
        csms.url, "CS1", variables={"LocalAuthListCtrlr.SupportsExpiryDateTime": "false"}
    )
    await send_list(csms, cp)
    assert (await cp.auth.authorize(tok("LAPSED")))["status"] == "Accepted"
    cp.cut_network()
    await wait_until(lambda: not cp.accepted, what="offline")
    assert (await cp.auth.authorize(tok("LAPSED")))["status"] == "Accepted"
    assert request(cp, "Authorize") == []


async def test_offline_an_expired_list_entry_is_refused_even_for_unknown_ids(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """C13.FR.05: offline only unexpired Accepted entries authorize; C13.FR.06: with
    OfflineTxForUnknownIdEnabled an unknown id is Accepted, but an expired entry is not an
    unknown id and stays refused."""
    cp = await make_cp201(
        csms.url,
        "CS1",
        variables={"AuthCtrlr.OfflineTxForUnknownIdEnabled": "true"},
    )
    await send_list(csms, cp)
    cp.cut_network()
    await wait_until(lambda: not cp.accepted, what="offline")
    assert (await cp.auth.authorize(tok("FRESH")))["status"] == "Accepted"
    assert (await cp.auth.authorize(tok("NEVER-SEEN")))["status"] == "Accepted"
    assert (await cp.auth.authorize(tok("LAPSED")))["status"] == "Expired"
    assert request(cp, "Authorize") == []
