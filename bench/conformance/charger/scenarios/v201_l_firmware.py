"""2.0.1 block L, Firmware management: charging-station test cases (part 6 §2.13).

The firmware file, its signing certificate and signature are made and served per
case (``states_firmware``). Every FirmwareStatusNotification must carry the
UpdateFirmwareRequest's requestId (§2.1); the station may reboot to install or to
activate (the RebootBefore... states: InstallRebooting and a new boot are allowed
where the case allows them).

Optional features (part 5) the cases need: C-60 (cancel an ongoing update,
TC_L_10_CS; TC_L_11_CS is for a station without it), C-43 (install with ongoing
transactions, TC_L_16_CS; TC_L_12-15_CS are for a station without it), AQ-7
(download during a transaction: TC_L_14/15_CS; TC_L_12/13_CS are for a station
without it), C-20 (AllowNewSessionsPendingFirmwareUpdate, TC_L_12/14_CS, which
also need a second EVSE).
"""

from __future__ import annotations

from bench.conformance.charger import physical
from bench.conformance.charger import states201 as v201
from bench.conformance.charger import states_firmware as fw
from bench.conformance.charger import states_remote as remote
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.expect import one_of
from bench.firmware_image import sign_firmware

_TX_PHYSICAL = ("present_token", "plug_in", "unplug")
_ALLOW = "ChargingStation/AllowNewSessionsPendingFirmwareUpdate"


def _offset(ctx: ChargerRun, name: str) -> float:
    """<Configured Install/Download Offset Period> in hours (seconds in ``extra``)."""
    return float(ctx.settings.extra.get(name, "3")) / 3600


async def _download_and_verify(ctx: ChargerRun, *, since: int, first: int = 3) -> int:
    """Downloading, Downloaded, SignatureVerified at steps ``first``, +2, +4."""
    return await fw.statuses(
        ctx,
        [(first, "Downloading"), (first + 2, "Downloaded"), (first + 4, "SignatureVerified")],
        since=since,
    )


# ---------------------------------------------------------------- L01: successful updates
@scenario("TC_L_01_CS")
async def installation_successful(ctx: ChargerRun) -> None:
    async with fw.firmware(ctx) as kit:
        start = ctx.mark()
        await fw.update_firmware(ctx, kit, step=1)
        since = await _download_and_verify(ctx, since=start)
        await fw.installed(ctx, since=since, installing=12, available=16, done=18, start=start)


@scenario("TC_L_02_CS")
async def install_scheduled(ctx: ChargerRun) -> None:
    async with fw.firmware(ctx) as kit:
        start = ctx.mark()
        await fw.update_firmware(ctx, kit, step=1, install=_offset(ctx, "install_offset"))
        since = await _download_and_verify(ctx, since=start)
        _, since = await fw.expect_status(ctx, 9, "InstallScheduled", since=since)  # L01.FR.16
        await fw.installed(ctx, since=since, installing=14, available=18, done=20, start=start)


@scenario("TC_L_03_CS")
async def download_scheduled(ctx: ChargerRun) -> None:
    async with fw.firmware(ctx) as kit:
        start = ctx.mark()
        await fw.update_firmware(ctx, kit, step=1, retrieve=_offset(ctx, "download_offset"))
        _, since = await fw.expect_status(ctx, 3, "DownloadScheduled", since=start)  # L01.FR.13
        since = await _download_and_verify(ctx, since=since, first=5)
        await fw.installed(ctx, since=since, installing=14, available=18, done=20, start=start)


# ---------------------------------------------------------------- L01: failures
@scenario("TC_L_05_CS")
async def invalid_certificate(ctx: ChargerRun) -> None:
    async with fw.firmware(ctx) as kit:
        since = ctx.mark()
        await fw.update_firmware(
            ctx,
            kit,
            step=1,
            certificate=fw.untrusted_certificate(),
            expect=one_of("InvalidCertificate", "RevokedCertificate"),  # L01.FR.22
        )
        event = await ctx.station_request(
            "SecurityEventNotification",
            step=3,
            since=since,
            match=lambda p: p.get("type") == "InvalidFirmwareSigningCertificate",
            what="the SecurityEventNotification InvalidFirmwareSigningCertificate (L01.FR.02)",
        )
        ctx.check(
            3,
            "SecurityEventNotificationRequest",
            event,
            "type",
            "InvalidFirmwareSigningCertificate",
        )


