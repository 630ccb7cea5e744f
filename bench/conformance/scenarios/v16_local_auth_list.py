"""OCPP 1.6 Local Authorization List Management (1.6 test case document §3.14).

The bench's station answers from its own list (1.6 §5.10, §5.15): -1 and
NotSupported while LocalAuthListEnabled is false, 0 for an empty list, Accepted
for a well-formed update. Failed, which a station gives when an update cannot be
stored, is OCTT's scripted answer here.
"""

from __future__ import annotations

from typing import Any

from bench.conformance import states_v16 as s16
from bench.conformance.case_run import CaseRun
from bench.conformance.expect import satisfies
from bench.conformance.scenarios import scenario


def _every_entry_has_id_tag_info(entries: Any) -> bool:
    return isinstance(entries, list) and all(
        isinstance(e, dict) and isinstance(e.get("idTagInfo"), dict) for e in entries
    )


EVERY_ENTRY_HAS_ID_TAG_INFO = satisfies(
    _every_entry_has_id_tag_info, "a list whose every entry has an idTagInfo"
)


async def _get_version(ctx: CaseRun) -> None:
    await ctx.request_by_hand(
        "get_local_list_version",
        "Request the Central System to get the Local Authorization List version",
        "GetLocalListVersion",
        {},
        step=1,
    )


def _list_request(ctx: CaseRun, update_type: str, version: int) -> dict[str, Any]:
    tag = ctx.settings.valid_id_token
    return {
        "listVersion": version,
        "updateType": update_type,
        "localAuthorizationList": [{"idTag": tag, "idTagInfo": {"status": "Accepted"}}],
    }


async def _send_list(
    ctx: CaseRun, update_type: str, version: int, *, step: int = 1
) -> dict[str, Any]:
    tag = ctx.settings.valid_id_token
    return await ctx.request_by_hand(
        "send_local_list",
        f"Request the Central System to send a {update_type} Local Authorization List "
        f"(version {version}) with idTag {tag}",
        "SendLocalList",
        _list_request(ctx, update_type, version),
        step=step,
        update_type=update_type,
        list_version=version,
        id_tokens=tag,
    )


@scenario("TC_042_1_CSMS", manual=("get_local_list_version",))
async def list_version_not_supported(ctx: CaseRun) -> None:
    # 1.6 §5.10: -1 while the list is disabled (LocalAuthListEnabled false).
    await s16.write_settings(ctx, LocalAuthListEnabled="false")
    await s16.booted(ctx)
    since = ctx.mark()
    await _get_version(ctx)
    await s16.station_answered(ctx, "GetLocalListVersion", since=since, listVersion=-1)


@scenario("TC_042_2_CSMS", manual=("get_local_list_version",))
async def list_version_empty(ctx: CaseRun) -> None:
    # 1.6 §5.10: 0 for an enabled, empty list.
    await s16.booted(ctx)
    since = ctx.mark()
    await _get_version(ctx)
    await s16.station_answered(ctx, "GetLocalListVersion", since=since, listVersion=0)


@scenario("TC_043_1_CSMS", manual=("send_local_list",))
async def send_list_not_supported(ctx: CaseRun) -> None:
    # 1.6 §5.15, §7.47 NotSupported: the list is disabled on the station.
    await s16.write_settings(ctx, LocalAuthListEnabled="false")
    await s16.booted(ctx)
    since = ctx.mark()
    request = await _send_list(ctx, "Full", 1)
    ctx.check(1, "SendLocalList.req", request, "updateType", "Full")
    await s16.station_answered(ctx, "SendLocalList", since=since, status="NotSupported")


@scenario("TC_043_3_CSMS", manual=("send_local_list",))
async def send_list_failed(ctx: CaseRun) -> None:
    # 1.6 §7.47 Failed: the station could not store the list (OCTT's scripted answer).
    await s16.booted(ctx)
    s16.answer_with(ctx, "SendLocalList", {"status": "Failed"})
    since = ctx.mark()
    request = await _send_list(ctx, "Full", 1)
    ctx.check(1, "SendLocalList.req", request, "updateType", "Full")
    await s16.station_answered(ctx, "SendLocalList", since=since, status="Failed")


@scenario("TC_043_4_CSMS", manual=("send_local_list",))
async def send_full_list(ctx: CaseRun) -> None:
    # 1.6 §5.15, §7.1: a Full list; every entry carries an idTagInfo.
    await s16.booted(ctx)
    since = ctx.mark()
    request = await _send_list(ctx, "Full", 1)
    ctx.check(1, "SendLocalList.req", request, "updateType", "Full")
    ctx.check(
        1, "SendLocalList.req", request, "localAuthorizationList", EVERY_ENTRY_HAS_ID_TAG_INFO
    )
    await s16.station_answered(ctx, "SendLocalList", since=since, status="Accepted")


@scenario("TC_043_5_CSMS", manual=("send_local_list",))
async def send_differential_list(ctx: CaseRun) -> None:
    # 1.6 §5.15: a Differential update (adding entries, each with its idTagInfo). Steps 1
    # and 2 (GetLocalListVersion) are optional: the Central System may ask first.
    await s16.booted(ctx)
    since = ctx.mark()
    request = await _send_list(ctx, "Differential", 1, step=3)
    ctx.check(3, "SendLocalList.req", request, "updateType", "Differential")
    ctx.check(
        3, "SendLocalList.req", request, "localAuthorizationList", EVERY_ENTRY_HAS_ID_TAG_INFO
    )
    await s16.station_answered(ctx, "SendLocalList", since=since, status="Accepted")
