"""2.0.1 block C, Authorization: the Authorization Cache (C10-C12), TC_C_08-14, 32-38,
46 and 57 (part 6 §2.4).

Each case first writes its configuration state, then puts its tokens in the cache
(memory state IdTokenCached: the token is presented and answered), then plays its
main scenario.
"""

from __future__ import annotations

import asyncio

from bench.conformance.charger import physical
from bench.conformance.charger import states201 as v201
from bench.conformance.charger import states_auth as auth
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.expect import absent_or

CACHE = "C-49"  # part 5: Authorization Cache (AuthCacheEnabled)
CACHE_ON = {"AuthCacheCtrlr/Enabled": "true", "AuthCtrlr/LocalPreAuthorize": "true"}
POST_AUTHORIZE = {**CACHE_ON, "AuthCacheCtrlr/DisablePostAuthorize": "false"}
PHYSICAL = ("present_token", "plug_in", "unplug")


async def _setup(ctx: ChargerRun, config: dict[str, str], *, feature: str = CACHE) -> None:
    ctx.needs_feature(feature)
    await auth.configure_optional(ctx, config)


@scenario("TC_C_08_CS", physical=PHYSICAL)
async def cached_accepted(ctx: ChargerRun) -> None:
    """C12.FR.02: an Accepted cached token starts at once, without an AuthorizeRequest."""
    await _setup(ctx, CACHE_ON)
    await auth.cached(ctx, "valid")
    await v201.ev_connected(ctx, step=1)
    await auth.start_locally(ctx, "valid", step=1, plugged=True, decided_locally=True)


async def _cached_not_accepted(
    ctx: ChargerRun, kind: str, cached_as: str, answer: str, config: dict[str, str]
) -> None:
    """C10.FR.03, C12.FR.05: a cached token that is not Accepted is checked with the
    CSMS; its answer ``answer`` refuses it again."""
    await _setup(ctx, config)
    await auth.cached(ctx, kind, cached_as)
    await auth.ev_connected(ctx, step=None)
    tag = auth.token(ctx, kind)
    auth.answer_tokens(ctx, {tag: auth.info(ctx, answer)})
    since = ctx.mark()
    await physical.present(ctx, tag)
    await auth.authorize_request(ctx, kind, step=1, since=since)
    await auth.refused(ctx, step=2, since=since, why=f"the CSMS answered {answer}")


@scenario("TC_C_09_CS", physical=PHYSICAL)
async def cached_invalid(ctx: ChargerRun) -> None:
    await _cached_not_accepted(ctx, "invalid", "Invalid", "Invalid", POST_AUTHORIZE)


@scenario("TC_C_10_CS", physical=PHYSICAL)
async def cached_blocked(ctx: ChargerRun) -> None:
    # "Restricted" is no IdTokenInfo status: the blocked token, cached and answered Blocked.
    await _cached_not_accepted(ctx, "blocked", "Blocked", "Blocked", POST_AUTHORIZE)


@scenario("TC_C_11_CS", physical=PHYSICAL)
async def cached_expired(ctx: ChargerRun) -> None:
    await _cached_not_accepted(ctx, "expired", "Expired", "Expired", POST_AUTHORIZE)


@scenario("TC_C_12_CS", physical=PHYSICAL)
async def cached_invalid_now_accepted(ctx: ChargerRun) -> None:
    """C12.FR.05: the CSMS now accepts the cached Invalid token: the transaction starts."""
    await _setup(ctx, POST_AUTHORIZE)
    await auth.cached(ctx, "invalid", "Invalid")
    await auth.ev_connected(ctx, step=None)
    tag = auth.token(ctx, "invalid")
    auth.answer_tokens(ctx, {tag: auth.info(ctx, "Accepted")})
    since = ctx.mark()
    await physical.present(ctx, tag)
    await auth.authorize_request(ctx, "invalid", step=1, since=since)
    await auth.charging(ctx, step=5, since=since)


@scenario("TC_C_13_CS", physical=PHYSICAL)
async def cached_accepted_cable_later(ctx: ChargerRun) -> None:
    """C12.FR.02: authorized from the cache first; energy flows only once the cable is in."""
    await _setup(ctx, CACHE_ON)
    await auth.cached(ctx, "valid")
    await auth.start_locally(ctx, "valid", step=1, plugged=False, decided_locally=True)


