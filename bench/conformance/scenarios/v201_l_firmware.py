"""2.0.1 block L, Firmware Management: CSMS test cases (part 6 §3.13).

The bench's station updates its firmware for real (``bench.ocpp.v201.firmware``):
the CSMS is asked to send the case's firmware location (the case's own file server,
``material_lm``), signing certificate and signature; the station downloads, verifies,
installs and reboots, and the CSMS's answers to every FirmwareStatusNotification are
checked. A failure the station produces for a reason of its own is provoked with the
file: one changed after signing (InvalidSignature), none at the location
(DownloadFailed), an image that fails verification or does not start. What the
station never says on its own (RevokedCertificate, InvalidCertificate for a valid
certificate, a station that cannot cancel) is answered by the scenario with
``answer_with`` and said so where it happens. The bench's station is no local
controller: the PublishFirmware cases play one by script (see ``_local_controller``).
"""

from __future__ import annotations

import hashlib
from typing import Any

from bench import transfer
from bench.conformance import states
from bench.conformance.case_run import CaseRun, Inconclusive
from bench.conformance.expect import satisfies
from bench.conformance.material_lm import (
    FirmwareKit,
    case_files,
    firmware_file,
    firmware_kit,
    same_certificate,
)
from bench.conformance.scenarios import scenario
from bench.conformance.states_firmware import (
    charging,
    charging_ended,
    check_signed,
    configured_for_transactions,
    csms_call,
    exchange,
    firmware_statuses,
    in_the_future,
    patience,
    rebooted_with_new_firmware,
    request_id_of,
    request_update,
    station_answer,
    update_request,
)
from bench.kernel.frames import FrameRecord
from bench.ocpp.common.timestamps import iso, parse_iso

SCHEDULE_S = 1.0  # how far ahead the built-in CSMS is asked to schedule (L01.FR.13/16)
SCHEDULED = "ScheduledFirmwareUpdates"  # part 5 C-15, an optional CSMS feature
MANUAL = ("update_firmware",)


def _now(ctx: CaseRun) -> Any:
    return ctx.station.clock.now()


def _answered(status: str) -> Any:
    """The station's scripted answer to a CSMS request: ``{"status": status}``."""

    async def answer(request: dict[str, Any]) -> dict[str, Any]:
        return {"status": status}

    return answer


async def _update(
    ctx: CaseRun, kit: FirmwareKit, request: dict[str, Any], *, step: int = 1, **kw: Any
) -> tuple[FrameRecord, dict[str, Any]]:
    frame = await request_update(ctx, kit, request, step=step, **kw)
    return frame, frame.payload if isinstance(frame.payload, dict) else {}


INSTALL = [("Installing", 10), ("InstallRebooting", 12)]


async def _installed_after_reboot(
    ctx: CaseRun, *, since: int, request_id: int | None, boot_step: int, installed_step: int
) -> None:
    boot_at = await rebooted_with_new_firmware(ctx, since=since, boot_step=boot_step)
    await firmware_statuses(
        ctx, [("Installed", installed_step)], since=boot_at, request_id=request_id
    )


@scenario("TC_L_01_CSMS", manual=MANUAL)
async def secure_update_installed(ctx: CaseRun) -> None:
    # L01.FR.01/11/15: download, SignatureVerified, install, InstallRebooting, reboot, Installed.
    await states.booted(ctx)
    async with case_files() as files:
        kit = firmware_kit(files, _now(ctx))
        frame, sent = await _update(ctx, kit, update_request(ctx, kit, 1))
        check_signed(ctx, 1, sent, kit)
        await station_answer(ctx, frame, "Accepted")
        rid = request_id_of(frame)
        steps = [("Downloading", 4), ("Downloaded", 6), ("SignatureVerified", 8), *INSTALL]
        since = await firmware_statuses(
            ctx, steps, since=ctx.frames.index(frame), request_id=rid, timeout=patience(ctx, sent)
        )
        await _installed_after_reboot(
            ctx, since=since, request_id=rid, boot_step=14, installed_step=18
        )


