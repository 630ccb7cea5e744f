"""ISO 15118 smart charging (K15-K17) as the bench's real station plays it for the CSMS cases.

The bench plugs in its ISO 15118 EV (``resources/evs/iso15118-ev.json``). The station
then does on its own what OCTT's mock does by script: it relays the EV's charging
needs when the cable comes (NotifyEVChargingNeeds, K15.FR.01), and after each TxProfile
it accepts, the EV's schedule within it (NotifyEVChargingSchedule, K15.FR.10,
K16.FR.05); a change of the limit during the transaction makes it report
ChargingRateChanged. What a well-behaved station does not do on its own is sent with
``ctx.send`` by the scenario (an EV's renegotiation, a schedule beyond the limits) and
said so where it happens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bench.conformance import states
from bench.conformance.case_run import CaseRun, StopCase
from bench.conformance.expect import one_of
from bench.conformance.states_smart import (
    RATE_UNIT,
    SCHEDULE_S,
    answered,
    check_tx_profile,
    describe,
    is_charging,
    now,
    set_profile,
    station_accepted,
    station_answer,
    station_call,
    transaction_id,
    tx_profile,
)
from bench.kernel.frames import FrameRecord
from bench.ocpp.common.timestamps import iso

ISO15118_EV = "iso15118-ev"  # the EV that states its needs (EvSpec.iso15118)
PROCESSING_WAIT_S = 60.0  # §3.18: after Processing, OCTT waits 60 s for the profile
NEEDS_ANSWERS = ("Accepted", "Processing")  # K15.FR.03/05, K17.FR.03/05
STATE = "ISO15118SmartCharging"


@dataclass(frozen=True, slots=True)
class IsoPlug:
    """An ISO 15118 EV plugged in on an authorized EVSE, its needs relayed."""

    evse_id: int
    transaction_id: str
    since: int  # the frame index before the cable came
    needs_answer: FrameRecord  # the CSMS's reply to the station's NotifyEVChargingNeeds


def processing(reply: FrameRecord) -> bool:
    return isinstance(reply.payload, dict) and reply.payload.get("status") == "Processing"


async def iso15118_plugged(
    ctx: CaseRun,
    *,
    step: int | None,
    message: str,
    answers: tuple[str, ...] = NEEDS_ANSWERS,
) -> IsoPlug:
    """Authorized, then EVConnectedPreSession with the ISO 15118 EV: the station sends
    the EV's NotifyEVChargingNeeds itself (K15.FR.01); ``step`` checks the answer."""
    evse_id = states.connector_for(ctx)
    await states.authorized(ctx, connector=evse_id)
    since = ctx.mark()
    ctx.station.plug_in(evse_id, ISO15118_EV)
    await states.transaction_event(ctx, since, "CablePluggedIn")
    _, answer = await station_call(ctx, "NotifyEVChargingNeeds", step=step, since=since)
    ctx.check(step, message, answer.payload, "status", one_of(*answers))
    return IsoPlug(evse_id, transaction_id(ctx, evse_id), since, answer)


async def tx_profile_for_ev(
    ctx: CaseRun,
    step: int,
    label: str,
    plug: IsoPlug,
    amps: float,
    *,
    since: int,
    waited: bool = False,
    check_evse: bool = True,
) -> tuple[dict[str, Any], FrameRecord]:
    """The CSMS's TxProfile for the EV (K15.FR.07, K16.FR.01, K17.FR.07) and the station's
    answer, which must be Accepted for the EV to go on (the case stops otherwise).

    ``since`` reaches back to before the needs: a CSMS answers them on its own.
    ``waited``: the CSMS said Processing, so it has PROCESSING_WAIT_S.
    """
    profile = tx_profile(plug.transaction_id, amps)
    message = f"{label}: SetChargingProfileRequest"
    frame = await set_profile(
        ctx,
        step,
        f"Have the CSMS send a TxProfile for the EV on EVSE {plug.evse_id}: "
        f"{describe(profile)} (if the CSMS sent one on its own already: Done)",
        plug.evse_id,
        profile,
        since=since,
        timeout=max(ctx.settings.timeout, PROCESSING_WAIT_S) if waited else None,
        message=message,
    )
    request = frame.payload if isinstance(frame.payload, dict) else {}
    check_tx_profile(
        ctx, step, message, request, plug.evse_id, plug.transaction_id, check_evse=check_evse
    )
    reply = await station_answer(ctx, frame)
    if not station_accepted(ctx, step + 1, f"{label}: SetChargingProfileResponse", reply):
        raise StopCase(ctx.failed_checks[0].describe())  # the first failure is the cause
    return request, reply


