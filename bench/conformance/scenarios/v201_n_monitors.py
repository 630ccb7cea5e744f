"""2.0.1 block N, Diagnostics: setting and clearing monitors (N04, N06) and the events
monitors raise (N07, N08) (part 6 §3.15).

The bench's station ships a hard-wired Delta monitor (id 1, severity 2) on
ChargingStation.Problem, a pre-configured one on ChargingStation.AvailabilityState and a
pre-configured Delta monitor of severity 8 per EVSE on EVSE.AvailabilityState. It would
call the case's EVSE monitor a Duplicate of that one (N04.FR.10) where the case assumes
none exists, so the SetVariableMonitoring answers are the case's, scripted. It refuses
to clear its hard-wired monitor for real. NotifyEvents of monitors it does not have
(periodic, threshold, on a write-only variable) are sent as the case gives them: only
the CSMS could set such monitors.
"""

from __future__ import annotations

from typing import Any

from bench.conformance.case_run import CaseRun, Inconclusive
from bench.conformance.expect import field_at
from bench.conformance.scenarios import scenario
from bench.conformance.states_diagnostics import (
    booted,
    csms_call,
    cv,
    empty_body,
    expect_station,
    now_iso,
    reply_accepted,
    scripted_reply,
    station_reply,
)

EVSE_ID = 1  # the OCTT's <Configured evseId>
HARD_WIRED_ID = 1  # the station's hard-wired monitor (ChargingStation.Problem)


# --------------------------------------------------------------------------- N04 set monitors
def _accept_all(request: dict[str, Any]) -> dict[str, Any]:
    """SetVariableMonitoringResponse: every element Accepted with a new id (N04.FR.01/02/11)."""
    results = []
    for n, item in enumerate(request.get("setMonitoringData") or []):
        results.append(
            {
                "status": "Accepted",
                "type": item["type"],
                "severity": item["severity"],
                "component": item["component"],
                "variable": item["variable"],
                "id": 500 + n,
            }
        )
    return {"setMonitoringResult": results}


def _check_monitor(
    ctx: CaseRun, request: dict[str, Any], index: int, component: str, evse: int | None
) -> None:
    path = f"setMonitoringData[{index}]"
    message = "SetVariableMonitoringRequest"
    ctx.check(1, message, request, f"{path}.value", 1)  # N04.FR.17: recommended for Delta
    ctx.check(1, message, request, f"{path}.type", "Delta")
    ctx.check(1, message, request, f"{path}.severity", 8)
    ctx.check(1, message, request, f"{path}.component.name", component)
    if evse is not None:
        ctx.check(1, message, request, f"{path}.component.evse.id", evse)
    ctx.check(1, message, request, f"{path}.variable.name", "AvailabilityState")


async def _set_monitors(ctx: CaseRun, items: list[dict[str, Any]], text: str) -> dict[str, Any]:
    # The case assumes no monitor on these variables; the station's pre-configured
    # Delta monitor of severity 8 on EVSE.AvailabilityState would make it a Duplicate
    # (N04.FR.10), so the case's Accepted is scripted.
    await booted(ctx)
    since = ctx.mark()
    with scripted_reply(ctx, "SetVariableMonitoring", _accept_all):
        request = await ctx.request_by_hand(
            "set_variable_monitoring",
            f"Request the CSMS to install monitors on: {text}",
            "SetVariableMonitoring",
            {"setMonitoringData": items},
            step=1,
            monitors=[
                {
                    "component": field_at(i, "component.name"),
                    "evse_id": field_at(i, "component.evse.id")
                    if "evse" in i["component"]
                    else None,
                    "variable": field_at(i, "variable.name"),
                    "type": i["type"],
                    "severity": i["severity"],
                    "value": i["value"],
                }
                for i in items
            ],
        )
        await station_reply(ctx, "SetVariableMonitoring", since=since)
    return request


def _delta(component: str, evse: int | None = None) -> dict[str, Any]:
    return {"value": 1, "type": "Delta", "severity": 8, **cv(component, "AvailabilityState", evse)}


@scenario("TC_N_08_CSMS", manual=("set_variable_monitoring",))
async def set_one_monitor(ctx: CaseRun) -> None:
    # N04.FR.01/02/17: one Delta monitor, severity 8, on EVSE #1 AvailabilityState.
    request = await _set_monitors(
        ctx,
        [_delta("EVSE", EVSE_ID)],
        f"EVSE #{EVSE_ID}, AvailabilityState, Delta, severity 8",
    )
    _check_monitor(ctx, request, 0, "EVSE", EVSE_ID)


