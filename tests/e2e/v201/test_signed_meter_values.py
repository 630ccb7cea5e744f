"""2.0.1 signed meter values (OCMF) end to end: station signs, CSMS verifies (J01.FR.21, J02.FR.21).

The station signs its Energy.Active.Import.Register readings as OCMF records
(``bench.ocpp.ocmf``) when SampledDataCtrlr/AlignedDataCtrlr.SignReadings is true, and
sends the meter's public key as OCPPCommCtrlr.PublicKeyWithSignedMeterValue says (part 2
§2.7.17, OCA note "Signed Meter Values in OCPP" §4). The built-in CSMS checks each one
and stores the verdict (``v201_tx.signed_values``).
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from bench.csms import v201_tx
from bench.csms.server import CentralSystem
from bench.ocpp import ocmf
from tests.e2e.conftest import ev, wait_until
from tests.e2e.v201.conftest import Cp201Factory, request

SIGNED = {"SampledDataCtrlr.SignReadings": "true"}
QUIET = {"SampledDataCtrlr.TxUpdatedInterval": "0"}
REGISTER = "Energy.Active.Import.Register"


def events(cp: Any) -> list[dict[str, Any]]:
    return request(cp, "TransactionEvent")


def sampled(payload: dict[str, Any]) -> list[dict[str, Any]]:
    return [sv for mv in payload.get("meterValue") or [] for sv in mv["sampledValue"]]


def signed(payload: dict[str, Any]) -> list[dict[str, Any]]:
    return [sv for sv in sampled(payload) if "signedMeterValue" in sv]


def record(sv: dict[str, Any]) -> ocmf.Ocmf:
    return ocmf.parse(base64.b64decode(sv["signedMeterValue"]["signedMeterData"]).decode())


async def one_transaction(cp: Any, *, periodic: int = 0) -> dict[str, Any]:
    """Plug, badge, wait for ``periodic`` MeterValuePeriodic updates, badge again: the Ended."""
    before = len(events(cp))
    cp.station.connector(1).plug_in(ev())
    cp.present_id("TAG1")
    await wait_until(
        lambda: any(e["eventType"] == "Started" for e in events(cp)[before:]), what="Started"
    )
    await wait_until(
        lambda: (
            len([e for e in events(cp)[before:] if e["triggerReason"] == "MeterValuePeriodic"])
            >= periodic
        ),
        what=f"{periodic} periodic updates",
    )
    cp.present_id("TAG1")
    await wait_until(
        lambda: any(e["eventType"] == "Ended" for e in events(cp)[before:]), what="Ended"
    )
    await wait_until(lambda: len(cp.transactions.queue) == 0, what="the queue to drain")
    cp.station.connector(1).unplug()
    return next(e for e in events(cp)[before:] if e["eventType"] == "Ended")


async def verdicts(csms: CentralSystem, station: str, tx_id: str, count: int) -> list[Any]:
    conn = csms.store.conn
    await wait_until(
        lambda: len(v201_tx.signed_values(conn, station, transaction_id=tx_id)) >= count,
        what=f"{count} signed values stored",
    )
    return v201_tx.signed_values(conn, station, transaction_id=tx_id)


async def test_sign_readings_signs_begin_periodic_and_end_and_the_csms_verifies_them(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """J02.FR.21, note §4.1.1/§4.1.2 (separate containers: Transaction.Begin and
    Transaction.End each signed in Ended), PublicKeyWithSignedMeterValue=OncePerTransaction:
    the key rides in the first signed value only; the CSMS finds every value Valid."""
    cp = await make_cp201(csms.url, "SM1", variables=SIGNED)
    ended = await one_transaction(cp, periodic=1)
    key = cp.transactions.meter_public_key()
    started = next(e for e in events(cp) if e["eventType"] == "Started")
    (begin,) = signed(started)
    assert begin["context"] == "Transaction.Begin" and begin["measurand"] == REGISTER
    smv = begin["signedMeterValue"]
    assert smv["encodingMethod"] == "OCMF" and smv["signingMethod"] == ""
    assert smv["publicKey"] == key  # OncePerTransaction: the first one brings it

    periodic = next(e for e in events(cp) if e["triggerReason"] == "MeterValuePeriodic")
    assert [sv["measurand"] for sv in signed(periodic)] == [REGISTER]  # only the register
    assert any(sv["measurand"] == "Power.Active.Import" for sv in sampled(periodic))
    assert signed(periodic)[0]["signedMeterValue"]["publicKey"] == ""

    end_values = signed(ended)
    assert [sv["context"] for sv in end_values] == ["Transaction.Begin", "Transaction.End"]
    assert all(sv["signedMeterValue"]["publicKey"] == "" for sv in end_values)
    first, last = (record(sv) for sv in end_values)
    assert first.payload["RD"][0]["TX"] == "B" and last.payload["RD"][0]["TX"] == "E"
    assert last.payload["ID"] == "TAG1" and last.payload["CI"] == "SM1 1"
    assert last.readings_wh() == [end_values[1]["value"]]
    # OCMF table 2: the counter counts up by one per record, none skipped or repeated
    # (the Ended's Begin record is made at the start, before the Started's own).
    pages = [int(record(sv).pagination[1:]) for e in events(cp) for sv in signed(e)]
    assert sorted(pages) == list(range(1, len(pages) + 1))

    tx_id = ended["transactionInfo"]["transactionId"]
    rows = await verdicts(csms, "SM1", tx_id, len(pages))
    assert [r.verdict for r in rows] == ["Valid"] * len(pages), rows
    assert {r.context for r in rows} == {"Transaction.Begin", "Sample.Periodic", "Transaction.End"}
    assert v201_tx.meter_key(csms.store.conn, "SM1", 1) == key


async def test_every_meter_value_puts_the_key_in_each_signed_value_set_over_ocpp(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """Part 2 §2.7.3/§2.7.17 (both ReadWrite, set by the CSMS with SetVariables, B05):
    EveryMeterValue -> every signedMeterValue carries the key; values outside the
    OptionList are rejected."""
    cp = await make_cp201(csms.url, "SM2", variables=QUIET)
    reply = await csms.v201.set_variables(
        "SM2",
        [
            ("SampledDataCtrlr", "SignReadings", "true"),
            ("OCPPCommCtrlr", "PublicKeyWithSignedMeterValue", "EveryMeterValue"),
            ("OCPPCommCtrlr", "PublicKeyWithSignedMeterValue", "Sometimes"),
        ],
    )
    statuses = [r["attributeStatus"] for r in reply["setVariableResult"]]
    assert statuses[:2] == ["Accepted", "Accepted"] and statuses[2] == "Rejected"
    ended = await one_transaction(cp)
    key = cp.transactions.meter_public_key()
    all_signed = [sv for e in events(cp) for sv in signed(e)]
    assert len(all_signed) == 3  # Started: Begin; Ended: Begin, End
    assert all(sv["signedMeterValue"]["publicKey"] == key for sv in all_signed)
    rows = await verdicts(csms, "SM2", ended["transactionInfo"]["transactionId"], 3)
    assert all(r.valid and r.key_sent for r in rows)


async def test_never_sends_no_key_and_the_csms_needs_the_registered_one(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """Note §4.3.1 Never: publicKey is "" (the field is required, part 2 §2.7.17); the CSMS
    cannot check such values (NoKey) until the meter's key is registered, then Valid."""
    cp = await make_cp201(
        csms.url,
        "SM3",
        variables={**SIGNED, **QUIET, "OCPPCommCtrlr.PublicKeyWithSignedMeterValue": "Never"},
    )
    first = await one_transaction(cp)
    assert all(sv["signedMeterValue"]["publicKey"] == "" for sv in signed(first))
    rows = await verdicts(csms, "SM3", first["transactionInfo"]["transactionId"], 3)
    assert {r.verdict for r in rows} == {"NoKey"}

    v201_tx.register_meter_key(csms.store.conn, "SM3", 1, cp.transactions.meter_public_key())
    second = await one_transaction(cp)
    rows = await verdicts(csms, "SM3", second["transactionInfo"]["transactionId"], 3)
    assert {r.verdict for r in rows} == {"Valid"}


