"""File ▸ Export session… and File ▸ Open session bundle… in the desktop app (issue 17)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtWidgets import QAbstractButton

from bench.bundle.format import Bundle, read_bundle, write_bundle
from bench.kernel.frames import FrameRecord
from bench.workspace import DEMO_STATION_ID
from tests.ui.conftest import running_app, wait_until
from tests.ui.test_stations import demo_booted

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC).timestamp()


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(T0 + seconds, UTC).isoformat().replace("+00:00", "Z")


def _call(n: int, at: float, action: str, payload: dict) -> list[FrameRecord]:
    """A station CALL and the CSMS's empty-enough reply, as a station logs them."""
    replies = {
        "StartTransaction": {"transactionId": 41, "idTagInfo": {"status": "Accepted"}},
        "StopTransaction": {},
    }
    return [
        FrameRecord(T0 + at, "REC-9", "tx", "CALL", f"m{n}", action, payload, True),
        FrameRecord(
            T0 + at + 0.01,
            "REC-9",
            "rx",
            "CALLRESULT",
            f"m{n}",
            action,
            replies.get(action, {}),
            True,
            latency_ms=10.0,
        ),
    ]


def _meter(kw: float, wh: float, at: float) -> dict:
    return {
        "connectorId": 1,
        "transactionId": 41,
        "meterValue": [
            {
                "timestamp": _iso(at),
                "sampledValue": [
                    {"value": str(wh), "unit": "Wh"},
                    {"value": str(kw * 1000), "measurand": "Power.Active.Import", "unit": "W"},
                ],
            }
        ],
    }


def _status(status: str) -> dict:
    return {"connectorId": 1, "status": status, "errorCode": "NoError"}


def recorded_session() -> Bundle:
    """A 1.6 session recorded on connector 1: charging at 7.2 kW for three minutes."""
    frames: list[FrameRecord] = []
    start = {"connectorId": 1, "idTag": "TAG9", "meterStart": 1000, "timestamp": _iso(5)}
    steps = [
        (0, "StatusNotification", _status("Preparing")),
        (5, "StartTransaction", start),
        (6, "StatusNotification", _status("Charging")),
        (65, "MeterValues", _meter(7.2, 1120, 65)),
        (125, "MeterValues", _meter(7.2, 1240, 125)),
        (185, "MeterValues", _meter(3.6, 1300, 185)),
    ]
    for n, (at, action, payload) in enumerate(steps):
        frames += _call(n, at, action, payload)
    settings = [{"name": "HeartbeatInterval", "value": "300", "writable": True, "secret": False}]
    return Bundle(
        "REC-9",
        "1.6",
        frames,
        "2026-05-04T12:00:00+00:00",
        "run",
        template={"name": "ac-11kw", "current_type": "AC", "phases": 3},
        ev_template="family-ev",
        settings=settings,
        scenario="plug 1\npresent TAG9",
    )


async def test_export_session_writes_the_selected_station_with_its_template_and_settings(
    qtbot, tmp_path: Path
):
    async with running_app(qtbot, tmp_path) as window:
        await demo_booted(window)
        file_menu = window.menuBar().actions()[0].menu()
        assert "Export session…" in [a.text() for a in file_menu.actions()]
        out = tmp_path / "demo.bundle"

        assert window.bundles.export_to(out)

        bundle = read_bundle(out)
        assert bundle.station == DEMO_STATION_ID
        boots = [f for f in bundle.frames if f.action == "BootNotification"]
        assert boots[0].direction == "tx" and boots[0].type == "CALL"
        run = window.workspace.stations[DEMO_STATION_ID]
        assert bundle.template is not None
        assert bundle.template["name"] == run.station.template.name
        assert bundle.settings and any(s["name"] == "HeartbeatInterval" for s in bundle.settings)
        assert "Exported" in window.statusBar().currentMessage()


async def test_an_opened_bundle_shows_its_log_cards_and_graphs_read_only(qtbot, tmp_path: Path):
    path = write_bundle(recorded_session(), tmp_path / "rec.bundle")
    async with running_app(qtbot, tmp_path) as window:
        shown = window.bundles.open_path(path)
        assert shown is not None
        try:
            # The log: every recorded frame, in the same view as the live log.
            await wait_until(lambda: shown.log_panel.model.rowCount() == 12, what="12 rows")
            # The card: the last status and the transaction, with no button to press.
            (card,) = shown.cards
            assert card.status.text() == "Charging"
            assert card.values["transaction"].text().startswith("41")
            assert card.values["tag"].text() == "TAG9"
            assert card.values["energy"].text() == "0.30 kWh"  # 1300 Wh - meterStart 1000 Wh
            assert card.findChildren(QAbstractButton) == []
            # The graphs: the recorded power, sample by sample.
            buffer = shown.graphs.buffer
            assert buffer is not None
            assert list(buffer.column("power_kw"))[-3:] == [7.2, 7.2, 3.6]
            await wait_until(lambda: "power drawn" in shown.graphs.legend_text("power"))
            # No offered limit was recorded: the legend names no line that is not drawn.
            assert "limit" not in shown.graphs.legend_text("power")
            assert shown.settings_table.rowCount() == 1
        finally:
            shown.close()


async def test_a_file_that_is_not_a_bundle_is_refused_in_the_status_bar(qtbot, tmp_path: Path):
    junk = tmp_path / "junk.bundle"
    junk.write_text("not a bundle")
    async with running_app(qtbot, tmp_path) as window:
        assert window.bundles.open_path(junk) is None
        assert "not a zip file" in window.statusBar().currentMessage()
