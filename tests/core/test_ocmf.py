"""OCMF signed meter values: building, signing, key format, verification (bench.ocpp.ocmf).

References: the OCA application note "Signed Meter Values in OCPP" v1.0 (note §3.2.2,
§4.2.1, table 11-12) and SAFE's OCMF ("JSON based OCMF Format", tables 7, 8, 17, 22).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from bench.ocpp import ocmf
from bench.store.db import open_database

T0 = datetime(2025, 3, 1, 12, 30, 15, 250000, tzinfo=UTC)
IDENTITY = ocmf.Identity(
    gateway="OCPP Bench Virtual",
    gateway_serial="SN-CS1",
    gateway_version="1.0.0",
    meter_serial="MTR-CS1",
    meter_vendor="OCPP Bench",
    meter_model="EM-3P-MID",
)
# Note §5.3 step 1: the key printed on a meter (secp256k1, ASN.1 SubjectPublicKeyInfo).
NOTE_KEY_HEX = (
    "3056301006072a8648ce3d020106052b8104000a03420004460a02ba2766d9c44f023ecc0e4e58644a87add1"
    "aadd6317e5fe4dccdb29b163a01d8a6297c84bc530f86431e92f8d46ab37830247c05cbd92fac252929e7f61"
)


@pytest.fixture
def meter(tmp_path: Path) -> Iterator[ocmf.MeterSigner]:
    with closing(open_database(tmp_path / "s.db")) as db:
        yield ocmf.MeterSigner(db, "CS1", IDENTITY)


def tx_record(meter: ocmf.MeterSigner, wh: float = 12345.0, reason: str = "B") -> str:
    return meter.sign(
        [ocmf.Reading(T0, wh, reason)], user=ocmf.user_of("04A1B2C3", "ISO14443"), connector=1
    )


def smv_of(record: str, key: str) -> dict[str, str]:
    return ocmf.signed_meter_value(record, key)


def test_a_signed_reading_verifies_against_the_meters_key_and_its_plain_value(
    meter: ocmf.MeterSigner,
) -> None:
    """J02.FR.21, note §4.2.1: a SignedMeterValueType a CSMS can check."""
    smv = smv_of(tx_record(meter), meter.public_key)
    verdict = ocmf.verify_signed_meter_value(smv, expected_wh=12345)
    assert verdict.valid, verdict
    assert verdict.readings_wh == (12345.0,)
    assert verdict.pagination == "T1"


def test_a_tampered_reading_fails_verification(meter: ocmf.MeterSigner) -> None:
    """The whole point of signing: a changed register value no longer verifies."""
    record = tx_record(meter, 12345.0)
    assert '"RV":12.345' in record
    forged = record.replace('"RV":12.345', '"RV":10.345')
    verdict = ocmf.verify_signed_meter_value(smv_of(forged, meter.public_key), expected_wh=10345)
    assert verdict.status == "BadSignature"
    assert not verdict.valid


def test_a_tampered_signature_or_a_foreign_key_fails(meter: ocmf.MeterSigner) -> None:
    record = tx_record(meter)
    payload, _, signature = record.rpartition("|")
    sd = json.loads(signature)["SD"]
    flipped = sd[:-2] + ("00" if sd[-2:] != "00" else "11")
    forged = payload + "|" + json.dumps({"SA": ocmf.SIGNATURE_ALGORITHM, "SD": flipped})
    assert ocmf.verify_signed_meter_value(smv_of(forged, meter.public_key)).status in (
        "BadSignature",
        "Malformed",  # a flipped DER byte may break the ASN.1 framing itself
    )
    other = ocmf.OcmfSigner.generate().public_key
    assert ocmf.verify_signed_meter_value(smv_of(record, other)).status == "BadSignature"


def test_a_plain_value_that_differs_from_the_signed_one_is_a_value_mismatch(
    meter: ocmf.MeterSigner,
) -> None:
    smv = smv_of(tx_record(meter, 12345.0), meter.public_key)
    verdict = ocmf.verify_signed_meter_value(smv, expected_wh=12400)
    assert verdict.status == "ValueMismatch"


def test_a_value_without_key_verifies_only_against_a_known_key(meter: ocmf.MeterSigner) -> None:
    """Note §4.3.1: with PublicKeyWithSignedMeterValue Never the key is "" and the CSMS
    must know it; a value that brings another key than the known one fails."""
    record = tx_record(meter)
    assert ocmf.verify_signed_meter_value(smv_of(record, "")).status == "NoKey"
    known = ocmf.verify_signed_meter_value(smv_of(record, ""), known_key=meter.public_key)
    assert known.valid
    other = ocmf.OcmfSigner.generate().public_key
    swapped = ocmf.verify_signed_meter_value(smv_of(record, other), known_key=meter.public_key)
    assert swapped.status == "KeyMismatch"


def test_signed_meter_value_follows_the_note(meter: ocmf.MeterSigner) -> None:
    """Note table 11: OCMF encoding, empty signingMethod (OCMF names it), Base64 data
    within the 2500-character field of part 2 §2.46."""
    smv = smv_of(tx_record(meter), meter.public_key)
    assert smv["encodingMethod"] == "OCMF"
    assert smv["signingMethod"] == ""
    assert len(smv["signedMeterData"]) <= 2500 and len(smv["publicKey"]) <= 2500
    text = base64.b64decode(smv["signedMeterData"]).decode()
    assert text.startswith("OCMF|{") and text.count("|") == 2


def test_the_public_key_value_is_base64_of_an_oca_base16_asn1_string(
    meter: ocmf.MeterSigner,
) -> None:
    """Note §3.2.2: <marker>:<encoding>:<content-type>:<printed key>."""
    text = base64.b64decode(meter.public_key).decode("ascii")
    marker, encoding, content, printed = text.split(":")
    assert (marker, encoding, content) == ("oca", "base16", "asn1")
    assert printed.startswith("3059301306072a8648ce3d0201")  # SPKI, id-ecPublicKey
    assert isinstance(ocmf.decode_public_key(meter.public_key).curve, ec.SECP256R1)


def test_decoding_the_notes_example_key_ignores_prefixes_and_separators() -> None:
    """Note §5.3 and table 2: non-hexadecimal characters and 0x are ignored in base16."""
    spaced = "0x" + " ".join(NOTE_KEY_HEX[i : i + 16] for i in range(0, len(NOTE_KEY_HEX), 16))
    value = base64.b64encode(f"oca:base16:asn1:{spaced}".encode()).decode()
    assert isinstance(ocmf.decode_public_key(value).curve, ec.SECP256K1)
    as_b64 = base64.b64encode(bytes.fromhex(NOTE_KEY_HEX)).decode()
    value64 = base64.b64encode(f"oca:base64:asn1:{as_b64}".encode()).decode()
    assert isinstance(ocmf.decode_public_key(value64).curve, ec.SECP256K1)
    with pytest.raises(ocmf.OcmfError):
        ocmf.decode_public_key(base64.b64encode(b"xyz:base16:asn1:00").decode())


def test_a_transaction_record_carries_user_and_reason_and_a_fiscal_one_does_not(
    meter: ocmf.MeterSigner,
) -> None:
    """OCMF tables 2, 4, 7: T pagination with user data and TX; F pagination without."""
    t = ocmf.parse(tx_record(meter, 1000.0, "E"))
    assert t.payload["PG"] == "T1" and t.payload["IS"] is True
    assert (t.payload["IT"], t.payload["ID"]) == ("ISO14443", "04A1B2C3")
    assert t.payload["CT"] == "CBIDC" and t.payload["CI"] == "CS1 1"
    (row,) = t.payload["RD"]
    assert row["TX"] == "E" and row["RV"] == 1.0 and row["RU"] == "kWh"
    assert row["RI"] == "1-b:1.8.0" and row["ST"] == "G"
    assert t.signature["SA"] == "ECDSA-secp256r1-SHA256"
    f = ocmf.parse(meter.sign([ocmf.Reading(T0, 2000.0)]))
    assert f.payload["PG"] == "F1"
    assert "IS" not in f.payload and "TX" not in f.payload["RD"][0]


def test_pagination_counts_up_per_context_and_the_key_survives_a_restart(tmp_path: Path) -> None:
    """OCMF table 2 (counters per context, +1 per record); the key a CSMS registered
    stays the station's key after a restart (same SQLite file)."""
    path = tmp_path / "station.db"
    with closing(open_database(path)) as db:
        first = ocmf.MeterSigner(db, "CS1", IDENTITY)
        pages = [ocmf.parse(tx_record(first)).pagination for _ in range(3)]
        assert pages == ["T1", "T2", "T3"]
        assert ocmf.parse(first.sign([ocmf.Reading(T0, 1.0)])).pagination == "F1"
        key = first.public_key
    with closing(open_database(path)) as db:
        again = ocmf.MeterSigner(db, "CS1", IDENTITY)
        assert again.public_key == key
        assert ocmf.parse(tx_record(again)).pagination == "T4"
        assert ocmf.MeterSigner(db, "CS2", IDENTITY).public_key != key


