"""Functional block N of a 2.0.1 station: GetLog (N01) and CustomerInformation (N09, N10).

GetLog builds a real archive (``bench.ocpp.common.archive.pack``: .zip or .tar.gz) and
uploads it to ``log.remoteLocation`` with ``bench.transfer`` (HTTP(S) PUT/POST,
FTP(S)), retrying ``retries`` times; LogStatusNotification reports Uploading,
then Uploaded or the failure (UploadFailure, BadMessage, PermissionDenied,
NotSupportedOperation), always with the request's requestId (N01.FR.07-10).

- DiagnosticsLog (N01.FR.04): ``messages.jsonl`` (the station's frames from its
  message log within the window), ``device_model.json`` (every readable
  variable; write-only ones such as BasicAuthPassword are left out, A01.FR.12)
  and ``state.json`` (identity, link, EVSE statuses, firmware status).
- SecurityLog (N01.FR.03): ``security.jsonl``, the security events of the window.

A new GetLog while one runs cancels it: the old one reports AcceptedCanceled
(N01.FR.20) and the reply is AcceptedCanceled (N01.FR.12).

CustomerInformation: exactly one of idToken, customerCertificate and
customerIdentifier (else Invalid, N09.FR.09); neither report nor clear is
Rejected (N09.FR.07). ``report`` sends what the station holds about the
customer (the Authorize and TransactionEvent requests in its message log that
name them) as NotifyCustomerInformation parts of at most 512 characters, or
one part saying nothing was found (N09.FR.05/06); ``clear`` removes the
customer's data through the authorization block's ``forget_customer`` (its cache;
the local list stays, N10.FR.03/06) and says what was cleared.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any, Protocol

from bench import transfer
from bench.ocpp.common import transfer_jobs
from bench.ocpp.common.archive import (
    DIAGNOSTICS,
    SECURITY,
    archive_name,
    message_log,
    pack,
    station_frames,
    within,
)
from bench.ocpp.common.station_link import StationLink
from bench.ocpp.common.timestamps import iso, read_iso
from bench.ocpp.common.transfer_jobs import (
    Job,
    check_protocol,
    notify,
    retry_settings,
)
from bench.ocpp.errors import CallError, CallTimeout, InvalidReply, LinkClosed
from bench.ocpp.session import Reply
from bench.ocpp.v201.block import (
    Block,
    Evses,
    Handler,
    Link,
    Messaging,
    Persistence,
    Services,
    Trigger,
    Variables,
)
from bench.ocpp.v201.device_model import Mutability
from bench.ocpp.v201.ports import CustomerData, FirmwareState, SecurityLogSource
from bench.store.sinks import json_line

log = logging.getLogger(__name__)

PART_SIZE = 512  # NotifyCustomerInformationRequest.data maxLength
MAX_CUSTOMER_FRAMES = 1000
FAULT_KINDS = ("upload",)


class DiagnosticsHost(
    StationLink, Services, Messaging, Variables, Persistence, Evses, Link, Protocol
):
    """What block N uses of the station: uploads, its message log and the link's state."""


