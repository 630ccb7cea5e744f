"""Gap closed in block N: NotifyEvents queued while offline survive a restart (N07.FR.04)."""

from __future__ import annotations

from pathlib import Path

from bench.csms.server import CentralSystem
from tests.e2e.conftest import WAIT, ev, wait_until
from tests.e2e.v201.conftest import Cp201Factory, request
from tests.e2e.v201.test_monitoring_support import monitor

CONNECTOR1 = {"name": "Connector", "evse": {"id": 1, "connectorId": 1}}


async def test_events_queued_offline_are_sent_after_a_restart(
    csms: CentralSystem, make_cp201: Cp201Factory, tmp_path: Path
) -> None:
    """N07.FR.04: offline, events as severe as OfflineQueuingSeverity or more are queued and
    the others dropped; the queue is kept in SQLite, so after a power cycle the kept events
    (same eventId) reach the CSMS once the station is accepted, and leave the store."""
    db = tmp_path / "keep.db"
    cp = await make_cp201(
        csms.url, "MQ1", db_path=db, variables={"MonitoringCtrlr.OfflineQueuingSeverity": "3"}
    )
    data = [monitor(CONNECTOR1, "AvailabilityState", "Delta", 1, 6)]  # too mild to queue
    reply = await csms.call("MQ1", "SetVariableMonitoring", {"setMonitoringData": data})
    mild = reply["setMonitoringResult"][0]["id"]
    cp.cut_network()
    await wait_until(lambda: not cp.online, what="offline")
    cp.station.connector(1).plug_in(ev())
    cp.station.connector(1).raise_fault("ground_failure")  # Problem: severity 2, kept

    def stored_problem() -> dict | None:
        rows = cp.monitoring.sender.store.load()
        return next((d for d, _s in rows if d["variable"]["name"] == "Problem"), None)

    kept = await wait_until(stored_problem, what="the Problem event stored")
    assert kept["actualValue"] == "true"
    assert all(severity <= 3 for _d, severity in cp.monitoring.sender.store.load())
    assert cp.monitoring.sender.dropped >= 1
    await cp.stop(drain_timeout=1.0)
    await csms.wait_for_disconnect("MQ1")
    mark = csms.mark()

    again = await make_cp201(csms.url, "MQ1", db_path=db)
    sent = await csms.wait_for_message(
        "MQ1",
        "NotifyEvent",
        lambda p: any(e["eventId"] == kept["eventId"] for e in p["eventData"]),
        timeout=WAIT,
        since=mark,
    )
    event = next(e for e in sent["eventData"] if e["eventId"] == kept["eventId"])
    assert (event["component"], event["techCode"]) == (CONNECTOR1, "GF-01")
    everything = [e for p in request(again, "NotifyEvent") for e in p["eventData"]]
    assert all(e.get("variableMonitoringId") != mild for e in everything)
    await wait_until(lambda: len(again.monitoring.sender.store) == 0, what="store emptied")
    assert again.monitoring.sender.next_event_id() > kept["eventId"]


async def test_events_delivered_online_are_not_stored(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """N07.FR.04 applies to offline queuing only: online events go out without a write."""
    cp = await make_cp201(csms.url, "MQ2")
    cp.station.connector(1).raise_fault("ground_failure")
    await csms.wait_for_message(
        "MQ2",
        "NotifyEvent",
        lambda p: any(e["variable"]["name"] == "Problem" for e in p["eventData"]),
        timeout=WAIT,
    )
    assert len(cp.monitoring.sender.store) == 0
