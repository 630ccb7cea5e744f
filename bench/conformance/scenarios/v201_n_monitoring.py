"""2.0.1 block N, Diagnostics: the monitoring cases (part 6 §3.15; N02-N08).

The bench's station ships a hard-wired Delta monitor (id 1) on
ChargingStation.AvailabilityState (severity 2) and a pre-configured Delta monitor
per EVSE on EVSE.AvailabilityState (severity 8, id 1 + evseId). Where a case's
station answers differently from that configuration (an empty Delta report, a
threshold report, Accepted for a monitor the station would call a Duplicate), the
reply is the case's, scripted, and says so; everywhere else the station answers
and reports with its own monitors. NotifyEvents of monitors the station does not
have (periodic, threshold, write-only) are sent as the case gives them.
"""

from __future__ import annotations

from typing import Any

from bench.conformance.case_run import CaseRun, Inconclusive
from bench.conformance.expect import absent, field_at, integer_at_least, satisfies
from bench.conformance.scenarios import scenario
from bench.conformance.states_diagnostics import (
    booted,
    component_variable,
    csms_call,
    empty_body,
    expect_station,
    named,
    now_iso,
    reply_accepted,
    reports_answered,
    scripted_reply,
    station_reply,
)

EVSE_ID = 1  # the OCTT's <Configured evseId>
GET_REPORT = "get_monitoring_report"
HARD_WIRED_ID = 1  # the station's hard-wired monitor (ChargingStation.AvailabilityState)
REQUEST = "GetMonitoringReportRequest"


def _cv(component: str, variable: str, evse: int | None = None) -> dict[str, Any]:
    """A ComponentVariableType."""
    comp: dict[str, Any] = {"name": component}
    if evse is not None:
        comp["evse"] = {"id": evse}
    return {"component": comp, "variable": {"name": variable}}


def _cv_text(item: dict[str, Any]) -> str:
    return named(
        str(field_at(item, "component.name")),
        str(field_at(item, "variable.name")),
        field_at(item, "component.evse.id") if "evse" in item.get("component", {}) else None,
    )


def _criteria(*names: str) -> Any:
    return satisfies(lambda v: isinstance(v, list) and sorted(v) == sorted(names), str(list(names)))


def _check_variables(
    ctx: CaseRun, step: int, message: str, items: Any, wanted: list[dict[str, Any]]
) -> None:
    """Each wanted component/variable is in ``items`` (in any order).

    The documents name list positions ([0], [1]); the operator's instruction fixes
    only which variables, so the order is left to the CSMS.
    """
    found = items if isinstance(items, list) else []
    for want in wanted:
        evse = field_at(want, "component.evse.id")
        test = component_variable(
            want["component"]["name"],
            want["variable"]["name"],
            evse if isinstance(evse, int) else None,
        )
        ctx.check_that(
            step,
            message,
            "componentVariable[*]",
            any(test(item) for item in found),
            f"an element naming {_cv_text(want)}",
            ", ".join(_cv_text(i) for i in found if isinstance(i, dict)) or "(none)",
        )


def _threshold_report(ctx: CaseRun, request: dict[str, Any]) -> dict[str, Any]:
    """The case's NotifyMonitoringReport: an UpperThreshold monitor on each variable the
    CSMS asked for (EVSE #1 Power when it named none). The station has no threshold
    monitor of its own to report."""
    asked = request.get("componentVariable") or [_cv("EVSE", "Power", EVSE_ID)]
    monitors = [
        {
            "component": item["component"],
            "variable": item["variable"],
            "variableMonitoring": [
                {
                    "id": 900 + n,
                    "transaction": False,
                    "value": 22000.0,
                    "type": "UpperThreshold",
                    "severity": 4,
                }
            ],
        }
        for n, item in enumerate(asked)
        if isinstance(item, dict) and "component" in item and "variable" in item
    ]
    return {
        "requestId": request.get("requestId", 0),
        "seqNo": 0,
        "generatedAt": now_iso(ctx),
        "tbc": False,
        "monitor": monitors,
    }


