"""2.0.1 block N, Diagnostics: logs (N01) and customer information (N09/N10), CS side.

The bench runs the "diagnostics logging server" itself (``states_diagnostics``) and
hands the station its URL as GetLogRequest.log.remoteLocation.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bench.conformance.charger import physical
from bench.conformance.charger import states201 as v201
from bench.conformance.charger.run import ChargerRun
from bench.conformance.charger.scenarios import scenario
from bench.conformance.charger.states_diagnostics import log_server, report_parts, request_id
from bench.conformance.evidence import StopCase
from bench.conformance.expect import absent_or, one_of, satisfies

LOG_FAILURES = ("UploadFailure", "BadMessage", "PermissionDenied", "NotSupportedOperation")


def _log_status(status: str | tuple[str, ...], rid: int) -> Any:
    wanted = (status,) if isinstance(status, str) else status
    return lambda p: p.get("status") in wanted and p.get("requestId") == rid


def _get_log(log_type: str, rid: int, location: str, **extra: Any) -> dict[str, Any]:
    return {"logType": log_type, "requestId": rid, "log": {"remoteLocation": location}, **extra}


async def _log_success(ctx: ChargerRun, log_type: str) -> None:
    """N01: GetLog Accepted with a file name, Uploading, then Uploaded (N01.FR.07-09)."""
    async with log_server(ctx) as server:
        rid = request_id()
        since = ctx.mark()
        reply = await ctx.request("GetLog", _get_log(log_type, rid, server.url), step=1)
        ctx.check(2, "GetLogResponse", reply, "status", "Accepted")
        if log_type == "DiagnosticsLog":
            ctx.check(2, "GetLogResponse", reply, "filename", satisfies(bool, "not empty"))
        uploading = await ctx.station_request(
            "LogStatusNotification", step=3, since=since, match=_log_status("Uploading", rid)
        )
        ctx.check(3, "LogStatusNotificationRequest", uploading, "requestId", rid)
        # Step 5 reads "Updated" in TC_N_25_CS: N01.FR.09's Uploaded is meant.
        done = await ctx.station_request(
            "LogStatusNotification",
            step=5,
            since=since,
            match=lambda p: p.get("requestId") == rid and p.get("status") != "Uploading",
            what="the station's LogStatusNotificationRequest after the upload",
        )
        ctx.check(5, "LogStatusNotificationRequest", done, "status", "Uploaded")
        ctx.check(5, "LogStatusNotificationRequest", done, "requestId", rid)


@scenario("TC_N_25_CS")
async def diagnostics_log(ctx: ChargerRun) -> None:
    await _log_success(ctx, "DiagnosticsLog")


@scenario("TC_N_35_CS")
async def security_log(ctx: ChargerRun) -> None:
    await _log_success(ctx, "SecurityLog")


@scenario("TC_N_26_CS")
async def log_upload_failed(ctx: ChargerRun) -> None:
    """N01.FR.10/11: three retries retryInterval apart, then a failure status."""
    retry = ctx.settings.retry_interval
    retries = 3
    async with log_server(ctx) as server:
        server.refuse = True
        server_url = server.url
        rid = request_id()
        since = ctx.mark()
        payload = _get_log("DiagnosticsLog", rid, server_url, retries=retries, retryInterval=retry)
        reply = await ctx.request("GetLog", payload, step=1)
        ctx.check(2, "GetLogResponse", reply, "status", "Accepted")
        first = await ctx.station_frame(
            "LogStatusNotification", step=3, since=since, match=_log_status("Uploading", rid)
        )
        last = await ctx.station_frame(
            "LogStatusNotification",
            step=5,
            since=since,
            match=lambda p: p.get("requestId") == rid and p.get("status") != "Uploading",
            what="the station's LogStatusNotificationRequest after the last attempt",
            timeout=ctx.settings.timeout + retries * retry,
        )
        ctx.check(5, "LogStatusNotificationRequest", last.payload, "status", one_of(*LOG_FAILURES))
        gap = last.ts - first.ts
        expected = retries * retry
        ctx.check_that(
            5,
            "LogStatusNotificationRequest",
            "(time from Uploading to the failure)",
            expected - 1.0 <= gap <= expected * 1.5 + 5.0,
            f"about {expected} s ({retries} x retryInterval {retry} s)",
            f"{gap:.1f} s",
        )


@scenario("TC_N_34_CS")
async def log_rejected(ctx: ChargerRun) -> None:
    # Only for a station that can be without log information (the case's prerequisite).
    ctx.needs_feature("NoLogInformation")
    log_type = ctx.settings.extra.get("log_type", "DiagnosticsLog")
    async with log_server(ctx) as server:
        reply = await ctx.request("GetLog", _get_log(log_type, request_id(), server.url), step=1)
        ctx.check(2, "GetLogResponse", reply, "status", "Rejected")


@scenario("TC_N_36_CS")
async def log_second_request(ctx: ChargerRun) -> None:
    """N01.FR.12/20: a second GetLog cancels the upload in progress."""
    ctx.needs_feature("C-57")
    log_type = ctx.settings.extra.get("log_type", "DiagnosticsLog")
    async with log_server(ctx) as server:
        server.hold()  # the first upload stays in progress until the second request
        first_id = request_id()
        since = ctx.mark()
        reply = await ctx.request("GetLog", _get_log(log_type, first_id, server.url), step=1)
        ctx.check(2, "GetLogResponse", reply, "status", "Accepted")
        uploading = await ctx.station_request(
            "LogStatusNotification", step=3, since=since, match=_log_status("Uploading", first_id)
        )
        ctx.check(3, "LogStatusNotificationRequest", uploading, "requestId", first_id)
        await _wait_event(ctx, server.arrived)
        second_id = request_id()
        since = ctx.mark()
        reply = await ctx.request("GetLog", _get_log(log_type, second_id, server.url), step=5)
        ctx.check(6, "GetLogResponse", reply, "status", "AcceptedCanceled")
        cancelled = await ctx.station_request(
            "LogStatusNotification",
            step=7,
            since=since,
            match=lambda p: p.get("status") == "AcceptedCanceled",
        )
        ctx.check(7, "LogStatusNotificationRequest", cancelled, "status", "AcceptedCanceled")
        server.release()
        again = await ctx.station_request(
            "LogStatusNotification", step=9, since=since, match=_log_status("Uploading", second_id)
        )
        ctx.check(9, "LogStatusNotificationRequest", again, "requestId", second_id)
        done = await ctx.station_request(
            "LogStatusNotification",
            step=11,
            since=since,
            match=lambda p: p.get("requestId") == second_id and p.get("status") != "Uploading",
            what="the station's LogStatusNotificationRequest after the second upload",
        )
        ctx.check(11, "LogStatusNotificationRequest", done, "status", "Uploaded")


async def _wait_event(ctx: ChargerRun, event: Any) -> None:
    try:
        async with asyncio.timeout(ctx.settings.timeout):
            await event.wait()
    except TimeoutError:
        raise StopCase("the station's log upload did not reach the log server") from None


# ---------------------------------------------------------------- N09 / N10 customer information
async def _configure_present(ctx: ChargerRun, values: dict[str, str]) -> None:
    """The case's "(if implemented)" configuration: each value the station knows."""
    for name, value in values.items():
        component, var, _ = v201.variable(name)
        reply = await ctx.request(
            "SetVariables",
            {
                "setVariableData": [
                    {
                        "attributeValue": value,
                        "component": {"name": component},
                        "variable": {"name": var},
                    }
                ]
            },
            step=None,
        )
        result = (reply.get("setVariableResult") or [{}])[0]
        if result.get("attributeStatus") not in ("UnknownComponent", "UnknownVariable"):
            ctx.check(
                None,
                "SetVariablesResponse",
                result,
                "attributeStatus",
                one_of("Accepted", "RebootRequired"),
            )


