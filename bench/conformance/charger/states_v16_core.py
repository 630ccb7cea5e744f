"""1.6 charge point cases: the reusable and memory states of OCTT's 1.6 document
(§2.25, §2.26) as the Core, Local Auth List, Firmware and Remote Trigger cases use
them, and the helpers those cases share.

``charging`` is the document's reusable state Charging (Table 105): plug in first,
then RemoteStartTransaction, with the GetConfiguration of AuthorizeRemoteTxRequests
before it. The configured values the OCTT reads from its settings ("<Configured
Meter Value interval>", "<Configured connectionTimeout>", "<Configured Valid IdTag
2>") come from ``ChargerSettings.extra`` with short defaults, so a case stays fast.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.conformance.charger import physical
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.states16 import configure, get_configuration
from bench.conformance.evidence import StopCase
from bench.conformance.expect import one_of
from bench.kernel.frames import FrameRecord

Match = Callable[[dict[str, Any]], bool]

# "<Configured ...>" values of the OCTT, by their ``ChargerSettings.extra`` names.
DEFAULTS = {
    "meter_value_interval": "2",  # <Configured Meter Value (Sample) interval>, seconds
    "clock_aligned_interval": "2",  # <Configured Clock Aligned Data interval>, seconds
    "connection_timeout": "3",  # <Configured connectionTimeout>, seconds
    "valid_id_token_2": "TAG2",  # <Configured Valid IdTag 2>
    "parent_id_tag": "PARENT1",  # the parentIdTag both valid idTags share (TC_069_CS)
}


def configured(ctx: ChargerRun, name: str) -> str:
    return ctx.settings.extra.get(name, DEFAULTS[name])


def configured_int(ctx: ChargerRun, name: str) -> int:
    return int(configured(ctx, name))


def cid(ctx: ChargerRun) -> int:
    return ctx.settings.connector_id


# --------------------------------------------------------------------- frames
async def answer_of(ctx: ChargerRun, request: FrameRecord) -> dict[str, Any]:
    """The payload the bench answered the station's ``request`` with (the CSMS side's
    tool validations are about it)."""
    rec = await ctx.wait_frame(
        lambda r: r.direction == "tx" and r.type == "CALLRESULT" and r.id == request.id,
        since=ctx.frames.index(request),
        what=f"the bench's answer to {request.action}",
        timeout=5.0,
    )
    return rec.payload if isinstance(rec.payload, dict) else {}


async def exchange(
    ctx: ChargerRun,
    action: str,
    *,
    step: int | None,
    since: int,
    match: Match | None = None,
    what: str = "",
    timeout: float | None = None,
) -> tuple[FrameRecord, dict[str, Any]]:
    """The station's ``action`` request and the bench's answer to it."""
    rec = await ctx.station_frame(
        action, step=step, since=since, match=match, what=what, timeout=timeout
    )
    return rec, await answer_of(ctx, rec)


def payload(rec: FrameRecord) -> dict[str, Any]:
    return rec.payload if isinstance(rec.payload, dict) else {}


def after(ctx: ChargerRun, rec: FrameRecord) -> int:
    """The mark just after ``rec``."""
    return ctx.frames.index(rec) + 1


def status_of(connector_id: int, *statuses: str) -> Match:
    return lambda p: p.get("connectorId") == connector_id and p.get("status") in statuses


async def status(
    ctx: ChargerRun,
    statuses: tuple[str, ...] | str,
    *,
    since: int,
    step: int | None,
    connector_id: int | None = None,
    timeout: float | None = None,
) -> FrameRecord:
    """The station's StatusNotification of the connector (the configured one) with one
    of ``statuses``; checks connectorId and status."""
    wanted = (statuses,) if isinstance(statuses, str) else statuses
    connector = cid(ctx) if connector_id is None else connector_id
    rec = await ctx.station_frame(
        "StatusNotification",
        step=step,
        since=since,
        match=status_of(connector, *wanted),
        what=f"a StatusNotification {' or '.join(wanted)} of connector {connector}",
        timeout=timeout,
    )
    ctx.check(step, "StatusNotification.req", rec.payload, "connectorId", connector)
    ctx.check(step, "StatusNotification.req", rec.payload, "status", one_of(*wanted))
    return rec


async def boot_statuses(
    ctx: ChargerRun,
    connector_statuses: tuple[str, ...],
    *,
    since: int,
    step: int | None,
    others: tuple[str, ...] = ("Available",),
) -> None:
    """After a boot: a StatusNotification per connector and connectorId 0; the tested
    connector's status one of ``connector_statuses``, the others ``others``."""
    await status(ctx, connector_statuses, since=since, step=step)
    for other in await connector_ids(ctx):
        if other != cid(ctx):
            await status(ctx, others, since=since, step=step, connector_id=other)


async def connector_ids(ctx: ChargerRun) -> list[int]:
    """Connector 0 and every connector of the charge point (NumberOfConnectors)."""
    known = ctx.memory.get("connector_ids")
    if known is None:
        count = await get_configuration(ctx, "NumberOfConnectors")
        number = int(count) if count is not None and count.isdigit() else cid(ctx)
        known = [0, *range(1, number + 1)]
        ctx.memory["connector_ids"] = known
    return list(known)


