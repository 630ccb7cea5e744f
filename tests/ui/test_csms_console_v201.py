"""The CSMS console offers each station the requests of the OCPP version it speaks (issue 5)."""

from __future__ import annotations

from bench.model.clock import SystemClock
from bench.model.templates import build_station
from bench.ocpp.v201.charge_point import SUBPROTOCOL, ChargePoint201
from bench.store.db import open_database
from bench.transport.config import LinkConfig
from bench.workspace import DEMO_STATION_ID
from tests.ui.conftest import running_app, wait_until


def _actions(console) -> list[str]:
    combo = console.action_combo
    return [combo.itemData(i) for i in range(combo.count()) if combo.itemData(i) is not None]


async def test_a_2_0_1_station_gets_2_0_1_requests_and_the_demo_station_1_6_ones(qtbot, tmp_path):
    async with running_app(qtbot, tmp_path) as window:
        csms = window.workspace.csms
        db = open_database(tmp_path / "cs201.db")
        station = build_station("CS201", "ac-11kw", SystemClock())
        link = LinkConfig(url=csms.url, station_id="CS201", subprotocol=SUBPROTOCOL)
        cp = ChargePoint201(station, link, db=db, call_timeout=5.0)
        try:
            await cp.start()
            await cp.wait_accepted(15)
            console = await wait_until(lambda: window.csms_console, what="the console")
            console.refresh()
            console.select_station("CS201")
            assert console.version == "2.0.1"
            offered = _actions(console)
            assert "GetVariables" in offered and "RemoteStartTransaction" not in offered
            assert console.current_action() == "RequestStartTransaction"
            console.select_action("GetVariables")
            assert console.editor.valid
            assert "OCPP 2.0.1 schema" in console.editor.status.text()
            outcome = await console.send()
            assert outcome is not None and outcome.ok, outcome
            assert outcome.payload["getVariableResult"][0]["attributeStatus"] == "Accepted"

            await csms.wait_for_station(DEMO_STATION_ID, timeout=15, accepted=True)
            console.refresh()
            console.select_station(DEMO_STATION_ID)
            assert console.version == "1.6"
            assert "RemoteStartTransaction" in _actions(console)
            assert "OCPP 1.6 schema" in console.editor.status.text()
        finally:
            await cp.stop(drain_timeout=1.0)
            db.close()
