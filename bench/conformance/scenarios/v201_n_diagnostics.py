"""2.0.1 block N, Diagnostics: logs and customer information (part 6 §3.15; N01, N09, N10).

The station uploads its log for real (an archive, HTTP PUT or POST) to the
location the CSMS names and reports Uploading and Uploaded with
LogStatusNotification; the instructions offer an upload location the bench runs
on 127.0.0.1 for a CSMS that lets its operator choose one. Customer information
is what the station really holds: a driver who presented the configured card
leaves Authorize and TransactionEvent requests naming it ("+ data"); a fresh
station holds nothing ("+ no data").
"""

from __future__ import annotations

from typing import Any

from bench.conformance import states
from bench.conformance.case_run import CaseRun, Inconclusive
from bench.conformance.expect import field_at, integer_at_least, satisfies
from bench.conformance.scenarios import scenario
from bench.conformance.states_diagnostics import (
    UploadSink,
    booted,
    csms_answer,
    csms_call,
    expect_station,
    is_call,
    reply_accepted,
    reports_answered,
    scripted_reply,
    station_reply,
)
from bench.kernel.frames import FrameRecord

GET_LOG = "get_log"
CUSTOMER = "customer_information"
CUSTOMER_IDENTIFIER = "OpenChargeAlliance"  # TC_N_62_CSMS
# <customer certificate hash data> of TC_N_63_CSMS: a CertificateHashDataType.
CERTIFICATE = {
    "hashAlgorithm": "SHA256",
    "issuerNameHash": "f3c6ad7f2b35b0d1b1c2c4b0e4b1e8a9c1f0d2e3a4b5c6d7e8f9a0b1c2d3e4f5",
    "issuerKeyHash": "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
    "serialNumber": "4c3b2a19",
}


# --------------------------------------------------------------------------- N01 logs
def _log_request(log_type: str, request_id: int, location: str) -> dict[str, Any]:
    return {"logType": log_type, "requestId": request_id, "log": {"remoteLocation": location}}


async def _ask_log(
    ctx: CaseRun,
    step: int,
    log_type: str,
    request_id: int,
    location: str,
    text: str = "",
    *,
    offer: bool = True,
) -> tuple[dict[str, Any], FrameRecord]:
    """The manual action and the CSMS's GetLogRequest; returns it and the station's reply.

    ``offer``: the instruction offers ``location`` (the bench's upload location)."""
    since = ctx.mark()
    where = f". If the CSMS lets you choose where the log goes, use {location}" if offer else ""
    await ctx.manual(
        GET_LOG,
        f"Request the CSMS to send a GetLogRequest for the {log_type}{text}{where}",
        step=step,
        action="GetLog",
        request=_log_request(log_type, request_id, location),
        log_type=log_type,
        request_id=request_id,
        remote_location=location,
    )
    request = await csms_call(ctx, "GetLog", step=step, since=since)
    reply = await station_reply(ctx, "GetLog", since=since)
    payload = request.payload if isinstance(request.payload, dict) else {}
    return payload, reply


async def _log_status(ctx: CaseRun, *, since: int, request_id: Any, status: str, step: int) -> None:
    """The station's LogStatusNotification ``status`` for ``request_id`` (step - 1),
    answered by the CSMS (``step``). A failed upload makes the case inconclusive."""
    failed = ("UploadFailure", "BadMessage", "NotSupportedOperation", "PermissionDenied")

    def wanted(rec: FrameRecord) -> bool:
        return (
            is_call(rec, "tx", "LogStatusNotification")
            and field_at(rec.payload, "requestId") == request_id
            and field_at(rec.payload, "status") in (status, *failed)
        )

    sent = await ctx.wait_frame(
        wanted, since=since, what=f"the station's LogStatusNotification {status}"
    )
    got = field_at(sent.payload, "status")
    reply = await csms_answer(ctx, sent)
    reply_accepted(ctx, step, "LogStatusNotificationResponse", reply)
    if got != status:
        raise Inconclusive(
            f"the station could not upload its log ({got}): the case needs an upload "
            "location the station can reach"
        )


