"""Signed meter values in the Open Charge Metering Format (OCMF), for 1.6 and 2.0.1 alike.

The OCA application note "Signed Meter Values in OCPP" (v1.0, 2025-02-10) carries the
signed data in a ``SignedMeterValueType`` (2.0.1 part 2 §2.46; reused for 1.6 in note
§3.2.1): ``signedMeterData`` is the Base64 of an OCMF record, ``encodingMethod`` is
``OCMF``, ``signingMethod`` is the empty string because OCMF names its algorithm itself
(note table 11), and ``publicKey`` is ``""`` or the Base64 of
``oca:base16:asn1:<hex of the DER SubjectPublicKeyInfo>`` (note §3.2.2).

An OCMF record (SAFE OCMF 1.x, "JSON based OCMF Format") is three ``|``-separated
sections: ``OCMF``, the payload JSON and the signature JSON. The signature is taken over
the payload section's bytes exactly as transmitted, so the payload text is built once
here and never re-serialised. The bench signs as its own "measuring capsule": ECDSA on
secp256r1 with SHA-256 (``ECDSA-secp256r1-SHA256``, the OCMF default), signature DER
encoded in hex (the ``SE``/``SM`` defaults).

``MeterSigner`` keeps one key pair per station and the OCMF pagination counters (``T``
transaction, ``F`` fiscal) in the station's SQLite file, so the public key a CSMS has
registered stays valid across restarts. The private key is stored unencrypted: this is
a test bench, not a calibrated meter. ``verify_signed_meter_value`` is what a CSMS (and
the tests) use to check a received value.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from bench.store.db import Schema, commit_pending, ensure_schema, register_schema, transaction

__all__ = [
    "ENCODING_METHOD",
    "SIGNATURE_ALGORITHM",
    "Identity",
    "MeterSigner",
    "Ocmf",
    "OcmfError",
    "OcmfSigner",
    "Reading",
    "User",
    "Verdict",
    "decode_public_key",
    "encode_public_key",
    "ocmf_time",
    "parse",
    "signed_meter_value",
    "user_of",
    "verify",
    "verify_signed_meter_value",
]

ENCODING_METHOD = "OCMF"
SIGNATURE_ALGORITHM = "ECDSA-secp256r1-SHA256"  # OCMF table 22, the format's default
FORMAT_VERSION = "1.0"
OBIS_ACTIVE_IMPORT = "1-b:1.8.0"  # OCMF "RI": cumulative active energy import register

# OCMF table 22: signature algorithm -> curve. All hash with SHA-256. secp192k1 is listed
# there but the cryptography package has no such curve: values using it are "Unsupported".
_CURVES: dict[str, type[ec.EllipticCurve]] = {
    "ECDSA-secp192r1-SHA256": ec.SECP192R1,
    "ECDSA-secp256k1-SHA256": ec.SECP256K1,
    "ECDSA-secp256r1-SHA256": ec.SECP256R1,
    "ECDSA-brainpool256r1-SHA256": ec.BrainpoolP256R1,
    "ECDSA-secp384r1-SHA256": ec.SECP384R1,
    "ECDSA-brainpool384r1-SHA256": ec.BrainpoolP384R1,
}
# OCPP IdTokenEnumType (2.0.1 part 2 §3) -> OCMF identification type (OCMF table 17).
_ID_TYPES = {
    "ISO14443": "ISO14443",
    "ISO15693": "ISO15693",
    "eMAID": "EMAID",
    "Central": "CENTRAL",
    "Local": "LOCAL",
    "KeyCode": "KEY_CODE",
    "MacAddress": "UNDEFINED",
    "NoAuthorization": "NONE",
}
_UNIT_WH = {"Wh": 1.0, "kWh": 1000.0}


class OcmfError(ValueError):
    """Text that is no well-formed OCMF record or publicKey value."""


# ------------------------------------------------------------------ building blocks
@dataclass(frozen=True, slots=True)
class Reading:
    """One meter reading to sign (OCMF table 7)."""

    time: datetime
    energy_wh: float
    transaction: str | None = None  # OCMF "TX": B, C, E, ... ; None outside a transaction
    current_type: str = "AC"  # OCMF "RT"
    status: str = "G"  # OCMF "ST" (table 10): G = the meter works correctly
    time_status: str = "S"  # OCMF table 19: S = synchronized


@dataclass(frozen=True, slots=True)
class Identity:
    """The signing component and its meter (OCMF tables 1, 3, 6)."""

    gateway: str  # GI
    gateway_serial: str  # GS
    gateway_version: str  # GV
    meter_serial: str  # MS (mandatory)
    meter_vendor: str | None = None  # MV
    meter_model: str | None = None  # MM
    charge_point: str | None = None  # CI, as "CBIDC": "<charge box id> <connector id>"


@dataclass(frozen=True, slots=True)
class User:
    """The user assignment of a transaction record (OCMF table 4)."""

    assigned: bool  # IS
    id_type: str  # IT (table 17)
    id_data: str | None = None  # ID


def user_of(id_token: str | None, ocpp_type: str | None = "ISO14443") -> User:
    """An OCPP idToken (2.0.1 type, or a 1.6 idTag with the default type) as OCMF user data."""
    if not id_token or ocpp_type == "NoAuthorization":
        return User(False, "NONE")
    return User(True, _ID_TYPES.get(ocpp_type or "", "UNDEFINED"), id_token)


def ocmf_time(ts: datetime, status: str = "S") -> str:
    """OCMF "TM": ``2018-07-24T13:22:04,000+0200 S`` (milliseconds, offset, sync state)."""
    offset = ts.strftime("%z") or "+0000"
    return f"{ts:%Y-%m-%dT%H:%M:%S},{ts.microsecond // 1000:03d}{offset} {status}"


def _kwh(energy_wh: float) -> float:
    # kWh with three decimals: the register's full Wh resolution, never re-scaled later
    # (OCMF "RV" must reach the verifier exactly as signed).
    return round(int(energy_wh) / 1000.0, 3)


def payload_text(
    identity: Identity, pagination: str, readings: Sequence[Reading], user: User | None
) -> str:
    """The payload section: compact JSON with the fields in the order OCMF lists them.

    ``user`` is given exactly when the record refers to a transaction (OCMF table 4).
    """
    data: dict[str, Any] = {
        "FV": FORMAT_VERSION,
        "GI": identity.gateway,
        "GS": identity.gateway_serial,
        "GV": identity.gateway_version,
        "PG": pagination,
    }
    if identity.meter_vendor:
        data["MV"] = identity.meter_vendor
    if identity.meter_model:
        data["MM"] = identity.meter_model
    data["MS"] = identity.meter_serial
    if user is not None:
        data["IS"] = user.assigned
        data["IT"] = user.id_type
        if user.id_data:
            data["ID"] = user.id_data
    if identity.charge_point:
        data["CT"] = "CBIDC"
        data["CI"] = identity.charge_point
    rows = []
    for r in readings:
        row: dict[str, Any] = {"TM": ocmf_time(r.time, r.time_status)}
        if r.transaction:
            row["TX"] = r.transaction
        row.update(
            {
                "RV": _kwh(r.energy_wh),
                "RI": OBIS_ACTIVE_IMPORT,
                "RU": "kWh",
                "RT": r.current_type,
                "EF": "",
                "ST": r.status,
            }
        )
        rows.append(row)
    data["RD"] = rows
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    if "|" in text:
        # The pipe separates the sections; OCMF forbids it inside them.
        raise OcmfError("OCMF payload may not contain '|'")
    return text


# ------------------------------------------------------------------ keys and signing
def encode_public_key(key: ec.EllipticCurvePublicKey) -> str:
    """The note's publicKey value (§3.2.2): Base64 of ``oca:base16:asn1:<hex DER>``."""
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(f"oca:base16:asn1:{der.hex()}".encode("ascii")).decode("ascii")


