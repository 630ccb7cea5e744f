"""1.6 Local Auth List Management (OCTT 1.6 §2.17; TC_042_x, TC_043_x, TC_008_CS).

Whether the charge point supports the profile is read from it (SupportedFeatureProfiles):
the cases for a charge point *without* it are not applicable to one that has it.
"""

from __future__ import annotations

from typing import Any

from bench.conformance.charger import physical
from bench.conformance.charger import states_v16_core as s
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.charger.states16 import configure
from bench.conformance.expect import integer_at_least

PROFILE = "LocalAuthListManagement"


def _entry(tag: str) -> dict[str, Any]:
    return {"idTag": tag, "idTagInfo": {"status": "Accepted"}}


async def _send(
    ctx: ChargerRun, version: int, kind: str, entries: list[dict[str, Any]] | None, *, step: int
) -> dict[str, Any]:
    payload: dict[str, Any] = {"listVersion": version, "updateType": kind}
    if entries is not None:
        payload["localAuthorizationList"] = entries
    return await ctx.request("SendLocalList", payload, step=step)


async def _version(ctx: ChargerRun, expected: int, *, step: int) -> None:
    reply = await ctx.request("GetLocalListVersion", {}, step=step)
    ctx.check(step + 1, "GetLocalListVersion.conf", reply, "listVersion", expected)


async def _without_profile(ctx: ChargerRun, *, allows_disabling: bool) -> None:
    """The prerequisite of the "not supported" cases."""
    profiles = await s.supported_profiles(ctx)
    if PROFILE in profiles and not allows_disabling:
        ctx.not_applicable(
            f"the charge point supports {PROFILE} (SupportedFeatureProfiles={','.join(profiles)})"
        )


@scenario("TC_042_1_CS")
async def list_version_not_supported(ctx: ChargerRun) -> None:
    # The charge point lacks the profile, or allows LocalAuthListEnabled=false.
    has = await s.configure_if_implemented(ctx, {"LocalAuthListEnabled": "false"})
    await _without_profile(ctx, allows_disabling=has["LocalAuthListEnabled"])
    rec = await ctx.call("GetLocalListVersion", {}, step=1)
    if rec.type == "CALLRESULT":
        ctx.check(2, "GetLocalListVersion.conf", rec.payload, "listVersion", -1)
    else:
        ctx.check_that(
            2, "CALLERROR", "errorCode", rec.error == "NotSupported", "NotSupported", str(rec.error)
        )


@scenario("TC_042_2_CS")
async def list_version_empty(ctx: ChargerRun) -> None:
    await configure(ctx, {"LocalAuthListEnabled": "true"})
    reply = await _send(ctx, 1, "Full", None, step=1)
    ctx.check(2, "SendLocalList.conf", reply, "status", "Accepted")
    await _version(ctx, 0, step=3)


@scenario("TC_043_CS")
async def send_local_list(ctx: ChargerRun) -> None:
    await configure(ctx, {"LocalAuthListEnabled": "true"})
    reply = await _send(ctx, 1, "Full", [_entry(ctx.valid_token)], step=1)
    ctx.check(2, "SendLocalList.conf", reply, "status", "Accepted")
    other = s.configured(ctx, "valid_id_token_2")
    reply = await _send(ctx, 2, "Differential", [_entry(other)], step=3)
    ctx.check(4, "SendLocalList.conf", reply, "status", "Accepted")


@scenario("TC_043_1_CS")
async def send_local_list_not_supported(ctx: ChargerRun) -> None:
    await _without_profile(ctx, allows_disabling=False)
    rec = await ctx.call(
        "SendLocalList",
        {
            "listVersion": 1,
            "updateType": "Full",
            "localAuthorizationList": [_entry(ctx.valid_token)],
        },
        step=1,
    )
    if rec.type == "CALLRESULT":
        ctx.check(2, "SendLocalList.conf", rec.payload, "status", "NotSupported")
    else:
        ctx.check_that(
            2, "CALLERROR", "errorCode", rec.error == "NotSupported", "NotSupported", str(rec.error)
        )


@scenario("TC_043_2_CS")
async def send_local_list_version_mismatch(ctx: ChargerRun) -> None:
    await configure(ctx, {"LocalAuthListEnabled": "true"})
    reply = await _send(ctx, 2, "Full", [_entry(ctx.valid_token)], step=1)
    ctx.check(2, "SendLocalList.conf", reply, "status", "Accepted")
    await _version(ctx, 2, step=3)
    other = s.configured(ctx, "valid_id_token_2")
    reply = await _send(ctx, 5, "Differential", [_entry(other)], step=5)
    ctx.check(6, "SendLocalList.conf", reply, "status", "Accepted")
    await _version(ctx, 5, step=7)
    reply = await _send(ctx, 4, "Differential", [_entry(f"{other}-B")], step=9)
    ctx.check(10, "SendLocalList.conf", reply, "status", "VersionMismatch")
    await _version(ctx, 5, step=11)


@scenario("TC_043_3_CS", physical=("local_list_fail",))
async def send_local_list_failed(ctx: ChargerRun) -> None:
    await configure(ctx, {"LocalAuthListEnabled": "true"})
    # Prerequisite: the charge point is in a state in which setting a list fails.
    await ctx.physical(
        "local_list_fail",
        "Bring the charge point into a state in which it fails to store a Local "
        "Authorization List (for example its storage full).",
    )
    reply = await _send(ctx, 2, "Full", [_entry(ctx.valid_token)], step=1)
    ctx.check(2, "SendLocalList.conf", reply, "status", "Failed")


@scenario("TC_008_CS", physical=("plug_in",))
async def start_with_local_list(ctx: ChargerRun) -> None:
    await configure(ctx, {"LocalPreAuthorize": "true"})
    await s.configure_if_implemented(ctx, {"AuthorizationCacheEnabled": "false"})
    await configure(ctx, {"LocalAuthListEnabled": "true"})
    # Prerequisite: AuthorizeRemoteTxRequests is not read-only false.
    await s.configure_writable(ctx, {"AuthorizeRemoteTxRequests": "true"})
    reply = await ctx.request("GetLocalListVersion", {}, step=1)
    ctx.check(2, "GetLocalListVersion.conf", reply, "listVersion", integer_at_least(-1))
    current = reply.get("listVersion")
    version = current + 1 if isinstance(current, int) and current > 0 else 1
    reply = await _send(ctx, version, "Full", [_entry(ctx.valid_token)], step=3)
    ctx.check(4, "SendLocalList.conf", reply, "status", "Accepted")
    since = ctx.mark()
    await physical.plug_in(ctx)
    await s.status(ctx, "Preparing", since=since, step=5)
    reply = await s.remote_start(ctx, step=7)
    ctx.check(8, "RemoteStartTransaction.conf", reply, "status", "Accepted")
    # The idTag is in the local list: with LocalPreAuthorize no Authorize.req is needed.
    await s.started(ctx, step=9, since=since)
