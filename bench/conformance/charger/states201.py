"""2.0.1 reusable states and helpers of the charging-station cases (part 6, CS side).

The states a case builds on ("Booted", "Authorized", "EnergyTransferStarted", ...)
played by the bench as the OCTT: requests it sends, the station's messages it waits
for, and their tool validations. Configuration a case needs is written with
SetVariables first (``configure``), as the OCTT does before a case.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.conformance.charger import physical
from bench.conformance.charger.run import ChargerRun
from bench.conformance.evidence import StopCase
from bench.conformance.expect import one_of

Match = Callable[[dict[str, Any]], bool]


def variable(name: str) -> tuple[str, str, str | None]:
    """``TxCtrlr/TxStartPoint`` (``C/V/INSTANCE`` with an instance) as its three parts."""
    parts = name.split("/")
    if len(parts) == 2:
        return parts[0], parts[1], None
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    raise ValueError(f"{name!r}: expected COMPONENT/VARIABLE[/INSTANCE]")


def _set_data(name: str, value: str) -> dict[str, Any]:
    component, var, instance = variable(name)
    v: dict[str, Any] = {"name": var}
    if instance is not None:
        v["instance"] = instance
    return {"attributeValue": value, "component": {"name": component}, "variable": v}


async def get_variable(ctx: ChargerRun, name: str, *, step: int | None = None) -> str | None:
    """The Actual value of ``COMPONENT/VARIABLE`` (None when the station rejects it)."""
    component, var, instance = variable(name)
    v: dict[str, Any] = {"name": var}
    if instance is not None:
        v["instance"] = instance
    reply = await ctx.request(
        "GetVariables",
        {"getVariableData": [{"component": {"name": component}, "variable": v}]},
        step=step,
    )
    result = (reply.get("getVariableResult") or [{}])[0]
    if result.get("attributeStatus") != "Accepted":
        return None
    value = result.get("attributeValue")
    return str(value) if value is not None else None


async def configure(ctx: ChargerRun, values: dict[str, str], *, step: int | None = None) -> None:
    """The case's configuration state: SetVariables for each value, each Accepted.

    A value the station refuses makes the case not applicable when the station does not
    know the variable (it lacks the optional feature), and fails it otherwise.
    """
    if not values:
        return
    reply = await ctx.request(
        "SetVariables",
        {"setVariableData": [_set_data(k, v) for k, v in values.items()]},
        step=step,
    )
    for name, result in zip(values, reply.get("setVariableResult", []), strict=False):
        status = result.get("attributeStatus")
        if status in ("UnknownComponent", "UnknownVariable", "NotSupportedAttributeType"):
            ctx.not_applicable(f"the station does not have {name} ({status})")
        ctx.require(
            step,
            "SetVariablesResponse",
            result,
            "attributeStatus",
            one_of("Accepted", "RebootRequired"),
        )


def for_connector(ctx: ChargerRun) -> Match:
    return lambda p: (
        p.get("evseId") == ctx.settings.evse_id
        and p.get("connectorId") == ctx.settings.connector_id
    )


def tx_event(kind: str | None = None, **fields: Any) -> Match:
    """A TransactionEventRequest of ``eventType`` ``kind`` whose fields match (dotted
    paths with ``__``: ``transactionInfo__chargingState="Charging"``)."""

    def matches(p: dict[str, Any]) -> bool:
        if kind is not None and p.get("eventType") != kind:
            return False
        for path, want in fields.items():
            value: Any = p
            for key in path.split("__"):
                value = value.get(key) if isinstance(value, dict) else None
            if value != want:
                return False
        return True

    return matches


# ---------------------------------------------------------------- Booted
async def booted(ctx: ChargerRun, *, via: str = "reset", step: int = 1) -> dict[str, Any]:
    """Reusable state Booted: a Reset (or a power cycle), then BootNotification
    Accepted, the connectors' status and the SecurityEventNotification. Returns the
    BootNotificationRequest."""
    since = ctx.mark()
    with ctx.link_watch() as link_changes:
        if via == "reset":
            reply = await ctx.request("Reset", {"type": "Immediate"}, step=step)
            ctx.require(step + 1, "ResetResponse", reply, "status", "Accepted")
        else:
            await physical.power_cycle(ctx, step=step)
        since = await ctx.after_reboot(link_changes, since)
    boot = await ctx.station_request("BootNotification", step=step + 2, since=since)
    await connector_available(ctx, since=since, step=step + 4)
    event = await ctx.station_request(
        "SecurityEventNotification",
        step=step + 6,
        since=since,
        match=lambda p: p.get("type") in ("StartupOfTheDevice", "ResetOrReboot"),
        what="the station's SecurityEventNotification StartupOfTheDevice or ResetOrReboot",
    )
    ctx.check(
        step + 6,
        "SecurityEventNotificationRequest",
        event,
        "type",
        one_of("StartupOfTheDevice", "ResetOrReboot"),
    )
    return boot


async def connector_status(
    ctx: ChargerRun, status: str, *, since: int, step: int | None, what: str = ""
) -> dict[str, Any]:
    """The station reports ``status`` for the configured connector: a StatusNotification
    (or a NotifyEvent AvailabilityState, which 2.0.1 allows instead)."""
    match = for_connector(ctx)
    payload = await ctx.station_request(
        "StatusNotification",
        step=step,
        since=since,
        match=lambda p: match(p) and p.get("connectorStatus") == status,
        what=what or f"a StatusNotification {status} for EVSE {ctx.settings.evse_id}",
    )
    ctx.check(step, "StatusNotificationRequest", payload, "connectorStatus", status)
    return payload


async def connector_available(ctx: ChargerRun, *, since: int, step: int | None) -> None:
    await connector_status(ctx, "Available", since=since, step=step)


# ---------------------------------------------------------------- authorization and charging
async def authorized(ctx: ChargerRun, *, step: int = 1, token: str | None = None) -> dict[str, Any]:
    """Reusable state Authorized: the driver presents the valid token; the station sends
    AuthorizeRequest with it and gets Accepted. Returns the AuthorizeRequest."""
    since = ctx.mark()
    tag = token or ctx.valid_token
    await physical.present(ctx, tag, step=step)
    request = await ctx.station_request("Authorize", step=step, since=since)
    ctx.check(step, "AuthorizeRequest", request, "idToken.idToken", tag)
    ctx.check(step, "AuthorizeRequest", request, "idToken.type", ctx.settings.valid_id_token_type)
    return request


async def ev_connected(ctx: ChargerRun, *, step: int = 1) -> None:
    """The EV is plugged in: StatusNotification Occupied for the configured connector."""
    since = ctx.mark()
    await physical.plug_in(ctx, step=step)
    await connector_status(ctx, "Occupied", since=since, step=step)


async def energy_transfer_started(ctx: ChargerRun, *, step: int = 1) -> dict[str, Any]:
    """Reusable state EnergyTransferStarted (authorized first, then the cable): the
    station reports the connector Occupied and a TransactionEvent with chargingState
    Charging. Returns that TransactionEventRequest."""
    since = ctx.mark()
    await authorized(ctx, step=step)
    await ev_connected(ctx, step=step + 1)
    charging = await ctx.station_request(
        "TransactionEvent",
        step=step + 9,
        since=since,
        match=lambda p: (p.get("transactionInfo") or {}).get("chargingState") == "Charging",
        what="a TransactionEvent with chargingState Charging",
    )
    ctx.memory["transaction_id"] = (charging.get("transactionInfo") or {}).get("transactionId")
    return charging


async def stop_authorized(ctx: ChargerRun, *, step: int = 1) -> dict[str, Any]:
    """Reusable state StopAuthorized: the driver presents the token again; the
    transaction's TransactionEvent says so (triggerReason StopAuthorized, Ended or
    Updated as the TxStopPoint makes it)."""
    since = ctx.mark()
    await physical.present(ctx, ctx.valid_token, step=step)
    return await ctx.station_request(
        "TransactionEvent",
        step=step + 2,
        since=since,
        match=lambda p: p.get("triggerReason") == "StopAuthorized",
        what="a TransactionEvent with triggerReason StopAuthorized",
    )


async def ev_disconnected(ctx: ChargerRun, *, step: int = 1) -> None:
    """Reusable state EVDisconnected: the cable is unplugged; the connector is Available."""
    since = ctx.mark()
    await physical.unplug(ctx, step=step)
    await connector_available(ctx, since=since, step=step)


def transaction_id(ctx: ChargerRun) -> str:
    tx = ctx.memory.get("transaction_id")
    if not tx:
        raise StopCase("no transaction id was seen before this step")
    return str(tx)