@scenario("TC_N_09_CSMS", manual=("set_variable_monitoring",))
async def set_two_monitors(ctx: CaseRun) -> None:
    # N04.FR.01/02/17: the same on EVSE #1 and on ChargingStation, in that order.
    request = await _set_monitors(
        ctx,
        [_delta("EVSE", EVSE_ID), _delta("ChargingStation")],
        f"EVSE #{EVSE_ID}, AvailabilityState, Delta, severity 8 and ChargingStation, "
        "AvailabilityState, Delta, severity 8",
    )
    _check_monitor(ctx, request, 0, "EVSE", EVSE_ID)
    _check_monitor(ctx, request, 1, "ChargingStation", None)


# --------------------------------------------------------------------------- N06 clear monitors
@scenario("TC_N_18_CSMS", manual=("get_variables", "clear_variable_monitoring"))
async def clear_more_monitors_than_allowed(ctx: CaseRun) -> None:
    # N06.FR.04: never more ids in one request than ItemsPerMessage[ClearVariableMonitoring].
    await booted(ctx)
    item = {
        "component": {"name": "MonitoringCtrlr"},
        "variable": {"name": "ItemsPerMessage", "instance": "ClearVariableMonitoring"},
    }
    since = ctx.mark()
    request = await ctx.request_by_hand(
        "get_variables",
        "Request the CSMS to get the value of MonitoringCtrlr.ItemsPerMessage"
        "[ClearVariableMonitoring]",
        "GetVariables",
        {"getVariableData": [item]},
        step=1,
        variables="MonitoringCtrlr.ItemsPerMessage[ClearVariableMonitoring]",
    )
    message = "GetVariablesRequest"
    ctx.check(1, message, request, "getVariableData[0].component.name", "MonitoringCtrlr")
    ctx.check(1, message, request, "getVariableData[0].variable.name", "ItemsPerMessage")
    ctx.check(
        1, message, request, "getVariableData[0].variable.instance", "ClearVariableMonitoring"
    )
    reply = await station_reply(ctx, "GetVariables", since=since)
    value = field_at(reply.payload, "getVariableResult[0].attributeValue")
    if not isinstance(value, str) or not value.isdigit():
        raise Inconclusive(
            f"the station gave no ItemsPerMessage for ClearVariableMonitoring: {value}"
        )
    limit = int(value)
    ids = list(range(1, limit + 2))  # one more than allowed; they need not exist
    chunks = [ids[i : i + limit] for i in range(0, len(ids), limit)]
    since = ctx.mark()
    # ``request`` is what the operator asks for (every id: a CSMS that keeps N06.FR.04
    # splits it); ``requests`` is that split, for a console-driven CSMS whose operator
    # sends each request by hand.
    await ctx.manual(
        "clear_variable_monitoring",
        f"Request the CSMS to clear the monitors with ids {ids[0]} to {ids[-1]} ({len(ids)} ids; "
        f"the station takes at most {limit} in one request)",
        step=3,
        action="ClearVariableMonitoring",
        request={"id": ids},
        requests=[{"id": chunk} for chunk in chunks],
        ids=ids,
        items_per_message=limit,
    )
    await _judge_split(ctx, since, ids, limit)


async def _judge_split(ctx: CaseRun, since: int, ids: list[int], limit: int) -> None:
    """Step 3: two or more ClearVariableMonitoringRequests, none over ``limit``, all ids."""
    message = "ClearVariableMonitoringRequest"
    asked: set[int] = set()
    requests: list[list[Any]] = []
    for _ in range(len(ids) + 1):  # each request brings at least one id, or is judged
        try:
            rec = await csms_call(ctx, "ClearVariableMonitoring", step=3, since=since)
        except Inconclusive:
            if not requests:
                raise
            break  # no more requests came: what came is judged
        since = ctx.frames.index(rec) + 1
        found = field_at(rec.payload, "id")
        sent = found if isinstance(found, list) else []
        requests.append(sent)
        ctx.check_that(
            3,
            message,
            f"id (request {len(requests)})",
            len(sent) <= limit,
            f"at most {limit} ids (ItemsPerMessage)",
            f"{len(sent)} ids",
        )
        asked.update(i for i in sent if isinstance(i, int))
        if asked >= set(ids) or len(sent) > limit:
            break
    ctx.check_that(
        3,
        message,
        "(count)",
        len(requests) >= 2,
        "two or more requests",
        f"{len(requests)} request(s)",
    )
    missing = sorted(set(ids) - asked)
    ctx.check_that(
        3,
        message,
        "id (all requests)",
        not missing,
        f"every id of {ids[0]}..{ids[-1]}",
        f"missing {missing}" if missing else "all",
    )


