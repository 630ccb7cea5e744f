"""2.0.1: the PowerLoss Ended event is never stamped before the events it ends (issue 11 #8)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from tests.e2e.conftest import ev, kill

SPEED = 600.0


async def test_a_power_loss_ended_event_is_never_stamped_before_the_last_event(
    csms, make_cp201, tmp_path: Path
) -> None:
    db = tmp_path / "clock.db"
    cp = await make_cp201(csms.url, "CK1", speed=SPEED, db_path=db)
    cp.station.connector(1).plug_in(ev())
    cp.present_id("TAG1")
    first = await csms.wait_for_message("CK1", "TransactionEvent", timeout=10)
    await cp.clock.sleep(120)  # two minutes ahead of real time
    await csms.wait_for_message(
        "CK1", "TransactionEvent", lambda p: p["eventType"] == "Updated", timeout=10
    )
    last_written = cp.clock.now()
    await kill(cp)  # type: ignore[arg-type]
    await make_cp201(csms.url, "CK1", speed=SPEED, db_path=db)
    ended = await csms.wait_for_message(
        "CK1", "TransactionEvent", lambda p: p["eventType"] == "Ended", timeout=10
    )
    assert ended["transactionInfo"]["stoppedReason"] == "PowerLoss"
    at = datetime.fromisoformat(ended["timestamp"])
    assert at >= datetime.fromisoformat(first["timestamp"])
    assert (last_written - at).total_seconds() < 60  # resumed, not restarted