@scenario("TC_C_14_CS", physical=PHYSICAL)
async def cached_master_pass(ctx: ChargerRun) -> None:
    """C12.FR.09, C16.FR.03: a cached Master Pass token stops the transaction."""
    auth.needs_any(ctx, "C-07", "C-08")
    group = auth.master_pass_group(ctx)
    await _setup(ctx, {**CACHE_ON, "AuthCtrlr/MasterPassGroupId": group})
    await auth.cached(ctx, "masterpass", "Accepted", group=group, charge=False)
    auth.answer_tokens(
        ctx,
        {
            auth.token(ctx, "masterpass"): auth.info(ctx, "Accepted", group=group),
            auth.token(ctx, "valid"): auth.info(ctx, "Accepted"),
        },
    )
    await v201.energy_transfer_started(ctx, step=1)
    since = ctx.mark()
    await physical.present(ctx, auth.token(ctx, "masterpass"))
    event = await ctx.station_request(
        "TransactionEvent",
        step=2,
        since=since,
        match=lambda p: p.get("triggerReason") == "StopAuthorized",
        what="a TransactionEvent with triggerReason StopAuthorized",
    )
    ctx.check(2, "TransactionEventRequest", event, "triggerReason", "StopAuthorized")
    auth.check_token(ctx, 2, "TransactionEventRequest", event, "masterpass")
    if event.get("eventType") == "Ended":
        ctx.check(
            2, "TransactionEventRequest", event, "transactionInfo.stoppedReason", "MasterPass"
        )
        return
    # Steps 3-5: the transaction still runs; the EV leaves.
    await v201.ev_disconnected(ctx, step=4)


async def _fresh_online_start(ctx: ChargerRun, kind: str, *, step: int) -> None:
    """Present the token with the cable in: AuthorizeRequest (checked) answered Accepted,
    TransactionEvent Authorized, energy transfer."""
    since = ctx.mark()
    await physical.present(ctx, auth.token(ctx, kind))
    await auth.authorize_request(ctx, kind, step=step, since=since)
    await auth.authorized_event(
        ctx, kind, step=step + 2, since=since, started=await auth.started_on_plug(ctx)
    )
    await auth.charging(ctx, step=step + 4, since=since)


async def _stop_and_leave(ctx: ChargerRun, kind: str, *, step: int) -> None:
    """StopAuthorized with the same token, EVConnectedPostSession, EVDisconnected."""
    since = ctx.mark()
    await physical.present(ctx, auth.token(ctx, kind))
    event = await ctx.station_request(
        "TransactionEvent",
        step=step,
        since=since,
        match=lambda p: p.get("triggerReason") == "StopAuthorized",
        what="a TransactionEvent with triggerReason StopAuthorized",
    )
    ctx.check(
        step, "TransactionEventRequest", event, "idToken.idToken", absent_or(auth.token(ctx, kind))
    )
    await v201.ev_disconnected(ctx, step=step + 1)


@scenario("TC_C_32_CS", physical=(*PHYSICAL,))
async def cache_survives_reboot(ctx: ChargerRun) -> None:
    """C10: the cache is kept over a reboot: the cached token starts without asking."""
    await _setup(ctx, CACHE_ON)
    await auth.cached(ctx, "valid")
    await v201.booted(ctx, step=1)
    await auth.start_locally(ctx, "valid", step=2, plugged=False, decided_locally=True)


@scenario("TC_C_33_CS", physical=PHYSICAL)
async def cache_updated_by_authorize(ctx: ChargerRun) -> None:
    """C10.FR.04: the AuthorizeResponse goes into the cache; next time the token is
    decided locally and the TransactionEventResponse's Invalid comes after."""
    await _setup(ctx, {**CACHE_ON, "LocalAuthListCtrlr/Enabled": "true"})
    tag = auth.token(ctx, "valid")
    auth.answer_tokens(ctx, {tag: auth.info(ctx, "Accepted")})
    await auth.ev_connected(ctx, step=None)
    await _fresh_online_start(ctx, "valid", step=1)
    await _stop_and_leave(ctx, "valid", step=6)
    await v201.ev_connected(ctx, step=10)
    auth.answer_tokens(ctx, {tag: auth.info(ctx, "Invalid")})
    since = ctx.mark()
    await physical.present(ctx, tag)
    await auth.no_authorize(ctx, "valid", step=12, since=since)
    await auth.authorized_event(
        ctx, "valid", step=12, since=since, started=await auth.started_on_plug(ctx)
    )