async def _upload_log(ctx: CaseRun, log_type: str) -> None:
    """TC_N_25/35_CSMS: GetLog accepted, Uploading and Uploaded each answered."""
    await booted(ctx)
    async with UploadSink() as sink:
        since = ctx.mark()
        request, reply = await _ask_log(ctx, 1, log_type, 1, sink.url)
        ctx.check(1, "GetLogRequest", request, "logType", log_type)
        expect_station(ctx, reply, "status", "Accepted", "the station accepts an HTTP(S) location")
        request_id = request.get("requestId")
        await _log_status(ctx, since=since, request_id=request_id, status="Uploading", step=4)
        await _log_status(ctx, since=since, request_id=request_id, status="Uploaded", step=6)


@scenario("TC_N_25_CSMS", manual=(GET_LOG,))
async def diagnostics_log(ctx: CaseRun) -> None:
    # N01.FR.01/04/07-09: the DiagnosticsLog, uploaded.
    await _upload_log(ctx, "DiagnosticsLog")


@scenario("TC_N_35_CSMS", manual=(GET_LOG,))
async def security_log(ctx: CaseRun) -> None:
    # N01.FR.03/07-09: the SecurityLog, uploaded.
    await _upload_log(ctx, "SecurityLog")


@scenario("TC_N_34_CSMS", manual=(GET_LOG,))
async def log_rejected(ctx: CaseRun) -> None:
    # N01: the case's station rejects the request (the bench's would upload to any
    # HTTP(S) location), so the Rejected is scripted. No tool validation beyond the
    # schema; nothing is uploaded.
    await booted(ctx)
    with scripted_reply(ctx, "GetLog", lambda _req: {"status": "Rejected"}):
        # A location only a console-driven CSMS sends as it is: nothing goes there.
        await _ask_log(ctx, 1, "DiagnosticsLog", 1, "http://127.0.0.1:9/logs/", offer=False)


@scenario("TC_N_36_CSMS", manual=(GET_LOG,))
async def second_log_request(ctx: CaseRun) -> None:
    # N01.FR.12/20: a GetLog while one uploads cancels it: AcceptedCanceled to the new
    # request and for the old one, then the new upload. The bench's upload location
    # holds uploads until the second request is answered, so the first still runs.
    await booted(ctx)
    async with UploadSink(hold=True) as sink:
        since = ctx.mark()
        first, reply = await _ask_log(ctx, 1, "DiagnosticsLog", 1, sink.url)
        expect_station(ctx, reply, "status", "Accepted", "the station accepts an HTTP location")
        first_id = first.get("requestId")
        await _log_status(ctx, since=since, request_id=first_id, status="Uploading", step=4)
        second_since = ctx.mark()
        second, reply = await _ask_log(
            ctx, 5, "DiagnosticsLog", 2, sink.url, " again, while the first one uploads"
        )
        expect_station(
            ctx,
            reply,
            "status",
            "AcceptedCanceled",
            "the first upload must still run when the second request comes",
        )
        second_id = second.get("requestId")
        sink.release()
        await _log_status(
            ctx, since=second_since, request_id=first_id, status="AcceptedCanceled", step=8
        )
        await _log_status(
            ctx, since=second_since, request_id=second_id, status="Uploading", step=10
        )
        await _log_status(ctx, since=second_since, request_id=second_id, status="Uploaded", step=12)


# --------------------------------------------------------------------------- N09, N10 customers
def _token(ctx: CaseRun) -> dict[str, Any]:
    return {"idToken": ctx.settings.valid_id_token, "type": ctx.settings.valid_id_token_type}


async def _ask_customer(
    ctx: CaseRun, *, report: bool, clear: bool, what: str, **customer: Any
) -> tuple[dict[str, Any], FrameRecord]:
    """Step 1: the CSMS's CustomerInformationRequest; returns it and the station's reply."""
    request = {"requestId": 1, "report": report, "clear": clear, **customer}
    doing = " and ".join(
        w for w, on in (("report", report), ("clear", clear)) if on
    )  # what the CSMS is asked to do with the data
    params: dict[str, Any] = {"report": report, "clear": clear}
    if "idToken" in customer:
        params.update(
            id_token=customer["idToken"]["idToken"], id_token_type=customer["idToken"]["type"]
        )
    if "customerIdentifier" in customer:
        params["customer_identifier"] = customer["customerIdentifier"]
    if "customerCertificate" in customer:
        params["customer_certificate"] = customer["customerCertificate"]
    since = ctx.mark()
    sent = await ctx.request_by_hand(
        CUSTOMER,
        f"Request the CSMS to {doing} the customer information of {what}",
        "CustomerInformation",
        request,
        step=1,
        **params,
    )
    return sent, await station_reply(ctx, "CustomerInformation", since=since)