class Diagnostics(Block[DiagnosticsHost]):
    __slots__ = ("_customers", "_faults", "_firmware", "_job", "_security", "archive_format")

    def __init__(
        self,
        cp: DiagnosticsHost,
        firmware: FirmwareState,
        customers: CustomerData,
        security: SecurityLogSource,
    ) -> None:
        super().__init__(cp)
        self._firmware = firmware
        self._customers = customers
        self._security = security
        self._job: Job | None = None
        self._faults: dict[str, int] = {}
        self.archive_format = "zip"  # or "tar.gz"

    def handlers(self) -> dict[str, Handler]:
        return {"GetLog": self.get_log, "CustomerInformation": self.customer_information}

    def triggers(self) -> dict[str, Trigger]:
        return {"LogStatusNotification": self._trigger_status}

    def inject_failure(self, kind: str = "upload", times: int = 1) -> None:
        """Make the next ``times`` upload attempts fail."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"failure kind must be one of {', '.join(FAULT_KINDS)}")
        self._faults[kind] = self._faults.get(kind, 0) + max(0, times)

    def _take_fault(self, kind: str) -> bool:
        if self._faults.get(kind, 0) <= 0:
            return False
        self._faults[kind] -= 1
        return True

    @property
    def uploading(self) -> bool:
        job = self._job
        return job is not None and job.active

    # ------------------------------------------------------------ N01 GetLog
    async def get_log(self, req: dict[str, Any]) -> Reply | dict[str, Any]:
        params = req["log"]
        location = params["remoteLocation"]
        protocols = self._protocols()
        try:
            check_protocol(location, protocols)
        except transfer.TransferError:
            return {"status": "Rejected"}  # N01.FR.05: cannot be delivered there
        start = read_iso(params["oldestTimestamp"]) if "oldestTimestamp" in params else None
        stop = read_iso(params["latestTimestamp"]) if "latestTimestamp" in params else None
        retries, interval = retry_settings(req)
        security = req["logType"] == "SecurityLog"
        fmt = self.archive_format
        name = archive_name(
            self.cp.station.id, SECURITY if security else DIAGNOSTICS, self.cp.clock.now(), fmt
        )
        job = Job("log", req["requestId"])

        def build() -> bytes:
            if security:
                return self._security_archive(start, stop, fmt)
            return self._diagnostics_archive(start, stop, fmt)

        old = self._job if self.uploading else None

        def begin() -> None:
            if old is not None:
                # N01.FR.20: the cancelled upload says so, with its own requestId.
                payload = {"status": "AcceptedCanceled", "requestId": old.request_id}
                self.cp.tasks.spawn(
                    notify(self.cp, "LogStatusNotification", payload), name="log-cancelled"
                )
            work = transfer_jobs.upload(
                self.cp, job, location, name, build, retries, interval, self._take_fault, protocols
            )
            self._job = transfer_jobs.start(self.cp, self._job, job, work)

        status = "AcceptedCanceled" if old is not None else "Accepted"  # N01.FR.12
        return Reply({"status": status, "filename": name}, then=begin)

    def _protocols(self) -> str:
        return self.cp.variable("OCPPCommCtrlr", "FileTransferProtocols") or ""

    async def _trigger_status(self, evse: dict[str, Any] | None) -> None:
        job = self._job
        if self.uploading and job is not None:
            payload = {"status": "Uploading", "requestId": job.request_id}  # F06.FR.14
        else:
            payload = {"status": "Idle"}  # F06.FR.15, N01.FR.13
        await notify(self.cp, "LogStatusNotification", payload, False)

    # ------------------------------------------------------------ archives
    def _diagnostics_archive(
        self, start: datetime | None, stop: datetime | None, fmt: str
    ) -> bytes:
        frames = station_frames(self.cp, start, stop)
        files = {
            "messages.jsonl": "".join(json_line(r) + "\n" for r in frames).encode(),
            "device_model.json": _json(self._device_model()),
            "state.json": _json(self._state()),
        }
        return pack(files, fmt, self._manifest(DIAGNOSTICS, start, stop, files), self._now())

    def _security_archive(self, start: datetime | None, stop: datetime | None, fmt: str) -> bytes:
        # N01.FR.03: the security block's own log, within the window.
        events = [
            e for e in self._security.security_log() if within(e.get("timestamp"), start, stop)
        ]
        lines = "".join(json.dumps(e, default=str) + "\n" for e in events)
        files = {"security.jsonl": lines.encode()}
        return pack(files, fmt, self._manifest(SECURITY, start, stop, files), self._now())

    def _now(self) -> datetime:
        return self.cp.clock.now()

    def _device_model(self) -> list[dict[str, Any]]:
        model = self.cp.device_model
        out = []
        for vdef in model.definition:
            for attr in vdef.attributes:
                if attr.mutability == Mutability.WRITE_ONLY:
                    continue  # A01.FR.12: no secrets in a diagnostics file
                out.append(
                    {
                        "component": vdef.component.to_json(),
                        "variable": vdef.variable.to_json(),
                        "attributeType": str(attr.type),
                        "value": model.value(vdef.component, vdef.variable, attr.type),
                    }
                )
        return out

    def _state(self) -> dict[str, Any]:
        identity = self.cp.station.identity
        return {
            "station": self.cp.station.id,
            "time": iso(self._now()),
            "identity": {
                "vendor": identity.vendor,
                "model": identity.model,
                "serialNumber": identity.serial_number,
                "firmwareVersion": identity.firmware_version,
            },
            "link": self.cp.link_state,
            "registration": self.cp.registration,
            "evses": [
                {"evseId": evse_id, "status": self.cp.status_of(evse_id).status}
                for evse_id in self.cp.evse_ids()
            ],
            "firmware": self._firmware.status,
        }

    def _manifest(
        self, kind: str, start: datetime | None, stop: datetime | None, files: dict[str, bytes]
    ) -> dict[str, Any]:
        return {
            "station": self.cp.station.id,
            "ocppVersion": "2.0.1",
            "kind": kind,
            "created": iso(self._now()),
            "oldestTimestamp": iso(start) if start is not None else None,
            "latestTimestamp": iso(stop) if stop is not None else None,
            "files": {name: len(data) for name, data in files.items()},
        }

    # ------------------------------------------------------------ N09 / N10
    async def customer_information(self, req: dict[str, Any]) -> Reply | dict[str, Any]:
        refs = [k for k in ("idToken", "customerCertificate", "customerIdentifier") if k in req]
        if len(refs) != 1:
            return {"status": "Invalid"}  # N09.FR.09
        if not req["report"] and not req["clear"]:
            return {"status": "Rejected"}  # N09.FR.07, N10.FR.07

        def begin() -> None:
            self.cp.tasks.spawn(self._customer_work(req), name="customer-information")

        return Reply({"status": "Accepted"}, then=begin)  # N09.FR.02, N10.FR.01

    async def _customer_work(self, req: dict[str, Any]) -> None:
        id_token = req.get("idToken")
        identifier = req.get("customerIdentifier")
        found = self._customer_records(req) if req["report"] else []
        lines: list[str] = []
        if req["report"]:
            lines.extend(found or ["No data found for this customer."])  # N09.FR.05/06
        if req["clear"]:
            if id_token is not None or identifier is not None:
                cleared = self._customers.forget_customer(id_token, identifier)
            else:
                cleared = 0  # the station stores no customer certificates
            lines.append(
                f"Cleared {cleared} stored record(s) for this customer."
                if cleared
                else "No data found to clear for this customer."
            )  # N10.FR.03/04/06
        await self._send_parts(req["requestId"], "\n".join(lines))

    def _customer_records(self, req: dict[str, Any]) -> list[str]:
        """What the station's message log holds about the customer, one line per request."""
        if "idToken" in req:
            needle = str(req["idToken"]["idToken"])
        elif "customerIdentifier" in req:
            needle = str(req["customerIdentifier"])
        else:
            return []  # customer certificates are not stored on this station
        frames = message_log(self.cp).query(
            station=self.cp.station.id,
            direction="tx",
            type="CALL",
            text=needle,
            limit=MAX_CUSTOMER_FRAMES,
        )
        out = []
        for rec in frames:
            if rec.action not in ("Authorize", "TransactionEvent"):
                continue
            payload = rec.payload if isinstance(rec.payload, dict) else {}
            when = iso(datetime.fromtimestamp(rec.ts, tz=UTC))
            detail = rec.action
            if rec.action == "TransactionEvent":
                tx = payload.get("transactionInfo", {}).get("transactionId", "?")
                detail = f"TransactionEvent {payload.get('eventType')} transaction {tx}"
            out.append(f"{when} {detail}")
        return out

    async def _send_parts(self, request_id: int, text: str) -> None:
        parts = [text[i : i + PART_SIZE] for i in range(0, len(text), PART_SIZE)] or [""]
        generated = iso(self._now())
        for seq, part in enumerate(parts):
            payload: dict[str, Any] = {
                "data": part,
                "seqNo": seq,
                "generatedAt": generated,
                "requestId": request_id,
            }
            if seq < len(parts) - 1:
                payload["tbc"] = True
            try:
                await self.cp.session.call("NotifyCustomerInformation", payload)
            except (CallError, CallTimeout, InvalidReply) as exc:
                log.warning("%s: NotifyCustomerInformation failed: %s", self.cp.station.id, exc)
            except LinkClosed:
                return


def _json(value: Any) -> bytes:
    return json.dumps(value, indent=2, default=str).encode()
