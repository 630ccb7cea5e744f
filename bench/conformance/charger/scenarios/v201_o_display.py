"""2.0.1 block O, Display message: charging-station test cases (part 6 §2.15, TC_O_01-39 CS).

The notes of a case on what the display shows ("the display message is displayed as
configured") are for a person watching the charger; the OCTT validates none of them,
and neither does the bench. What it validates are the station's replies and its
NotifyDisplayMessagesRequests, field by field.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bench.conformance.charger import physical
from bench.conformance.charger import states201 as v201
from bench.conformance.charger import states_display as dm
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.charger.states_smart import later, stamp
from bench.conformance.expect import present

FIRST, SECOND = 11, 12  # <Generated displayMessageId>, <Generated displayMessage2Id>
SESSION = ("present_token", "plug_in", "unplug")


# ---------------------------------------------------------------- Set Display Message (O01, O06)
@scenario("TC_O_01_CS")
async def set_message(ctx: ChargerRun) -> None:
    sent = await dm.message(ctx, FIRST)
    await dm.set_message(ctx, sent, step=2, require=False)  # O01.FR.12
    infos = await dm.displayed(ctx, {"id": [FIRST]}, reply_step=4, notify_step=5)
    dm.check_info(ctx, 5, infos, sent, "priority", "message.format", "message.content")


@scenario("TC_O_12_CS")
async def replace_message(ctx: ChargerRun) -> None:
    await dm.memory_message(ctx, await dm.message(ctx, FIRST))
    again = await dm.message(ctx, FIRST, text=dm.content(ctx) + " (replaced)")
    await dm.set_message(ctx, again, step=2, require=False)  # O06.FR.01: the same id replaces


@scenario("TC_O_13_CS")
async def message_at_start_time(ctx: ChargerRun) -> None:
    sent = await dm.message(ctx, FIRST, startDateTime=stamp(later(60)))
    await dm.set_message(ctx, sent, step=2)  # O01.FR.06: shown from startDateTime on
    infos = await dm.displayed(ctx, {"id": [FIRST]}, reply_step=4, notify_step=5)
    _check_present(ctx, 5, infos, "startDateTime")


@scenario("TC_O_14_CS")
async def message_removed_after_end_time(ctx: ChargerRun) -> None:
    wait = dm.window(ctx)
    sent = await dm.message(ctx, FIRST, endDateTime=stamp(later(wait)))
    await dm.set_message(ctx, sent, step=2)
    infos = await dm.displayed(ctx, {"id": [FIRST]}, reply_step=4, notify_step=5)
    _check_present(ctx, 5, infos, "endDateTime")
    await _past(ctx, wait)  # O01.FR.07: removed once endDateTime has passed
    await dm.unknown(ctx, {"id": [FIRST]}, step=8)


@scenario("TC_O_15_CS", physical=("plug_in", "present_token"))
async def language_of_the_driver(ctx: ChargerRun) -> None:
    language = ctx.settings.extra.get("display_language", "nl")

    def with_language(request: dict[str, Any]) -> dict[str, Any]:
        reply = ctx.default_answer("Authorize", request)
        reply["idTokenInfo"]["language1"] = language  # step 2
        return reply

    ctx.answer("Authorize", with_language)
    since = ctx.mark()
    await v201.ev_connected(ctx)  # EVConnectedPreSession
    await v201.authorized(ctx, step=1)  # step 1: the AuthorizeRequest's idToken
    await ctx.station_request(  # step 3: EnergyTransferStarted
        "TransactionEvent",
        step=3,
        since=since,
        match=lambda p: (p.get("transactionInfo") or {}).get("chargingState") == "Charging",
        what="a TransactionEvent with chargingState Charging",
    )
    sent = await dm.message(ctx, FIRST)
    await dm.set_message(ctx, sent, step=5, require=False)  # O01.FR.08


@scenario("TC_O_17_CS")
async def priority_not_supported(ctx: ChargerRun) -> None:
    have = await dm.priorities(ctx)
    missing = [p for p in dm.PRIORITIES if p not in have]
    if not missing:
        ctx.not_applicable(
            "the station supports every message priority (UI-1.1, UI-1.2 and UI-1.3: "
            f"DisplayMessageCtrlr.SupportedPriorities {','.join(have)})"
        )
    sent = await dm.message(ctx, FIRST, priority=missing[0])
    await dm.set_message(ctx, sent, step=2, status="NotSupportedPriority", require=False)


@scenario("TC_O_18_CS")
async def state_not_supported(ctx: ChargerRun) -> None:
    # No device-model variable lists the supported states: the operator names one.
    state = ctx.settings.extra.get("unsupported_display_state")
    if not state:
        ctx.not_applicable(
            "no message state the station does not support is declared (setting "
            "unsupported_display_state), and its device model lists none: it is taken to "
            "support every MessageStateEnumType value (" + ", ".join(dm.STATES) + ")"
        )
    sent = await dm.message(ctx, FIRST, state=state)
    await dm.set_message(ctx, sent, step=2, status="NotSupportedState", require=False)


@scenario("TC_O_19_CS")
async def format_not_supported(ctx: ChargerRun) -> None:
    have = await dm.formats(ctx)
    missing = [f for f in dm.FORMATS if f not in have]
    if not missing:
        ctx.not_applicable(
            "the station supports every message format (UI-2.1 to UI-2.4: "
            f"DisplayMessageCtrlr.SupportedFormats {','.join(have)})"
        )
    sent = await dm.message(ctx, FIRST, fmt=missing[0])
    await dm.set_message(ctx, sent, step=2, status="NotSupportedMessageFormat", require=False)


@scenario("TC_O_20_CS")
async def persistent_over_reboot(ctx: ChargerRun) -> None:
    sent = await dm.message(ctx, FIRST)
    await dm.set_message(ctx, sent, step=2)
    await v201.booted(ctx, via="reset", step=3)  # O01.FR.10: kept over the reboot
    infos = await dm.displayed(ctx, {"id": [FIRST]}, reply_step=5, notify_step=6)
    dm.check_info(ctx, 6, infos, sent, "priority", "message.format", "message.content")


@scenario("TC_O_22_CS")
async def two_in_front(ctx: ChargerRun) -> None:
    await dm.needs_priority(ctx, "InFront", "UI-1.2")
    first = await dm.message(ctx, FIRST, priority="InFront")
    second = await dm.message(ctx, SECOND, priority="InFront", text=dm.content(ctx) + " 2")
    await dm.set_message(ctx, first, step=2)
    await dm.set_message(ctx, second, step=4)  # O01.FR.14: both stay, taking turns
    await dm.displayed(ctx, {"id": [FIRST]}, reply_step=6, notify_step=7, request_id=1)
    await dm.displayed(ctx, {"id": [SECOND]}, reply_step=10, notify_step=11, request_id=2)


@scenario("TC_O_24_CS")
async def second_always_front(ctx: ChargerRun) -> None:
    await dm.needs_priority(ctx, "AlwaysFront", "UI-1.1")
    first = await dm.message(ctx, FIRST, priority="AlwaysFront")
    second = await dm.message(ctx, SECOND, priority="AlwaysFront", text=dm.content(ctx) + " 2")
    await dm.set_message(ctx, first, step=2)
    await dm.set_message(ctx, second, step=4)
    await dm.unknown(ctx, {"id": [FIRST]}, step=6)  # O01.FR.16: the second replaced it
    await dm.displayed(ctx, {"id": [SECOND]}, reply_step=8, notify_step=9, request_id=2)


# ---------------------------------------------------------------- per transaction (O02)
@scenario("TC_O_06_CS", physical=SESSION)
async def transaction_message(ctx: ChargerRun) -> None:
    await v201.energy_transfer_started(ctx)
    sent = await dm.message(ctx, FIRST, transactionId=v201.transaction_id(ctx))
    await dm.set_message(ctx, sent, step=1)
    await dm.session_ended(ctx, step=3)
    await dm.unknown(ctx, {"id": [FIRST]}, step=8)  # O02.FR.02: gone with its transaction


@scenario("TC_O_10_CS")
async def unknown_transaction(ctx: ChargerRun) -> None:
    sent = await dm.message(ctx, FIRST, transactionId="OCTT-UNKNOWN-TRANSACTION")
    await dm.set_message(ctx, sent, step=2, status="UnknownTransaction", require=False)


@scenario("TC_O_27_CS", physical=SESSION)
async def transaction_message_at_start_time(ctx: ChargerRun) -> None:
    await v201.energy_transfer_started(ctx)
    sent = await dm.message(
        ctx, FIRST, transactionId=v201.transaction_id(ctx), startDateTime=stamp(later(60))
    )
    await dm.set_message(ctx, sent, step=2)  # O02.FR.06
    await dm.session_ended(ctx, step=3)
    await dm.unknown(ctx, {"id": [FIRST]}, step=8)


@scenario("TC_O_28_CS", physical=("present_token", "plug_in"))
async def transaction_message_until_end_time(ctx: ChargerRun) -> None:
    await v201.energy_transfer_started(ctx)
    wait = dm.window(ctx)
    sent = await dm.message(
        ctx, FIRST, transactionId=v201.transaction_id(ctx), endDateTime=stamp(later(wait))
    )
    await dm.set_message(ctx, sent, step=2)
    await _past(ctx, wait)  # O02.FR.07: removed after endDateTime, the transaction goes on
    await dm.unknown(ctx, {"id": [FIRST]}, step=4)


@scenario("TC_O_30_CS", physical=SESSION)
async def transaction_two_in_front(ctx: ChargerRun) -> None:
    await dm.needs_priority(ctx, "InFront", "UI-1.2")
    await v201.energy_transfer_started(ctx)
    tx = v201.transaction_id(ctx)
    first = await dm.message(ctx, FIRST, priority="InFront", transactionId=tx)
    second = await dm.message(
        ctx, SECOND, priority="InFront", transactionId=tx, text=dm.content(ctx) + " 2"
    )
    await dm.set_message(ctx, first, step=2)
    await dm.set_message(ctx, second, step=4)  # O02.FR.16
    infos = await dm.displayed(ctx, {"id": [FIRST]}, reply_step=6, notify_step=7, request_id=1)
    dm.check_info(ctx, 7, infos, first, "transactionId", "priority", "message.content")
    infos = await dm.displayed(ctx, {"id": [SECOND]}, reply_step=10, notify_step=11, request_id=2)
    dm.check_info(ctx, 11, infos, second, "transactionId", "priority", "message.content")
    await dm.session_ended(ctx, step=13)
    await dm.unknown(ctx, {"id": [FIRST]}, step=18)
    await dm.unknown(ctx, {"id": [SECOND]}, step=20)


@scenario("TC_O_32_CS", physical=SESSION)
async def transaction_second_always_front(ctx: ChargerRun) -> None:
    await dm.needs_priority(ctx, "AlwaysFront", "UI-1.1")
    await v201.energy_transfer_started(ctx)
    tx = v201.transaction_id(ctx)
    first = await dm.message(ctx, FIRST, priority="AlwaysFront", transactionId=tx)
    second = await dm.message(
        ctx, SECOND, priority="AlwaysFront", transactionId=tx, text=dm.content(ctx) + "2"
    )
    await dm.set_message(ctx, first, step=2)
    await dm.set_message(ctx, second, step=4)
    await dm.unknown(ctx, {"id": [FIRST]}, step=6)  # O02.FR.18: the second replaced it
    # Steps 7-9 ask for the message that is left: the second one.
    infos = await dm.displayed(ctx, {"id": [SECOND]}, reply_step=8, notify_step=9, request_id=2)
    dm.check_info(ctx, 9, infos, second, "transactionId", "priority", "message.content")
    await dm.session_ended(ctx, step=11)
    await dm.unknown(ctx, {"id": [SECOND]}, step=16)  # gone with its transaction


# ---------------------------------------------------------------- Get Display Messages (O03, O04)
@scenario("TC_O_02_CS")
async def get_all(ctx: ChargerRun) -> None:
    sent = await dm.message(ctx, FIRST)
    await dm.memory_message(ctx, sent)
    infos = await dm.displayed(ctx, {}, reply_step=2, notify_step=3)  # O03.FR.01-05
    dm.check_info(ctx, 3, infos, sent, "priority", "message.content")


@scenario("TC_O_03_CS")
async def get_all_without_messages(ctx: ChargerRun) -> None:
    await dm.unknown(ctx, {}, step=2)  # O03.FR.06


@scenario("TC_O_07_CS")
async def get_by_id(ctx: ChargerRun) -> None:
    sent = await dm.message(ctx, FIRST)
    await dm.memory_message(ctx, sent)
    infos = await dm.displayed(ctx, {"id": [FIRST]}, reply_step=2, notify_step=3)
    dm.check_info(ctx, 3, infos, sent, "priority")


@scenario("TC_O_08_CS")
async def get_by_priority(ctx: ChargerRun) -> None:
    sent = await dm.message(ctx, FIRST)
    await dm.memory_message(ctx, sent)
    infos = await dm.displayed(ctx, {"priority": sent["priority"]}, reply_step=2, notify_step=3)
    dm.check_info(ctx, 3, infos, sent, "priority")


@scenario("TC_O_09_CS")
async def get_by_state(ctx: ChargerRun) -> None:
    state = ctx.settings.extra.get("display_state", "Charging")
    sent = await dm.message(ctx, FIRST, state=state)
    await dm.memory_message(ctx, sent)
    infos = await dm.displayed(ctx, {"state": state}, reply_step=2, notify_step=3)
    dm.check_info(ctx, 3, infos, sent, "state")


@scenario("TC_O_11_CS")
async def get_unknown_id(ctx: ChargerRun) -> None:
    await dm.memory_message(ctx, await dm.message(ctx, FIRST))
    await dm.unknown(ctx, {"id": [SECOND]}, step=2)  # O04.FR.02


@scenario("TC_O_33_CS")
async def get_id_without_messages(ctx: ChargerRun) -> None:
    await dm.unknown(ctx, {"id": [FIRST]}, step=2)  # O04.FR.07


@scenario("TC_O_34_CS")
async def get_id_other_state(ctx: ChargerRun) -> None:
    await dm.memory_message(ctx, await dm.message(ctx, FIRST, state="Charging"))
    await dm.unknown(ctx, {"id": [FIRST], "state": "Idle"}, step=2)  # O04.FR.02


@scenario("TC_O_35_CS")
async def get_id_other_priority(ctx: ChargerRun) -> None:
    have = await dm.priorities(ctx)
    if len(have) < 2:
        ctx.not_applicable(
            "the station supports one message priority (DisplayMessageCtrlr."
            f"SupportedPriorities {','.join(have) or 'empty'}); the case needs two"
        )
    await dm.memory_message(ctx, await dm.message(ctx, FIRST, priority=have[0]))
    await dm.unknown(ctx, {"id": [FIRST], "priority": have[1]}, step=2)  # O04.FR.02


# ---------------------------------------------------------------- Clear Display Message (O05)
@scenario("TC_O_04_CS")
async def clear_message(ctx: ChargerRun) -> None:
    await dm.memory_message(ctx, await dm.message(ctx, FIRST))
    reply = await ctx.request("ClearDisplayMessage", {"id": FIRST}, step=1)
    ctx.check(2, "ClearDisplayMessageResponse", reply, "status", "Accepted")  # O05.FR.01
    await dm.unknown(ctx, {"id": [FIRST]}, step=4)


@scenario("TC_O_05_CS")
async def clear_unknown(ctx: ChargerRun) -> None:
    reply = await ctx.request("ClearDisplayMessage", {"id": FIRST}, step=1)
    ctx.check(2, "ClearDisplayMessageResponse", reply, "status", "Unknown")  # O05.FR.02


# ---------------------------------------------------------------- messages bound to a state
@scenario("TC_O_36_CS", physical=SESSION)
async def state_charging(ctx: ChargerRun) -> None:
    await _through_a_session(ctx, "Charging")


@scenario("TC_O_37_CS", physical=SESSION)
async def state_idle(ctx: ChargerRun) -> None:
    await _through_a_session(ctx, "Idle")


async def _through_a_session(ctx: ChargerRun, state: str) -> None:
    """TC_O_36/37: a message for ``state``; a whole session; it is still configured."""
    sent = await dm.message(ctx, FIRST, state=state)
    await dm.set_message(ctx, sent, step=2)
    await v201.energy_transfer_started(ctx, step=4)  # ParkingBayOccupied .. EnergyTransferStarted
    await dm.session_ended(ctx, step=7)
    infos = await dm.displayed(ctx, {"id": [FIRST]}, reply_step=12, notify_step=13)
    dm.check_info(ctx, 13, infos, sent, "state")


@scenario("TC_O_38_CS")
async def state_unavailable(ctx: ChargerRun) -> None:
    sent = await dm.message(ctx, FIRST, state="Unavailable")
    await dm.set_message(ctx, sent, step=2)
    # Step 3, Reusable State Unavailable (its own steps 1-3 reported as step 3).
    await _availability(ctx, "Inoperative", "Unavailable", steps=(3, 3, 3))
    await _availability(ctx, "Operative", "Available", steps=(4, 5, 6))
    infos = await dm.displayed(ctx, {"id": [FIRST]}, reply_step=9, notify_step=10)
    dm.check_info(ctx, 10, infos, sent, "state")


@scenario("TC_O_39_CS", physical=("raise_fault", "clear_fault"))
async def state_faulted(ctx: ChargerRun) -> None:
    sent = await dm.message(ctx, FIRST, state="Faulted", text="Faulted")
    await dm.set_message(ctx, sent, step=2)
    since = ctx.mark()
    await physical.fault(ctx)
    await v201.connector_status(ctx, "Faulted", since=since, step=None)
    since = ctx.mark()
    await physical.clear_fault(ctx)
    await v201.connector_status(ctx, "Available", since=since, step=None)
    infos = await dm.displayed(ctx, {"id": [FIRST]}, reply_step=4, notify_step=5)
    dm.check_info(ctx, 5, infos, sent, "state")


# ---------------------------------------------------------------- helpers
async def _availability(
    ctx: ChargerRun, operational: str, status: str, *, steps: tuple[int, int, int]
) -> None:
    """ChangeAvailability of the configured EVSE (``steps``: the request, its response and
    the status report); Accepted, and its connector's new status."""
    step, reply_step, status_step = steps
    since = ctx.mark()
    reply = await ctx.request(
        "ChangeAvailability",
        {
            "operationalStatus": operational,
            "evse": {"id": ctx.settings.evse_id, "connectorId": ctx.settings.connector_id},
        },
        step=step,
    )
    ctx.check(reply_step, "ChangeAvailabilityResponse", reply, "status", "Accepted")
    await v201.connector_status(ctx, status, since=since, step=status_step)


def _check_present(ctx: ChargerRun, step: int, infos: list[dict[str, Any]], path: str) -> None:
    """The notified message's ``path`` "should not be omitted"."""
    mine = [i for i in infos if i.get("id") == FIRST] or [{}]
    ctx.check(step, "NotifyDisplayMessagesRequest", mine[0], path, present())


async def _past(ctx: ChargerRun, seconds: float) -> None:
    """Wait out the case's time window (the station removes the message at its end)."""
    await asyncio.sleep(seconds + 1.0)