def _future(ctx: CaseRun) -> Any:
    arrived = _now(ctx)

    def later(value: Any) -> bool:
        moment = parse_iso(value) if isinstance(value, str) else None
        return moment is not None and moment > arrived

    return satisfies(later, f"a dateTime after {iso(arrived)} (in the future)")


@scenario("TC_L_02_CSMS", manual=MANUAL)
async def secure_update_install_scheduled(ctx: CaseRun) -> None:
    # L01.FR.16: installDateTime in the future: InstallScheduled, Installing when it comes.
    ctx.needs_feature(SCHEDULED)
    await states.booted(ctx)
    async with case_files() as files:
        kit = firmware_kit(files, _now(ctx))
        request = update_request(ctx, kit, 1, installDateTime=in_the_future(ctx, SCHEDULE_S))
        frame, sent = await _update(
            ctx,
            kit,
            request,
            instruction="Request the CSMS to update the firmware with an installDateTime in "
            "the future",
        )
        ctx.check(1, "UpdateFirmwareRequest", sent, "firmware.installDateTime", _future(ctx))
        await station_answer(ctx, frame, "Accepted")
        rid = request_id_of(frame)
        first = [("Downloading", 4), ("Downloaded", 6), ("SignatureVerified", 8)]
        since = ctx.frames.index(frame)
        since = await firmware_statuses(
            ctx, first, since=since, request_id=rid, timeout=patience(ctx, sent)
        )
        since = await firmware_statuses(
            ctx, [("InstallScheduled", 10)], since=since, request_id=rid
        )
        since = await firmware_statuses(
            ctx,
            [("Installing", 12), ("InstallRebooting", 14)],
            since=since,
            request_id=rid,
            timeout=patience(ctx, sent, "installDateTime"),
        )
        await _installed_after_reboot(
            ctx, since=since, request_id=rid, boot_step=16, installed_step=20
        )


@scenario("TC_L_03_CSMS", manual=MANUAL)
async def secure_update_download_scheduled(ctx: CaseRun) -> None:
    # L01.FR.13: retrieveDateTime in the future: DownloadScheduled, Downloading when it comes.
    ctx.needs_feature(SCHEDULED)
    await states.booted(ctx)
    async with case_files() as files:
        kit = firmware_kit(files, _now(ctx))
        request = update_request(ctx, kit, 1, retrieveDateTime=in_the_future(ctx, SCHEDULE_S))
        frame, sent = await _update(
            ctx,
            kit,
            request,
            instruction="Request the CSMS to update the firmware with a retrieveDateTime in "
            "the future",
        )
        ctx.check(1, "UpdateFirmwareRequest", sent, "firmware.retrieveDateTime", _future(ctx))
        await station_answer(ctx, frame, "Accepted")
        rid = request_id_of(frame)
        since = await firmware_statuses(
            ctx, [("DownloadScheduled", 4)], since=ctx.frames.index(frame), request_id=rid
        )
        rest = [
            ("Downloading", 6),
            ("Downloaded", 8),
            ("SignatureVerified", 10),
            ("Installing", 12),
            ("InstallRebooting", 14),
        ]
        since = await firmware_statuses(
            ctx,
            rest,
            since=since,
            request_id=rid,
            timeout=patience(ctx, sent, "retrieveDateTime"),
        )
        await _installed_after_reboot(
            ctx, since=since, request_id=rid, boot_step=16, installed_step=20
        )


@scenario("TC_L_04_CSMS", manual=MANUAL)
async def secure_update_revoked_certificate(ctx: CaseRun) -> None:
    # L01.FR.01: the station refuses the update, RevokedCertificate. The bench's station
    # keeps no revocation list, so the scenario gives this answer (answer_with).
    await states.booted(ctx)
    async with case_files() as files:
        kit = firmware_kit(files, _now(ctx))
        restore = ctx.station.answer_with("UpdateFirmware", _answered("RevokedCertificate"))
        try:
            frame, _sent = await _update(ctx, kit, update_request(ctx, kit, 1))
            await station_answer(ctx, frame, "RevokedCertificate")
        finally:
            restore()