def decode_public_key(value: str) -> ec.EllipticCurvePublicKey:
    """A publicKey value (note §3.2.2, tables 2 and 3) as a key; OcmfError when unreadable."""
    try:
        text = base64.b64decode(value, validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise OcmfError(f"publicKey is not Base64 text: {exc}") from exc
    marker, encoding, content, printed = [*text.split(":", 3), "", "", ""][:4]
    if marker != "oca" or content != "asn1":
        raise OcmfError(f"publicKey is not oca:<encoding>:asn1:<key> ({text[:24]!r})")
    try:
        if encoding == "base16":
            # Table 2: a 0x prefix and any non-hexadecimal characters are ignored.
            digits = re.sub(r"[^0-9a-fA-F]", "", re.sub(r"0[xX]", "", printed))
            der = bytes.fromhex(digits)
        elif encoding == "base64":
            der = base64.b64decode(printed, validate=True)
        else:
            raise OcmfError(f"unknown publicKey encoding {encoding!r}")
        key = serialization.load_der_public_key(der)
    except (ValueError, binascii.Error) as exc:
        raise OcmfError(f"publicKey holds no readable ASN.1 key: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise OcmfError("publicKey is not an elliptic-curve key")
    return key


class OcmfSigner:
    """An ECDSA secp256r1 key that signs OCMF payloads."""

    __slots__ = ("_key", "public_key")

    def __init__(self, key: ec.EllipticCurvePrivateKey) -> None:
        if not isinstance(key.curve, ec.SECP256R1):
            raise ValueError("the bench signs with secp256r1 keys only")
        self._key = key
        self.public_key = encode_public_key(key.public_key())

    @classmethod
    def generate(cls) -> OcmfSigner:
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @classmethod
    def from_pem(cls, pem: bytes) -> OcmfSigner:
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError("not an elliptic-curve private key")
        return cls(key)

    def pem(self) -> bytes:
        return self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def sign(self, payload: str) -> str:
        """The full OCMF record for ``payload`` (the payload section text)."""
        signature = self._key.sign(payload.encode("utf-8"), ec.ECDSA(hashes.SHA256()))
        section = json.dumps(
            {"SA": SIGNATURE_ALGORITHM, "SD": signature.hex().upper()}, separators=(",", ":")
        )
        return f"OCMF|{payload}|{section}"


def signed_meter_value(ocmf: str, public_key: str = "") -> dict[str, str]:
    """SignedMeterValueType for an OCMF record (2.0.1 part 2 §2.46, note table 11)."""
    return {
        "signedMeterData": base64.b64encode(ocmf.encode("utf-8")).decode("ascii"),
        "signingMethod": "",  # OCMF carries "SA" itself, so the field SHALL be empty
        "encodingMethod": ENCODING_METHOD,
        "publicKey": public_key,
    }


# ------------------------------------------------------------------ reading and verifying
@dataclass(frozen=True, slots=True)
class Ocmf:
    """A parsed OCMF record; ``payload_text`` is the signed section, byte for byte."""

    payload_text: str
    payload: dict[str, Any]
    signature: dict[str, Any]

    @property
    def pagination(self) -> str:
        return str(self.payload.get("PG", ""))

    def readings_wh(self) -> list[float]:
        """The reading values in Wh; a reading inherits RU from the one before (OCMF §Readings)."""
        out: list[float] = []
        unit = None
        for row in self.payload.get("RD") or []:
            unit = row.get("RU", unit)
            if "RV" in row and unit in _UNIT_WH:
                out.append(float(row["RV"]) * _UNIT_WH[unit])
        return out


def parse(text: str) -> Ocmf:
    """Split and decode an OCMF record; OcmfError when it is not one."""
    parts = text.split("|")
    if len(parts) != 3 or parts[0].strip() != "OCMF":
        raise OcmfError("not OCMF|<payload>|<signature>")
    try:
        payload = json.loads(parts[1])
        signature = json.loads(parts[2])
    except json.JSONDecodeError as exc:
        raise OcmfError(f"OCMF section is not JSON: {exc}") from exc
    if not isinstance(payload, dict) or not isinstance(signature, dict):
        raise OcmfError("OCMF sections must be JSON objects")
    if "SD" not in signature:
        raise OcmfError("OCMF signature section has no SD")
    return Ocmf(parts[1], payload, signature)


def _signature_bytes(signature: Mapping[str, Any]) -> bytes:
    encoding = signature.get("SE", "hex")
    mime = signature.get("SM", "application/x-der")
    if mime != "application/x-der":
        raise OcmfError(f"unsupported signature mime type {mime!r}")
    data = str(signature["SD"])
    try:
        if encoding == "hex":
            return bytes.fromhex(data)
        if encoding == "base64":
            return base64.b64decode(data, validate=True)
    except (ValueError, binascii.Error) as exc:
        raise OcmfError(f"signature data is not {encoding}: {exc}") from exc
    raise OcmfError(f"unsupported signature encoding {encoding!r}")


def verify(record: Ocmf, key: ec.EllipticCurvePublicKey) -> bool:
    """True when ``record``'s signature holds for ``key``; OcmfError if it cannot be checked."""
    algorithm = record.signature.get("SA", SIGNATURE_ALGORITHM)
    curve = _CURVES.get(algorithm)
    if curve is None:
        raise OcmfError(f"unsupported signature algorithm {algorithm!r}")
    if not isinstance(key.curve, curve):
        raise OcmfError(f"key on {key.curve.name} does not fit {algorithm}")
    try:
        key.verify(
            _signature_bytes(record.signature),
            record.payload_text.encode("utf-8"),
            ec.ECDSA(hashes.SHA256()),
        )
    except InvalidSignature:
        return False
    return True


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of checking one signedMeterValue.

    ``status``: Valid; BadSignature (tampered data or wrong key); ValueMismatch (signature
    holds, but the plain sampled value differs from the signed reading); KeyMismatch (the
    value carries a key other than the one known for this meter); NoKey (no key sent and
    none known); Unsupported (not OCMF, or an algorithm the bench cannot check);
    Malformed (not decodable).
    """

    status: str
    detail: str = ""
    pagination: str | None = None
    readings_wh: tuple[float, ...] = ()
    public_key: str | None = None  # the key the check used

    @property
    def valid(self) -> bool:
        return self.status == "Valid"


def verify_signed_meter_value(
    smv: Mapping[str, Any],
    *,
    known_key: str | None = None,
    expected_wh: float | None = None,
) -> Verdict:
    """Check a SignedMeterValueType against the meter's key and the plain value beside it.

    ``known_key`` is the publicKey value already registered for this meter: a value
    that brings another key fails (KeyMismatch), one that brings none is checked with
    it. ``expected_wh`` is the sampledValue's own value (Wh): the last signed reading
    must equal it to the Wh.
    """
    if smv.get("encodingMethod") != ENCODING_METHOD:
        return Verdict("Unsupported", f"encodingMethod {smv.get('encodingMethod')!r}")
    sent = str(smv.get("publicKey") or "")
    if sent and known_key and sent != known_key:
        return Verdict("KeyMismatch", "publicKey differs from the meter's registered key")
    key_value = sent or known_key
    if not key_value:
        return Verdict("NoKey", "no publicKey sent and none known for this meter")
    try:
        text = base64.b64decode(str(smv.get("signedMeterData", "")), validate=True).decode()
        record = parse(text)
        key = decode_public_key(key_value)
    except (OcmfError, binascii.Error, UnicodeDecodeError) as exc:
        return Verdict("Malformed", str(exc), public_key=key_value)
    readings = tuple(record.readings_wh())
    try:
        good = verify(record, key)
    except OcmfError as exc:
        return Verdict("Unsupported", str(exc), record.pagination, readings, key_value)
    if not good:
        detail = "signature does not match the signed data"
        return Verdict("BadSignature", detail, record.pagination, readings, key_value)
    if expected_wh is not None and (not readings or abs(readings[-1] - expected_wh) >= 0.5):
        detail = f"signed {readings[-1] if readings else None} Wh, plain value {expected_wh} Wh"
        return Verdict("ValueMismatch", detail, record.pagination, readings, key_value)
    return Verdict("Valid", "", record.pagination, readings, key_value)


# ------------------------------------------------------------------ the station's signer
SCHEMA = register_schema(
    Schema(
        "ocmf",
        [
            """
            CREATE TABLE IF NOT EXISTS ocmf_keys (
                station TEXT PRIMARY KEY,
                private_key TEXT NOT NULL
            );
            CREATE TABLE IF NOT EXISTS ocmf_pagination (
                station TEXT NOT NULL,
                context TEXT NOT NULL,
                next INTEGER NOT NULL,
                PRIMARY KEY (station, context)
            );
            """,
        ],
    )
)


class MeterSigner:
    """One station's signing component: its persisted key and pagination counters."""

    __slots__ = ("_signer", "conn", "identity", "station")

    def __init__(self, conn: sqlite3.Connection, station: str, identity: Identity) -> None:
        ensure_schema(conn, SCHEMA)
        self.conn = conn
        self.station = station
        self.identity = identity
        self._signer: OcmfSigner | None = None

    @property
    def signer(self) -> OcmfSigner:
        """The station's key, made and stored on first use, the same after every restart."""
        if self._signer is None:
            row = self.conn.execute(
                "SELECT private_key FROM ocmf_keys WHERE station = ?", (self.station,)
            ).fetchone()
            if row is not None:
                self._signer = OcmfSigner.from_pem(row[0].encode("ascii"))
            else:
                signer = OcmfSigner.generate()
                self.conn.execute(
                    "INSERT OR IGNORE INTO ocmf_keys (station, private_key) VALUES (?, ?)",
                    (self.station, signer.pem().decode("ascii")),
                )
                commit_pending(self.conn)
                self._signer = signer
        return self._signer

    @property
    def public_key(self) -> str:
        """The publicKey value of this station's meter (note §3.2.2)."""
        return self.signer.public_key

    def next_page(self, context: str) -> str:
        """OCMF "PG": the context letter and its counter, counted up by one per record."""
        with transaction(self.conn, immediate=True):
            row = self.conn.execute(
                "SELECT next FROM ocmf_pagination WHERE station = ? AND context = ?",
                (self.station, context),
            ).fetchone()
            number = row[0] if row else 1
            self.conn.execute(
                "INSERT INTO ocmf_pagination (station, context, next) VALUES (?, ?, ?)"
                " ON CONFLICT(station, context) DO UPDATE SET next = excluded.next",
                (self.station, context, number + 1),
            )
        commit_pending(self.conn)
        return f"{context}{number}"

    def sign(
        self,
        readings: Sequence[Reading],
        *,
        user: User | None = None,
        connector: int | None = None,
    ) -> str:
        """An OCMF record for ``readings``: a transaction record (``T``) when ``user`` is
        given, a fiscal one (``F``) otherwise."""
        identity = self.identity
        if connector is not None:
            identity = Identity(
                identity.gateway,
                identity.gateway_serial,
                identity.gateway_version,
                identity.meter_serial,
                identity.meter_vendor,
                identity.meter_model,
                f"{self.station} {connector}",
            )
        page = self.next_page("T" if user is not None else "F")
        return self.signer.sign(payload_text(identity, page, readings, user))
