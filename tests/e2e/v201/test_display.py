"""Display messages over a loopback CSMS (O01-O06) and what the virtual display shows."""

from __future__ import annotations

from datetime import timedelta

from bench.csms.server import CentralSystem
from bench.ocpp.common.timestamps import iso
from bench.ocpp.v201.display import DisplayMessagesChanged
from tests.e2e.conftest import WAIT, wait_until
from tests.e2e.v201.conftest import Cp201Factory
from tests.e2e.v201.test_monitoring_support import start_charging


def message(mid: int, text: str, priority: str = "NormalCycle", fmt: str = "UTF8", **kw) -> dict:
    return {
        "message": {
            "id": mid,
            "priority": priority,
            "message": {"format": fmt, "content": text},
            **kw,
        }
    }


async def test_set_display_message_answers_every_status(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """O01.FR.01/03/11, O02.FR.01, O06.FR.01: priorities, formats, capacity, transactions."""
    cp = await make_cp201(
        csms.url,
        "DSP1",
        variables={"DisplayMessageCtrlr.SupportedPriorities": "InFront,NormalCycle"},
    )

    async def status(payload: dict) -> str:
        return (await csms.call("DSP1", "SetDisplayMessage", payload))["status"]

    assert await status(message(1, "Hello")) == "Accepted"
    assert await status(message(2, "Front", "AlwaysFront")) == "NotSupportedPriority"
    assert await status(message(3, "http://x", fmt="URI")) == "NotSupportedMessageFormat"
    assert await status(message(4, "Tx", transactionId="no-such-tx")) == "UnknownTransaction"
    assert await status(message(5, "Elsewhere", display={"name": "Billboard"})) == "Rejected"
    assert await status(message(1, "Hello again")) == "Accepted"  # O06.FR.01: replaced
    assert [m["message"]["content"] for m in cp.display.messages()] == ["Hello again"]
    for mid in range(10, 19):
        assert await status(message(mid, f"m{mid}")) == "Accepted"
    assert await status(message(99, "one too many")) == "Rejected"  # O01.FR.11: 10 fit
    assert cp.variable("DisplayMessageCtrlr", "DisplayMessages") == "10"


async def test_get_display_messages_streams_parts_and_filters(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """O03.FR.01-06, O04.FR.01/02: NotifyDisplayMessages with requestId and tbc; Unknown."""
    await make_cp201(
        csms.url, "DSP2", variables={"DeviceDataCtrlr.ItemsPerMessage[GetReport]": "1"}
    )
    reply = await csms.call("DSP2", "GetDisplayMessages", {"requestId": 1})
    assert reply["status"] == "Unknown"  # O03.FR.06: none configured
    await csms.call("DSP2", "SetDisplayMessage", message(1, "a"))
    await csms.call("DSP2", "SetDisplayMessage", message(2, "b", "InFront"))
    mark = csms.mark()
    reply = await csms.call("DSP2", "GetDisplayMessages", {"requestId": 5})
    assert reply["status"] == "Accepted"
    parts = [
        await csms.wait_for_message("DSP2", "NotifyDisplayMessages", timeout=WAIT, since=mark)
        for _ in range(2)
    ]
    assert [(p["requestId"], p["tbc"]) for p in parts] == [(5, True), (5, False)]
    assert [p["messageInfo"][0]["id"] for p in parts] == [1, 2]
    reply = await csms.call(
        "DSP2", "GetDisplayMessages", {"requestId": 6, "priority": "AlwaysFront"}
    )
    assert reply["status"] == "Unknown"  # O04.FR.02


async def test_clear_display_message(csms: CentralSystem, make_cp201: Cp201Factory) -> None:
    """O05.FR.01 Accepted, O05.FR.02 Unknown; the GUI hears DisplayMessagesChanged."""
    cp = await make_cp201(csms.url, "DSP3")
    changes: list[object] = []
    cp.events.subscribe(
        lambda e: changes.append(e) if isinstance(e, DisplayMessagesChanged) else None
    )
    await csms.call("DSP3", "SetDisplayMessage", message(7, "bye"))
    assert (await csms.call("DSP3", "ClearDisplayMessage", {"id": 7}))["status"] == "Accepted"
    assert (await csms.call("DSP3", "ClearDisplayMessage", {"id": 7}))["status"] == "Unknown"
    assert cp.display.messages() == [] and len(changes) >= 2


async def test_the_display_shows_by_priority_and_time_window(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """O01.FR.06/07: not before startDateTime, removed after endDateTime;
    O01.FR.13/15/16: AlwaysFront beats InFront and the station's own text; a new one replaces."""
    cp = await make_cp201(csms.url, "DSP4")
    now = cp.clock.now()
    cp.display.show_text("Welcome", 1)
    assert cp.display.current(1).content == "Welcome"
    await csms.call("DSP4", "SetDisplayMessage", message(1, "Info", "InFront"))
    assert cp.display.current(1).content in ("Info", "Welcome")  # InFront ones take turns
    later = iso(now + timedelta(seconds=60))
    end = iso(now + timedelta(seconds=120))
    await csms.call(
        "DSP4",
        "SetDisplayMessage",
        message(2, "Closing soon", "AlwaysFront", startDateTime=later, endDateTime=end),
    )
    assert cp.display.current(1).content != "Closing soon"  # O01.FR.06
    await wait_until(lambda: cp.display.current(1).content == "Closing soon", what="start")
    await csms.call("DSP4", "SetDisplayMessage", message(3, "Now this", "AlwaysFront"))
    assert [m["id"] for m in cp.display.messages()] == [1, 3]  # O01.FR.16
    assert cp.display.current(1).content == "Now this"
    await csms.call("DSP4", "ClearDisplayMessage", {"id": 3})
    await csms.call(
        "DSP4", "SetDisplayMessage", message(4, "Short", "AlwaysFront", endDateTime=later)
    )
    await wait_until(lambda: 4 not in [m["id"] for m in cp.display.messages()], what="expiry")


async def test_a_transaction_message_shows_while_it_runs_and_goes_with_it(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """O02.FR.02: a message for a transaction is removed when the transaction ends."""
    cp = await make_cp201(csms.url, "DSP5")
    connector = start_charging(cp)
    await wait_until(lambda: cp.transactions.active(1) is not None, what="transaction")
    tx_id = cp.transactions.active(1).transaction_id
    reply = await csms.call("DSP5", "SetDisplayMessage", message(1, "Yours", transactionId=tx_id))
    assert reply["status"] == "Accepted"
    assert cp.display.current(1).content == "Yours"
    cp.present_id("TAG1", 1)
    await wait_until(lambda: connector.transaction is None, what="transaction ended")
    await wait_until(lambda: cp.display.messages() == [], what="message removed")


async def test_messages_survive_a_restart(
    csms: CentralSystem, make_cp201: Cp201Factory, tmp_path
) -> None:
    """O01.FR.10: configured messages are persistent."""
    db = tmp_path / "keep.db"
    cp = await make_cp201(csms.url, "DSP6", db_path=db)
    await csms.call("DSP6", "SetDisplayMessage", message(3, "Still here"))
    await cp.stop(drain_timeout=1.0)
    again = await make_cp201(csms.url, "DSP6", db_path=db)
    assert [m["message"]["content"] for m in again.display.messages()] == ["Still here"]
    assert again.variable("DisplayMessageCtrlr", "DisplayMessages") == "1"
