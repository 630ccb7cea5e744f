"""Reusable states and waits for availability cases (2.0.1 part 6 §3.8, §3.18 Unavailable).

The station reports its connectors itself (StatusNotification after a
ChangeAvailability, a reset, an unplug); these helpers wait for the message it
sent and for the CSMS's answer to it ("The CSMS responds accordingly").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.conformance import states
from bench.conformance.case_run import CaseRun, Inconclusive
from bench.conformance.expect import absent
from bench.kernel.frames import FrameRecord


async def answered(
    ctx: CaseRun,
    action: str,
    matches: Callable[[dict[str, Any]], bool],
    *,
    since: int,
    what: str,
    step: int | None = None,
) -> tuple[FrameRecord, FrameRecord]:
    """The station's next ``action`` CALL that ``matches`` and the CSMS's reply to it.

    A CALLERROR is a failed check of ``step``: "the CSMS responds accordingly" means
    a response, not an error.
    """
    request = await ctx.wait_frame(
        lambda r: (
            r.direction == "tx"
            and r.type == "CALL"
            and r.action == action
            and isinstance(r.payload, dict)
            and matches(r.payload)
        ),
        since=since,
        what=f"the station's {what}",
    )
    reply = await ctx.wait_frame(
        lambda r: r.direction == "rx" and r.id == request.id and r.type != "CALL",
        since=ctx.frames.index(request),
        what=f"the CSMS's reply to {what}",
    )
    ctx.check_that(
        step,
        f"{action}Response",
        "(message type)",
        reply.type == "CALLRESULT",
        "CALLRESULT",
        f"{reply.type} {reply.error or ''}".strip(),
    )
    return request, reply


async def status_answered(
    ctx: CaseRun,
    status: str,
    *,
    since: int,
    evse: int | None = None,
    step: int | None = None,
) -> FrameRecord:
    """The station's StatusNotification ``status`` (for ``evse``) and the CSMS's reply."""

    def matches(p: dict[str, Any]) -> bool:
        return p.get("connectorStatus") == status and evse in (None, p.get("evseId"))

    where = f" of EVSE {evse}" if evse is not None else ""
    _request, reply = await answered(
        ctx,
        "StatusNotification",
        matches,
        since=since,
        what=f"StatusNotification {status}{where}",
        step=step,
    )
    return reply


def change_request(
    operational_status: str, evse: int | None = None, connector: int | None = None
) -> dict[str, Any]:
    """The ChangeAvailabilityRequest a case expects (G03/G04)."""
    request: dict[str, Any] = {"operationalStatus": operational_status}
    if evse is not None:
        request["evse"] = {"id": evse}
        if connector is not None:
            request["evse"]["connectorId"] = connector
    return request


def _target(evse: int | None, connector: int | None) -> str:
    if evse is None:
        return "the Charging Station"
    if connector is None:
        return f"EVSE {evse}"
    return f"connector {connector} of EVSE {evse}"


async def change_availability(
    ctx: CaseRun,
    operational_status: str,
    *,
    step: int | None,
    evse: int | None = None,
    connector: int | None = None,
) -> dict[str, Any]:
    """Manual action: the CSMS sends ChangeAvailability; returns the request it sent.

    Checks the fields the G cases validate: operationalStatus, evse.id (or its absence
    for the whole station) and evse.connectorId (or its absence).
    """
    request = await ctx.request_by_hand(
        "change_availability",
        f"Request the CSMS to change the availability of {_target(evse, connector)} "
        f"to {operational_status}",
        "ChangeAvailability",
        change_request(operational_status, evse, connector),
        step=step,
        operational_status=operational_status,
        evse_id=evse,
        connector_id=connector,
    )
    message = "ChangeAvailabilityRequest"
    ctx.check(step, message, request, "operationalStatus", operational_status)
    if evse is None:
        ctx.check(step, message, request, "evse", absent())
        return request
    ctx.check(step, message, request, "evse.id", evse)
    ctx.check(step, message, request, "evse.connectorId", connector if connector else absent())
    return request


async def unavailable(
    ctx: CaseRun,
    *,
    step: int | None = None,
    evse: int | None = None,
    connector: int | None = None,
) -> None:
    """Reusable State Unavailable (§3.18): the CSMS makes the given part Inoperative.

    Its tool validation (step 1): operationalStatus Inoperative, the specified EVSE,
    connectorId omitted (unless a connector is what the case makes unavailable).
    The station answers Accepted and reports the connector(s) Unavailable.
    """
    since = ctx.mark()
    await change_availability(ctx, "Inoperative", step=step, evse=evse, connector=connector)
    await status_answered(ctx, "Unavailable", since=since, evse=evse)


async def energy_transfer_started(ctx: CaseRun, *, step: int | None = None) -> None:
    """Reusable State EnergyTransferStarted (§3.18) on the configured connector.

    Authorized first, then the EV plugged in. The bench's station starts charging the
    moment the cable is in, so part 1 (CablePluggedIn, EVConnected) and part 2
    (ChargingStateChanged, Charging) may arrive as one TransactionEvent with
    triggerReason CablePluggedIn and chargingState Charging: either shape ends the
    state once a TransactionEvent says Charging and the CSMS has answered it.
    """
    cid = states.connector_for(ctx)
    await states.authorized(ctx, step=step, connector=cid)
    since = ctx.mark()
    ctx.station.plug_in(cid, ctx.settings.ev_template)
    await answered(
        ctx,
        "TransactionEvent",
        lambda p: (p.get("transactionInfo") or {}).get("chargingState") == "Charging",
        since=since,
        what="TransactionEvent with chargingState Charging",
    )
    if not await ctx.station.wait_status(cid, "Charging", ctx.settings.timeout):
        raise Inconclusive(f"connector {cid} did not start charging")


async def stop_and_unplug(ctx: CaseRun, *, step: int | None = None) -> None:
    """StopAuthorized, EVConnectedPostSession, EVDisconnected (§3.18), in that order.

    The driver presents the card again (the station sends the StopAuthorized event and
    stops charging: chargingState EVConnected), then unplugs (the Ended event).
    """
    await states.stop_authorized(ctx, step=step)
    await states.ev_disconnected(ctx)