def _check_customer(
    ctx: CaseRun, request: dict[str, Any], *, report: bool, clear: bool | None
) -> None:
    message = "CustomerInformationRequest"
    ctx.check(1, message, request, "report", report)
    if clear is not None:
        ctx.check(1, message, request, "clear", clear)
    ctx.check(1, message, request, "requestId", integer_at_least(0))


def _check_token(ctx: CaseRun, request: dict[str, Any]) -> None:
    message = "CustomerInformationRequest"
    ctx.check(1, message, request, "idToken.idToken", ctx.settings.valid_id_token)
    ctx.check(1, message, request, "idToken.type", ctx.settings.valid_id_token_type)


async def _customer_reported(ctx: CaseRun, request: dict[str, Any], reply: FrameRecord) -> None:
    """Steps 2-4: Accepted, then the station's NotifyCustomerInformation parts, answered."""
    expect_station(ctx, reply, "status", "Accepted", "the station accepts one customer reference")
    await reports_answered(
        ctx,
        "NotifyCustomerInformation",
        since=ctx.frames.index(reply),
        step=4,
        request_id=request.get("requestId"),
    )


async def _customer_known(ctx: CaseRun) -> None:
    """A driver presented the configured card: the station keeps the Authorize request
    naming it, the customer data it reports and clears."""
    since = ctx.mark()
    ctx.station.present_id(ctx.settings.valid_id_token, states.connector_for(ctx))
    reply = await ctx.reply_to("Authorize", step=None, since=since)
    expect_station(ctx, reply, "idTokenInfo.status", "Accepted", "the card must be known")


def _customer_case(case_id: str, *, report: bool, clear: bool, data: bool, doc: str) -> None:
    @scenario(case_id, manual=(CUSTOMER,))
    async def run(ctx: CaseRun) -> None:
        await booted(ctx)
        if data:
            await _customer_known(ctx)
        request, reply = await _ask_customer(
            ctx,
            report=report,
            clear=clear,
            what=f"idToken {ctx.settings.valid_id_token}",
            idToken=_token(ctx),
        )
        _check_customer(ctx, request, report=report, clear=clear if clear else None)
        _check_token(ctx, request)
        await _customer_reported(ctx, request, reply)

    run.__doc__ = f"{case_id}: {doc}"


# N09.FR.01/04: report only (the documents check no clear field for these two).
_customer_case("TC_N_27_CSMS", report=True, clear=False, data=True, doc="report, with data")
_customer_case("TC_N_28_CSMS", report=True, clear=False, data=False, doc="report, no data")
# N10.FR.08: clear and report; clear only (the station still notifies what it cleared).
_customer_case("TC_N_30_CSMS", report=True, clear=True, data=True, doc="clear + report, data")
_customer_case("TC_N_31_CSMS", report=True, clear=True, data=False, doc="clear + report, none")
_customer_case("TC_N_32_CSMS", report=False, clear=True, data=True, doc="clear, no report")


@scenario("TC_N_29_CSMS", manual=(CUSTOMER,))
async def customer_information_rejected(ctx: CaseRun) -> None:
    # N09.FR.01/04: the case's station rejects the request (the bench's accepts one
    # with report true), so the Rejected is scripted.
    await booted(ctx)
    with scripted_reply(ctx, "CustomerInformation", lambda _req: {"status": "Rejected"}):
        request, _reply = await _ask_customer(
            ctx,
            report=True,
            clear=False,
            what=f"idToken {ctx.settings.valid_id_token}",
            idToken=_token(ctx),
        )
    _check_customer(ctx, request, report=True, clear=None)
    _check_token(ctx, request)


