"""OCPP 1.6 Core: configuration keys, happy and non-happy, and DataTransfer
(1.6 test case document §3.7, 3.13, 3.20).

The manual actions reuse the catalogue's configuration keys: ``get_variables`` and
``set_variables`` (GetConfiguration and ChangeConfiguration in 1.6), with the key
names in ``variables`` ("Key" or "Key=value").
"""

from __future__ import annotations

import logging
from typing import Any

from bench.conformance import states_v16 as s16
from bench.conformance.case_run import CaseRun
from bench.conformance.expect import ABSENT, satisfies
from bench.conformance.scenarios import scenario

log = logging.getLogger(__name__)


async def _get_configuration(ctx: CaseRun, keys: list[str]) -> dict[str, Any]:
    which = ", ".join(keys) if keys else "all configuration keys"
    request: dict[str, Any] = {"key": keys} if keys else {}
    return await ctx.request_by_hand(
        "get_variables",
        f"Request the Central System to retrieve {which} of the Charge Point",
        "GetConfiguration",
        request,
        step=1,
        variables=",".join(keys),
    )


async def _change_configuration(ctx: CaseRun, key: str, value: str) -> dict[str, Any]:
    return await ctx.request_by_hand(
        "set_variables",
        f"Request the Central System to set configuration key {key} to {value}",
        "ChangeConfiguration",
        {"key": key, "value": value},
        step=1,
        variables=f"{key}={value}",
    )


@scenario("TC_019_1_CSMS", manual=("get_variables",))
async def retrieve_all_keys(ctx: CaseRun) -> None:
    # 1.6 §5.8: GetConfiguration without keys asks for every key.
    await s16.booted(ctx)
    since = ctx.mark()
    request = await _get_configuration(ctx, [])
    ctx.check(
        1,
        "GetConfiguration.req",
        request,
        "key",
        satisfies(lambda v: v is ABSENT or v == [], "<Empty> (absent or an empty list)"),
    )
    await s16.station_answer(ctx, "GetConfiguration", since=since)


@scenario("TC_019_2_CSMS", manual=("get_variables",))
async def retrieve_specific_key(ctx: CaseRun) -> None:
    # 1.6 §5.8: GetConfiguration for SupportedFeatureProfiles.
    await s16.booted(ctx)
    since = ctx.mark()
    request = await _get_configuration(ctx, ["SupportedFeatureProfiles"])
    ctx.check(1, "GetConfiguration.req", request, "key", ["SupportedFeatureProfiles"])
    await s16.station_answer(ctx, "GetConfiguration", since=since)


@scenario("TC_021_CSMS", manual=("set_variables",))
async def change_configuration(ctx: CaseRun) -> None:
    # 1.6 §5.3: ChangeConfiguration MeterValueSampleInterval = 60 (Accepted).
    await s16.booted(ctx)
    since = ctx.mark()
    request = await _change_configuration(ctx, "MeterValueSampleInterval", "60")
    ctx.check(1, "ChangeConfiguration.req", request, "key", "MeterValueSampleInterval")
    ctx.check(1, "ChangeConfiguration.req", request, "value", "60")
    await s16.station_answered(ctx, "ChangeConfiguration", since=since, status="Accepted")


@scenario("TC_040_1_CSMS", manual=("set_variables",))
async def change_unknown_key(ctx: CaseRun) -> None:
    # 1.6 §5.3, §7.17 NotSupported: a key the station does not have. The bench's
    # station answers so for an unknown key; OCTT's for any, as here.
    await s16.booted(ctx)
    s16.answer_with(ctx, "ChangeConfiguration", {"status": "NotSupported"})
    since = ctx.mark()
    await _change_configuration(ctx, UNKNOWN_KEY, "1")
    await s16.station_answered(ctx, "ChangeConfiguration", since=since, status="NotSupported")


UNKNOWN_KEY = "BenchUnknownKey"


@scenario("TC_040_2_CSMS", manual=("set_variables",))
async def change_key_invalid_value(ctx: CaseRun) -> None:
    # 1.6 §5.3, §7.17 Rejected: MeterValueSampleInterval -1 is no valid interval.
    await s16.booted(ctx)
    since = ctx.mark()
    request = await _change_configuration(ctx, "MeterValueSampleInterval", "-1")
    ctx.check(1, "ChangeConfiguration.req", request, "key", "MeterValueSampleInterval")
    ctx.check(1, "ChangeConfiguration.req", request, "value", "-1")
    await s16.station_answered(ctx, "ChangeConfiguration", since=since, status="Rejected")


# A vendorId the Central System has no DataTransfer for (the case's prerequisite).
DATA_TRANSFER_VENDOR = "org.ocppbench.conformance"


@scenario("TC_064_CSMS")
async def data_transfer_refused(ctx: CaseRun) -> None:
    # 1.6 §4.3: a vendor-specific message the Central System does not know. Accepted is
    # allowed by the document, with a warning to the vendor (logged, and in the check).
    await s16.booted(ctx)
    payload = {"vendorId": DATA_TRANSFER_VENDOR, "messageId": "Conformance", "data": "TC_064"}
    sent = await s16.send(ctx, "DataTransfer", payload, step=2)
    allowed = ("Rejected", "UnknownMessageId", "UnknownVendorId", "Accepted")
    words = "Rejected, UnknownMessageId or UnknownVendorId (Accepted allowed, with a warning)"
    ctx.check(2, "DataTransfer.conf", sent.reply, "status", satisfies(allowed.__contains__, words))
    if sent.reply.get("status") == "Accepted":
        log.warning("%s: the Central System accepted an unknown vendor's DataTransfer", ctx.case.id)