@scenario("TC_L_06_CS")
async def invalid_signature(ctx: ChargerRun) -> None:
    async with fw.firmware(ctx) as kit:
        # <Configured invalid firmware signature>: a real signature, of other bytes.
        wrong = sign_firmware(b"not this firmware", kit.key)
        since = ctx.mark()
        await fw.update_firmware(ctx, kit, step=1, signature=wrong)
        await fw.statuses(
            ctx, [(3, "Downloading"), (5, "Downloaded"), (7, "InvalidSignature")], since=since
        )
        event = await ctx.station_request(
            "SecurityEventNotification",
            step=9,
            since=since,
            match=lambda p: p.get("type") == "InvalidFirmwareSignature",
            what="the SecurityEventNotification InvalidFirmwareSignature (L01.FR.03)",
        )
        ctx.check(9, "SecurityEventNotificationRequest", event, "type", "InvalidFirmwareSignature")


@scenario("TC_L_07_CS")
async def download_failed(ctx: ChargerRun) -> None:
    async with fw.firmware(ctx) as kit:
        since = ctx.mark()
        # The OCTT leaves retries to the station; the bench asks for
        # ``extra["download_retries"]`` (0) so the case does not wait out retry intervals.
        retries = int(ctx.settings.extra.get("download_retries", "0"))
        await fw.update_firmware(
            ctx, kit, step=1, location=kit.location + "_does.not.exist", retries=retries
        )
        status, since = await fw.expect_status(
            ctx, 3, ("Downloading", "DownloadFailed"), since=since
        )
        if status == "Downloading":  # step 3 is optional
            await fw.expect_status(ctx, 5, "DownloadFailed", since=since)


@scenario("TC_L_08_CS")
async def installation_fails(ctx: ChargerRun) -> None:
    async with fw.firmware(ctx, image=fw.uninstallable_image(), invalid=True) as kit:
        start = ctx.mark()
        await fw.update_firmware(ctx, kit, step=1)
        since = await _download_and_verify(ctx, since=start)
        limit = ctx.settings.timeout * 2
        _, since = await fw.expect_status(ctx, 12, "Installing", since=since, timeout=limit)
        await fw.expect_status(
            ctx,
            16,
            ("InstallVerificationFailed", "InstallationFailed"),
            since=since,
            timeout=limit,
        )
        await fw.available_again(ctx, step=14, start=start)


@scenario("TC_L_18_CS")
async def unsigned_update_refused(ctx: ChargerRun) -> None:
    async with fw.firmware(ctx) as kit:
        await fw.update_firmware(
            ctx,
            kit,
            step=1,
            certificate=None,
            signature=None,
            expect=one_of("Rejected", "InvalidCertificate"),
        )


# ---------------------------------------------------------------- L01: a second request
@scenario("TC_L_10_CS")
async def cancel_and_replace(ctx: ChargerRun) -> None:
    ctx.needs_feature("C-60")
    async with fw.firmware(ctx) as kit:
        kit.files.hold_any(kit.path, times=1)  # the first download stays busy
        start = ctx.mark()
        await fw.update_firmware(ctx, kit, step=1)
        await fw.expect_status(ctx, 3, "Downloading", since=start)
        await kit.files.held(ctx.settings.timeout)
        since = ctx.mark()
        # L01.FR.24: from here on every status carries the second requestId.
        await fw.update_firmware(ctx, kit, step=5, expect="AcceptedCanceled")
        since = await _download_and_verify(ctx, since=since, first=7)
        await fw.installed(ctx, since=since, installing=16, available=20, done=22, start=start)