@scenario("TC_C_34_CS", physical=PHYSICAL)
async def cache_updated_by_transaction_event(ctx: ChargerRun) -> None:
    """C10.FR.05: the TransactionEventResponse's Invalid goes into the cache; next time the
    token is checked with the CSMS again (C10.FR.03)."""
    await _setup(ctx, {**CACHE_ON, "LocalAuthListCtrlr/Enabled": "true"})
    await auth.cached(ctx, "valid")
    await auth.ev_connected(ctx, step=None)
    tag = auth.token(ctx, "valid")
    auth.answer_tokens(ctx, {tag: auth.info(ctx, "Invalid")})
    since = ctx.mark()
    await physical.present(ctx, tag)
    await auth.authorized_event(
        ctx, "valid", step=1, since=since, started=await auth.started_on_plug(ctx)
    )
    await v201.ev_disconnected(ctx, step=3)
    await v201.ev_connected(ctx, step=6)
    since = ctx.mark()
    await physical.present(ctx, tag)
    await auth.authorize_request(ctx, "valid", step=7, since=since)
    await auth.refused(ctx, step=8, since=since, why="the CSMS answered Invalid")


@scenario("TC_C_36_CS", physical=PHYSICAL)
async def cache_without_pre_authorize(ctx: ChargerRun) -> None:
    """C12.FR.02 off: with LocalPreAuthorize false even a cached token is asked for."""
    ctx.needs_feature(CACHE)
    await auth.configure_optional(ctx, {"AuthCacheCtrlr/Enabled": "true"})
    await auth.cached(ctx, "valid")
    await auth.configure_optional(
        ctx, {"AuthCtrlr/LocalPreAuthorize": "false"}, required=("AuthCtrlr/LocalPreAuthorize",)
    )
    tag = auth.token(ctx, "valid")
    auth.answer_tokens(ctx, {tag: auth.info(ctx, "Invalid")})
    since = ctx.mark()
    await physical.present(ctx, tag)
    await auth.authorize_request(ctx, "valid", step=1, since=since)


@scenario("TC_C_37_CS", physical=PHYSICAL)
async def clear_cache(ctx: ChargerRun) -> None:
    """C11.FR.01-03: ClearCache Accepted; the token is asked for again."""
    await _setup(ctx, {"AuthCacheCtrlr/Enabled": "true"})
    await auth.cached(ctx, "valid")
    reply = await ctx.request("ClearCache", {}, step=1)
    ctx.check(2, "ClearCacheResponse", reply, "status", "Accepted")
    await v201.ev_connected(ctx, step=4)
    await _fresh_online_start(ctx, "valid", step=5)


@scenario("TC_C_38_CS", physical=PHYSICAL)
async def clear_cache_disabled(ctx: ChargerRun) -> None:
    """C11.FR.04: ClearCache is Rejected while the cache is disabled."""
    ctx.needs_feature(CACHE)
    await auth.configure_optional(ctx, {"AuthCacheCtrlr/Enabled": "true"})
    await auth.cached(ctx, "valid")
    await auth.configure_optional(ctx, {"AuthCacheCtrlr/Enabled": "false"})
    reply = await ctx.request("ClearCache", {}, step=1)
    ctx.check(2, "ClearCacheResponse", reply, "status", "Rejected")


@scenario("TC_C_46_CS", physical=PHYSICAL)
async def cache_lifetime(ctx: ChargerRun) -> None:
    """C10.FR.08: an entry older than AuthCacheCtrlr.LifeTime is asked for again."""
    ctx.needs_feature("C-53")
    lifetime = 2  # <Configured TransactionDuration>, short for the run
    await auth.configure_optional(
        ctx,
        {"AuthCacheCtrlr/LifeTime": str(lifetime), "AuthCtrlr/LocalPreAuthorize": "true"},
        required=("AuthCacheCtrlr/LifeTime",),
    )
    await auth.cached(ctx, "valid")
    await auth.ev_connected(ctx, step=None)
    await asyncio.sleep(lifetime + 1)  # step 1: wait <Configured Transaction Duration>
    since = ctx.mark()
    await physical.present(ctx, auth.token(ctx, "valid"))
    await auth.authorize_request(ctx, "valid", step=2, since=since)
    await auth.charging(ctx, step=2, since=since)


@scenario("TC_C_57_CS", physical=PHYSICAL)
async def cache_post_authorize_disabled(ctx: ChargerRun) -> None:
    """AuthCacheCtrlr.DisablePostAuthorize: a cached Invalid token is refused locally."""
    ctx.needs_feature(CACHE)
    ctx.needs_feature("C-59")
    await auth.configure_optional(
        ctx,
        {**CACHE_ON, "AuthCacheCtrlr/DisablePostAuthorize": "true"},
        required=("AuthCacheCtrlr/DisablePostAuthorize",),
    )
    await auth.cached(ctx, "invalid", "Invalid")
    await auth.ev_connected(ctx, step=None)
    since = ctx.mark()
    await physical.present(ctx, auth.token(ctx, "invalid"))
    await auth.no_authorize(ctx, "invalid", step=1, since=since)
    await auth.refused(ctx, step=1, since=since)
