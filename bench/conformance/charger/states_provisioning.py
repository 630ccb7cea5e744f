"""2.0.1 block B helpers of the charging-station cases: variables, reports, all connectors.

What several block B (and J, P) scenarios share: a Get/SetVariables item and the
check of its result field by field, the NotifyReport parts of a report collected
until ``tbc`` is false (with the seqNo / requestId / generatedAt validations), and
the post-scenario validation "a message to report the state of a connector has been
received for all connectors" — the connectors taken from the station's own
FullInventory, so it holds for a real charger too.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from bench.conformance.charger.run import ChargerRun
from bench.conformance.evidence import Inconclusive
from bench.conformance.expect import absent_or, present
from bench.kernel.frames import FrameRecord

LIST_TYPES = ("OptionList", "SequenceList", "MemberList")
_REQUEST_IDS = itertools.count(1001)


def new_request_id() -> int:
    """<Generated requestId>: distinct within a run."""
    return next(_REQUEST_IDS)


def var_item(
    component: str,
    variable: str,
    *,
    instance: str | None = None,
    evse: int | None = None,
    value: str | None = None,
    attribute: str | None = None,
) -> dict[str, Any]:
    """One getVariableData / setVariableData item (``value`` makes it a set item)."""
    comp: dict[str, Any] = {"name": component}
    if evse is not None:
        comp["evse"] = {"id": evse}
    var: dict[str, Any] = {"name": variable}
    if instance is not None:
        var["instance"] = instance
    item: dict[str, Any] = {"component": comp, "variable": var}
    if value is not None:
        item["attributeValue"] = value
    if attribute is not None:
        item["attributeType"] = attribute
    return item


def check_result(
    ctx: ChargerRun,
    step: int,
    message: str,
    result: dict[str, Any],
    *,
    status: Any,
    component: str,
    variable: str,
    instance: str | None = None,
    attribute: Any = None,
    value: Any = None,
    info_reasons: tuple[str, ...] | None = ("NoError",),
) -> None:
    """A get/setVariableResult's fields as a tool validation lists them; ``None`` skips
    a field, ``info_reasons`` are the reason codes allowed when attributeStatusInfo is
    present."""
    ctx.check(step, message, result, "attributeStatus", status)
    ctx.check(step, message, result, "component.name", component)
    ctx.check(step, message, result, "variable.name", variable)
    if instance is not None:
        ctx.check(step, message, result, "variable.instance", instance)
    if attribute is not None:
        ctx.check(step, message, result, "attributeType", attribute)
    if value is not None:
        ctx.check(step, message, result, "attributeValue", value)
    if info_reasons is not None and "attributeStatusInfo" in result:
        ctx.check(step, message, result, "attributeStatusInfo.reasonCode", absent_or(*info_reasons))


def find_result(
    results: list[dict[str, Any]], component: str, variable: str
) -> dict[str, Any] | None:
    """The result for ``component``/``variable`` (results may come in any order)."""
    for result in results:
        if (result.get("component") or {}).get("name") == component and (
            result.get("variable") or {}
        ).get("name") == variable:
            return result
    return None


async def get_one(
    ctx: ChargerRun,
    component: str,
    variable: str,
    *,
    step: int | None,
    instance: str | None = None,
    attribute: str | None = None,
) -> dict[str, Any]:
    """GetVariables for one variable; its getVariableResult."""
    reply = await ctx.request(
        "GetVariables",
        {
            "getVariableData": [
                var_item(component, variable, instance=instance, attribute=attribute)
            ]
        },
        step=step,
    )
    return dict((reply.get("getVariableResult") or [{}])[0])


async def set_one(
    ctx: ChargerRun,
    component: str,
    variable: str,
    value: str,
    *,
    step: int | None,
    instance: str | None = None,
    attribute: str | None = None,
) -> dict[str, Any]:
    """SetVariables for one variable; its setVariableResult."""
    reply = await ctx.request(
        "SetVariables",
        {
            "setVariableData": [
                var_item(component, variable, instance=instance, value=value, attribute=attribute)
            ]
        },
        step=step,
    )
    return dict((reply.get("setVariableResult") or [{}])[0])


# ---------------------------------------------------------------- reports (B07 / B08)
async def report_parts(
    ctx: ChargerRun,
    request_id: int,
    *,
    since: int,
    step: int | None,
    limit: int = 500,
    checked: bool = True,
) -> list[dict[str, Any]]:
    """The NotifyReportRequests of report ``request_id`` from ``since`` on, until one has
    tbc false; checks requestId, generatedAt, seqNo 0 first and incremented by one."""
    parts: list[dict[str, Any]] = []
    mark = since
    for _ in range(limit):
        rec = await ctx.station_frame(
            "NotifyReport",
            step=step,
            since=mark,
            match=lambda p: p.get("requestId") == request_id,
            what=f"NotifyReportRequest seqNo {len(parts)} of report {request_id}",
        )
        mark = ctx.frames.index(rec) + 1
        part = rec.payload if isinstance(rec.payload, dict) else {}
        if checked:  # the case's report, not one the bench reads for itself
            ctx.check(step, "NotifyReportRequest", part, "requestId", request_id)
            ctx.check(step, "NotifyReportRequest", part, "generatedAt", present())
            ctx.check(step, "NotifyReportRequest", part, "seqNo", len(parts))
        parts.append(part)
        if not part.get("tbc", False):
            return parts
    raise Inconclusive(f"report {request_id} still had tbc true after {limit} parts")


def report_data(parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [item for part in parts for item in part.get("reportData") or []]


def name_of(item: dict[str, Any]) -> str:
    comp = item.get("component") or {}
    var = item.get("variable") or {}
    evse = comp.get("evse") or {}
    where = f"[{evse.get('id')}{'/' + str(evse['connectorId']) if 'connectorId' in evse else ''}]"
    text = comp.get("name", "?") + (where if evse else "")
    if comp.get("instance"):
        text += f"({comp['instance']})"
    text += "." + var.get("name", "?")
    if var.get("instance"):
        text += f"({var['instance']})"
    return text


def check_lists(ctx: ChargerRun, step: int, data: list[dict[str, Any]]) -> None:
    """If variableCharacteristics.dataType is a list type, valuesList must be provided."""
    bad = [
        name_of(item)
        for item in data
        if (item.get("variableCharacteristics") or {}).get("dataType") in LIST_TYPES
        and not (item.get("variableCharacteristics") or {}).get("valuesList")
    ]
    ctx.check_that(
        step,
        "NotifyReportRequest",
        "variableCharacteristics.valuesList",
        not bad,
        "a valuesList for every OptionList, SequenceList or MemberList variable",
        ", ".join(bad[:10]) or "all present",
    )


def check_characteristics(ctx: ChargerRun, step: int | None, data: list[dict[str, Any]]) -> None:
    """Post-validation: variableCharacteristics are present for all received variables."""
    bad = [name_of(item) for item in data if not item.get("variableCharacteristics")]
    ctx.check_that(
        step,
        "NotifyReportRequest",
        "variableCharacteristics",
        not bad,
        "present for every reported variable",
        ", ".join(bad[:10]) or "all present",
    )


def reported(data: list[dict[str, Any]], component: str, variable: str) -> list[dict[str, Any]]:
    return [
        item
        for item in data
        if (item.get("component") or {}).get("name") == component
        and (item.get("variable") or {}).get("name") == variable
    ]


async def full_inventory(ctx: ChargerRun, *, step: int | None = None) -> list[dict[str, Any]]:
    """The station's FullInventory reportData (asked once per case, kept in memory)."""
    cached = ctx.memory.get("full_inventory")
    if cached is not None:
        return list(cached)
    request_id = new_request_id()
    since = ctx.mark()
    reply = await ctx.request(
        "GetBaseReport", {"requestId": request_id, "reportBase": "FullInventory"}, step=step
    )
    ctx.require(step, "GetBaseReportResponse", reply, "status", "Accepted")
    data = report_data(await report_parts(ctx, request_id, since=since, step=step, checked=False))
    ctx.memory["full_inventory"] = data
    return data