@scenario("TC_L_05_CSMS", manual=MANUAL)
async def secure_update_invalid_certificate(ctx: CaseRun) -> None:
    # L01.FR.02/22: InvalidCertificate and the InvalidFirmwareSigningCertificate event. The
    # bench's station accepts a valid signing certificate when it holds no manufacturer
    # root, so the scenario answers InvalidCertificate and sends the security event.
    await states.booted(ctx)
    async with case_files() as files:
        kit = firmware_kit(files, _now(ctx))
        restore = ctx.station.answer_with("UpdateFirmware", _answered("InvalidCertificate"))
        try:
            frame, _sent = await _update(ctx, kit, update_request(ctx, kit, 1))
            await station_answer(ctx, frame, "InvalidCertificate")
        finally:
            restore()
        event = {
            "type": "InvalidFirmwareSigningCertificate",
            "timestamp": iso(_now(ctx)),
            "techInfo": "the signing certificate is not trusted",
        }
        reply = await ctx.send("SecurityEventNotification", event, step=4)
        _replied(ctx, reply, 4)


def _replied(ctx: CaseRun, reply: FrameRecord, step: int) -> None:
    ctx.check_that(
        step,
        f"{reply.action}Response",
        "(message type)",
        reply.type == "CALLRESULT",
        "CALLRESULT",
        f"{reply.type} {reply.error or ''}".strip(),
    )


@scenario("TC_L_06_CSMS", manual=MANUAL)
async def secure_update_invalid_signature(ctx: CaseRun) -> None:
    # L01.FR.03: the file on the server is not the one signed: the station's check fails,
    # InvalidSignature and the InvalidFirmwareSignature security event.
    await states.booted(ctx)
    async with case_files() as files:
        good = firmware_file()
        kit = firmware_kit(files, _now(ctx), image=good, served=good + b"\n")
        frame, sent = await _update(ctx, kit, update_request(ctx, kit, 1))
        await station_answer(ctx, frame, "Accepted")
        rid = request_id_of(frame)
        steps = [("Downloading", 4), ("Downloaded", 6), ("InvalidSignature", 8)]
        since = await firmware_statuses(
            ctx, steps, since=ctx.frames.index(frame), request_id=rid, timeout=patience(ctx, sent)
        )
        await exchange(
            ctx,
            "SecurityEventNotification",
            since=since,
            step=10,
            expect={"type": "InvalidFirmwareSignature"},
        )


@scenario("TC_L_07_CSMS", manual=MANUAL)
async def secure_update_download_failed(ctx: CaseRun) -> None:
    # L01.FR.30: nothing at the location: Downloading, DownloadFailed after the retries.
    await states.booted(ctx)
    async with case_files() as files:
        kit = firmware_kit(files, _now(ctx), publish=False)
        # retries 0: the station gives up after one attempt (else it retries, L01.FR.30).
        frame, sent = await _update(ctx, kit, update_request(ctx, kit, 1, retries=0))
        await station_answer(ctx, frame, "Accepted")
        rid = request_id_of(frame)
        since = await firmware_statuses(
            ctx, [("Downloading", 4)], since=ctx.frames.index(frame), request_id=rid
        )
        await firmware_statuses(
            ctx,
            [("DownloadFailed", 6)],
            since=since,
            request_id=rid,
            timeout=patience(ctx, sent),
            skip=("Downloading",),
        )


@scenario("TC_L_08_CSMS", manual=MANUAL)
async def secure_update_install_verification_failed(ctx: CaseRun) -> None:
    # L01.FR.29: the image fails the station's verification as installation begins.
    await states.booted(ctx)
    async with case_files() as files:
        kit = firmware_kit(files, _now(ctx), image=b'{"version": ""}')
        frame, sent = await _update(ctx, kit, update_request(ctx, kit, 1))
        await station_answer(ctx, frame, "Accepted")
        steps = [
            ("Downloading", 4),
            ("Downloaded", 6),
            ("SignatureVerified", 8),
            ("Installing", 10),
            ("InstallVerificationFailed", 12),
        ]
        await firmware_statuses(
            ctx,
            steps,
            since=ctx.frames.index(frame),
            request_id=request_id_of(frame),
            timeout=patience(ctx, sent),
        )


