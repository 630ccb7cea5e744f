"""2.0.1 block B, Provisioning: network profiles, offline periods and reconnecting
(B04, B09, B10; part 4 §5.3; part 6 §2.2).

The OCTT's "alternative internal endpoint" is this bench's endpoint under another URL
path (``<url>-alt``): the endpoint records the path of every connection, so a case
sees which profile the station used. A URL on which nothing accepts connections is a
local port held bound but not listening (refused at once). "Does not accept a
reconnect" is the endpoint refusing the station's next attempts.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from bench.conformance.charger import physical
from bench.conformance.charger import states201 as v201
from bench.conformance.charger.endpoint import LinkEvent
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.charger.states_provisioning import (
    all_connectors_reported,
    configured,
    full_inventory,
    get_one,
    reported,
    set_one,
)
from bench.conformance.evidence import Inconclusive
from bench.conformance.expect import one_of

COMM = "OCPPCommCtrlr"
ALT_SUFFIX = "-alt"
# BootReasonEnumType: a reboot for a new network profile is one of the reset reasons.
BOOT_REASONS = ("RemoteReset", "ScheduledReset", "LocalReset", "Unknown", "PowerUp", "Triggered")


# ---------------------------------------------------------------- connections
def link_events(ctx: ChargerRun, since: int, kind: str | None = None) -> list[LinkEvent]:
    return [e for e in ctx.endpoint.events[since:] if kind is None or e.kind == kind]


async def link_event(
    ctx: ChargerRun, kind: str, *, since: int, what: str, timeout: float | None = None
) -> LinkEvent:
    """The first ``kind`` link event from event index ``since`` on."""
    loop = asyncio.get_running_loop()
    limit = ctx.settings.timeout if timeout is None else timeout
    deadline = loop.time() + limit
    for _ in range(100_000):
        found = link_events(ctx, since, kind)
        if found:
            return found[0]
        left = deadline - loop.time()
        if left <= 0:
            break
        ctx.endpoint.changed.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(left):
                await ctx.endpoint.changed.wait()
    raise Inconclusive(f"{what} did not happen within {limit:g} s")


@contextlib.contextmanager
def dead_port() -> Iterator[int]:
    """A local port bound but not listening: a connection attempt is refused at once."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


@contextlib.contextmanager
def refusing(ctx: ChargerRun, attempts: int) -> Iterator[None]:
    """The endpoint refuses the station's next ``attempts`` connection attempts."""
    ctx.endpoint.refuse_connections = attempts
    try:
        yield
    finally:
        ctx.endpoint.refuse_connections = 0


def alternative_url(ctx: ChargerRun) -> str:
    return ctx.endpoint.url + ALT_SUFFIX


def _path_of(url: str) -> str:
    return urlsplit(url).path


# ---------------------------------------------------------------- profiles
async def connection_data(ctx: ChargerRun, url: str) -> dict[str, Any]:
    """NetworkConnectionProfileType for ``url`` with the station's current message
    timeout and security profile (<Configured messageTimeout>, <Configured securityProfile>)."""
    timeout = await get_one(ctx, COMM, "MessageTimeout", instance="Default", step=None)
    security = await get_one(ctx, "SecurityCtrlr", "SecurityProfile", step=None)
    return {
        "ocppVersion": "OCPP20",
        "ocppTransport": "JSON",
        "ocppCsmsUrl": url,
        "messageTimeout": int(timeout.get("attributeValue") or 30),
        "securityProfile": int(security.get("attributeValue") or 1),
        "ocppInterface": "Wired0",
    }


async def slots(ctx: ChargerRun) -> tuple[str, str]:
    """(the slot in use, a free slot): ActiveNetworkProfile or the first priority entry,
    and another slot of NetworkConfigurationPriority's valuesList (at least two needed)."""
    data = reported(await full_inventory(ctx), COMM, "NetworkConfigurationPriority")
    values = str(
        ((data[0] if data else {}).get("variableCharacteristics") or {}).get("valuesList") or ""
    )
    available = [v.strip() for v in values.split(",") if v.strip()]
    active = await get_one(ctx, COMM, "ActiveNetworkProfile", step=None)
    current = str(active.get("attributeValue") or "")
    if not current:
        priority = await get_one(ctx, COMM, "NetworkConfigurationPriority", step=None)
        current = str(priority.get("attributeValue") or "").split(",")[0].strip()
    free = [slot for slot in available if slot != current]
    if len(available) < 2 or not free:
        ctx.not_applicable(
            "the station does not support two configuration slots for network connection "
            f"profiles (NetworkConfigurationPriority valuesList: {values or 'none'})"
        )
    return current, free[0]


