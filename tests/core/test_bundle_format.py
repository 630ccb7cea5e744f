"""The bundle file and its export from a database, without a network."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bench.bundle.compare import IdMap, compare_payloads, shift_timestamps
from bench.bundle.export import NO_RUN, export_bundle
from bench.bundle.format import Bundle, BundleError, read_bundle, write_bundle
from bench.cli import main
from bench.kernel.frames import FrameRecord
from bench.store.db import open_database
from bench.store.messages import MessageLog

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
T0 = 1_777_000_000.0


def frame(ts: float, direction: str, kind: str, msg_id: str, action: str, payload: dict, **kw):
    return FrameRecord(T0 + ts, "CP-9", direction, kind, msg_id, action, payload, True, **kw)


BOOT = {"chargePointVendor": "V", "chargePointModel": "M"}
BOOTED = {"status": "Accepted", "currentTime": "2026-05-04T10:00:00Z", "interval": 300}
START = {"connectorId": 1, "idTag": "T", "meterStart": 100, "timestamp": "2026-05-04T10:00:01Z"}
STARTED = {"transactionId": 7, "idTagInfo": {"status": "Accepted"}}
REFUSED = {"errorCode": "NotSupported", "errorDescription": "", "errorDetails": {}}
SAMPLES = [
    {"value": "1100", "unit": "Wh"},
    {"value": "7.2", "measurand": "Power.Active.Import", "unit": "kW"},
]
METER = {
    "connectorId": 1,
    "transactionId": 7,
    "meterValue": [{"timestamp": "2026-05-04T10:01:00Z", "sampledValue": SAMPLES}],
}
# A short 1.6 session as the charger logged it: tx left the charger.
SESSION = [
    frame(0, "tx", "CALL", "a", "BootNotification", BOOT),
    frame(0.1, "rx", "CALLRESULT", "a", "BootNotification", BOOTED, latency_ms=12.5),
    frame(1, "tx", "CALL", "b", "StartTransaction", START),
    frame(1.1, "rx", "CALLRESULT", "b", "StartTransaction", STARTED),
    frame(2, "rx", "CALL", "c", "GetConfiguration", {"key": ["HeartbeatInterval"]}),
    frame(2.1, "tx", "CALLERROR", "c", "GetConfiguration", REFUSED, error="NotSupported"),
    frame(60, "tx", "CALL", "d", "MeterValues", METER),
]


def test_a_bundle_written_and_read_back_holds_the_same_session(tmp_path: Path):
    bundle = Bundle(
        station="CP-9",
        ocpp="1.6",
        frames=SESSION,
        created=NOW.isoformat(),
        source="run",
        template={"name": "ac-11kw", "connectors": 1},
        ev_template="family-ev",
        settings=[{"name": "HeartbeatInterval", "value": "300", "writable": True, "secret": False}],
        meter=[{"ts": "2026-05-04T10:01:00Z", "value": 1100.0}],
        scenario="plug 1\npresent T",
        conformance={"cases": []},
        missing={},
    )
    path = write_bundle(bundle, tmp_path / "out" / "s.bundle")

    back = read_bundle(path)

    assert back.frames == [
        FrameRecord(**{**{k: getattr(f, k) for k in FrameRecord.__slots__}, "raw": None})
        for f in SESSION
    ]
    for name in ("station", "ocpp", "template", "ev_template", "settings", "meter"):
        assert getattr(back, name) == getattr(bundle, name), name
    assert back.scenario == bundle.scenario and back.conformance == bundle.conformance
    assert not (tmp_path / "out" / "s.bundle.partial").exists()


def test_a_bundle_of_a_newer_format_version_is_refused_naming_both_versions(tmp_path: Path):
    path = tmp_path / "new.bundle"
    with zipfile.ZipFile(path, "w") as zf:
        manifest = {"format": "ocpp-bench-bundle", "format_version": 99, "station": "X"}
        zf.writestr("manifest.json", json.dumps(manifest))
        zf.writestr("frames.jsonl", "")

    with pytest.raises(BundleError, match=r"format 99 is newer than this ocpp-bench reads \(1\)"):
        read_bundle(path)


def test_files_that_are_not_bundles_are_refused_with_one_clear_reason(tmp_path: Path):
    text = tmp_path / "notes.bundle"
    text.write_text("hello")
    empty_zip = tmp_path / "empty.bundle"
    with zipfile.ZipFile(empty_zip, "w") as zf:
        zf.writestr("other.txt", "x")

    with pytest.raises(BundleError, match="not a zip file"):
        read_bundle(text)
    with pytest.raises(BundleError, match=r"no manifest\.json"):
        read_bundle(empty_zip)


def test_a_log_written_from_the_csms_side_without_a_run_record_exports_from_the_station_side(
    tmp_path: Path,
):
    # What a proxy or a CSMS logs for a real charger: rx came from the charger, and
    # the database knows nothing of a template or configuration.
    db = open_database(tmp_path / "proxy.db")
    log = MessageLog(db)
    flipped = {"tx": "rx", "rx": "tx"}
    for rec in SESSION:
        log.record(
            FrameRecord(
                rec.ts, rec.station, flipped[rec.direction], rec.type, rec.id, rec.action,
                rec.payload, rec.valid, rec.error, rec.latency_ms,
            )
        )  # fmt: skip
    log.flush()

    bundle = export_bundle(db, "CP-9", now=NOW)
    db.close()

    assert [(f.direction, f.action) for f in bundle.frames] == [
        (f.direction, f.action) for f in SESSION
    ]
    assert bundle.ocpp == "1.6" and bundle.source == "log"
    assert bundle.template is None and bundle.settings is None
    assert bundle.missing["template"] == NO_RUN and bundle.missing["settings"] == NO_RUN
    # The meter trace still comes from the frames: meterStart, then the sampled values.
    assert [(s["measurand"], s["value"]) for s in bundle.meter] == [
        ("Energy.Active.Import.Register", 100.0),
        ("Energy.Active.Import.Register", 1100.0),
        ("Power.Active.Import", 7.2),
    ]


def test_exporting_a_station_the_database_does_not_know_exits_2_naming_the_ones_it_has(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    db = open_database(tmp_path / "run.db")
    log = MessageLog(db)
    log.record(SESSION[0])
    log.flush()
    db.close()

    code = main(["bundle", "export", "--db", str(tmp_path / "run.db"), "--station", "NOPE",
                 "--out", str(tmp_path / "x.bundle")])  # fmt: skip

    assert code == 2
    assert "has no frames of station NOPE (it has: CP-9)" in capsys.readouterr().err


def test_replaying_a_file_that_is_not_a_bundle_exits_2_and_an_unreachable_csms_exits_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    junk = tmp_path / "junk.bundle"
    junk.write_text("junk")
    bundle = Bundle("CP-9", "1.6", SESSION, NOW.isoformat(), "run")
    good = write_bundle(bundle, tmp_path / "good.bundle")

    assert main(["replay", str(junk), "--csms", "ws://127.0.0.1:9"]) == 2
    assert "not a zip file" in capsys.readouterr().err
    assert main(["replay", str(good), "--csms", "ws://127.0.0.1:9"]) == 3
    assert "cannot connect to ws://127.0.0.1:9" in capsys.readouterr().err


def test_fields_that_change_on_every_run_are_not_differences_and_new_ids_are_carried_forward():
    ids = IdMap()
    recorded = {"transactionId": 7, "idTagInfo": {"status": "Accepted"}}
    now = {"transactionId": 42, "idTagInfo": {"status": "Accepted"}}
    boot_then = {"status": "Accepted", "currentTime": "2026-05-04T10:00:00Z", "interval": 300}
    boot_now = {"status": "Accepted", "currentTime": "2027-01-01T00:00:00Z", "interval": 300}

    assert compare_payloads(recorded, now, "StartTransaction reply", ids) == []
    assert compare_payloads(boot_then, boot_now, "BootNotification reply", ids) == []
    # 1.6 §6.49: the StopTransaction of the replay names the transaction the CSMS assigned now.
    assert ids.apply({"transactionId": 7, "meterStop": 5}) == {"transactionId": 42, "meterStop": 5}
    assert ids.apply({"transactionId": "7"}) == {"transactionId": "7"}  # another id: untouched


def test_a_changed_status_a_vanished_field_and_a_longer_list_are_each_a_difference():
    ids = IdMap()
    found = compare_payloads(
        {"idTagInfo": {"status": "Accepted", "expiryDate": "2030-01-01T00:00:00Z"}, "l": [1]},
        {"idTagInfo": {"status": "Blocked"}, "l": [1, 2]},
        "Authorize reply",
        ids,
    )

    assert [d.describe() for d in found] == [
        "Authorize reply: idTagInfo.expiryDate: recorded 2030-01-01T00:00:00Z, now (absent)",
        "Authorize reply: idTagInfo.status: recorded Accepted, now Blocked",
        "Authorize reply: l (length): recorded 1, now 2",
    ]


def test_timestamps_move_to_the_replay_day_keeping_their_spacing():
    from datetime import timedelta

    moved = shift_timestamps(
        {
            "timestamp": "2026-05-04T10:00:00Z",
            "meterValue": [{"timestamp": "2026-05-04T10:01:00Z"}],
        },
        timedelta(days=1, hours=2),
    )

    assert moved == {
        "timestamp": "2026-05-05T12:00:00.000Z",
        "meterValue": [{"timestamp": "2026-05-05T12:01:00.000Z"}],
    }


def test_a_201_meter_value_is_scaled_by_its_unit_multiplier_and_placed_on_its_evse():
    from bench.bundle.meter import meter_trace

    event = {
        "eventType": "Updated",
        "timestamp": "2026-05-04T10:01:00Z",
        "triggerReason": "MeterValuePeriodic",
        "seqNo": 2,
        "transactionInfo": {"transactionId": "tx-1", "chargingState": "Charging"},
        "evse": {"id": 2, "connectorId": 1},
        "meterValue": [
            {
                "timestamp": "2026-05-04T10:01:00Z",
                "sampledValue": [
                    {"value": 7.2, "measurand": "Power.Active.Import",
                     "unitOfMeasure": {"unit": "W", "multiplier": 3}},
                ],
            }
        ],
    }  # fmt: skip

    (sample,) = meter_trace([frame(60, "tx", "CALL", "e", "TransactionEvent", event)])

    # 2.0.1 UnitOfMeasureType: 7.2 x 10^3 W.
    assert (sample["place"], sample["transaction"], sample["value"]) == (2, "tx-1", 7200.0)


def test_export_takes_a_scenario_and_conformance_results_from_files_and_show_prints_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    db = open_database(tmp_path / "proxy.db")
    log = MessageLog(db)
    for rec in SESSION:
        log.record(rec)
    log.flush()
    db.close()
    (tmp_path / "steps.txt").write_text("plug 1\npresent T\n")
    (tmp_path / "results.json").write_text(json.dumps({"cases": [{"case_id": "TC_B_01_CSMS"}]}))
    out = tmp_path / "cp9.bundle"

    code = main(
        ["bundle", "export", "--db", str(tmp_path / "proxy.db"), "--station", "CP-9",
         "--out", str(out), "--scenario", str(tmp_path / "steps.txt"),
         "--results", str(tmp_path / "results.json")]
    )  # fmt: skip

    assert code == 0
    printed = capsys.readouterr().out
    assert f"7 frames of CP-9 written to {out}" in printed
    assert "no template: the database has no run record" in printed
    bundle = read_bundle(out)
    assert bundle.scenario == "plug 1\npresent T"
    assert bundle.conformance == {"cases": [{"case_id": "TC_B_01_CSMS"}]}
    assert set(bundle.missing) == {"template", "settings"}

    assert main(["bundle", "show", str(out)]) == 0
    manifest = json.loads(capsys.readouterr().out)
    assert manifest["contents"] == [
        "frames.jsonl",
        "meter.json",
        "scenario.txt",
        "conformance.json",
    ]
    assert manifest["source"] == "log" and manifest["frames"] == 7


def test_a_proxy_log_of_both_legs_becomes_the_charger_legs_frames_from_the_chargers_side():
    from dataclasses import dataclass

    from bench.bundle.sides import station_view

    # The proxy's records carry the leg they were seen on (its log, issue 17 part 1);
    # on each leg, rx is what reached the proxy. Until that lands, a record with a leg.
    @dataclass(slots=True)
    class ProxyRecord(FrameRecord):
        leg: str | None = None

    record: Any = FrameRecord if "leg" in FrameRecord.__slots__ else ProxyRecord

    def seen(leg: str, direction: str, kind: str, payload: dict) -> Any:
        return record(T0, "CP-9", direction, kind, "a", "BootNotification", payload, True, leg=leg)

    logged = [
        seen("charger", "rx", "CALL", BOOT),
        seen("csms", "tx", "CALL", BOOT),
        seen("csms", "rx", "CALLRESULT", BOOTED),
        seen("charger", "tx", "CALLRESULT", BOOTED),
    ]

    view = station_view(logged)

    assert [(r.leg, r.direction, r.type) for r in view] == [
        ("charger", "tx", "CALL"),
        ("charger", "rx", "CALLRESULT"),
    ]