async def test_a_value_signed_by_another_key_than_the_registered_one_fails(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """A swapped meter or forged data: the CSMS knows the meter's key; values that bring
    another key are refused (KeyMismatch), none is accepted."""
    v201_tx.register_meter_key(csms.store.conn, "SM4", 1, ocmf.OcmfSigner.generate().public_key)
    cp = await make_cp201(
        csms.url,
        "SM4",
        variables={
            **SIGNED,
            **QUIET,
            "OCPPCommCtrlr.PublicKeyWithSignedMeterValue": "EveryMeterValue",
        },
    )
    ended = await one_transaction(cp)
    rows = await verdicts(csms, "SM4", ended["transactionInfo"]["transactionId"], 3)
    assert {r.verdict for r in rows} == {"KeyMismatch"}


async def test_nothing_is_signed_while_sign_readings_is_false(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """Part 2 §2.7.3: SignReadings false (the default) -> plain values only."""
    cp = await make_cp201(csms.url, "SM5", variables=QUIET)
    ended = await one_transaction(cp)
    assert sampled(ended) and not any(signed(e) for e in events(cp))
    await wait_until(
        lambda: (
            v201_tx.transaction(csms.store.conn, "SM5", ended["transactionInfo"]["transactionId"])
            is not None
        ),
        what="stored",
    )
    assert v201_tx.signed_values(csms.store.conn, "SM5") == []


async def test_aligned_sign_readings_signs_idle_meter_values_as_fiscal_records(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """J01.FR.21: clock-aligned MeterValues of an idle EVSE carry an OCMF record of the
    fiscal context (OCMF table 2: "F", no user data); the grid meter (evseId 0) is not
    the EVSE's certified meter and stays unsigned."""
    cp = await make_cp201(
        csms.url,
        "SM6",
        variables={
            **QUIET,
            "AlignedDataCtrlr.Interval": "60",
            "AlignedDataCtrlr.SignReadings": "true",
        },
    )
    await wait_until(
        lambda: {m["evseId"] for m in request(cp, "MeterValues")} >= {0, 1},
        what="aligned MeterValues",
    )
    by_evse = {m["evseId"]: m for m in request(cp, "MeterValues")}
    assert not signed(by_evse[0])
    (value,) = signed(by_evse[1])
    assert value["context"] == "Sample.Clock"
    data = record(value)
    assert data.pagination.startswith("F") and "IS" not in data.payload
    assert value["signedMeterValue"]["publicKey"] == cp.transactions.meter_public_key()
    await wait_until(
        lambda: v201_tx.signed_values(csms.store.conn, "SM6"), what="a stored signed value"
    )
    row = v201_tx.signed_values(csms.store.conn, "SM6")[0]
    assert row.valid and row.transaction_id is None and row.origin == "MeterValues"


async def test_data_signed_start_point_starts_with_a_signed_begin_value(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """E01 S4 (TC_E_11_CS): TxStartPoint DataSigned with SignReadings: the Started event
    carries the signed Transaction.Begin reading with all four fields present."""
    cp = await make_cp201(
        csms.url, "SM7", variables={**SIGNED, **QUIET, "TxCtrlr.TxStartPoint": "DataSigned"}
    )
    cp.station.connector(1).plug_in(ev())
    cp.present_id("TAG1")
    await wait_until(lambda: events(cp), what="Started")
    started = events(cp)[0]
    assert started["eventType"] == "Started"
    assert started["triggerReason"] == "SignedDataReceived"
    (begin,) = signed(started)
    assert begin["context"] == "Transaction.Begin"
    assert set(begin["signedMeterValue"]) == {
        "signedMeterData",
        "signingMethod",
        "encodingMethod",
        "publicKey",
    }


async def test_the_meter_key_survives_a_restart_so_keyless_values_still_verify(
    csms: CentralSystem, make_cp201: Cp201Factory, tmp_path: Path
) -> None:
    """The key lives in the station's SQLite file: after a restart a CSMS that learnt it
    from the first transaction verifies values sent without it (Never)."""
    db = tmp_path / "sm8.db"
    cp = await make_cp201(csms.url, "SM8", variables={**SIGNED, **QUIET}, db_path=db)
    await one_transaction(cp)
    key = cp.transactions.meter_public_key()
    await cp.stop(drain_timeout=1.0)
    await csms.wait_for_disconnect("SM8")
    again = await make_cp201(
        csms.url,
        "SM8",
        variables={**SIGNED, **QUIET, "OCPPCommCtrlr.PublicKeyWithSignedMeterValue": "Never"},
        db_path=db,
    )
    assert again.transactions.meter_public_key() == key
    ended = await one_transaction(again)
    rows = await verdicts(csms, "SM8", ended["transactionInfo"]["transactionId"], 3)
    assert [(r.verdict, r.key_sent) for r in rows] == [("Valid", False)] * 3
