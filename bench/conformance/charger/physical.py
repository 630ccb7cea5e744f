"""The physical steps of the charger cases, with the words a person reads.

Each helper asks for one step by its catalogue-wide key (``dut.ACTIONS`` does it on
the bench's own station); for a real charger the instruction is the prompt.
"""

from __future__ import annotations

from bench.conformance.charger.run import ChargerRun


def _connector(ctx: ChargerRun, connector_id: int | None) -> int:
    return ctx.settings.connector_id if connector_id is None else connector_id


async def power_cycle(ctx: ChargerRun, *, step: int | None = None) -> None:
    await ctx.physical(
        "power_cycle",
        "Power cycle the charging station: switch its supply off, wait, and on again.",
        step=step,
    )


async def plug_in(
    ctx: ChargerRun, connector_id: int | None = None, *, step: int | None = None
) -> None:
    cid = _connector(ctx, connector_id)
    await ctx.physical(
        "plug_in",
        f"Connect the EV to connector {cid} (plug in the cable on both sides).",
        step=step,
        connector_id=cid,
        ev_template=ctx.settings.ev_template,
    )


async def unplug(
    ctx: ChargerRun, connector_id: int | None = None, *, step: int | None = None
) -> None:
    cid = _connector(ctx, connector_id)
    await ctx.physical(
        "unplug", f"Unplug the EV from connector {cid}.", step=step, connector_id=cid
    )


async def present(
    ctx: ChargerRun,
    token: str | None = None,
    connector_id: int | None = None,
    *,
    step: int | None = None,
) -> None:
    """Present an id token (the valid one by default) at the station's reader."""
    tag = token or ctx.valid_token
    await ctx.physical(
        "present_token",
        f"Present the id token {tag} at the card reader"
        + (f" of connector {connector_id}." if connector_id is not None else "."),
        step=step,
        token=tag,
        connector_id=connector_id,
    )


async def fault(
    ctx: ChargerRun,
    connector_id: int | None = None,
    *,
    step: int | None = None,
    fault: str = "ground_failure",
) -> None:
    cid = _connector(ctx, connector_id)
    await ctx.physical(
        "raise_fault",
        f"Cause a fault on connector {cid} (for example trip its residual current device).",
        step=step,
        connector_id=cid,
        fault=fault,
    )


async def clear_fault(
    ctx: ChargerRun, connector_id: int | None = None, *, step: int | None = None
) -> None:
    cid = _connector(ctx, connector_id)
    await ctx.physical(
        "clear_fault", f"Clear the fault on connector {cid}.", step=step, connector_id=cid
    )


async def ev_suspend(
    ctx: ChargerRun, connector_id: int | None = None, *, step: int | None = None
) -> None:
    cid = _connector(ctx, connector_id)
    await ctx.physical(
        "ev_suspend",
        f"Have the EV on connector {cid} stop drawing energy (EV suspends charging).",
        step=step,
        connector_id=cid,
    )


async def ev_resume(
    ctx: ChargerRun, connector_id: int | None = None, *, step: int | None = None
) -> None:
    cid = _connector(ctx, connector_id)
    await ctx.physical(
        "ev_resume",
        f"Have the EV on connector {cid} draw energy again.",
        step=step,
        connector_id=cid,
    )


async def cut_network(ctx: ChargerRun, *, step: int | None = None) -> None:
    await ctx.physical(
        "cut_network",
        "Disconnect the charging station from the network (pull its network cable).",
        step=step,
    )


async def restore_network(ctx: ChargerRun, *, step: int | None = None) -> None:
    await ctx.physical(
        "restore_network", "Connect the charging station to the network again.", step=step
    )