async def migrate(ctx: ChargerRun, url: str, *, reset_always: bool = False) -> int:
    """Steps 1-6 of the migration cases: SetNetworkProfile on the free slot, that slot
    first in NetworkConfigurationPriority, Reset OnIdle when RebootRequired (or always).
    Returns the link-event index from which the station's new connections count."""
    current, free = await slots(ctx)
    data = await connection_data(ctx, url)
    reply = await ctx.request(
        "SetNetworkProfile", {"configurationSlot": int(free), "connectionData": data}, step=1
    )
    ctx.require(2, "SetNetworkProfileResponse", reply, "status", "Accepted")
    result = await set_one(ctx, COMM, "NetworkConfigurationPriority", f"{free},{current}", step=3)
    ctx.require(
        4, "SetVariablesResponse", result, "attributeStatus", one_of("Accepted", "RebootRequired")
    )
    since = len(ctx.endpoint.events)
    if result.get("attributeStatus") == "RebootRequired" or reset_always:
        reset = await ctx.request("Reset", {"type": "OnIdle"}, step=5)
        ctx.check(6, "ResetResponse", reset, "status", "Accepted")
    elif not await ctx.disconnected(timeout=ctx.settings.quiet_period):
        # Step 5: the station did not reboot by itself.
        reset = await ctx.request("Reset", {"type": "OnIdle"}, step=5)
        ctx.check(6, "ResetResponse", reset, "status", "Accepted")
    return since


async def booted_again(ctx: ChargerRun, *, since_frame: int, step: int) -> None:
    """Reusable state Booted, without its Reset (the station is rebooting already)."""
    boot = await ctx.station_request(
        "BootNotification", step=step + 2, since=since_frame, timeout=ctx.settings.timeout * 2
    )
    ctx.check(step + 2, "BootNotificationRequest", boot, "reason", one_of(*BOOT_REASONS))
    await all_connectors_reported(ctx, since=since_frame, step=step + 4)
    event = await ctx.station_request(
        "SecurityEventNotification",
        step=step + 6,
        since=since_frame,
        match=lambda p: p.get("type") in ("StartupOfTheDevice", "ResetOrReboot"),
        what="the station's SecurityEventNotification StartupOfTheDevice or ResetOrReboot",
    )
    ctx.check(
        step + 6,
        "SecurityEventNotificationRequest",
        event,
        "type",
        one_of("StartupOfTheDevice", "ResetOrReboot"),
    )


def check_path(ctx: ChargerRun, step: int, event: LinkEvent, url: str, what: str) -> None:
    ctx.check_that(
        step,
        "(connection)",
        "URL path",
        event.path.startswith(_path_of(url) + "/"),
        f"{what} ({_path_of(url)}/<id>)",
        event.path or "(unknown)",
    )


# ---------------------------------------------------------------- B09 / B10
@scenario("TC_B_43_CS")
async def network_profile_rejected(ctx: ChargerRun) -> None:
    data = await connection_data(ctx, ctx.endpoint.url)
    reply = await ctx.request(
        "SetNetworkProfile", {"configurationSlot": 999, "connectionData": data}, step=1
    )
    ctx.check(2, "SetNetworkProfileResponse", reply, "status", "Rejected")


@scenario("TC_B_45_CS")
async def migrate_success(ctx: ChargerRun) -> None:
    url = alternative_url(ctx)
    since_frame = ctx.mark()
    since = await migrate(ctx, url)
    connected = await link_event(
        ctx,
        "connected",
        since=since,
        what="the station's connection with the new profile",
        timeout=ctx.settings.timeout * 2,
    )
    check_path(ctx, 7, connected, url, "the new profile's ocppCsmsUrl")
    await booted_again(ctx, since_frame=since_frame, step=7)


