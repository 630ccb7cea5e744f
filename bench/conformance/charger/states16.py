"""1.6 reusable states and helpers of the charge point cases (OCTT's 1.6 document, CS side).

The states a case builds on ("Booted", "Authorized", "Charging", ...) played by the
bench as the OCTT's Central System. Configuration a case needs is written with
ChangeConfiguration first (``configure``), as the OCTT does before a case.
"""

from __future__ import annotations

from typing import Any

from bench.conformance.charger import physical
from bench.conformance.charger.run import ChargerRun
from bench.conformance.evidence import StopCase
from bench.conformance.expect import one_of


async def get_configuration(ctx: ChargerRun, key: str, *, step: int | None = None) -> str | None:
    """The value of one configuration key (None when the charge point does not know it)."""
    reply = await ctx.request("GetConfiguration", {"key": [key]}, step=step)
    for entry in reply.get("configurationKey") or []:
        if entry.get("key") == key:
            value = entry.get("value")
            return str(value) if value is not None else None
    return None


async def configure(ctx: ChargerRun, values: dict[str, str], *, step: int | None = None) -> None:
    """The case's configuration: ChangeConfiguration for each key, each Accepted (or
    RebootRequired). A key the charge point does not support makes the case N/A."""
    for key, value in values.items():
        reply = await ctx.request("ChangeConfiguration", {"key": key, "value": value}, step=step)
        if reply.get("status") == "NotSupported":
            ctx.not_applicable(f"the charge point does not support the configuration key {key}")
        ctx.require(
            step, "ChangeConfiguration.conf", reply, "status", one_of("Accepted", "RebootRequired")
        )


def for_connector(ctx: ChargerRun, connector_id: int | None = None) -> Any:
    cid = ctx.settings.connector_id if connector_id is None else connector_id
    return lambda p: p.get("connectorId") == cid


async def connector_status(
    ctx: ChargerRun,
    status: str,
    *,
    since: int,
    step: int | None,
    connector_id: int | None = None,
) -> dict[str, Any]:
    """The charge point reports ``status`` for the connector (the configured one)."""
    match = for_connector(ctx, connector_id)
    payload = await ctx.station_request(
        "StatusNotification",
        step=step,
        since=since,
        match=lambda p: match(p) and p.get("status") == status,
        what=f"a StatusNotification {status}",
    )
    ctx.check(step, "StatusNotification.req", payload, "status", status)
    return payload


async def booted(ctx: ChargerRun, *, via: str = "reset", step: int = 1) -> dict[str, Any]:
    """The charge point reboots (Reset Hard, or a power cycle) and registers:
    BootNotification Accepted, then StatusNotification Available. Returns the boot request."""
    since = ctx.mark()
    with ctx.link_watch() as link_changes:
        if via == "reset":
            reply = await ctx.request("Reset", {"type": "Hard"}, step=step)
            ctx.require(step, "Reset.conf", reply, "status", "Accepted")
        else:
            await physical.power_cycle(ctx, step=step)
        since = await ctx.after_reboot(link_changes, since)
    boot = await ctx.station_request("BootNotification", step=step + 1, since=since)
    await connector_status(ctx, "Available", since=since, step=step + 2)
    return boot


async def authorized(ctx: ChargerRun, *, step: int = 1, token: str | None = None) -> dict[str, Any]:
    """Reusable state Authorized: the driver presents the valid idTag; Authorize.req
    carries it and the Central System answers Accepted."""
    since = ctx.mark()
    tag = token or ctx.valid_token
    await physical.present(ctx, tag, step=step)
    request = await ctx.station_request("Authorize", step=step, since=since)
    ctx.check(step, "Authorize.req", request, "idTag", tag)
    return request


async def charging(ctx: ChargerRun, *, step: int = 1) -> dict[str, Any]:
    """Reusable state Charging: authorized, then the cable: StartTransaction.req (its
    reply carries a transactionId) and StatusNotification Charging. Returns the
    StartTransaction.req."""
    since = ctx.mark()
    await authorized(ctx, step=step)
    await physical.plug_in(ctx, step=step + 2)
    start = await ctx.station_request("StartTransaction", step=step + 3, since=since)
    ctx.check(step + 3, "StartTransaction.req", start, "idTag", ctx.valid_token)
    await connector_status(ctx, "Charging", since=since, step=step + 5)
    reply = next(
        (
            r
            for r in ctx.frames[since:]
            if r.direction == "tx" and r.type == "CALLRESULT" and r.action == "StartTransaction"
        ),
        None,
    )
    if reply is not None and isinstance(reply.payload, dict):
        ctx.memory["transaction_id"] = reply.payload.get("transactionId")
    return start


def transaction_id(ctx: ChargerRun) -> int:
    tx = ctx.memory.get("transaction_id")
    if tx is None:
        raise StopCase("no transaction id was handed out before this step")
    return int(tx)


async def stopped_by_token(ctx: ChargerRun, *, step: int = 1) -> dict[str, Any]:
    """The driver presents the idTag again: StopTransaction.req (reason Local or absent)."""
    since = ctx.mark()
    await physical.present(ctx, ctx.valid_token, step=step)
    stop = await ctx.station_request("StopTransaction", step=step + 1, since=since)
    ctx.check(step + 1, "StopTransaction.req", stop, "transactionId", transaction_id(ctx))
    return stop


async def unplugged(ctx: ChargerRun, *, step: int = 1) -> None:
    """The cable is unplugged: StatusNotification Available."""
    since = ctx.mark()
    await physical.unplug(ctx, step=step)
    await connector_status(ctx, "Available", since=since, step=step + 1)