async def ev_schedule(
    ctx: CaseRun, step: int, label: str, since: int, expected: str = "Accepted"
) -> FrameRecord:
    """The station's own NotifyEVChargingSchedule from ``since`` on; the CSMS's status
    (K15.FR.11, K16.FR.06, K17.FR.11). Returns the station's request."""
    request, reply = await station_call(ctx, "NotifyEVChargingSchedule", step=step, since=since)
    message = f"{label}: NotifyEVChargingScheduleResponse"
    ctx.check(step, message, reply.payload, "status", expected)
    return request


async def rate_changed(ctx: CaseRun, step: int, label: str, since: int) -> None:
    """The station's TransactionEvent ChargingRateChanged from ``since`` on, answered."""
    _, reply = await station_call(
        ctx,
        "TransactionEvent",
        step=step,
        since=since,
        matches=lambda p: p.get("triggerReason") == "ChargingRateChanged",
        what="the station's TransactionEvent (ChargingRateChanged)",
    )
    answered(ctx, step, f"{label}: TransactionEventResponse", reply)


async def charging_reported(ctx: CaseRun, step: int, label: str, since: int) -> None:
    """The TransactionEvent that says Charging, answered. The bench's station reports the
    start of charging in the event of the cable (CablePluggedIn, chargingState Charging)."""
    _, reply = await station_call(
        ctx, "TransactionEvent", step=step, since=since, matches=is_charging
    )
    answered(ctx, step, f"{label}: TransactionEventResponse", reply)


async def iso15118_smart_charging(
    ctx: CaseRun, *, label: str = STATE, amps: float = 16.0
) -> tuple[IsoPlug, dict[str, Any]]:
    """Authorized, EVConnectedPreSession and §3.18 ISO15118SmartCharging, steps 1-8.

    Steps 1, 5 and 7 are the station's own; 3 is the CSMS's TxProfile. Returns the
    plug and the SetChargingProfileRequest of step 3.
    """
    message = f"{label}: NotifyEVChargingNeedsResponse"
    plug = await iso15118_plugged(ctx, step=2, message=message)
    waited = processing(plug.needs_answer)
    request, reply = await tx_profile_for_ev(
        ctx, 3, label, plug, amps, since=plug.since, waited=waited, check_evse=False
    )
    await ev_schedule(ctx, 6, label, ctx.frames.index(reply))
    await charging_reported(ctx, 8, label, plug.since)
    return plug, request


def renegotiated_needs(ctx: CaseRun, evse_id: int, max_amps: int) -> dict[str, Any]:
    """NotifyEVChargingNeedsRequest of an EV that wants to renegotiate (K17.FR.01): it
    now takes at most ``max_amps`` and leaves in three hours."""
    return {
        "evseId": evse_id,
        "maxScheduleTuples": 24,
        "chargingNeeds": {
            "requestedEnergyTransfer": "AC_three_phase",
            "departureTime": iso(now(ctx) + timedelta(hours=3)),
            "acChargingParameters": {
                "energyAmount": 30_000,
                "evMinCurrent": 6,
                "evMaxCurrent": max_amps,
                "evMaxVoltage": 400,
            },
        },
    }


def schedule_beyond(ctx: CaseRun, evse_id: int, request: dict[str, Any], amps: float) -> dict:
    """NotifyEVChargingScheduleRequest of an EV whose schedule exceeds the CSMS's: ``amps``
    throughout, on the schedule the CSMS offered first (K15.FR.19: its id)."""
    offered = (request.get("chargingProfile") or {}).get("chargingSchedule") or [{}]
    unit = offered[0].get("chargingRateUnit", RATE_UNIT)
    limit = amps if unit == "A" else amps * 230.0 * 3  # the bench's three-phase 230 V supply
    return {
        "timeBase": iso(now(ctx)),
        "evseId": evse_id,
        "chargingSchedule": {
            "id": offered[0].get("id", 1),
            "chargingRateUnit": unit,
            "duration": SCHEDULE_S,
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit, "numberPhases": 3}],
        },
    }