@scenario("TC_B_46_CS")
async def migrate_fallback(ctx: ChargerRun) -> None:
    await v201.configure(ctx, {f"{COMM}/NetworkProfileConnectionAttempts": "2"})
    await v201.booted(ctx)
    original = ctx.endpoint.url
    with dead_port() as port:
        url = f"ws://127.0.0.1:{port}/ocpp"
        since_frame = ctx.mark()
        since = await migrate(ctx, url)
        # Steps 7-8: the new slot is not answered; the station falls back to the old one.
        connected = await link_event(
            ctx,
            "connected",
            since=since,
            what="the station's connection with the old profile",
            timeout=ctx.settings.timeout * 2,
        )
    check_path(ctx, 8, connected, original, "the previous profile's ocppCsmsUrl")
    await booted_again(ctx, since_frame=since_frame, step=9)


@scenario("TC_B_49_CS")
async def migrate_fallback_then_backoff(ctx: ChargerRun) -> None:
    ctx.needs_feature("C-47")  # part 5: fallback to the reconnection mechanism
    wait_minimum = max(1, ctx.settings.retry_interval)
    await v201.configure(
        ctx,
        {
            f"{COMM}/NetworkProfileConnectionAttempts": "1",
            f"{COMM}/RetryBackOffRepeatTimes": "0",
            f"{COMM}/RetryBackOffRandomRange": "0",
            f"{COMM}/RetryBackOffWaitMinimum": str(wait_minimum),
        },
    )
    await v201.booted(ctx)
    with dead_port() as port, refusing(ctx, 1):
        url = f"ws://127.0.0.1:{port}/ocpp"
        since_frame = ctx.mark()
        since = await migrate(ctx, url, reset_always=True)
        # Steps 7-10: the new slot fails; back on the previous one, refused once.
        refused = await link_event(
            ctx,
            "refused",
            since=since,
            what="the station's attempt with the previous profile",
            timeout=ctx.settings.timeout * 2,
        )
        # Steps 11-12: after RetryBackOffWaitMinimum it connects again, accepted.
        connected = await link_event(
            ctx,
            "connected",
            since=since,
            what="the station's reconnection after the back-off",
            timeout=ctx.settings.timeout + wait_minimum,
        )
    gap = connected.at - refused.at
    ctx.check_that(
        11,
        "(connection)",
        "(back-off)",
        gap >= wait_minimum - 0.5,
        f"at least RetryBackOffWaitMinimum ({wait_minimum} s) after the refused attempt",
        f"{gap:.1f} s",
    )
    await booted_again(ctx, since_frame=since_frame, step=13)


# ---------------------------------------------------------------- B04 offline periods
async def offline_with_ev(ctx: ChargerRun, *, threshold: int, back_after: float) -> int:
    """Steps 1-3: the CSMS closes the connection and refuses reconnects; the EV is
    plugged in; after ``back_after`` seconds offline the station may connect again.
    Returns the frame index from which its reports count."""
    with refusing(ctx, 1_000_000):
        down = len(ctx.endpoint.events)
        await ctx.endpoint.disconnect()
        closed = await link_event(ctx, "disconnected", since=down, what="the connection closing")
        await physical.plug_in(ctx, step=2)
        loop = asyncio.get_running_loop()
        left = closed.at + back_after - loop.time()
        if left > 0:
            await asyncio.sleep(left)  # the offline period the case is about
        since = ctx.mark()
    up = len(ctx.endpoint.events)
    connected = await link_event(
        ctx, "connected", since=up, what="the station's reconnection", timeout=ctx.settings.timeout
    )
    offline = connected.at - closed.at
    ctx.check_that(
        3,
        "(connection)",
        "(offline period)",
        (offline > threshold) if back_after > threshold else (offline < threshold),
        ("more" if back_after > threshold else "less") + f" than OfflineThreshold ({threshold} s)",
        f"{offline:.1f} s",
    )
    return since