LOCAL_AUTH = {
    "LocalAuthListCtrlr/Enabled": "true",
    "AuthCtrlr/LocalPreAuthorize": "true",
    "AuthCacheCtrlr/Enabled": "true",
}


async def _customer_request(
    ctx: ChargerRun,
    *,
    report: bool,
    clear: bool,
    step: int | None,
    reference: dict[str, Any] | None,
) -> tuple[int, dict[str, Any], int]:
    rid = request_id()
    payload: dict[str, Any] = {"requestId": rid, "report": report, "clear": clear}
    payload.update(reference or {})
    since = ctx.mark()
    reply = await ctx.request("CustomerInformation", payload, step=step)
    return rid, reply, since


async def _customer_data(ctx: ChargerRun, rid: int, *, step: int, since: int) -> str:
    parts = await report_parts(ctx, "NotifyCustomerInformation", rid, step=step, since=since)
    return "".join(str(p.get("data", "")) for p in parts)


def _token(ctx: ChargerRun) -> dict[str, Any]:
    return {"idToken": ctx.id_token()}


@scenario("TC_N_27_CS", physical=("present_token",))
async def customer_report_with_data(ctx: ChargerRun) -> None:
    await _configure_present(ctx, LOCAL_AUTH)
    await v201.authorized(ctx)
    rid, reply, since = await _customer_request(
        ctx, report=True, clear=False, step=1, reference=_token(ctx)
    )
    ctx.check(2, "CustomerInformationResponse", reply, "status", "Accepted")
    data = await _customer_data(ctx, rid, step=3, since=since)
    ctx.check(3, "NotifyCustomerInformationRequest", {"data": data}, "data", _not_empty())