@scenario("TC_L_09_CSMS", manual=MANUAL)
async def secure_update_installation_failed(ctx: CaseRun) -> None:
    # L01.FR.29: the new firmware does not start after the reboot: InstallationFailed.
    await states.booted(ctx)
    async with case_files() as files:
        kit = firmware_kit(files, _now(ctx), image=firmware_file(activates=False))
        frame, sent = await _update(ctx, kit, update_request(ctx, kit, 1))
        await station_answer(ctx, frame, "Accepted")
        rid = request_id_of(frame)
        steps = [("Downloading", 4), ("Downloaded", 6), ("SignatureVerified", 8), *INSTALL]
        since = await firmware_statuses(
            ctx, steps, since=ctx.frames.index(frame), request_id=rid, timeout=patience(ctx, sent)
        )
        boot_at = await rebooted_with_new_firmware(ctx, since=since, boot_step=14)
        await firmware_statuses(ctx, [("InstallationFailed", 18)], since=boot_at, request_id=rid)


SECOND = (
    "While the Charging Station is downloading, request the CSMS to send another "
    "UpdateFirmwareRequest"
)


async def _second_update_while_downloading(
    ctx: CaseRun, files: Any, kit: FirmwareKit, answer: str
) -> tuple[FrameRecord, FrameRecord]:
    """Steps 1-6: an update held at Downloading (its download waits on the case's file
    server) and a second UpdateFirmwareRequest, which the station answers ``answer``."""
    files.hold(kit.path)
    first, _sent = await _update(ctx, kit, update_request(ctx, kit, 1))
    await station_answer(ctx, first, "Accepted")
    await firmware_statuses(
        ctx, [("Downloading", 4)], since=ctx.frames.index(first), request_id=request_id_of(first)
    )
    second, _sent = await _update(ctx, kit, update_request(ctx, kit, 2), step=5, instruction=SECOND)
    await station_answer(ctx, second, answer)
    files.release()
    return first, second


@scenario("TC_L_10_CSMS", manual=MANUAL)
async def secure_update_accepted_canceled(ctx: CaseRun) -> None:
    # L01.FR.24: a new request cancels the running update (AcceptedCanceled) and runs instead.
    await states.booted(ctx)
    async with case_files() as files:
        kit = firmware_kit(files, _now(ctx))
        _first, second = await _second_update_while_downloading(ctx, files, kit, "AcceptedCanceled")
        rid = request_id_of(second)
        steps = [
            ("Downloading", 8),
            ("Downloaded", 10),
            ("SignatureVerified", 12),
            ("Installing", 14),
            ("InstallRebooting", 16),
        ]
        since = await firmware_statuses(ctx, steps, since=ctx.frames.index(second), request_id=rid)
        await _installed_after_reboot(
            ctx, since=since, request_id=rid, boot_step=18, installed_step=22
        )


@scenario("TC_L_11_CSMS", manual=MANUAL)
async def secure_update_unable_to_cancel(ctx: CaseRun) -> None:
    # L01.FR.27: a station that cannot cancel the running update Rejects the new request and
    # finishes the first. The bench's station can cancel (L01.FR.24), so the scenario gives
    # the Rejected answer to the second request (answer_with) and the first update goes on.
    await states.booted(ctx)
    async with case_files() as files:
        kit = firmware_kit(files, _now(ctx))
        files.hold(kit.path)
        first, _sent = await _update(ctx, kit, update_request(ctx, kit, 1))
        await station_answer(ctx, first, "Accepted")
        rid = request_id_of(first)
        since = await firmware_statuses(
            ctx, [("Downloading", 4)], since=ctx.frames.index(first), request_id=rid
        )
        restore = ctx.station.answer_with("UpdateFirmware", _answered("Rejected"))
        try:
            second, _ = await _update(
                ctx, kit, update_request(ctx, kit, 2), step=5, instruction=SECOND
            )
            await station_answer(ctx, second, "Rejected")
        finally:
            restore()
        files.release()
        steps = [
            ("Downloaded", 8),
            ("SignatureVerified", 10),
            ("Installing", 12),
            ("InstallRebooting", 14),
        ]
        since = await firmware_statuses(ctx, steps, since=since, request_id=rid)
        await _installed_after_reboot(
            ctx, since=since, request_id=rid, boot_step=16, installed_step=20
        )