async def boot(ctx: ChargerRun, *, step: int, since: int) -> FrameRecord:
    """The station's BootNotification; the bench's answer is Accepted."""
    rec, reply = await exchange(ctx, "BootNotification", step=step, since=since)
    ctx.check(step + 1, "BootNotification.conf", reply, "status", "Accepted")
    return rec


async def configure_if_implemented(ctx: ChargerRun, values: dict[str, str]) -> dict[str, bool]:
    """Configuration keys the case sets "(If implemented)": NotSupported skips the key.
    Returns which keys the charge point has."""
    has: dict[str, bool] = {}
    for key, value in values.items():
        reply = await ctx.request("ChangeConfiguration", {"key": key, "value": value}, step=None)
        has[key] = reply.get("status") != "NotSupported"
        if has[key]:
            ctx.require(
                None,
                "ChangeConfiguration.conf",
                reply,
                "status",
                one_of("Accepted", "RebootRequired"),
            )
    return has


async def authorize_remote(ctx: ChargerRun, *, step: int) -> bool:
    """GetConfiguration of AuthorizeRemoteTxRequests (its key checked); True when the
    charge point authorizes remote starts first."""
    reply = await ctx.request("GetConfiguration", {"key": ["AuthorizeRemoteTxRequests"]}, step=step)
    ctx.check(
        step + 1,
        "GetConfiguration.conf",
        reply,
        "configurationKey[0].key",
        "AuthorizeRemoteTxRequests",
    )
    keys = reply.get("configurationKey") or [{}]
    return str(keys[0].get("value", "")).lower() == "true"


async def remote_start(
    ctx: ChargerRun, *, step: int | None, connector_id: int | None = None, token: str | None = None
) -> dict[str, Any]:
    payload_: dict[str, Any] = {"idTag": token or ctx.valid_token}
    payload_["connectorId"] = cid(ctx) if connector_id is None else connector_id
    return await ctx.request("RemoteStartTransaction", payload_, step=step)


async def remote_authorize(ctx: ChargerRun, remote: bool, *, step: int, since: int) -> None:
    """[If AuthorizeRemoteTxRequests is true] the Authorize.req of the remote start."""
    if not remote:
        return
    rec, reply = await exchange(ctx, "Authorize", step=step, since=since)
    ctx.check(step, "Authorize.req", rec.payload, "idTag", ctx.valid_token)
    ctx.check(step + 1, "Authorize.conf", reply, "idTagInfo.status", "Accepted")


async def started(ctx: ChargerRun, *, step: int, since: int, token: str | None = None) -> None:
    """StartTransaction.req of the configured connector (the bench's answer Accepted, its
    transactionId remembered) and StatusNotification Charging, in either order."""
    tag = token or ctx.valid_token
    rec, reply = await exchange(ctx, "StartTransaction", step=step, since=since)
    ctx.check(step, "StartTransaction.req", rec.payload, "connectorId", cid(ctx))
    ctx.check(step, "StartTransaction.req", rec.payload, "idTag", tag)
    ctx.check(step + 1, "StartTransaction.conf", reply, "idTagInfo.status", "Accepted")
    ctx.memory["transaction_id"] = reply.get("transactionId")
    ctx.memory["start"] = payload(rec)
    await status(ctx, "Charging", since=since, step=step + 2)


async def charging(ctx: ChargerRun, *, step: int = 1) -> None:
    """Reusable state Charging (Table 105): plug in, Preparing, RemoteStartTransaction
    Accepted, [Authorize], StartTransaction and Charging."""
    remote = await authorize_remote(ctx, step=step)
    since = ctx.mark()
    await physical.plug_in(ctx, step=step + 2)
    await status(ctx, "Preparing", since=since, step=step + 2)
    reply = await remote_start(ctx, step=step + 4)
    ctx.require(step + 5, "RemoteStartTransaction.conf", reply, "status", "Accepted")
    await remote_authorize(ctx, remote, step=step + 8, since=since)
    await started(ctx, step=step + 10, since=since)


async def authorized(ctx: ChargerRun, *, step: int = 1, token: str | None = None) -> FrameRecord:
    """Reusable state Authorized (Table 104): the valid idTag presented; Authorize.req
    (answered Accepted) and StatusNotification Preparing (unless already Preparing)."""
    since = ctx.mark()
    tag = token or ctx.valid_token
    await physical.present(ctx, tag, step=step)
    rec, reply = await exchange(ctx, "Authorize", step=step, since=since)
    ctx.check(step, "Authorize.req", rec.payload, "idTag", tag)
    ctx.check(step + 1, "Authorize.conf", reply, "idTagInfo.status", "Accepted")
    await status(ctx, "Preparing", since=since, step=step + 2)
    return rec


def transaction_id(ctx: ChargerRun) -> int:
    tx = ctx.memory.get("transaction_id")
    if tx is None:
        raise StopCase("no transaction id was handed out before this step")
    return int(tx)


