"""Offline periods of the 2.0.1 transaction cases: the CSMS closes the connection and
refuses the station's reconnects until the case accepts one (``CsmsEndpoint.refusing``).

While the station is offline there is no message to wait for between a driver's
actions: ``pause`` gives the station a moment to act on each.
"""

from __future__ import annotations

import asyncio

from bench.conformance.charger.run import ChargerRun, Inconclusive
from bench.conformance.charger.states_tx_events import configure_if_implemented
from bench.conformance.expect import one_of


async def offline(ctx: ChargerRun) -> None:
    """The OCTT closes the WebSocket connection AND does not accept a reconnect."""
    ctx.endpoint.refusing = "the test case keeps the station offline"
    await ctx.endpoint.disconnect()
    if not await ctx.disconnected():
        raise Inconclusive("the station stayed connected after the CSMS closed the connection")


async def online(ctx: ChargerRun) -> None:
    """The OCTT accepts the reconnection attempt from the station."""
    ctx.endpoint.refusing = None
    await ctx.connected(timeout=ctx.settings.timeout * 2)


async def pause(ctx: ChargerRun) -> None:
    """The moment between two of a driver's actions while the station is offline: with no
    message to wait for, the station gets this long to act on the first (a person takes
    longer; the bench's own station needs milliseconds)."""
    await asyncio.sleep(float(ctx.settings.extra.get("offline_action_pause", "0.5")))


async def fast_reconnect(ctx: ChargerRun, *, wait_minimum: int | None = None) -> None:
    """RetryBackOffWaitMinimum <Configured RetryBackOffWaitMinimum_duration> and no random
    range (where the station has them): it reconnects as soon as the case lets it."""
    wait = ctx.settings.retry_interval if wait_minimum is None else wait_minimum
    await configure_if_implemented(
        ctx,
        {
            "OCPPCommCtrlr/RetryBackOffWaitMinimum": str(wait),
            "OCPPCommCtrlr/RetryBackOffRandomRange": "0",
        },
    )


async def token_known_locally(ctx: ChargerRun) -> None:
    """Memory state IdTokenLocalAuthList for the valid token (so it is accepted offline),
    where the station has a local list."""
    reply = await ctx.call(
        "SendLocalList",
        {
            "versionNumber": 1,
            "updateType": "Full",
            "localAuthorizationList": [
                {"idToken": ctx.id_token(), "idTokenInfo": {"status": "Accepted"}}
            ],
        },
        step=None,
    )
    if reply.type == "CALLRESULT":
        ctx.check(
            None, "SendLocalListResponse", reply.payload, "status", one_of("Accepted", "Failed")
        )
