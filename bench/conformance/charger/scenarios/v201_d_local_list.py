"""2.0.1 block D, Local Authorization List Management: TC_D_01-08 and 10 (part 6 §2.5).

<Configured versionNumber> is ``states_auth.list_version`` (5 by default, > 1 as
TC_D_06_CS needs). A memory state IdTokenLocalAuthList puts the valid token in the
list with that version first.
"""

from __future__ import annotations

from typing import Any

from bench.conformance.charger import states201 as v201
from bench.conformance.charger import states_auth as auth
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario

LIST_ON = {"LocalAuthListCtrlr/Enabled": "true"}


async def _send(
    ctx: ChargerRun, update: str, version: int, entries: list[dict[str, Any]], *, step: int
) -> dict[str, Any]:
    payload: dict[str, Any] = {"versionNumber": version, "updateType": update}
    if entries:  # an empty list is left out (the field has at least one item)
        payload["localAuthorizationList"] = entries
    return await ctx.request("SendLocalList", payload, step=step)


async def _version(ctx: ChargerRun, expected: int, *, step: int) -> None:
    reply = await ctx.request("GetLocalListVersion", {}, step=step - 1)
    ctx.check(step, "GetLocalListVersionResponse", reply, "versionNumber", expected)


async def _with_list(ctx: ChargerRun) -> int:
    """Configuration state, then memory state IdTokenLocalAuthList; the version."""
    await auth.configure_optional(ctx, LIST_ON)
    await auth.listed(ctx, [auth.list_entry(ctx, "valid")])
    return auth.list_version(ctx)


@scenario("TC_D_01_CS")
async def send_full(ctx: ChargerRun) -> None:
    """D01.FR.01/02: a Full list replaces the list and sets the version."""
    await auth.configure_optional(ctx, LIST_ON)
    version = auth.list_version(ctx)
    reply = await _send(ctx, "Full", version, [auth.list_entry(ctx, "valid")], step=1)
    ctx.check(2, "SendLocalListResponse", reply, "status", "Accepted")
    await _version(ctx, version, step=4)


@scenario("TC_D_02_CS")
async def send_differential_update(ctx: ChargerRun) -> None:
    """D01.FR.04/05: a Differential update adds an entry and sets the version."""
    version = await _with_list(ctx) + 1
    reply = await _send(ctx, "Differential", version, [auth.list_entry(ctx, "valid2")], step=1)
    ctx.check(2, "SendLocalListResponse", reply, "status", "Accepted")
    await _version(ctx, version, step=4)


@scenario("TC_D_03_CS")
async def send_differential_remove(ctx: ChargerRun) -> None:
    """D01.FR.16: entries without idTokenInfo are removed."""
    version = await _with_list(ctx) + 1
    removal = [auth.list_entry(ctx, "valid", None)]
    reply = await _send(ctx, "Differential", version, removal, step=1)
    ctx.check(2, "SendLocalListResponse", reply, "status", "Accepted")
    # The case numbers this check step 3 (its step 4 is the response).
    await _version(ctx, version, step=4)


@scenario("TC_D_04_CS")
async def send_full_empty(ctx: ChargerRun) -> None:
    """D01.FR.03: a Full update without entries empties the list."""
    version = await _with_list(ctx)
    reply = await _send(ctx, "Full", version, [], step=1)
    ctx.check(2, "SendLocalListResponse", reply, "status", "Accepted")
    await _version(ctx, version, step=4)


@scenario("TC_D_05_CS")
async def send_differential_empty(ctx: ChargerRun) -> None:
    """D01.FR.17: a Differential update without entries only sets the version."""
    version = await _with_list(ctx) + 1
    reply = await _send(ctx, "Differential", version, [], step=1)
    ctx.check(2, "SendLocalListResponse", reply, "status", "Accepted")
    await _version(ctx, version, step=4)


@scenario("TC_D_06_CS")
async def send_version_mismatch(ctx: ChargerRun) -> None:
    """D01.FR.19: a Differential update with an older version is a VersionMismatch."""
    version = await _with_list(ctx)
    reply = await _send(ctx, "Differential", version - 1, [auth.list_entry(ctx, "valid2")], step=1)
    ctx.check(2, "SendLocalListResponse", reply, "status", "VersionMismatch")
    await _version(ctx, version, step=4)


@scenario("TC_D_07_CS", physical=())
async def list_survives_reboot(ctx: ChargerRun) -> None:
    """The list and its version are kept over a reboot."""
    version = await _with_list(ctx)
    await v201.booted(ctx, step=1)
    await _version(ctx, version, step=2)


@scenario("TC_D_08_CS")
async def get_version(ctx: ChargerRun) -> None:
    """D02.FR.01: GetLocalListVersion gives the list's version."""
    version = await _with_list(ctx)
    await _version(ctx, version, step=2)


@scenario("TC_D_10_CS")
async def get_version_disabled(ctx: ChargerRun) -> None:
    """D02.FR.02: with the list disabled the version is 0."""
    await auth.configure_optional(ctx, {"LocalAuthListCtrlr/Enabled": "false"})
    await _version(ctx, 0, step=2)