@scenario("TC_N_28_CS")
async def customer_report_no_data(ctx: ChargerRun) -> None:
    # Memory state: the customer's information is cleared first.
    rid, reply, since = await _customer_request(
        ctx, report=False, clear=True, step=None, reference=_token(ctx)
    )
    if reply.get("status") == "Accepted":
        await report_parts(ctx, "NotifyCustomerInformation", rid, step=None, since=since)
    rid, reply, since = await _customer_request(
        ctx, report=True, clear=False, step=1, reference=_token(ctx)
    )
    ctx.check(2, "CustomerInformationResponse", reply, "status", "Accepted")
    parts = await report_parts(ctx, "NotifyCustomerInformation", rid, step=3, since=since)
    # N09.FR.06: one message saying that no data was found.
    ctx.check(3, "NotifyCustomerInformationRequest", parts[-1], "tbc", absent_or(False))
    ctx.check_that(
        3, "NotifyCustomerInformationRequest", "(messages)", len(parts) == 1, "1", str(len(parts))
    )


@scenario("TC_N_29_CS", "TC_N_33_CS")
async def customer_invalid(ctx: ChargerRun) -> None:
    # N09.FR.09: a request naming no customer cannot be processed: Invalid.
    clear = ctx.case.id == "TC_N_33_CS"
    _, reply, _ = await _customer_request(ctx, report=True, clear=clear, step=1, reference=None)
    ctx.check(2, "CustomerInformationResponse", reply, "status", "Invalid")


@scenario("TC_N_30_CS", physical=("present_token",))
async def customer_clear_and_report_with_data(ctx: ChargerRun) -> None:
    await _configure_present(ctx, LOCAL_AUTH)
    await v201.authorized(ctx)
    rid, reply, since = await _customer_request(
        ctx, report=True, clear=True, step=1, reference=_token(ctx)
    )
    ctx.check(2, "CustomerInformationResponse", reply, "status", "Accepted")
    data = await _customer_data(ctx, rid, step=3, since=since)
    ctx.check(3, "NotifyCustomerInformationRequest", {"data": data}, "data", _not_empty())
    rid, reply, since = await _customer_request(
        ctx, report=True, clear=False, step=5, reference=_token(ctx)
    )
    if reply.get("status") == "Accepted":
        parts = await report_parts(ctx, "NotifyCustomerInformation", rid, step=7, since=since)
        ctx.check(8, "NotifyCustomerInformationRequest", parts[-1], "tbc", absent_or(False))