async def _report(
    ctx: CaseRun,
    step: int,
    criteria: list[str],
    variables: list[dict[str, Any]],
    instruction: str,
    *,
    answer: str,
    scripted: bool = False,
) -> dict[str, Any]:
    """Steps n (the CSMS's GetMonitoringReportRequest) to n+3 (its replies to the report).

    The request names ``criteria`` and ``variables`` (tool validations of step n).
    The station answers ``answer``: with its own monitors, or, ``scripted``, as the
    case's station does where the bench's monitors would give another answer. An
    Accepted is followed by the report parts (step n+2), each answered (n+3).
    """
    request: dict[str, Any] = {"requestId": step}
    if criteria:
        request["monitoringCriteria"] = criteria
    if variables:
        request["componentVariable"] = variables
    since = ctx.mark()

    async def ask() -> dict[str, Any]:
        return await ctx.request_by_hand(
            GET_REPORT,
            instruction,
            "GetMonitoringReport",
            request,
            step=step,
            criteria=criteria,
            component_variables=[_cv_text(v) for v in variables],
        )

    def judge(sent: dict[str, Any]) -> None:
        if criteria:
            ctx.check(step, REQUEST, sent, "monitoringCriteria", _criteria(*criteria))
        if variables:
            _check_variables(ctx, step, REQUEST, sent.get("componentVariable"), variables)

    if scripted:
        with scripted_reply(ctx, "GetMonitoringReport", lambda _req: {"status": answer}):
            sent = await ask()
            judge(sent)
            await station_reply(ctx, "GetMonitoringReport", since=since)
        if answer == "Accepted":
            # The step of the CSMS's reply (ctx.send judges the reply's schema).
            reply = await ctx.send(
                "NotifyMonitoringReport", _threshold_report(ctx, sent), step=step + 3
            )
            reply_accepted(ctx, step + 3, "NotifyMonitoringReportResponse", reply)
        return sent
    sent = await ask()
    judge(sent)
    reply = await station_reply(ctx, "GetMonitoringReport", since=since)
    expect_station(ctx, reply, "status", answer, "the station's monitors decide its answer")
    if answer == "Accepted":
        await reports_answered(
            ctx,
            "NotifyMonitoringReport",
            since=since,
            step=step + 3,
            request_id=sent.get("requestId"),
        )
    return sent


# --------------------------------------------------------------------------- N02 reports


@scenario("TC_N_01_CSMS", manual=(GET_REPORT,))
async def report_by_criteria(ctx: CaseRun) -> None:
    # N02.FR.05 (criteria), N02.FR.10 (EmptyResultSet). The station's monitors are all
    # Delta ones, so both answers are the case's, scripted.
    await booted(ctx)
    await _report(
        ctx,
        1,
        ["DeltaMonitoring"],
        [],
        "Request the CSMS to get a report of all Delta monitors",
        answer="EmptyResultSet",
        scripted=True,
    )
    await _report(
        ctx,
        3,
        ["ThresholdMonitoring"],
        [],
        "Request the CSMS to get a report of all Threshold monitors",
        answer="Accepted",
        scripted=True,
    )


@scenario("TC_N_02_CSMS", manual=(GET_REPORT,))
async def report_by_variable(ctx: CaseRun) -> None:
    # N02.FR.05, N02.FR.10: the station has no monitor on ChargingStation.Power (empty)
    # and its pre-configured one on EVSE #1 AvailabilityState (reported). The document
    # writes componentVariable[1] for step 3 though its instruction names that one
    # variable alone: ``_check_variables`` takes any position.
    await booted(ctx)
    power = _cv("ChargingStation", "Power")
    availability = _cv("EVSE", "AvailabilityState", EVSE_ID)
    await _report(
        ctx,
        1,
        [],
        [power],
        "Request the CSMS to get a report of the monitors of ChargingStation.Power",
        answer="EmptyResultSet",
    )
    await _report(
        ctx,
        3,
        [],
        [availability],
        f"Request the CSMS to get a report of the monitors of AvailabilityState of EVSE #{EVSE_ID}",
        answer="Accepted",
    )


@scenario("TC_N_03_CSMS", manual=(GET_REPORT,))
async def report_by_criteria_and_variable(ctx: CaseRun) -> None:
    # N02.FR.05, N02.FR.10. The station's pre-configured Delta monitor on EVSE #1
    # would be reported and it has no threshold monitor: both answers are scripted.
    await booted(ctx)
    availability = _cv("EVSE", "AvailabilityState", EVSE_ID)
    power = _cv("ChargingStation", "Power")
    await _report(
        ctx,
        1,
        ["DeltaMonitoring"],
        [availability],
        f"Request the CSMS to get a report of the Delta monitors of AvailabilityState of "
        f"EVSE #{EVSE_ID}",
        answer="EmptyResultSet",
        scripted=True,
    )
    await _report(
        ctx,
        3,
        ["ThresholdMonitoring"],
        [power],
        "Request the CSMS to get a report of the Threshold monitors of ChargingStation.Power",
        answer="Accepted",
        scripted=True,
    )


