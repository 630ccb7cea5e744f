"""2.0.1 block D, Local Authorization List Management: CSMS test cases (part 6 §3.5).

The bench's station keeps the list the CSMS sends and answers GetLocalListVersion
with the version it holds. Where a case needs the station to hold a list already
("versionNumber bigger than currently configured in OCTT"), the CSMS sends it
first (manual action ``send_local_list``, Full, version 1): the station's answers
then are its own.
"""

from __future__ import annotations

from typing import Any

from bench.conformance import states
from bench.conformance import states_v201 as v201
from bench.conformance.case_run import CaseRun
from bench.conformance.expect import ABSENT, integer_at_least, satisfies
from bench.conformance.scenarios import scenario
from bench.conformance.states_auth import (
    SEND_LOCAL_LIST,
    list_entry,
    local_list_installed,
    send_local_list,
)
from bench.conformance.states_v201 import VALID_2

MESSAGE = "SendLocalListRequest"


def _not_empty(value: Any) -> bool:
    return isinstance(value, list) and len(value) > 0


def _empty(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 0


def _every(key: str, present: bool) -> Any:
    def test(value: Any) -> bool:
        return isinstance(value, list) and all(
            isinstance(e, dict) and (key in e) == present for e in value
        )

    return satisfies(test, f"every entry {'with' if present else 'without'} {key}")


async def _listed(ctx: CaseRun) -> int:
    """Booted, holding a list of version 1 with the valid card (the OCTT's configuration)."""
    await states.booted(ctx)
    return await local_list_installed(ctx, [list_entry(v201.valid_token(ctx))])


@scenario("TC_D_01_CSMS", manual=(SEND_LOCAL_LIST,))
async def send_full(ctx: CaseRun) -> None:
    # D01.FR.01/06/18 (and errata 2025-04: every entry carries idTokenInfo). The CSMS
    # may ask GetLocalListVersion first (optional step 1); the station answers its own.
    await states.booted(ctx)
    sent = await send_local_list(
        ctx,
        "Request the CSMS to send a Full Local Authorization List with some idTokens",
        "Full",
        1,
        [list_entry(v201.valid_token(ctx)), list_entry(v201.token(ctx, VALID_2))],
        step=3,
    )
    ctx.check(3, MESSAGE, sent, "updateType", "Full")
    ctx.check(3, MESSAGE, sent, "versionNumber", integer_at_least(1))
    ctx.check(3, MESSAGE, sent, "localAuthorizationList", satisfies(_not_empty, "not empty"))
    ctx.check(3, MESSAGE, sent, "localAuthorizationList", _every("idTokenInfo", present=True))


@scenario("TC_D_02_CSMS", manual=(SEND_LOCAL_LIST,))
async def send_differential_update(ctx: CaseRun) -> None:
    # D01.FR.01/06/18: a Differential update newer than the list the station holds.
    held = await _listed(ctx)
    sent = await send_local_list(
        ctx,
        "Request the CSMS to send a Local Authorization List with type Differential and "
        "some idTokens",
        "Differential",
        held + 1,
        [list_entry(v201.token(ctx, VALID_2))],
        step=3,
    )
    ctx.check(3, MESSAGE, sent, "updateType", "Differential")
    ctx.check(3, MESSAGE, sent, "versionNumber", integer_at_least(held + 1))
    ctx.check(3, MESSAGE, sent, "localAuthorizationList", satisfies(_not_empty, "not empty"))


@scenario("TC_D_03_CSMS", manual=(SEND_LOCAL_LIST,))
async def send_differential_remove(ctx: CaseRun) -> None:
    # D01.FR.17: entries without idTokenInfo are removed from the list.
    held = await _listed(ctx)
    sent = await send_local_list(
        ctx,
        "Request the CSMS to send a Local Authorization List with type Differential and "
        "AuthorizationData elements without idTokenInfo",
        "Differential",
        held + 1,
        [list_entry(v201.valid_token(ctx), status=None)],
        step=1,
    )
    ctx.check(1, MESSAGE, sent, "updateType", "Differential")
    ctx.check(1, MESSAGE, sent, "versionNumber", integer_at_least(held + 1))
    ctx.check(1, MESSAGE, sent, "localAuthorizationList", satisfies(_not_empty, "not empty"))
    ctx.check(1, MESSAGE, sent, "localAuthorizationList", _every("idTokenInfo", present=False))


@scenario("TC_D_04_CSMS", manual=(SEND_LOCAL_LIST,))
async def send_full_empty(ctx: CaseRun) -> None:
    # D01.FR.04/15: a Full list without entries empties the station's list.
    await states.booted(ctx)
    sent = await send_local_list(
        ctx,
        "Request the CSMS to send a Local Authorization List with type Full and without "
        "AuthorizationData elements",
        "Full",
        1,
        [],
        step=1,
    )
    ctx.check(1, MESSAGE, sent, "updateType", "Full")
    empty = satisfies(lambda v: v is ABSENT or _empty(v), "empty (absent or [])")
    ctx.check(1, MESSAGE, sent, "localAuthorizationList", empty)


async def _get_version(ctx: CaseRun) -> None:
    await ctx.request_by_hand(
        "get_local_list_version",
        "Request the CSMS to get the Local Authorization List version",
        "GetLocalListVersion",
        {},
        step=1,
    )


@scenario("TC_D_08_CSMS", manual=(SEND_LOCAL_LIST, "get_local_list_version"))
async def get_version(ctx: CaseRun) -> None:
    # D02: the station holds list version 1 and says so.
    await _listed(ctx)
    await _get_version(ctx)


@scenario("TC_D_09_CSMS", manual=("get_local_list_version",))
async def get_version_no_list(ctx: CaseRun) -> None:
    # D02.FR.02: no list was ever sent: the station answers versionNumber 0.
    await states.booted(ctx)
    await _get_version(ctx)