@scenario("TC_L_11_CS")
async def cannot_cancel(ctx: ChargerRun) -> None:
    remote.lacks_feature(ctx, "C-60", "it cancels an ongoing update; the case needs it not to")
    async with fw.firmware(ctx) as kit:
        kit.files.hold_any(kit.path, times=1)
        start = ctx.mark()
        await fw.update_firmware(ctx, kit, step=1)
        _, since = await fw.expect_status(ctx, 3, "Downloading", since=start)
        await kit.files.held(ctx.settings.timeout)
        first = ctx.memory["firmware_request_id"]
        reply = await fw.update_firmware(ctx, kit, step=5, expect=None)
        if reply.get("status") == "AcceptedCanceled":
            # What the station does says it has the feature the case is not for.
            ctx.not_applicable(
                "the station cancelled the ongoing update (AcceptedCanceled): it has C-60, "
                "the case is for a station without"
            )
        ctx.require(6, "UpdateFirmwareResponse", reply, "status", "Rejected")  # L01.FR.27
        ctx.memory["firmware_request_id"] = first  # the first update goes on
        kit.files.release()
        since = await fw.statuses(ctx, [(7, "Downloaded"), (9, "SignatureVerified")], since=since)
        await fw.installed(ctx, since=since, installing=14, available=18, done=20, start=start)


# ---------------------------------------------------------------- L01 with transactions
def _second_evse(ctx: ChargerRun) -> int:
    """<Configured second Connector>: another EVSE of the station (N/A without one)."""
    others = [e for e in remote.evse_ids(ctx) if e != ctx.settings.evse_id]
    configured = ctx.settings.extra.get("second_evse_id")
    if configured:
        return int(configured)
    if not others:
        ctx.not_applicable("the case needs a second EVSE (HFS-8 > 1); the station has one")
    return others[0]


async def _bay_unoccupied(ctx: ChargerRun, evse_id: int, token: str, *, step: int) -> None:
    """Reusable state ParkingBayUnoccupied (a station without a bay sensor): the driver
    stops with the card and unplugs; the transaction ends."""
    since = ctx.mark()
    await physical.present(ctx, token, evse_id, step=step)
    await physical.unplug(ctx, evse_id, step=step)
    await ctx.station_request(
        "TransactionEvent",
        step=step,
        since=since,
        match=lambda p: p.get("eventType") == "Ended",
        what=f"the TransactionEvent Ended on EVSE {evse_id}",
    )


async def _allow_new_sessions(ctx: ChargerRun, value: str, *, required: bool) -> None:
    if required:
        await remote.configure_or_na(ctx, _ALLOW, value, why="the case needs it implemented")
    else:
        await remote.configure_if_there(ctx, {_ALLOW: value})


def _unavailable_on(evse_id: int) -> v201.Match:
    return lambda p: p.get("evseId") == evse_id and p.get("connectorStatus") == "Unavailable"


async def _unavailable_connectors(ctx: ChargerRun, *, since: int, step: int) -> None:
    """Every other EVSE that was Available is set Unavailable (L01.FR.07)."""
    for evse_id in remote.evse_ids(ctx):
        if evse_id == ctx.settings.evse_id:
            continue  # Occupied by the transaction
        payload = await ctx.station_request(
            "StatusNotification",
            step=step,
            since=since,
            match=_unavailable_on(evse_id),
            what=f"a StatusNotification Unavailable for EVSE {evse_id}",
        )
        ctx.check(step, "StatusNotificationRequest", payload, "connectorStatus", "Unavailable")


@scenario("TC_L_12_CS", physical=_TX_PHYSICAL)
async def download_after_transactions_new_sessions(ctx: ChargerRun) -> None:
    ctx.needs_feature("C-20")
    remote.lacks_feature(ctx, "C-43", "it installs during transactions; the case is for one not")
    remote.lacks_feature(ctx, "AQ-7", "it downloads during transactions; the case is for one not")
    second = _second_evse(ctx)
    remote.accept_tokens(ctx)
    await _allow_new_sessions(ctx, "true", required=False)
    await v201.energy_transfer_started(ctx, step=0)
    async with fw.firmware(ctx) as kit:
        start = ctx.mark()
        await fw.update_firmware(ctx, kit, step=1)
        _, since = await fw.expect_status(ctx, 3, "DownloadScheduled", since=start)
        await remote.charging_on(ctx, second, remote.second_token(ctx), step=5)
        await _bay_unoccupied(ctx, ctx.settings.evse_id, ctx.valid_token, step=6)
        await _bay_unoccupied(ctx, second, remote.second_token(ctx), step=7)
        since = await _download_and_verify(ctx, since=since, first=8)
        await fw.installed(ctx, since=since, installing=17, available=21, done=23, start=start)