# ---------------------------------------------------------------- connectors
async def station_connectors(ctx: ChargerRun) -> list[tuple[int, int]]:
    """(evseId, connectorId) of every connector the station's device model has."""
    data = await full_inventory(ctx)
    found = set()
    for item in data:
        comp = item.get("component") or {}
        evse = comp.get("evse") or {}
        if comp.get("name") == "Connector" and "id" in evse:
            found.add((int(evse["id"]), int(evse.get("connectorId", 1))))
    if not found:  # a model without Connector components: the configured one
        found.add((ctx.settings.evse_id, ctx.settings.connector_id))
    return sorted(found)


def _connector_state(rec_payload: dict[str, Any], action: str) -> tuple[int, int, str] | None:
    if action == "StatusNotification":
        return (
            int(rec_payload.get("evseId", -1)),
            int(rec_payload.get("connectorId", -1)),
            str(rec_payload.get("connectorStatus")),
        )
    for event in rec_payload.get("eventData") or []:
        comp = event.get("component") or {}
        if (
            comp.get("name") == "Connector"
            and (event.get("variable") or {}).get("name") == "AvailabilityState"
        ):
            evse = comp.get("evse") or {}
            return (
                int(evse.get("id", -1)),
                int(evse.get("connectorId", -1)),
                str(event.get("actualValue")),
            )
    return None


