"""CustomerInformation of 2.0.1 (N09 report, N10 clear) over a loopback CSMS."""

from __future__ import annotations

from typing import Any

from bench.kernel.frames import FanOut
from bench.store.messages import MessageLog
from tests.e2e.conftest import WAIT, wait_until
from tests.e2e.v201.sec_support import stored

TOKEN = {"idToken": "TAG1", "type": "ISO14443"}


def customer(request_id: int, *, report: bool, clear: bool, **ref: Any) -> dict[str, Any]:
    return {"requestId": request_id, "report": report, "clear": clear, **ref}


def parts(csms, request_id: int) -> list[dict[str, Any]]:
    return [p for p in stored(csms, "NotifyCustomerInformation") if p["requestId"] == request_id]


async def test_requests_that_name_no_single_customer_or_ask_nothing_are_refused(
    csms, make_cp201
) -> None:
    """N09.FR.09: none or more than one of idToken, customerCertificate, customerIdentifier is
    Invalid; N09.FR.07 / N10.FR.07: neither report nor clear is Rejected."""
    await make_cp201(csms.url)
    reply = await csms.call("CS1", "CustomerInformation", customer(1, report=True, clear=False))
    assert reply["status"] == "Invalid"
    both = customer(2, report=True, clear=False, idToken=TOKEN, customerIdentifier="C-1")
    assert (await csms.call("CS1", "CustomerInformation", both))["status"] == "Invalid"
    idle = customer(3, report=False, clear=False, idToken=TOKEN)
    assert (await csms.call("CS1", "CustomerInformation", idle))["status"] == "Rejected"


async def test_a_report_lists_what_the_station_holds_and_clear_removes_the_cached_token(
    csms, make_cp201
) -> None:
    """N09.FR.02/05: Accepted, then NotifyCustomerInformation with the station's records of the
    customer (its Authorize request); N10.FR.03: report and clear removes the cached
    authorization (cp.auth.forget_customer) and says so; N09.FR.06 / N10.FR.04: afterwards
    a customer without data gets one part saying nothing was found."""
    cp = await make_cp201(csms.url)
    cp.session.sink = FanOut(cp.session.sink, MessageLog(cp.db))  # keep a real message log
    info = await cp.auth.authorize(TOKEN)
    assert info["status"] == "Accepted"
    reply = await csms.call(
        "CS1", "CustomerInformation", customer(10, report=True, clear=False, idToken=TOKEN)
    )
    assert reply["status"] == "Accepted"
    [report] = await wait_until(lambda: parts(csms, 10), WAIT, "the report")
    assert "Authorize" in report["data"] and report["seqNo"] == 0 and not report.get("tbc")

    both = customer(11, report=True, clear=True, idToken=TOKEN)
    assert (await csms.call("CS1", "CustomerInformation", both))["status"] == "Accepted"
    [cleared] = await wait_until(lambda: parts(csms, 11), WAIT, "the clear report")
    assert "Cleared 1" in cleared["data"]
    assert cp.auth.forget_customer(TOKEN, None) == 0  # already gone

    other = customer(12, report=True, clear=True, customerIdentifier="nobody")
    assert (await csms.call("CS1", "CustomerInformation", other))["status"] == "Accepted"
    [nothing] = await wait_until(lambda: parts(csms, 12), WAIT, "the empty report")
    assert "No data found" in nothing["data"]


async def test_a_long_report_is_sent_in_numbered_parts(csms, make_cp201) -> None:
    """N09.FR.05: one or more NotifyCustomerInformation messages: seqNo from 0, tbc on all
    but the last, data at most 512 characters each."""
    cp = await make_cp201(csms.url)
    cp.session.sink = FanOut(cp.session.sink, MessageLog(cp.db))
    for _ in range(15):
        cp.auth.forget_customer(TOKEN, None)  # no cache: every authorize asks the CSMS
        await cp.auth.authorize(TOKEN)
    request = customer(20, report=True, clear=False, idToken=TOKEN)
    assert (await csms.call("CS1", "CustomerInformation", request))["status"] == "Accepted"
    await wait_until(lambda: parts(csms, 20) and not parts(csms, 20)[-1].get("tbc"), WAIT)
    sent = parts(csms, 20)
    assert len(sent) >= 2
    assert [p["seqNo"] for p in sent] == list(range(len(sent)))
    assert all(p["tbc"] for p in sent[:-1]) and all(len(p["data"]) <= 512 for p in sent)
    assert "".join(p["data"] for p in sent).count("Authorize") == 15
