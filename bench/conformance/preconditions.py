"""The general pre-conditions of the 2.0.1 CSMS test cases (part 6 §3.1).

Every 2.0.1 case assumes the station is configured so (unless the case says
otherwise): a transaction starts on EVConnected or Authorized, stops when the
EV is disconnected, authorization is on and a remote start is not authorized
again. The bench's station ships other defaults (TxStartPoint PowerPathClosed,
AuthorizeRemoteStart true), so the values are written into its device model, the
way a technician would, before it boots.
"""

from __future__ import annotations

from bench.conformance import states
from bench.conformance.case_run import CaseRun

# Part 6 §3.1 "General pre conditions", as device-model settings of the station.
GENERAL_201 = (
    ("TxCtrlr/TxStartPoint", "EVConnected,Authorized"),
    ("TxCtrlr/TxStopPoint", "EVConnected"),
    ("AuthCtrlr/Enabled", "true"),
    ("AuthCtrlr/AuthorizeRemoteStart", "false"),
    ("AlignedDataCtrlr/SendDuringIdle", "false"),
    ("ChargingStation/AllowNewSessionsPendingFirmwareUpdate", "false"),
)
# Read-only on the bench's station, and already as §3.1 wants it.
FIXED_201 = (("SecurityCtrlr/AdditionalRootCertificateCheck", "false"),)


async def apply_general(ctx: CaseRun) -> None:
    """Write §3.1's values into the (not yet started) station's device model."""
    settings = ctx.station.settings
    for name, value in GENERAL_201:
        if settings.read(name) == value:
            continue
        outcome = await settings.write(name, value)
        if not outcome.ok:
            raise RuntimeError(
                f"the station refused the general pre-condition {name} = {value}: "
                f"{outcome.status} {outcome.reason}".strip()
            )
    for name, value in FIXED_201:
        if settings.read(name) not in (None, value):
            raise RuntimeError(f"the station's {name} is not {value} (part 6 §3.1)")


async def booted(ctx: CaseRun, *, step: int | None = None) -> None:
    """§3.1's configuration, then Reusable State Booted."""
    await apply_general(ctx)
    await states.booted(ctx, step=step)