@scenario("TC_L_13_CS", physical=_TX_PHYSICAL)
async def download_after_transaction_no_new_sessions(ctx: ChargerRun) -> None:
    remote.lacks_feature(ctx, "C-43", "it installs during transactions; the case is for one not")
    remote.lacks_feature(ctx, "AQ-7", "it downloads during transactions; the case is for one not")
    await _allow_new_sessions(ctx, "false", required=True)
    await v201.energy_transfer_started(ctx, step=0)
    async with fw.firmware(ctx) as kit:
        start = ctx.mark()
        await fw.update_firmware(ctx, kit, step=1)
        await _unavailable_connectors(ctx, since=start, step=5)
        await _bay_unoccupied(ctx, ctx.settings.evse_id, ctx.valid_token, step=7)
        # Step 3, DownloadScheduled, is optional: the download may simply wait.
        status, since = await fw.expect_status(
            ctx, 3, ("DownloadScheduled", "Downloading"), since=start
        )
        if status == "Downloading":
            since = start
        since = await _download_and_verify(ctx, since=since, first=8)
        await fw.installed(ctx, since=since, installing=17, available=21, done=23, start=start)


async def _install_waits(ctx: ChargerRun, *, since: int) -> tuple[str, int]:
    """Step 9: InstallScheduled (waiting for the transactions) or Installing."""
    return await fw.expect_status(ctx, 9, ("InstallScheduled", "Installing"), since=since)


@scenario("TC_L_14_CS", physical=_TX_PHYSICAL)
async def install_after_transactions_new_sessions(ctx: ChargerRun) -> None:
    ctx.needs_feature("C-20")
    ctx.needs_feature("AQ-7")
    remote.lacks_feature(ctx, "C-43", "it installs during transactions; the case is for one not")
    second = _second_evse(ctx)
    remote.accept_tokens(ctx)
    await _allow_new_sessions(ctx, "true", required=False)
    await v201.energy_transfer_started(ctx, step=0)
    async with fw.firmware(ctx) as kit:
        start = ctx.mark()
        await fw.update_firmware(ctx, kit, step=1)
        since = await _download_and_verify(ctx, since=start)
        status, since = await _install_waits(ctx, since=since)
        await remote.charging_on(ctx, second, remote.second_token(ctx), step=11)
        await _bay_unoccupied(ctx, ctx.settings.evse_id, ctx.valid_token, step=12)
        await _bay_unoccupied(ctx, second, remote.second_token(ctx), step=13)
        installing = 17 if status == "InstallScheduled" else None
        await fw.installed(
            ctx, since=since, installing=installing, available=21, done=23, start=start
        )


@scenario("TC_L_15_CS", physical=_TX_PHYSICAL)
async def install_after_transaction_no_new_sessions(ctx: ChargerRun) -> None:
    ctx.needs_feature("AQ-7")
    remote.lacks_feature(ctx, "C-43", "it installs during transactions; the case is for one not")
    await _allow_new_sessions(ctx, "false", required=True)
    await v201.energy_transfer_started(ctx, step=0)
    async with fw.firmware(ctx) as kit:
        start = ctx.mark()
        await fw.update_firmware(ctx, kit, step=1)
        since = await _download_and_verify(ctx, since=start)
        status, since = await _install_waits(ctx, since=since)
        await _unavailable_connectors(ctx, since=start, step=11)
        await _bay_unoccupied(ctx, ctx.settings.evse_id, ctx.valid_token, step=13)
        installing = 17 if status == "InstallScheduled" else None
        await fw.installed(
            ctx, since=since, installing=installing, available=21, done=23, start=start
        )


@scenario("TC_L_16_CS", physical=("present_token", "plug_in"))
async def install_during_transaction(ctx: ChargerRun) -> None:
    ctx.needs_feature("C-43")
    await v201.energy_transfer_started(ctx, step=0)
    async with fw.firmware(ctx) as kit:
        start = ctx.mark()
        await fw.update_firmware(ctx, kit, step=1)
        since = await _download_and_verify(ctx, since=start)
        await fw.installed(ctx, since=since, installing=9, available=11, done=12, start=start)
