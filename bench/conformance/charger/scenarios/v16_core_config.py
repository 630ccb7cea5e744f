"""1.6 Core: configuration keys, meter values and data transfer (OCTT 1.6 §2.8, §2.9,
§2.15, §2.23; TC_019, TC_021, TC_070, TC_071, TC_040_x, TC_062_CS)."""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise
from typing import Any

from bench.conformance.charger import states_v16_core as s
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.charger.states16 import configure, get_configuration
from bench.conformance.charger.timing import EARLY_S
from bench.conformance.expect import ABSENT, one_of, satisfies

PLUG = ("plug_in", "present_token")

# TC_019_CS: the keys each profile requires, with the accessibility the OCTT accepts.
RW, R, EITHER = (False,), (True,), (True, False)
REQUIRED_KEYS: dict[str, dict[str, tuple[bool, ...]]] = {
    "Core": {
        "AuthorizeRemoteTxRequests": EITHER,
        "ClockAlignedDataInterval": RW,
        "ConnectionTimeOut": RW,
        "ConnectorPhaseRotation": RW,
        "GetConfigurationMaxKeys": R,
        "HeartbeatInterval": RW,
        "LocalAuthorizeOffline": RW,
        "LocalPreAuthorize": RW,
        "MeterValuesAlignedData": RW,
        "MeterValuesSampledData": RW,
        "MeterValueSampleInterval": RW,
        "NumberOfConnectors": R,
        "ResetRetries": RW,
        "StopTransactionOnInvalidId": RW,
        "StopTxnAlignedData": RW,
        "StopTxnSampledData": RW,
        "SupportedFeatureProfiles": R,
        "TransactionMessageAttempts": RW,
        "TransactionMessageRetryInterval": RW,
        "UnlockConnectorOnEVSideDisconnect": EITHER,
    },
    "LocalAuthListManagement": {
        "LocalAuthListEnabled": RW,
        "LocalAuthListMaxLength": R,
        "SendLocalListMaxLength": R,
    },
    "SmartCharging": {
        "ChargeProfileMaxStackLevel": R,
        "ChargingScheduleAllowedChargingRateUnit": R,
        "ChargingScheduleMaxPeriods": R,
        "MaxChargingProfilesInstalled": R,
    },
}


@scenario("TC_019_CS")
async def retrieve_configuration(ctx: ChargerRun) -> None:
    reply = await ctx.request("GetConfiguration", {"key": ["SupportedFeatureProfiles"]}, step=1)
    ctx.check(2, "GetConfiguration.conf", reply, "unknownKey", _empty())
    ctx.require(
        2, "GetConfiguration.conf", reply, "configurationKey[0].key", "SupportedFeatureProfiles"
    )
    profiles = str((reply["configurationKey"][0]).get("value") or "")
    supported = [p.strip() for p in profiles.split(",") if p.strip()]
    everything = await ctx.request("GetConfiguration", {}, step=3)
    keys = {k.get("key"): k for k in everything.get("configurationKey") or []}
    for profile in supported:
        for name, access in REQUIRED_KEYS.get(profile, {}).items():
            entry = keys.get(name)
            ctx.check_that(
                4,
                "GetConfiguration.conf",
                f"{name} ({profile})",
                entry is not None,
                "present",
                "present" if entry is not None else "missing",
            )
            if entry is not None:
                readonly = bool(entry.get("readonly"))
                ctx.check_that(
                    4,
                    "GetConfiguration.conf",
                    f"{name}.readonly",
                    readonly in access,
                    "R or RW" if len(access) == 2 else ("R" if access == R else "RW"),
                    "R" if readonly else "RW",
                )
    maximum = await get_configuration(ctx, "GetConfigurationMaxKeys", step=5)
    ctx.check_that(
        6,
        "GetConfiguration.conf",
        "GetConfigurationMaxKeys",
        maximum is not None and maximum.isdigit(),
        "an integer",
        str(maximum),
    )
    count = min(int(maximum or 0), len(keys))
    picked = list(keys)[:count]
    reply = await ctx.request("GetConfiguration", {"key": picked}, step=7)
    ctx.check(8, "GetConfiguration.conf", reply, "unknownKey", _empty())
    got = {k.get("key") for k in reply.get("configurationKey") or []}
    missing = [k for k in picked if k not in got]
    ctx.check_that(
        8,
        "GetConfiguration.conf",
        "configurationKey",
        not missing,
        f"all {len(picked)} keys requested in step 7",
        f"missing {', '.join(str(m) for m in missing)}" if missing else "all",
    )


def _empty() -> Any:
    return satisfies(lambda v: v is ABSENT or v == [], "empty")


@scenario("TC_021_CS")
async def change_configuration(ctx: ChargerRun) -> None:
    wanted = s.configured(ctx, "meter_value_interval")
    if await get_configuration(ctx, "MeterValueSampleInterval") == wanted:
        # Configuration state: the value is NOT <Configured Meter Value interval> yet.
        await configure(ctx, {"MeterValueSampleInterval": str(int(wanted) + 1)})
    reply = await ctx.request(
        "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": wanted}, step=1
    )
    ctx.check(2, "ChangeConfiguration.conf", reply, "status", "Accepted")
    got = await ctx.request("GetConfiguration", {"key": ["MeterValueSampleInterval"]}, step=3)
    ctx.check(
        4, "GetConfiguration.conf", got, "configurationKey[0].key", "MeterValueSampleInterval"
    )
    ctx.check(4, "GetConfiguration.conf", got, "configurationKey[0].value", wanted)