@scenario("TC_N_60_CSMS", manual=(GET_REPORT,))
async def report_by_criteria_and_variables(ctx: CaseRun) -> None:
    # N02.FR.05, N02.FR.10. The document's tool validations contradict its own steps
    # (they give step 1 Delta/AvailabilityState and step 3 Threshold/AvailabilityState);
    # the steps, the instructions and the post-scenario check ("shows the Delta monitors
    # for AvailabilityState") agree, so those are judged: step 1 Threshold monitors of
    # Power (none: EmptyResultSet), step 3 Delta monitors of AvailabilityState (the
    # station's hard-wired and pre-configured ones: reported).
    await booted(ctx)
    power = [_cv("ChargingStation", "Power"), _cv("EVSE", "Power", EVSE_ID)]
    availability = [
        _cv("ChargingStation", "AvailabilityState"),
        _cv("EVSE", "AvailabilityState", EVSE_ID),
    ]
    await _report(
        ctx,
        1,
        ["ThresholdMonitoring"],
        power,
        f"Request the CSMS to get a report of the Threshold monitors of Power of both "
        f"ChargingStation and EVSE #{EVSE_ID}",
        answer="EmptyResultSet",
    )
    await _report(
        ctx,
        3,
        ["DeltaMonitoring"],
        availability,
        f"Request the CSMS to get a report of the Delta monitors of AvailabilityState of "
        f"both ChargingStation and EVSE #{EVSE_ID}",
        answer="Accepted",
    )


@scenario("TC_N_47_CSMS", manual=(GET_REPORT,))
async def report_all(ctx: CaseRun) -> None:
    # N02.FR.01/03: no criteria and no variables: every monitor, reported by the station.
    await booted(ctx)
    request = await _report(
        ctx,
        1,
        [],
        [],
        "Request the CSMS to get a report of all monitors of the station",
        answer="Accepted",
    )
    ctx.check(1, REQUEST, request, "monitoringCriteria", absent())
    ctx.check(1, REQUEST, request, "componentVariable", absent())
    ctx.check(1, REQUEST, request, "requestId", integer_at_least(0))


# ------------------------------------------------------------------------ N03, N05 base, level
@scenario("TC_N_05_CSMS", manual=("set_monitoring_base",))
async def set_monitoring_base(ctx: CaseRun) -> None:
    # N03.FR.03-05: All, FactoryDefault and HardWiredOnly; the station accepts each.
    await booted(ctx)
    for step, base in ((1, "All"), (3, "FactoryDefault"), (5, "HardWiredOnly")):
        since = ctx.mark()
        request = await ctx.request_by_hand(
            "set_monitoring_base",
            f"Request the CSMS to set the monitoring base {base}",
            "SetMonitoringBase",
            {"monitoringBase": base},
            step=step,
            monitoring_base=base,
        )
        ctx.check(step, "SetMonitoringBaseRequest", request, "monitoringBase", base)
        await station_reply(ctx, "SetMonitoringBase", since=since)


async def _set_level(ctx: CaseRun, status: str) -> None:
    await booted(ctx)
    since = ctx.mark()
    with scripted_reply(ctx, "SetMonitoringLevel", lambda _req: {"status": status}):
        request = await ctx.request_by_hand(
            "set_monitoring_level",
            "Request the CSMS to set the monitoring level to severity 4",
            "SetMonitoringLevel",
            {"severity": 4},
            step=1,
            severity=4,
        )
        await station_reply(ctx, "SetMonitoringLevel", since=since)
    ctx.check(1, "SetMonitoringLevelRequest", request, "severity", 4)


@scenario("TC_N_16_CSMS", manual=("set_monitoring_level",))
async def set_monitoring_level(ctx: CaseRun) -> None:
    # N05.FR.01: severity 4, accepted (the station's own answer: 4 is in 0-9).
    await booted(ctx)
    since = ctx.mark()
    request = await ctx.request_by_hand(
        "set_monitoring_level",
        "Request the CSMS to set the monitoring level to severity 4",
        "SetMonitoringLevel",
        {"severity": 4},
        step=1,
        severity=4,
    )
    ctx.check(1, "SetMonitoringLevelRequest", request, "severity", 4)
    reply = await station_reply(ctx, "SetMonitoringLevel", since=since)
    expect_station(ctx, reply, "status", "Accepted", "the station accepts severities 0-9")


@scenario("TC_N_17_CSMS", manual=("set_monitoring_level",))
async def set_monitoring_level_rejected(ctx: CaseRun) -> None:
    # N05.FR.02: the OCTT's station always rejects (the document: "normally only when
    # out of range"); the bench's would accept 4, so the Rejected is scripted. The
    # document lists no tool validation; the instructed severity is checked.
    await _set_level(ctx, "Rejected")


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
    return {"value": 1, "type": "Delta", "severity": 8, **_cv(component, "AvailabilityState", evse)}


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
    await ctx.manual(
        "clear_variable_monitoring",
        f"Request the CSMS to clear the monitors with ids {ids[0]} to {ids[-1]} ({len(ids)} ids; "
        f"the station takes at most {limit} in one request)",
        step=3,
        action="ClearVariableMonitoring",
        request={"id": chunks[0]},
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
        "hard-wired monitor on ChargingStation.AvailabilityState)",
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
        **_cv("EVSE", "Power", EVSE_ID),
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
        **_cv("SecurityCtrlr", "BasicAuthPassword"),
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
        **_cv("EVSE", "Temperature", EVSE_ID),
    )
    await _events_answered(ctx, [payload], answered=2)
