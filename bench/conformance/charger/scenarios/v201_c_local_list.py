"""2.0.1 block C, Authorization: online authorization through the Local Authorization
List (C14), TC_C_27-31 and 58 (part 6 §2.4).

The list is written first (memory state IdTokenLocalAuthList, a SendLocalList Full),
then the token is presented with the station online.
"""

from __future__ import annotations

from bench.conformance.charger import physical
from bench.conformance.charger import states201 as v201
from bench.conformance.charger import states_auth as auth
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario

LIST_ON = {"LocalAuthListCtrlr/Enabled": "true", "AuthCtrlr/LocalPreAuthorize": "true"}
POST_AUTHORIZE = {**LIST_ON, "LocalAuthListCtrlr/DisablePostAuthorize": "false"}
PHYSICAL = ("present_token", "plug_in")


@scenario("TC_C_27_CS", physical=PHYSICAL)
async def listed_accepted(ctx: ChargerRun) -> None:
    """C14.FR.02: an Accepted list entry starts without an AuthorizeRequest."""
    await auth.configure_optional(ctx, LIST_ON)
    await auth.listed(ctx, [auth.list_entry(ctx, "valid")])
    auth.answer_tokens(ctx, {auth.token(ctx, "valid"): auth.info(ctx, "Accepted")})
    await auth.start_locally(ctx, "valid", step=1, plugged=False, decided_locally=True)


async def _listed_not_accepted(
    ctx: ChargerRun, kind: str, status: str, *, plug_first: bool
) -> None:
    """C14.FR.03: a list entry that is not Accepted is checked with the CSMS, which
    answers the same: no transaction."""
    await auth.configure_optional(ctx, POST_AUTHORIZE)
    await auth.listed(ctx, [auth.list_entry(ctx, kind, status)])
    tag = auth.token(ctx, kind)
    auth.answer_tokens(ctx, {tag: auth.info(ctx, status)})
    if plug_first:
        await auth.ev_connected(ctx, step=None)
    since = ctx.mark()
    await physical.present(ctx, tag)
    await auth.authorize_request(ctx, kind, step=1, since=since)
    await auth.refused(ctx, step=2, since=since, why=f"the CSMS answered {status}")


@scenario("TC_C_28_CS", physical=PHYSICAL)
async def listed_invalid(ctx: ChargerRun) -> None:
    await _listed_not_accepted(ctx, "invalid", "Invalid", plug_first=False)


@scenario("TC_C_29_CS", physical=PHYSICAL)
async def listed_blocked(ctx: ChargerRun) -> None:
    # "Restricted" is no IdTokenInfo status: the blocked token, listed and answered Blocked.
    await _listed_not_accepted(ctx, "blocked", "Blocked", plug_first=True)


@scenario("TC_C_30_CS", physical=PHYSICAL)
async def listed_expired(ctx: ChargerRun) -> None:
    await _listed_not_accepted(ctx, "expired", "Expired", plug_first=True)


@scenario("TC_C_31_CS", physical=PHYSICAL)
async def listed_invalid_now_accepted(ctx: ChargerRun) -> None:
    """C14.FR.03: the CSMS accepts the listed Invalid token: it charges."""
    await auth.configure_optional(ctx, POST_AUTHORIZE)
    await auth.listed(ctx, [auth.list_entry(ctx, "invalid", "Invalid")])
    tag = auth.token(ctx, "invalid")
    auth.answer_tokens(ctx, {tag: auth.info(ctx, "Accepted")})
    since = ctx.mark()
    await physical.present(ctx, tag)
    await auth.authorize_request(ctx, "invalid", step=1, since=since)
    starts = await auth.tx_points(ctx)
    if "Authorized" in starts or "ParkingBayOccupancy" in starts:
        await auth.authorized_event(ctx, "invalid", step=1, since=since)
    plugged = ctx.mark()
    await v201.ev_connected(ctx, step=2)
    await auth.charging(ctx, step=3, since=plugged)


@scenario("TC_C_58_CS", physical=PHYSICAL)
async def listed_post_authorize_disabled(ctx: ChargerRun) -> None:
    """LocalAuthListCtrlr.DisablePostAuthorize: a listed Invalid token is refused locally."""
    ctx.needs_feature("LA-3")
    await auth.configure_optional(
        ctx,
        {**LIST_ON, "LocalAuthListCtrlr/DisablePostAuthorize": "true"},
        required=("LocalAuthListCtrlr/DisablePostAuthorize",),
    )
    await auth.listed(ctx, [auth.list_entry(ctx, "invalid", "Invalid")])
    await auth.ev_connected(ctx, step=None)
    since = ctx.mark()
    await physical.present(ctx, auth.token(ctx, "invalid"))
    await auth.no_authorize(ctx, "invalid", step=1, since=since)
    await auth.refused(ctx, step=1, since=since)
