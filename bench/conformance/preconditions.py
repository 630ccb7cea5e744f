"""The general pre-conditions of the 2.0.1 CSMS test cases (part 6 §3.1).

Every 2.0.1 case assumes the station is configured so (unless the case says
otherwise): a transaction starts on EVConnected or Authorized, stops when the
EV is disconnected, authorization is on and a remote start is not authorized
again. The bench's station ships other defaults (TxStartPoint PowerPathClosed,
AuthorizeRemoteStart true), so the values are written into its device model, the
way a technician would, before it boots.
"""

from __future__ import annotations

from bench.conformance import states, states_v201
from bench.conformance.case_run import CaseRun

# One list for every block: ``states_v201.GENERAL_PRECONDITIONS``.
GENERAL_201 = states_v201.GENERAL_PRECONDITIONS


async def apply_general(ctx: CaseRun) -> None:
    """Write §3.1's values into the (not yet started) station's device model."""
    await states_v201.configure(ctx)


async def booted(ctx: CaseRun, *, step: int | None = None) -> None:
    """§3.1's configuration, then Reusable State Booted (which applies it too)."""
    await states.booted(ctx, step=step)