def connector_reports(ctx: ChargerRun, since: int) -> dict[tuple[int, int], list[str]]:
    """The states the station reported per connector from ``since`` on (StatusNotification
    or NotifyEvent Connector.AvailabilityState)."""
    out: dict[tuple[int, int], list[str]] = {}
    for rec in ctx.frames[since:]:
        if rec.direction != "rx" or rec.type != "CALL":
            continue
        if rec.action not in ("StatusNotification", "NotifyEvent"):
            continue
        state = _connector_state(rec.payload if isinstance(rec.payload, dict) else {}, rec.action)
        if state is not None:
            out.setdefault((state[0], state[1]), []).append(state[2])
    return out


async def all_connectors_reported(
    ctx: ChargerRun,
    *,
    since: int,
    step: int | None,
    expected: dict[tuple[int, int], str] | None = None,
    default: str = "Available",
) -> None:
    """Every connector's state reported from ``since`` on (waiting for each), as
    ``expected`` says for that connector or ``default`` for the others; then the
    post-scenario validation that all connectors were reported."""
    connectors = await station_connectors(ctx)
    wanted = expected or {}
    for evse_id, connector_id in connectors:
        status = wanted.get((evse_id, connector_id), default)
        found = await ctx.find_frame(
            _reports(evse_id, connector_id, status), since=since, timeout=ctx.settings.timeout
        )
        states = connector_reports(ctx, since).get((evse_id, connector_id), [])
        ctx.check_that(
            step,
            "StatusNotificationRequest",
            "connectorStatus",
            found is not None,
            f"{status} for EVSE {evse_id} connector {connector_id}",
            ", ".join(states) or "not reported",
        )
    seen = connector_reports(ctx, since)
    missing = [f"{e}/{c}" for e, c in connectors if (e, c) not in seen]
    ctx.check_that(
        None,
        "StatusNotificationRequest",
        "(all connectors)",
        not missing,
        "a message reporting the state of every connector",
        "missing for " + ", ".join(missing) if missing else f"{len(connectors)} reported",
    )


def _reports(evse_id: int, connector_id: int, status: str) -> Callable[[FrameRecord], bool]:
    """A StatusNotification / NotifyEvent reporting ``status`` for that connector."""

    def matches(rec: FrameRecord) -> bool:
        if rec.direction != "rx" or rec.type != "CALL":
            return False
        if rec.action not in ("StatusNotification", "NotifyEvent"):
            return False
        payload = rec.payload if isinstance(rec.payload, dict) else {}
        return _connector_state(payload, rec.action) == (evse_id, connector_id, status)

    return matches


def configured(ctx: ChargerRun) -> tuple[int, int]:
    return ctx.settings.evse_id, ctx.settings.connector_id