async def stop(
    ctx: ChargerRun, reasons: tuple[Any, ...], *, step: int, since: int, what: str = ""
) -> tuple[FrameRecord, dict[str, Any]]:
    """The StopTransaction.req of the running transaction; its reason one of ``reasons``
    (ABSENT for "omitted")."""
    from bench.conformance.expect import absent_or

    rec, reply = await exchange(ctx, "StopTransaction", step=step, since=since, what=what)
    ctx.check(step, "StopTransaction.req", rec.payload, "transactionId", transaction_id(ctx))
    named = tuple(r for r in reasons if isinstance(r, str))
    if len(named) != len(reasons):
        ctx.check(step, "StopTransaction.req", rec.payload, "reason", absent_or(*named))
    else:
        ctx.check(step, "StopTransaction.req", rec.payload, "reason", one_of(*named))
    return rec, reply


async def unplug_ev_side(ctx: ChargerRun, *, step: int | None = None) -> None:
    await ctx.physical(
        "unplug_ev_side",
        f"Unplug the cable at the EV side of connector {cid(ctx)} "
        "(leave it in the charging station).",
        step=step,
        connector_id=cid(ctx),
    )


# --------------------------------------------------------------------- memory states
async def id_tag_cached(ctx: ChargerRun, token: str | None = None) -> None:
    """Memory state IdTagCached (Table 112): AuthorizationCacheEnabled true, a
    Charging session with the idTag stopped by it and the cable unplugged."""
    tag = token or ctx.valid_token
    actions = ("Authorize", "StartTransaction", "StopTransaction")
    if tag != ctx.valid_token:
        # The bench accepts this idTag for the session that puts it in the cache.
        for action in actions:
            ctx.answer(action, _accepting(ctx, action, tag))
    await configure(ctx, {"AuthorizationCacheEnabled": "true"})
    remote = await authorize_remote(ctx, step=1)
    since = ctx.mark()
    await physical.plug_in(ctx)
    await status(ctx, "Preparing", since=since, step=None)
    reply = await remote_start(ctx, step=None, token=tag)
    ctx.require(None, "RemoteStartTransaction.conf", reply, "status", "Accepted")
    if remote:
        await ctx.station_frame("Authorize", step=None, since=since)
    rec = await ctx.station_frame("StartTransaction", step=None, since=since)
    tx = await answer_of(ctx, rec)
    await status(ctx, "Charging", since=since, step=None)
    since = ctx.mark()
    await physical.present(ctx, tag)
    stop_rec = await ctx.station_frame("StopTransaction", step=1, since=since)
    ctx.check(1, "StopTransaction.req", stop_rec.payload, "transactionId", tx.get("transactionId"))
    await status(ctx, "Finishing", since=since, step=3)
    since = ctx.mark()
    await physical.unplug(ctx)
    await status(ctx, "Available", since=since, step=5)
    if tag != ctx.valid_token:
        for action in actions:
            ctx.endpoint.overrides.pop(action, None)


def _accepting(ctx: ChargerRun, action: str, tag: str) -> Any:
    def reply(p: dict[str, Any]) -> dict[str, Any]:
        answer = ctx.default_answer(action, p)
        if p.get("idTag") == tag:
            answer["idTagInfo"] = {"status": "Accepted"}
        return answer

    return reply


async def id_tag_local_list(ctx: ChargerRun, token: str | None = None) -> None:
    """Memory state IdTagLocalAuthList (Table 113): SendLocalList version 1 with the
    idTag Accepted."""
    await configure(ctx, {"LocalAuthListEnabled": "true"})
    reply = await ctx.request(
        "SendLocalList",
        {
            "listVersion": 1,
            "updateType": "Full",
            "localAuthorizationList": [
                {"idTag": token or ctx.valid_token, "idTagInfo": {"status": "Accepted"}}
            ],
        },
        step=None,
    )
    ctx.require(2, "SendLocalList.conf", reply, "status", "Accepted")


async def supported_profiles(ctx: ChargerRun) -> list[str]:
    value = await get_configuration(ctx, "SupportedFeatureProfiles") or ""
    return [p.strip() for p in value.split(",") if p.strip()]


async def configure_writable(ctx: ChargerRun, values: dict[str, str]) -> None:
    """Configuration a case's prerequisite asks to be possible ("the key does NOT have
    the accessibility ReadOnly in combination with value false"): a key the charge
    point refuses to change is fine when it already has the value, and makes the case
    not applicable when it has another (or does not know the key)."""
    for key, value in values.items():
        reply = await ctx.request("ChangeConfiguration", {"key": key, "value": value}, step=None)
        status = reply.get("status")
        if status == "NotSupported":
            ctx.not_applicable(f"the charge point does not support the configuration key {key}")
        if status in ("Accepted", "RebootRequired"):
            continue
        current = await get_configuration(ctx, key)
        if str(current).lower() != value.lower():
            ctx.not_applicable(
                f"the charge point refuses to set {key} to {value} (it is {current})"
            )