@scenario("TC_040_1_CS")
async def unknown_key(ctx: ChargerRun) -> None:
    reply = await ctx.request("ChangeConfiguration", {"key": "Testing", "value": "true"}, step=1)
    ctx.check(2, "ChangeConfiguration.conf", reply, "status", "NotSupported")


@scenario("TC_040_2_CS")
async def invalid_value(ctx: ChargerRun) -> None:
    rec = await ctx.call(
        "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "-1"}, step=1
    )
    if rec.type == "CALLRESULT":
        ctx.check(2, "ChangeConfiguration.conf", rec.payload, "status", "Rejected")
    else:
        ctx.check_that(
            2,
            "CALLERROR",
            "errorCode",
            rec.error == "PropertyConstraintViolation",
            "PropertyConstraintViolation",
            str(rec.error),
        )


@scenario("TC_062_CS")
async def data_transfer(ctx: ChargerRun) -> None:
    reply = await ctx.request(
        "DataTransfer", {"vendorId": "org.openchargealliance.octt", "messageId": "Test"}, step=1
    )
    # Accepted is allowed too, with a warning (the report shows the value).
    ctx.check(
        2,
        "DataTransfer.conf",
        reply,
        "status",
        one_of("Rejected", "UnknownMessageId", "UnknownVendorId", "Accepted"),
    )


def _stamp(text: Any) -> float | None:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


async def _meter_values(
    ctx: ChargerRun, key: str, context: str, interval: int, *, aligned: bool
) -> None:
    """Three intervals of MeterValues after the transaction started: their timestamps
    ``interval`` apart (on the clock for aligned data), the context, the measurands."""
    reply = await ctx.request("GetConfiguration", {"key": [key]}, step=None)
    value = str(((reply.get("configurationKey") or [{}])[0]).get("value") or "")
    measurands = [m.strip() for m in value.split(",") if m.strip()] or [
        "Energy.Active.Import.Register"
    ]
    since = ctx.mark()
    await s.charging(ctx)
    tx = s.transaction_id(ctx)
    stamps: list[float] = []
    seen = since
    for _ in range(4):
        rec = await ctx.station_frame(
            "MeterValues",
            step=1,
            since=seen,
            match=lambda p: (
                p.get("connectorId") == s.cid(ctx)
                and any(
                    sv.get("context") == context
                    for mv in p.get("meterValue") or []
                    for sv in mv.get("sampledValue") or []
                )
            ),
            what=f"MeterValues with context {context}",
            timeout=interval * 3 + ctx.settings.timeout,
        )
        seen = s.after(ctx, rec)
        body = s.payload(rec)
        if not aligned:
            ctx.check(3, "MeterValues.req", body, "transactionId", tx)
        for mv in body.get("meterValue") or []:
            when = _stamp(mv.get("timestamp"))
            if when is not None:
                stamps.append(when)
            sampled = mv.get("sampledValue") or []
            ctx.check(3, "MeterValues.req", sampled, "[0].context", context)
            reported = {sv.get("measurand", "Energy.Active.Import.Register") for sv in sampled}
            for measurand in measurands:
                base = measurand if measurand in reported else measurand.rsplit(".", 1)[0]
                ctx.check_that(
                    3,
                    "MeterValues.req",
                    f"sampledValue[{measurand}]",
                    base in reported,
                    f"a sampledValue of {measurand} ({key})",
                    ", ".join(sorted(reported)),
                )
            if aligned and when is not None:
                off = when % interval
                ctx.check_that(
                    3,
                    "MeterValues.req",
                    "meterValue.timestamp",
                    min(off, interval - off) <= EARLY_S,
                    f"on the clock (a multiple of {interval} s)",
                    str(mv.get("timestamp")),
                )
    gaps = [b - a for a, b in pairwise(stamps)]
    ctx.check_that(
        3,
        "MeterValues.req",
        "meterValue.timestamp (interval)",
        bool(gaps) and all(abs(g - interval) <= 1.0 for g in gaps),
        f"{interval} s apart",
        ", ".join(f"{g:.1f} s" for g in gaps) or "one reading",
    )


@scenario("TC_070_CS", physical=PLUG)
async def sampled_meter_values(ctx: ChargerRun) -> None:
    interval = s.configured_int(ctx, "meter_value_interval")
    await configure(
        ctx, {"MeterValueSampleInterval": str(interval), "ClockAlignedDataInterval": "0"}
    )
    await _meter_values(ctx, "MeterValuesSampledData", "Sample.Periodic", interval, aligned=False)


@scenario("TC_071_CS", physical=PLUG)
async def clock_aligned_meter_values(ctx: ChargerRun) -> None:
    interval = s.configured_int(ctx, "clock_aligned_interval")
    await configure(
        ctx, {"MeterValueSampleInterval": "0", "ClockAlignedDataInterval": str(interval)}
    )
    await _meter_values(ctx, "MeterValuesAlignedData", "Sample.Clock", interval, aligned=True)
