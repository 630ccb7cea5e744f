"""2.0.1 block P, DataTransfer: vendor messages and customData (P01; part 6 §2.16)."""

from __future__ import annotations

from typing import Any

from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.charger.states_provisioning import var_item
from bench.conformance.expect import absent_or, one_of

OCTT_VENDOR = "org.openchargealliance.octt"
# <Configured messageId>: one no station implements.
UNUSED_MESSAGE_ID = "OcttUnusedMessageId"
# <CustomData>: a vendorId and a vendor-specific property (CustomDataType allows any).
CUSTOM_DATA: dict[str, Any] = {"vendorId": OCTT_VENDOR, "octtTestValue": "TC_P_custom"}


@scenario("TC_P_01_CS")
async def data_transfer_unknown(ctx: ChargerRun) -> None:
    reply = await ctx.request(
        "DataTransfer",
        {
            "vendorId": OCTT_VENDOR,
            "messageId": ctx.settings.extra.get("message_id", UNUSED_MESSAGE_ID),
        },
        step=1,
    )
    ctx.check(
        2,
        "DataTransferResponse",
        reply,
        "status",
        one_of("UnknownVendorId", "UnknownMessageId", "Rejected"),
    )


@scenario("TC_P_03_CS")
async def custom_data_received(ctx: ChargerRun) -> None:
    item = var_item("OCPPCommCtrlr", "OfflineThreshold", value="200", attribute="Actual")
    reply = await ctx.request(
        "SetVariables",
        {"setVariableData": [{**item, "customData": CUSTOM_DATA}], "customData": CUSTOM_DATA},
        step=1,
    )
    ctx.check(2, "SetVariablesResponse", reply, "setVariableResult[0].attributeStatus", "Accepted")
    item = var_item("OCPPCommCtrlr", "OfflineThreshold", attribute="Actual")
    reply = await ctx.request(
        "GetVariables",
        {"getVariableData": [{**item, "customData": CUSTOM_DATA}], "customData": CUSTOM_DATA},
        step=3,
    )
    result = "getVariableResult[0]"
    ctx.check(4, "GetVariablesResponse", reply, f"{result}.attributeStatus", "Accepted")
    ctx.check(4, "GetVariablesResponse", reply, f"{result}.attributeType", absent_or("Actual"))
    ctx.check(4, "GetVariablesResponse", reply, f"{result}.attributeValue", "200")


@scenario("TC_P_04_CS")
async def custom_data_in_charging_profile(ctx: ChargerRun) -> None:
    claimed = ctx.settings.claimed_profiles
    if claimed is not None and "Smart Charging" not in claimed:
        ctx.not_applicable("the station does not claim the Smart Charging profile")
    unit = ctx.settings.extra.get("charging_rate_unit", "A")
    profile_id = int(ctx.settings.extra.get("charging_profile_id", "901"))
    period: dict[str, Any] = {
        "startPeriod": 0,
        "limit": 6.0 if unit == "A" else 6000.0,
        "numberPhases": int(ctx.settings.extra.get("number_phases", "3")),
        "customData": CUSTOM_DATA,
    }
    profile = {
        "id": profile_id,
        "stackLevel": 0,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": [
            {
                "id": profile_id,
                "duration": int(ctx.settings.extra.get("duration", "300")),
                "chargingRateUnit": unit,
                "chargingSchedulePeriod": [period],
            }
        ],
        "customData": CUSTOM_DATA,
    }
    reply = await ctx.request(
        "SetChargingProfile",
        {"evseId": ctx.settings.evse_id, "chargingProfile": profile},
        step=1,
    )
    ctx.check(2, "SetChargingProfileResponse", reply, "status", "Accepted")
    # Not part of the case: the profile removed again (general pre-condition: no schedules).
    await ctx.request("ClearChargingProfile", {"chargingProfileId": profile_id}, step=None)