def test_ocmf_time_has_milliseconds_offset_and_sync_state() -> None:
    """OCMF table 7 "TM": 2018-07-24T13:22:04,000+0200 S."""
    assert ocmf.ocmf_time(T0) == "2025-03-01T12:30:15,250+0000 S"
    cest = T0.astimezone(timezone(timedelta(hours=2)))
    assert ocmf.ocmf_time(cest, "I") == "2025-03-01T14:30:15,250+0200 I"


def test_user_assignment_maps_ocpp_token_types() -> None:
    """OCMF table 17 from the OCPP IdTokenEnumType."""
    assert ocmf.user_of("EMP123", "eMAID") == ocmf.User(True, "EMAID", "EMP123")
    assert ocmf.user_of("", "NoAuthorization") == ocmf.User(False, "NONE")
    assert ocmf.user_of("TAG", None).id_type == "UNDEFINED"


def test_what_is_not_ocmf_is_reported_not_raised(meter: ocmf.MeterSigner) -> None:
    key = meter.public_key
    garbage = {"signedMeterData": "not base64!", "encodingMethod": "OCMF", "publicKey": key}
    assert ocmf.verify_signed_meter_value(garbage).status == "Malformed"
    wrong = base64.b64encode(b"EDL40|...").decode()
    not_ocmf = {"signedMeterData": wrong, "encodingMethod": "OCMF", "publicKey": key}
    assert ocmf.verify_signed_meter_value(not_ocmf).status == "Malformed"
    edl = {**smv_of(tx_record(meter), key), "encodingMethod": "EDL"}
    assert ocmf.verify_signed_meter_value(edl).status == "Unsupported"
    with pytest.raises(ocmf.OcmfError):
        ocmf.parse("OCMF|{}|{}")  # no SD