@scenario("TC_B_51_CS", physical=("plug_in",))
async def offline_longer_than_threshold(ctx: ChargerRun) -> None:
    threshold = 2
    await v201.configure(
        ctx,
        {
            f"{COMM}/OfflineThreshold": str(threshold),
            f"{COMM}/RetryBackOffWaitMinimum": str(threshold + 2),
            f"{COMM}/RetryBackOffRandomRange": "0",
        },
    )
    since = await offline_with_ev(ctx, threshold=threshold, back_after=threshold + 1)
    await all_connectors_reported(ctx, since=since, step=4, expected={configured(ctx): "Occupied"})


@scenario("TC_B_52_CS", physical=("plug_in",))
async def offline_shorter_than_threshold(ctx: ChargerRun) -> None:
    threshold = 8
    await v201.configure(
        ctx,
        {
            f"{COMM}/OfflineThreshold": str(threshold),
            f"{COMM}/RetryBackOffWaitMinimum": str(threshold - 6),
            f"{COMM}/RetryBackOffRandomRange": "0",
        },
    )
    since = await offline_with_ev(ctx, threshold=threshold, back_after=0)
    status = await ctx.station_request(
        "StatusNotification",
        step=4,
        since=since,
        match=v201.for_connector(ctx),
        what="the configured connector's StatusNotification after the reconnect",
    )
    ctx.check(4, "StatusNotificationRequest", status, "connectorStatus", "Occupied")
    ctx.check(4, "StatusNotificationRequest", status, "evseId", ctx.settings.evse_id)
    ctx.check(4, "StatusNotificationRequest", status, "connectorId", ctx.settings.connector_id)


# ---------------------------------------------------------------- part 4 §5.3
@scenario("TC_B_57_CS")
async def reconnect_back_off(ctx: ChargerRun) -> None:
    wait_minimum = max(1, ctx.settings.retry_interval // 2)
    await v201.configure(
        ctx,
        {
            f"{COMM}/RetryBackOffRepeatTimes": "2",
            f"{COMM}/RetryBackOffRandomRange": "0",
            f"{COMM}/RetryBackOffWaitMinimum": str(wait_minimum),
        },
    )
    limit = ctx.settings.timeout + wait_minimum * 4
    # Steps 1-3: closed; back after at least RetryBackOffWaitMinimum, accepted.
    mark = len(ctx.endpoint.events)
    await ctx.endpoint.disconnect()
    closed = await link_event(ctx, "disconnected", since=mark, what="the connection closing")
    back = await link_event(ctx, "connected", since=mark, what="the reconnection", timeout=limit)
    first = back.at - closed.at
    ctx.check_that(
        2,
        "(connection)",
        "(reconnection time)",
        first >= wait_minimum - 0.2,
        f"at least RetryBackOffWaitMinimum ({wait_minimum} s)",
        f"{first:.1f} s",
    )
    # Steps 4-8: closed again; the attempt after the minimum is refused, the next one
    # comes after twice that time.
    with refusing(ctx, 1):
        mark = len(ctx.endpoint.events)
        await ctx.endpoint.disconnect()
        closed = await link_event(ctx, "disconnected", since=mark, what="the connection closing")
        refused = await link_event(
            ctx, "refused", since=mark, what="the reconnection", timeout=limit
        )
        back = await link_event(
            ctx, "connected", since=mark, what="the second reconnection", timeout=limit
        )
    fifth = refused.at - closed.at
    seventh = back.at - refused.at
    ctx.check_that(
        5,
        "(connection)",
        "(reconnection time)",
        fifth >= wait_minimum - 0.2,
        f"at least RetryBackOffWaitMinimum ({wait_minimum} s)",
        f"{fifth:.1f} s",
    )
    # Step 7: "the at step 5 doubled RetryBackOffWaitMinimum" (measured from the refused
    # attempt, so a busy link's delays at step 5 do not count twice).
    ctx.check_that(
        7,
        "(connection)",
        "(reconnection time)",
        seventh >= 2 * wait_minimum - 0.2,
        f"at least twice the step 5 back-off ({2 * wait_minimum} s; step 5 took {fifth:.1f} s)",
        f"{seventh:.1f} s",
    )
