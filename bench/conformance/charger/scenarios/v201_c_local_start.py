"""2.0.1 block C, Authorization: local start and stop with a token the CSMS refuses
(TC_C_02, 04, 05, 06, 07, 56; part 6 §2.4)."""

from __future__ import annotations

from bench.conformance.charger import physical
from bench.conformance.charger import states201 as v201
from bench.conformance.charger import states_auth as auth
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario

# The case's configuration state: authorization on, remote authorization allowed.
AUTH_ON = {"AuthCtrlr/Enabled": "true", "AuthCtrlr/DisableRemoteAuthorization": "false"}
CABLE_LOCK = "AQ-2"  # part 5: a cable lock keeps the EV from connecting before authorization


async def _refused_at_start(ctx: ChargerRun, kind: str, status: str, *, plug_first: bool) -> None:
    """Present the token (after the cable, EVConnectedPreSession, unless the station has
    a cable lock); the CSMS answers ``status``; no TransactionEvent may follow
    (C01.FR.02 / C06.FR.02)."""
    await auth.configure_optional(ctx, AUTH_ON)
    tag = auth.token(ctx, kind)
    auth.answer_tokens(ctx, {tag: auth.info(ctx, status)})
    if plug_first:
        await v201.ev_connected(ctx, step=1)
    since = ctx.mark()
    await physical.present(ctx, tag)
    request = await auth.authorize_request(ctx, kind, step=1, since=since)
    ctx.memory["authorize"] = request
    since = ctx.mark()
    await ctx.no_station_request(
        "TransactionEvent",
        step=2,
        since=since,
        why=f"the CSMS answered {status} for {tag}",
    )


def _no_cable_lock(ctx: ChargerRun) -> None:
    if CABLE_LOCK in ctx.settings.features:
        ctx.not_applicable(
            "the station declares a cable lock that keeps the EV from connecting before "
            f"authorization ({CABLE_LOCK}); this case is for stations without one"
        )


@scenario("TC_C_02_CS", physical=("plug_in", "present_token"))
async def invalid_token(ctx: ChargerRun) -> None:
    _no_cable_lock(ctx)
    await _refused_at_start(ctx, "invalid", "Invalid", plug_first=True)


@scenario("TC_C_05_CS", physical=("present_token",))
async def invalid_token_cable_lock(ctx: ChargerRun) -> None:
    ctx.needs_feature(CABLE_LOCK)
    await _refused_at_start(ctx, "invalid", "Invalid", plug_first=False)


@scenario("TC_C_06_CS", physical=("plug_in", "present_token"))
async def blocked_token(ctx: ChargerRun) -> None:
    # The case says "Locked", which IdTokenInfoType has no such status for: Blocked.
    _no_cable_lock(ctx)
    await _refused_at_start(ctx, "blocked", "Blocked", plug_first=True)


@scenario("TC_C_07_CS", physical=("plug_in", "present_token"))
async def expired_token(ctx: ChargerRun) -> None:
    _no_cable_lock(ctx)
    await _refused_at_start(ctx, "expired", "Expired", plug_first=True)


@scenario("TC_C_56_CS", physical=("plug_in", "present_token"))
async def unknown_token(ctx: ChargerRun) -> None:
    _no_cable_lock(ctx)
    await _refused_at_start(ctx, "invalid", "Unknown", plug_first=True)


@scenario("TC_C_04_CS", physical=("present_token", "plug_in"))
async def stop_with_a_different_token(ctx: ChargerRun) -> None:
    """C01.FR.03: a different token (not in the group of the first) does not stop the
    transaction, even when the CSMS accepts it."""
    await auth.configure_optional(ctx, AUTH_ON)
    other = auth.token(ctx, "valid2")
    auth.answer_tokens(
        ctx,
        {
            auth.token(ctx, "valid"): auth.info(ctx, "Accepted"),
            other: auth.info(ctx, "Accepted"),
        },
    )
    await v201.energy_transfer_started(ctx, step=1)
    since = ctx.mark()
    await physical.present(ctx, other)
    request = await auth.authorize_request(ctx, "valid2", step=1, since=since)
    ctx.memory["authorize"] = request
    await ctx.no_station_request(
        "TransactionEvent",
        step=2,
        since=since,
        match=lambda p: "idToken" in p or p.get("eventType") == "Ended",
        why=f"{other} did not start the transaction",
    )
