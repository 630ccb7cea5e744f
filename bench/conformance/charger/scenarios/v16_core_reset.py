"""1.6 Core: resets, unlocking, power failures and faults (OCTT 1.6 §2.6, §2.7, §2.12,
§2.13, §2.16; TC_013 ... TC_041_CS)."""

from __future__ import annotations

from bench.conformance.charger import physical
from bench.conformance.charger import states_v16_core as s
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.charger.states16 import get_configuration
from bench.conformance.expect import one_of
from bench.kernel.frames import FrameRecord

PLUG = ("plug_in", "present_token")


async def _availability(ctx: ChargerRun, connector_id: int, kind: str, *, step: int) -> int:
    since = ctx.mark()
    reply = await ctx.request(
        "ChangeAvailability", {"connectorId": connector_id, "type": kind}, step=step
    )
    ctx.check(step + 1, "ChangeAvailability.conf", reply, "status", "Accepted")
    return since


async def _reset_without_transaction(ctx: ChargerRun, kind: str) -> None:
    connector = s.cid(ctx)
    since = await _availability(ctx, connector, "Inoperative", step=1)
    await s.status(ctx, "Unavailable", since=since, step=3)
    since = ctx.mark()
    reply = await ctx.request("Reset", {"type": kind}, step=5)
    ctx.check(6, "Reset.conf", reply, "status", "Accepted")
    if kind == "Hard":
        boot = await s.boot(ctx, step=7, since=since)
        await s.boot_statuses(ctx, ("Unavailable",), since=s.after(ctx, boot), step=9)
    else:
        # [optional] a soft reset may not reboot; its statuses follow only a boot.
        found = await ctx.find_frame(
            lambda r: r.direction == "rx" and r.type == "CALL" and r.action == "BootNotification",
            since=since,
            timeout=ctx.settings.quiet_period,
        )
        if found is not None:
            boot = await s.boot(ctx, step=7, since=since)
            await s.boot_statuses(ctx, ("Unavailable",), since=s.after(ctx, boot), step=9)
    since = await _availability(ctx, connector, "Operative", step=11)
    await s.status(ctx, "Available", since=since, step=13)


@scenario("TC_013_CS")
async def hard_reset_idle(ctx: ChargerRun) -> None:
    await _reset_without_transaction(ctx, "Hard")


@scenario("TC_014_CS")
async def soft_reset_idle(ctx: ChargerRun) -> None:
    await _reset_without_transaction(ctx, "Soft")


async def _reset_with_transaction(ctx: ChargerRun, kind: str) -> None:
    await s.charging(ctx)
    await s.connector_ids(ctx)  # read before the reset
    since = ctx.mark()
    reply = await ctx.request("Reset", {"type": kind}, step=1)
    ctx.check(2, "Reset.conf", reply, "status", "Accepted")
    await s.stop(ctx, (f"{kind}Reset",), step=3, since=since)
    await s.status(ctx, "Finishing", since=since, step=5)
    if kind == "Soft":
        found = await ctx.find_frame(
            lambda r: r.direction == "rx" and r.type == "CALL" and r.action == "BootNotification",
            since=since,
            timeout=ctx.settings.quiet_period,
        )
        if found is None:  # [optional] for a soft reset
            return
    boot = await s.boot(ctx, step=7, since=since)
    await s.boot_statuses(ctx, ("Finishing", "Preparing"), since=s.after(ctx, boot), step=9)


@scenario("TC_015_CS", physical=PLUG)
async def hard_reset_charging(ctx: ChargerRun) -> None:
    await _reset_with_transaction(ctx, "Hard")


@scenario("TC_016_CS", physical=PLUG)
async def soft_reset_charging(ctx: ChargerRun) -> None:
    await _reset_with_transaction(ctx, "Soft")


def _fixed_cable(ctx: ChargerRun, wanted: bool) -> None:
    has = "FixedCable" in ctx.settings.features
    if wanted:
        ctx.needs_feature("FixedCable")
    elif has:
        ctx.not_applicable("the charge point has a fixed cable (declared feature FixedCable)")


async def _unlock(ctx: ChargerRun, connector_id: int | None = None) -> dict[str, object]:
    connector = s.cid(ctx) if connector_id is None else connector_id
    return await ctx.request("UnlockConnector", {"connectorId": connector}, step=1)


@scenario("TC_017_1_CS")
async def unlock_idle(ctx: ChargerRun) -> None:
    _fixed_cable(ctx, False)
    ctx.check(2, "UnlockConnector.conf", await _unlock(ctx), "status", "Unlocked")


@scenario("TC_017_2_CS")
async def unlock_idle_fixed_cable(ctx: ChargerRun) -> None:
    _fixed_cable(ctx, True)
    ctx.check(2, "UnlockConnector.conf", await _unlock(ctx), "status", "NotSupported")


@scenario("TC_018_1_CS", physical=(*PLUG, "unplug"))
async def unlock_charging(ctx: ChargerRun) -> None:
    _fixed_cable(ctx, False)
    await s.charging(ctx)
    since = ctx.mark()
    ctx.check(2, "UnlockConnector.conf", await _unlock(ctx), "status", "Unlocked")
    await s.stop(ctx, ("UnlockCommand",), step=3, since=since)
    await s.status(ctx, "Finishing", since=since, step=5)
    since = ctx.mark()
    await physical.unplug(ctx)
    await s.status(ctx, "Available", since=since, step=7)


@scenario("TC_018_2_CS", physical=PLUG)
async def unlock_charging_fixed_cable(ctx: ChargerRun) -> None:
    _fixed_cable(ctx, True)
    await s.charging(ctx)
    ctx.check(2, "UnlockConnector.conf", await _unlock(ctx), "status", "NotSupported")