@scenario("TC_L_13_CSMS", manual=MANUAL)
async def secure_update_during_transaction(ctx: CaseRun) -> None:
    # L01.FR.06/34 with AllowNewSessionsPendingFirmwareUpdate false (§3.1): the update waits
    # for the transaction to end. The case's station cannot even download meanwhile
    # (DownloadScheduled); the bench's station downloads and verifies during the
    # transaction and reports InstallScheduled until it ends (L01.FR.34). The CSMS's side
    # is the same: it answers each status, and the boot after the update is Accepted.
    await configured_for_transactions(ctx)
    await states.booted(ctx)
    await charging(ctx)
    async with case_files() as files:
        kit = firmware_kit(files, _now(ctx))
        frame, sent = await _update(ctx, kit, update_request(ctx, kit, 1))
        certificate = same_certificate(kit.signing.pem)
        ctx.check(1, "UpdateFirmwareRequest", sent, "firmware.signingCertificate", certificate)
        await station_answer(ctx, frame, "Accepted")
        rid = request_id_of(frame)
        # The CSMS's answers to these statuses are the case's step 4 (and 11-15).
        during = [
            ("Downloading", 4),
            ("Downloaded", 4),
            ("SignatureVerified", 4),
            ("InstallScheduled", 4),
        ]
        since = await firmware_statuses(
            ctx, during, since=ctx.frames.index(frame), request_id=rid, timeout=patience(ctx, sent)
        )
        await charging_ended(ctx, stop_step=7)
        steps = [("Installing", 17), ("InstallRebooting", 19)]
        since = await firmware_statuses(ctx, steps, since=since, request_id=rid)
        # The document's tool validation names step 19; the BootNotificationResponse is step 21.
        await _installed_after_reboot(
            ctx, since=since, request_id=rid, boot_step=21, installed_step=25
        )


# --------------------------------------------------------------------------- L03 / L04
PUBLISH = ("publish_firmware",)


async def _local_controller(ctx: CaseRun, kit: FirmwareKit, outcome: str) -> None:
    """Play a Local Controller publishing firmware (L03) by script.

    The bench's station is no local controller (it answers PublishFirmware Rejected,
    L03.FR.05), so the scenario answers Accepted and sends the
    PublishFirmwareStatusNotifications itself. The download and the MD5 check are real:
    the file at the location the CSMS sent is fetched and its checksum compared, so
    DownloadFailed and InvalidChecksum come from the file; PublishFailed (``outcome``)
    is the controller's own failure, said by script.
    """
    await states.booted(ctx)
    request = {"location": kit.location, "checksum": kit.checksum, "requestId": 1}
    restore = ctx.station.answer_with("PublishFirmware", _answered("Accepted"))
    try:
        frame = await csms_call(
            ctx,
            "publish_firmware",
            f"Request the CSMS to publish the firmware at {kit.location} (MD5 {kit.checksum}) "
            "on the Local Controller",
            "PublishFirmware",
            request,
            step=1,
            location=kit.location,
            checksum=kit.checksum,
            request_id=1,
        )
        sent = frame.payload if isinstance(frame.payload, dict) else {}
        # Tool validation: location <Configured firmware_location>.
        ctx.check(1, "PublishFirmwareRequest", sent, "location", kit.location)
        await station_answer(ctx, frame, "Accepted")
    finally:
        restore()
    rid = request_id_of(frame)
    await _publish_status(ctx, "Downloading", rid, 4)
    try:
        data: bytes | None = await transfer.download(str(sent.get("location", "")))
    except transfer.TransferError:
        data = None
    if data is None:
        await _publish_status(ctx, "DownloadFailed", rid, 6, expected=outcome)
        return
    await _publish_status(ctx, "Downloaded", rid, 6)
    if hashlib.md5(data, usedforsecurity=False).hexdigest() != str(sent.get("checksum")).lower():
        await _publish_status(ctx, "InvalidChecksum", rid, 8, expected=outcome)
        return
    await _publish_status(ctx, "ChecksumVerified", rid, 8)
    if outcome == "PublishFailed":
        await _publish_status(ctx, "PublishFailed", rid, 10)
        return
    await _publish_status(ctx, "Published", rid, 10, expected=outcome, location=[kit.location])