@scenario("TC_N_62_CSMS", manual=(CUSTOMER,))
async def clear_by_customer_identifier(ctx: CaseRun) -> None:
    # N10.FR.08 with a customerIdentifier (part 5 C-14: an optional CSMS feature).
    ctx.needs_feature("CustomerIdentifier")
    await booted(ctx)
    request, reply = await _ask_customer(
        ctx,
        report=True,
        clear=True,
        what=f"the customer identifier {CUSTOMER_IDENTIFIER!r}",
        customerIdentifier=CUSTOMER_IDENTIFIER,
    )
    _check_customer(ctx, request, report=True, clear=True)
    ctx.check(1, "CustomerInformationRequest", request, "customerIdentifier", CUSTOMER_IDENTIFIER)
    await _customer_reported(ctx, request, reply)


@scenario("TC_N_63_CSMS", manual=(CUSTOMER,))
async def clear_by_customer_certificate(ctx: CaseRun) -> None:
    # N10.FR.08 with a customerCertificate (part 5 ISO-4: an optional CSMS feature).
    ctx.needs_feature("CustomerCertificate")
    await booted(ctx)
    request, reply = await _ask_customer(
        ctx,
        report=True,
        clear=True,
        what=f"the customer certificate with serial number {CERTIFICATE['serialNumber']} "
        f"(hash data {CERTIFICATE})",
        customerCertificate=dict(CERTIFICATE),
    )
    _check_customer(ctx, request, report=True, clear=True)
    for key, value in CERTIFICATE.items():
        ctx.check(1, "CustomerInformationRequest", request, f"customerCertificate.{key}", value)
    await _customer_reported(ctx, request, reply)


@scenario("TC_N_46_CSMS", manual=("send_local_list", CUSTOMER))
async def clear_updates_local_list(ctx: CaseRun) -> None:
    # N10.FR.02/08, D01.FR.01/06/18: after clearing a customer the station keeps its
    # Local Authorization List (N10.FR.03), so the CSMS updates it with a differential
    # update of a higher version.
    await booted(ctx)
    token = _token(ctx)
    entry = {"idToken": token, "idTokenInfo": {"status": "Accepted"}}
    # Memory state: a local list holding the customer's idToken.
    since = ctx.mark()
    listed = await ctx.request_by_hand(
        "send_local_list",
        f"Request the CSMS to send a Local Authorization List (Full) holding idToken "
        f"{token['idToken']}",
        "SendLocalList",
        {"versionNumber": 1, "updateType": "Full", "localAuthorizationList": [entry]},
        step=None,
        update_type="Full",
        list_version=1,
        id_tokens=token["idToken"],
    )
    answer = await station_reply(ctx, "SendLocalList", since=since)
    expect_station(ctx, answer, "status", "Accepted", "the station takes the list")
    version = listed.get("versionNumber")
    start = ctx.mark()
    request, reply = await _ask_customer(
        ctx, report=True, clear=True, what=f"idToken {token['idToken']}", idToken=token
    )
    _check_customer(ctx, request, report=True, clear=True)
    _check_token(ctx, request)
    await _customer_reported(ctx, request, reply)
    if not any(is_call(r, "rx", "SendLocalList") for r in ctx.frames[start:]):
        await ctx.manual(
            "send_local_list",
            f"The CSMS is to remove the cleared idToken {token['idToken']} from the station's "
            "Local Authorization List (a Differential update with a higher version). If it "
            "has not done so on its own, request it now",
            step=5,
            action="SendLocalList",
            request={
                "versionNumber": (version if isinstance(version, int) else 1) + 1,
                "updateType": "Differential",
                "localAuthorizationList": [{"idToken": token}],
            },
            update_type="Differential",
            list_version=(version if isinstance(version, int) else 1) + 1,
            id_tokens=token["idToken"],
        )
    update = await csms_call(ctx, "SendLocalList", step=5, since=start)
    message = "SendLocalListRequest"
    ctx.check(5, message, update.payload, "updateType", "Differential")
    ctx.check(
        5,
        message,
        update.payload,
        "versionNumber",
        satisfies(
            lambda v: isinstance(v, int) and isinstance(version, int) and v > version,
            f"bigger than {version}",
        ),
    )
    ctx.check(
        5,
        message,
        update.payload,
        "localAuthorizationList",
        satisfies(lambda v: isinstance(v, list) and len(v) > 0, "not empty"),
    )