@scenario("TC_030_CS", physical=("raise_fault",))
async def unlock_failure(ctx: ChargerRun) -> None:
    _fixed_cable(ctx, False)
    # Prerequisite: the charge point is in a state where the lock fails.
    await ctx.physical(
        "raise_fault",
        f"Make the connector lock of connector {s.cid(ctx)} fail (block its actuator).",
        connector_id=s.cid(ctx),
        fault="connector_lock_failure",
    )
    ctx.check(2, "UnlockConnector.conf", await _unlock(ctx), "status", "UnlockFailed")


@scenario("TC_031_CS")
async def unlock_unknown_connector(ctx: ChargerRun) -> None:
    unknown = ctx.settings.extra.get("unknown_connector_id")
    if unknown is None:
        count = await get_configuration(ctx, "NumberOfConnectors")
        unknown = str(int(count or "1") + 1)
    reply = await _unlock(ctx, int(unknown))
    ctx.check(2, "UnlockConnector.conf", reply, "status", "NotSupported")


async def _power_cut(ctx: ChargerRun) -> None:
    await ctx.physical(
        "power_cut", "Disconnect the power of the charge point (switch its supply off)."
    )


async def _power_restore(ctx: ChargerRun) -> None:
    await ctx.physical("power_restore", "Reconnect the power of the charge point.")


@scenario("TC_032_1_CS", physical=(*PLUG, "power_cut", "power_restore"))
async def power_failure_stops_before_going_down(ctx: ChargerRun) -> None:
    ctx.needs_feature("BackupPower")
    await s.charging(ctx)
    await s.connector_ids(ctx)
    since = ctx.mark()
    await _power_cut(ctx)
    await s.stop(ctx, ("PowerLoss",), step=1, since=since)
    await s.status(ctx, "Finishing", since=since, step=3)
    since = ctx.mark()
    await _power_restore(ctx)
    boot = await s.boot(ctx, step=5, since=since)
    await s.boot_statuses(ctx, ("Finishing", "Preparing"), since=s.after(ctx, boot), step=7)


@scenario("TC_032_2_CS", physical=(*PLUG, "power_cycle"))
async def power_failure_stops_after_boot(ctx: ChargerRun) -> None:
    if "BackupPower" in ctx.settings.features:
        ctx.not_applicable("the charge point has a back-up power source (declared BackupPower)")
    await s.charging(ctx)
    await s.connector_ids(ctx)
    since = ctx.mark()
    await physical.power_cycle(ctx)
    boot = await s.boot(ctx, step=1, since=since)
    later = s.after(ctx, boot)
    # Steps 3-7 in any order; intermediate Unavailable / Available are allowed.
    await s.boot_statuses(ctx, ("Preparing", "Finishing", "Charging"), since=later, step=3)

    charging = s.status_of(s.cid(ctx), "Charging")

    def stopped_or_charging(rec: FrameRecord) -> bool:
        if rec.direction != "rx" or rec.type != "CALL":
            return False
        return rec.action == "StopTransaction" or (
            rec.action == "StatusNotification" and charging(s.payload(rec))
        )

    first = await ctx.wait_frame(
        stopped_or_charging, since=later, what="a StopTransaction.req or the session resumed"
    )
    if first.action == "StatusNotification":
        # The session resumed: the driver stops it with the idTag that started it.
        since = ctx.mark()
        await physical.present(ctx, ctx.valid_token, step=5)
        await s.stop(ctx, ("Local", None), step=5, since=since)
        later = since
    else:
        await s.stop(ctx, ("PowerLoss",), step=5, since=later)
    await s.status(ctx, ("Preparing", "Finishing"), since=later, step=7)


@scenario("TC_034_CS", physical=("power_cycle",))
async def power_failure_keeps_unavailable(ctx: ChargerRun) -> None:
    ids = await s.connector_ids(ctx)
    since = await _availability(ctx, 0, "Inoperative", step=1)
    for connector in ids:
        await s.status(ctx, "Unavailable", since=since, step=3, connector_id=connector)
    since = ctx.mark()
    await physical.power_cycle(ctx)
    boot = await s.boot(ctx, step=5, since=since)
    for connector in ids:
        await s.status(ctx, "Unavailable", since=s.after(ctx, boot), step=7, connector_id=connector)


@scenario("TC_041_CS", physical=("raise_fault", *PLUG))
async def fault_behaviour(ctx: ChargerRun) -> None:
    since = ctx.mark()
    await physical.fault(ctx)
    rec = await s.status(ctx, "Faulted", since=since, step=1)
    ctx.check(1, "StatusNotification.req", rec.payload, "errorCode", one_of(*_ERRORS))
    since = ctx.mark()
    # 3. The EV driver tries to start a transaction.
    await physical.present(ctx, step=3)
    await physical.plug_in(ctx, step=3)
    await ctx.no_station_request(
        "StartTransaction",
        step=3,
        since=since,
        within=float(ctx.settings.extra.get("transaction_duration", ctx.settings.quiet_period)),
        why="the charge point is faulted",
    )


# 1.6 §7.6: every error code but NoError goes with Faulted.
_ERRORS = (
    "ConnectorLockFailure",
    "EVCommunicationError",
    "GroundFailure",
    "HighTemperature",
    "InternalError",
    "LocalListConflict",
    "OtherError",
    "OverCurrentFailure",
    "OverVoltage",
    "PowerMeterFailure",
    "PowerSwitchFailure",
    "ReaderFailure",
    "ResetFailure",
    "UnderVoltage",
    "WeakSignal",
)
