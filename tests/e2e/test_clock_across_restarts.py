"""A station's virtual clock never runs backwards across restarts (issue 11 #8).

At speed > 1 the virtual clock runs ahead of real time; a new process used to
start it again from real time, so the PowerLoss stop of a transaction left
open was stamped before that transaction's own start. The restarted station
now resumes from the last instant its database holds.
"""

from __future__ import annotations

from datetime import datetime

from tests.e2e.conftest import db_file, kill, start_charging, stopped

SPEED = 600.0


async def test_a_power_loss_stop_is_never_stamped_before_its_start(csms, make_cp) -> None:
    cp = await make_cp(csms.url, speed=SPEED)
    await start_charging(cp, csms)
    await cp.clock.sleep(120)  # two minutes ahead of real time, at least one sample saved
    last_written = cp.clock.now()
    await kill(cp)
    await make_cp(csms.url, db_path=db_file(cp), speed=SPEED)
    stop = await stopped(csms)
    assert stop["reason"] == "PowerLoss"
    stopped_at = datetime.fromisoformat(stop["timestamp"])
    (tx,) = csms.transactions("CP1")
    assert stopped_at >= datetime.fromisoformat(tx.start_ts)
    assert (last_written - stopped_at).total_seconds() < 60  # resumed, not restarted