@scenario("TC_N_44_CSMS", manual=("clear_variable_monitoring",))
async def clear_hard_wired_monitor(ctx: CaseRun) -> None:
    # N06.FR.03: a hard-wired monitor cannot be cleared; the station says Rejected.
    await booted(ctx)
    since = ctx.mark()
    await ctx.manual(
        "clear_variable_monitoring",
        f"Request the CSMS to clear the monitor with id {HARD_WIRED_ID} (the station's "
        "hard-wired monitor on ChargingStation.Problem)",
        step=1,
        action="ClearVariableMonitoring",
        request={"id": [HARD_WIRED_ID]},
        ids=[HARD_WIRED_ID],
    )
    await csms_call(ctx, "ClearVariableMonitoring", step=1, since=since)  # N/a: the schema
    reply = await station_reply(ctx, "ClearVariableMonitoring", since=since)
    expect_station(
        ctx,
        reply,
        "clearMonitoringResult[0].status",
        "Rejected",
        f"only the hard-wired monitor {HARD_WIRED_ID} cannot be cleared",
    )


# --------------------------------------------------------------------------- N07, N08 events
def _event(ctx: CaseRun, event_id: int, **data: Any) -> dict[str, Any]:
    """NotifyEventRequest with one EventDataType."""
    event = {"eventId": event_id, "timestamp": now_iso(ctx), **data}
    return {"generatedAt": now_iso(ctx), "seqNo": 0, "eventData": [event]}


async def _events_answered(ctx: CaseRun, payloads: list[dict[str, Any]], *, answered: int) -> None:
    """The station sends each NotifyEvent; the CSMS's reply (step ``answered``) is empty."""
    for payload in payloads:
        reply = await ctx.send("NotifyEvent", payload, step=answered)
        if reply_accepted(ctx, answered, "NotifyEventResponse", reply):
            empty_body(ctx, answered, "NotifyEventResponse", reply)


def _power_event(ctx: CaseRun, event_id: int, trigger: str) -> dict[str, Any]:
    power = ctx.station.settings.read(f"EVSE@{EVSE_ID}/Power") or "0"
    return _event(
        ctx,
        event_id,
        trigger=trigger,
        actualValue=power,
        eventNotificationType="CustomMonitor",
        variableMonitoringId=100,
        **cv("EVSE", "Power", EVSE_ID),
    )


@scenario("TC_N_24_CSMS")
async def periodic_events(ctx: CaseRun) -> None:
    # N08.FR.02: the CSMS answers each periodic NotifyEvent with an empty response.
    # The station has no periodic monitor (only the CSMS could set one), so the
    # events are the case's: EVSE #1 Power, three periods.
    await booted(ctx)
    await _events_answered(
        ctx, [_power_event(ctx, 9000 + n, "Periodic") for n in range(3)], answered=2
    )


@scenario("TC_N_50_CSMS")
async def periodic_triggered_event(ctx: CaseRun) -> None:
    # N07/N08: a NotifyEvent with trigger Periodic; the CSMS answers it.
    await booted(ctx)
    await _events_answered(ctx, [_power_event(ctx, 9100, "Periodic")], answered=2)


@scenario("TC_N_48_CSMS")
async def write_only_event(ctx: CaseRun) -> None:
    # N07.FR.10: a monitor on a write-only variable reports an empty actualValue.
    # SecurityCtrlr.BasicAuthPassword is the station's write-only variable.
    await booted(ctx)
    payload = _event(
        ctx,
        9200,
        trigger="Delta",
        actualValue="",
        eventNotificationType="CustomMonitor",
        variableMonitoringId=101,
        **cv("SecurityCtrlr", "BasicAuthPassword"),
    )
    await _events_answered(ctx, [payload], answered=2)


@scenario("TC_N_49_CSMS")
async def threshold_cleared_after_reboot(ctx: CaseRun) -> None:
    # N07.FR.14: after a reboot the station finds a tripped UpperThreshold back within
    # its limit and reports it cleared. The station reboots for real; the event is the
    # case's (the station has no threshold monitor).
    await booted(ctx)
    since = ctx.mark()
    await ctx.station.reboot()
    reply = await ctx.reply_to("BootNotification", step=None, since=since)
    ctx.require(None, "BootNotificationResponse", reply.payload, "status", "Accepted")
    await ctx.station.wait_accepted(ctx.settings.timeout)
    payload = _event(
        ctx,
        9300,
        trigger="Alerting",
        actualValue=ctx.station.settings.read(f"EVSE@{EVSE_ID}/Temperature") or "25",
        cleared=True,
        eventNotificationType="CustomMonitor",
        variableMonitoringId=102,
        **cv("EVSE", "Temperature", EVSE_ID),
    )
    await _events_answered(ctx, [payload], answered=2)