async def _publish_status(
    ctx: CaseRun,
    status: str,
    request_id: int | None,
    step: int,
    *,
    expected: str | None = None,
    **extra: Any,
) -> None:
    """The controller's PublishFirmwareStatusNotification and the CSMS's reply (``step``);
    a status the case does not expect (``expected``) is sent, then the case stops."""
    payload: dict[str, Any] = {"status": status, **extra}
    if request_id is not None:
        payload["requestId"] = request_id
    reply = await ctx.send("PublishFirmwareStatusNotification", payload, step=step)
    _replied(ctx, reply, step)
    if expected is not None and status != expected:
        raise Inconclusive(
            f"the Local Controller reported {status} where the case expects {expected}: "
            "the file at the CSMS's location and checksum did not allow otherwise"
        )


@scenario("TC_L_17_CSMS", manual=PUBLISH)
async def publish_firmware_published(ctx: CaseRun) -> None:
    # L03: Downloading, Downloaded, ChecksumVerified, Published with the location.
    async with case_files() as files:
        await _local_controller(ctx, firmware_kit(files, _now(ctx)), "Published")


@scenario("TC_L_24_CSMS", manual=PUBLISH)
async def publish_firmware_download_failed(ctx: CaseRun) -> None:
    # L03: nothing at the location: Downloading, DownloadFailed.
    async with case_files() as files:
        await _local_controller(
            ctx, firmware_kit(files, _now(ctx), publish=False), "DownloadFailed"
        )


@scenario("TC_L_19_CSMS", manual=PUBLISH)
async def publish_firmware_invalid_checksum(ctx: CaseRun) -> None:
    # L03: the file at the location is not the one the checksum names: InvalidChecksum.
    async with case_files() as files:
        good = firmware_file()
        kit = firmware_kit(files, _now(ctx), image=good, served=good + b"\n")
        await _local_controller(ctx, kit, "InvalidChecksum")


@scenario("TC_L_20_CSMS", manual=PUBLISH)
async def publish_firmware_publish_failed(ctx: CaseRun) -> None:
    # L03: downloaded and verified, but the controller cannot publish it: PublishFailed.
    async with case_files() as files:
        await _local_controller(ctx, firmware_kit(files, _now(ctx)), "PublishFailed")


def _unpublish(case_id: str, answer: str, scripted: bool) -> None:
    @scenario(case_id, manual=("unpublish_firmware",))
    async def run(ctx: CaseRun) -> None:
        await states.booted(ctx)
        checksum = hashlib.md5(firmware_file(), usedforsecurity=False).hexdigest()
        restore = (
            ctx.station.answer_with("UnpublishFirmware", _answered(answer)) if scripted else None
        )
        try:
            frame = await csms_call(
                ctx,
                "unpublish_firmware",
                f"Request the CSMS to unpublish the firmware with MD5 {checksum} from the "
                "Local Controller",
                "UnpublishFirmware",
                {"checksum": checksum},
                step=1,
                checksum=checksum,
            )
            await station_answer(ctx, frame, answer)
        finally:
            if restore is not None:
                restore()

    how = "answered by script (the bench's station is no local controller)" if scripted else ""
    run.__doc__ = f"{case_id}: L04, UnpublishFirmware answered {answer} {how}".strip()


# L04.FR.01-03. The bench's station publishes nothing: NoFirmware is its own answer.
_unpublish("TC_L_21_CSMS", "Unpublished", scripted=True)
_unpublish("TC_L_22_CSMS", "NoFirmware", scripted=False)
_unpublish("TC_L_23_CSMS", "DownloadOngoing", scripted=True)
