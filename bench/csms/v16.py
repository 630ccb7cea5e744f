"""OCPP 1.6 on the CSMS side: the charge-point-initiated messages and their answers.

Thin handlers (ARCHITECTURE rule 3): each turns one request into calls on the
version-neutral ``StationContext`` (store, registry, tag list) and builds the
1.6 reply. The CSMS-initiated side is in ``v16_commands``.

The module is a "protocol" for ``CentralSystem``: ``VERSION``, ``SUBPROTOCOL``,
``ALWAYS_ALLOWED``, ``handlers(ctx)``, ``outgoing_refusal(...)``, ``note_reply(...)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bench.csms.authorization import TagDecision
from bench.csms.context import StationContext
from bench.csms.registry import StationState
from bench.csms.sessions import REGISTER, Reading
from bench.csms.storage import CsmsStore, MeterValueRow, StatusRow, iso, normalize_timestamp
from bench.ocpp.session import Handler, Reply

VERSION = "1.6"
SUBPROTOCOL = "ocpp1.6"

# 1.6 §4.2: before it is accepted a station may send BootNotification, and
# whatever the CSMS requested with TriggerMessage; nothing else.
ALWAYS_ALLOWED = frozenset({"BootNotification"})

# TriggerMessage.requestedMessage (1.6 §7.xx MessageTrigger) and the security
# extension's ExtendedTriggerMessage names -> the action the station then sends.
_TRIGGERED_ACTION = {
    "BootNotification": "BootNotification",
    "DiagnosticsStatusNotification": "DiagnosticsStatusNotification",
    "FirmwareStatusNotification": "FirmwareStatusNotification",
    "Heartbeat": "Heartbeat",
    "MeterValues": "MeterValues",
    "StatusNotification": "StatusNotification",
    "LogStatusNotification": "LogStatusNotification",
    "SignChargePointCertificate": "SignCertificate",
}
_EXTENDED_TRIGGER_ACTION = {
    **_TRIGGERED_ACTION,
    "FirmwareStatusNotification": "SignedFirmwareStatusNotification",
}

# SampledValue defaults (1.6 §7.45) filled in so stored rows need no interpretation.
_SAMPLED_DEFAULTS = {
    "context": "Sample.Periodic",
    "format": "Raw",
    "measurand": "Energy.Active.Import.Register",
    "location": "Outlet",
    "unit": "Wh",
}


def current_time(value: datetime) -> str:
    """ISO 8601 UTC with milliseconds, as 1.6 §3.11 (errata) recommends."""
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def id_tag_info(decision: TagDecision) -> dict[str, Any]:
    """1.6 §7.28 IdTagInfo."""
    info: dict[str, Any] = {"status": decision.status}
    if decision.expiry_date is not None:
        info["expiryDate"] = iso(decision.expiry_date)
    if decision.parent_id_tag is not None:
        info["parentIdTag"] = decision.parent_id_tag
    return info


def meter_rows(
    station: str,
    connector_id: int,
    transaction_id: int | None,
    meter_value: list[dict[str, Any]],
    origin: str,
) -> list[MeterValueRow]:
    """One row per sampledValue of every MeterValue (1.6 §7.31/§7.45)."""
    rows = []
    for mv in meter_value:
        ts = normalize_timestamp(mv["timestamp"])
        for sv in mv.get("sampledValue", ()):
            rows.append(
                MeterValueRow(
                    station=station,
                    connector_id=connector_id,
                    transaction_id=transaction_id,
                    timestamp=ts,
                    measurand=sv.get("measurand", _SAMPLED_DEFAULTS["measurand"]),
                    phase=sv.get("phase"),
                    unit=sv.get("unit", _SAMPLED_DEFAULTS["unit"]),
                    context=sv.get("context", _SAMPLED_DEFAULTS["context"]),
                    location=sv.get("location", _SAMPLED_DEFAULTS["location"]),
                    format=sv.get("format", _SAMPLED_DEFAULTS["format"]),
                    value=str(sv["value"]),
                    origin=origin,
                )
            )
    return rows


_WH_PER_UNIT = {"Wh": 1.0, "kWh": 1000.0}


def register_readings(rows: Sequence[MeterValueRow]) -> list[Reading]:
    """(timestamp, Wh) of every energy import register sample in ``rows`` (1.6 §7.45).

    Only plain (``Raw``), whole-meter (no phase) Energy.Active.Import.Register values
    in Wh or kWh count. A Raw value that is no number is the station's fault; the
    message log shows it, and the session keeps its last good reading.
    """
    readings = []
    for row in rows:
        if row.measurand != REGISTER or row.phase is not None or row.format != "Raw":
            continue
        factor = _WH_PER_UNIT.get(row.unit or "Wh")
        if factor is None:
            continue
        try:
            value = float(row.value)
        except ValueError:
            continue
        if math.isfinite(value):
            readings.append((row.timestamp, value * factor))
    return readings


def handlers(ctx: StationContext) -> dict[str, Handler]:
    """The charge-point-initiated 1.6 actions this CSMS answers, bound to one station."""
    state = ctx.state
    store = ctx.store
    sid = ctx.station_id

    def event(kind: str, payload: dict[str, Any]) -> None:
        store.add_event(sid, ctx.now_iso(), kind, payload)

    def session_moved(tx_id: int, rows: Sequence[MeterValueRow] = (), elements: int = 0) -> None:
        # The session of (this station, tx_id): energy, meter value count, cost.
        store.sessions.update_16(
            sid,
            tx_id,
            register_readings(rows),
            elements,
            price_per_kwh=ctx.config.price_per_kwh,
            currency=ctx.config.currency,
        )

    # --- Core profile -------------------------------------------------------
    async def boot_notification(p: dict[str, Any]) -> dict[str, Any]:
        # 1.6 §4.2
        status, now, interval = ctx.record_boot(p)
        return {"status": status, "currentTime": current_time(now), "interval": interval}

    async def heartbeat(p: dict[str, Any]) -> dict[str, Any]:
        return {"currentTime": current_time(ctx.record_heartbeat())}

    async def status_notification(p: dict[str, Any]) -> dict[str, Any]:
        # 1.6 §4.9: connectorId 0 is the charge point as a whole.
        row = StatusRow(
            station=sid,
            connector_id=p["connectorId"],
            status=p["status"],
            error_code=p["errorCode"],
            info=p.get("info"),
            vendor_id=p.get("vendorId"),
            vendor_error_code=p.get("vendorErrorCode"),
            timestamp=normalize_timestamp(p["timestamp"]) if "timestamp" in p else None,
            received=ctx.now_iso(),
        )
        store.record_status(row)
        state.connectors[row.connector_id] = row
        return {}

    async def authorize(p: dict[str, Any]) -> dict[str, Any]:
        # 1.6 §4.1
        return {"idTagInfo": id_tag_info(ctx.authorize(p["idTag"]))}

    async def start_transaction(p: dict[str, Any]) -> dict[str, Any]:
        # 1.6 §4.8: the CSMS always answers with a transaction id, even for a tag it
        # refuses (the station then stops the transaction, §3.5.4).
        connector_id = p["connectorId"]
        decision = ctx.authorize_start(p["idTag"], connector_id)
        tx, _created = store.start_transaction(
            sid,
            connector_id,
            p["idTag"],
            p["meterStart"],
            normalize_timestamp(p["timestamp"]),
            p.get("reservationId"),
            decision.status,
        )
        session_moved(tx.id)
        return {"transactionId": tx.id, "idTagInfo": id_tag_info(decision)}

    async def stop_transaction(p: dict[str, Any]) -> dict[str, Any]:
        # 1.6 §4.10: idTagInfo only when the stop carried an idTag.
        tx_id = p["transactionId"]
        data = p.get("transactionData")
        tx, first = store.stop_transaction(
            sid,
            tx_id,
            p["meterStop"],
            normalize_timestamp(p["timestamp"]),
            p.get("idTag"),
            p.get("reason", "Local"),  # §7.36: absent reason means Local
            data,
        )
        # Still a CALLRESULT for an unknown or foreign transaction: a CALLERROR would
        # make the station retry the message (1.6 §4.10, OCPP-J §3.3) forever.
        if tx is None:
            event("UnknownTransactionStopped", p)
        elif tx.station != sid:
            # Another station's transaction: its record is untouched; the attempt is
            # kept as a rejected stop (issue 11).
            event("StopRejectedForOtherStationsTransaction", {**p, "owner": tx.station})
        owned = tx is not None and tx.station == sid
        rows: list[MeterValueRow] = []
        if data and (tx is None or first or not owned):
            connector = tx.connector_id if tx is not None and owned else 0
            rows = meter_rows(sid, connector, tx_id if owned else None, data, "StopTransaction")
            store.add_meter_values(rows)
        if owned and first:
            session_moved(tx_id, rows, len(data or ()))
        reply: dict[str, Any] = {}
        if "idTag" in p:
            reply["idTagInfo"] = id_tag_info(ctx.authorize(p["idTag"]))
        return reply

    async def meter_values(p: dict[str, Any]) -> dict[str, Any]:
        # 1.6 §4.7
        connector_id = p["connectorId"]
        tx_id = p.get("transactionId")
        if tx_id is not None:
            tx = store.transaction(tx_id)
            if tx is None or tx.station != sid:
                # Kept as this station's readings, but never linked to a transaction
                # it does not own (issue 11: nor to an id another station gets later).
                kind = "UnknownTransaction" if tx is None else "OtherStationsTransaction"
                event(
                    f"MeterValuesFor{kind}", {"transactionId": tx_id, "connectorId": connector_id}
                )
                tx_id = None
        rows = meter_rows(sid, connector_id, tx_id, p["meterValue"], "MeterValues")
        store.add_meter_values(rows)
        state.last_meter_values[connector_id] = rows
        if tx_id is not None:
            session_moved(tx_id, rows, len(p["meterValue"]))
        return {}

    async def data_transfer(p: dict[str, Any]) -> dict[str, Any]:
        # 1.6 §4.3: an unknown vendor gets UnknownVendorId; our own vendor id echoes.
        event("DataTransfer", p)
        if p["vendorId"] not in ctx.config.data_transfer_vendors:
            return {"status": "UnknownVendorId"}
        reply: dict[str, Any] = {"status": "Accepted"}
        if "data" in p:
            reply["data"] = p["data"]
        return reply

    async def diagnostics_status(p: dict[str, Any]) -> dict[str, Any]:
        # 1.6 §4.4
        state.diagnostics_status = p["status"]
        event("DiagnosticsStatusNotification", p)
        return {}

    async def firmware_status(p: dict[str, Any]) -> dict[str, Any]:
        # 1.6 §4.5
        state.firmware_status = p["status"]
        event("FirmwareStatusNotification", p)
        return {}

    # --- Security extension (whitepaper edition 3) -------------------------
    def stored(kind: str) -> Handler:
        async def handle(p: dict[str, Any]) -> dict[str, Any]:
            event(kind, p)
            if kind == "SignedFirmwareStatusNotification":
                state.firmware_status = p["status"]
            return {}

        return handle

    async def sign_certificate(p: dict[str, Any]) -> dict[str, Any] | Reply:
        # A02/A03: the CSMS's CA signs the CSR and sends CertificateSigned after the
        # reply; without one the request cannot be processed (A02.FR.12: Rejected).
        event("SignCertificate", p)
        ca = ctx.config.certificate_authority
        if not ca:  # None before start, False when configured without a CA
            return {"status": "Rejected"}
        return ca.on_sign_certificate(sid, p["csr"], ctx.now())

    table: dict[str, Handler] = {
        "BootNotification": boot_notification,
        "Heartbeat": heartbeat,
        "StatusNotification": status_notification,
        "Authorize": authorize,
        "StartTransaction": start_transaction,
        "StopTransaction": stop_transaction,
        "MeterValues": meter_values,
        "DataTransfer": data_transfer,
        "DiagnosticsStatusNotification": diagnostics_status,
        "FirmwareStatusNotification": firmware_status,
        "SecurityEventNotification": stored("SecurityEventNotification"),
        "SignedFirmwareStatusNotification": stored("SignedFirmwareStatusNotification"),
        "LogStatusNotification": stored("LogStatusNotification"),
        "SignCertificate": sign_certificate,
    }
    return table


def outgoing_refusal(registration: str | None, action: str) -> str | None:
    """Why the CSMS should not send ``action`` now (1.6 §4.2), or None if it may."""
    if registration == "Rejected":
        return "1.6 §4.2: the CSMS should not initiate any message to a Rejected station"
    if registration == "Pending" and action in ("RemoteStartTransaction", "RemoteStopTransaction"):
        return f"1.6 §4.2: {action} is not allowed while the station is Pending"
    return None


def note_reply(
    state: StationState,
    action: str,
    payload: dict[str, Any],
    reply: dict[str, Any],
    store: CsmsStore | None = None,
) -> None:
    """Remember what a CSMS-initiated call changed (triggers: see ``expected_trigger``)."""
    return None


def new_password(payload: dict[str, Any], reply: dict[str, Any]) -> str | None:
    """The station's new Basic auth password, once it accepted a ChangeConfiguration of
    AuthorizationKey (whitepaper A01.FR.02/03); None for any other change."""
    if payload.get("key") == "AuthorizationKey" and reply.get("status") == "Accepted":
        return str(payload.get("value"))
    return None


def expected_trigger(action: str, payload: dict[str, Any]) -> str | None:
    """The station-initiated action a (Extended)TriggerMessage asks for, if any.

    The server opens §4.2's door for it *before* sending the request: the station may
    send the triggered message right after its reply, ahead of our reading that reply.
    """
    if action == "TriggerMessage":
        return _TRIGGERED_ACTION.get(payload.get("requestedMessage", ""))
    if action == "ExtendedTriggerMessage":
        return _EXTENDED_TRIGGER_ACTION.get(payload.get("requestedMessage", ""))
    return None