@scenario("TC_N_31_CS", "TC_N_32_CS")
async def customer_clear_no_data(ctx: ChargerRun) -> None:
    report = ctx.case.id == "TC_N_31_CS"
    rid, reply, since = await _customer_request(
        ctx, report=report, clear=True, step=1, reference=_token(ctx)
    )
    ctx.check(2, "CustomerInformationResponse", reply, "status", "Accepted")
    # N10.FR.04 / N10.FR.06: one message (no data found / the data was cleared).
    parts = await report_parts(ctx, "NotifyCustomerInformation", rid, step=3, since=since)
    ctx.check_that(
        3, "NotifyCustomerInformationRequest", "(messages)", len(parts) == 1, "1", str(len(parts))
    )


@scenario("TC_N_62_CS", physical=("store_customer_identifier",))
async def customer_identifier(ctx: ChargerRun) -> None:
    ctx.needs_feature("C-14")
    identifier = ctx.settings.extra.get("customer_identifier", "CUSTOMER-1")
    await ctx.physical(
        "store_customer_identifier",
        f"Store the customer identifier {identifier} at the charging station.",
        identifier=identifier,
    )
    reference = {"customerIdentifier": identifier}
    rid, reply, since = await _customer_request(
        ctx, report=True, clear=True, step=1, reference=reference
    )
    ctx.check(2, "CustomerInformationResponse", reply, "status", "Accepted")
    data = await _customer_data(ctx, rid, step=3, since=since)
    ctx.check(3, "NotifyCustomerInformationRequest", {"data": data}, "data", _not_empty())
    rid, reply, since = await _customer_request(
        ctx, report=True, clear=False, step=5, reference=reference
    )
    ctx.check(6, "CustomerInformationResponse", reply, "status", "Accepted")
    data = await _customer_data(ctx, rid, step=7, since=since)
    ctx.check(7, "NotifyCustomerInformationRequest", {"data": data}, "data", "")


@scenario("TC_N_63_CS", physical=("plug_in", "unplug"))
async def customer_certificate(ctx: ChargerRun) -> None:
    """N09/N10 by customerCertificate: the contract certificate of a Plug and Charge
    session (EVConnectedPreSession, Authorized15118, ParkingBayUnoccupied)."""
    ctx.needs_feature("ISO-4")
    since = ctx.mark()
    cid = ctx.settings.connector_id
    await ctx.physical(
        "plug_in",
        f"Connect an ISO 15118 EV to connector {cid}, set to authorize with Plug and Charge.",
        connector_id=cid,
        ev_template=ctx.settings.extra.get("iso15118_ev_template", "iso15118-ev"),
    )
    auth = await ctx.station_request("Authorize", step=None, since=since)
    hashes = auth.get("iso15118CertificateHashData") or []
    if not hashes:
        raise StopCase(
            "the station's AuthorizeRequest named no contract certificate (Plug and Charge)"
        )
    fields = ("hashAlgorithm", "issuerNameHash", "issuerKeyHash", "serialNumber")
    reference = {"customerCertificate": {k: hashes[0][k] for k in fields if k in hashes[0]}}
    await physical.unplug(ctx)
    rid, reply, since = await _customer_request(
        ctx, report=True, clear=True, step=1, reference=reference
    )
    ctx.check(2, "CustomerInformationResponse", reply, "status", "Accepted")
    await report_parts(ctx, "NotifyCustomerInformation", rid, step=3, since=since)
    rid, reply, since = await _customer_request(
        ctx, report=True, clear=False, step=5, reference=reference
    )
    ctx.check(6, "CustomerInformationResponse", reply, "status", "Accepted")
    data = await _customer_data(ctx, rid, step=7, since=since)
    ctx.check(7, "NotifyCustomerInformationRequest", {"data": data}, "data", "")


def _not_empty() -> Any:
    return satisfies(lambda v: isinstance(v, str) and v != "", "not empty")
