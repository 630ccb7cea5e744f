"""Issue 17: a session captured through the proxy replays like one the bench recorded.

A real station (``ocpp-bench run``, its own process) charges through the proxy to the
built-in CSMS; the proxy logs both legs into its SQLite file. That file is exported as
a bundle of the charger's side and replayed against a fresh built-in CSMS.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bench.bundle.format import read_bundle
from bench.csms.server import CentralSystem
from tests.e2e.proxy_support import ProxyFactory, make_proxy
from tests.e2e.test_bundle_replay import SCRIPT, SLACK, bench

__all__ = ["make_proxy"]  # the fixture, imported for pytest

MakeCsms = Callable[..., Awaitable[CentralSystem]]


@pytest.mark.timeout(240)
async def test_a_session_recorded_through_the_proxy_replays_with_no_differences(
    csms: CentralSystem, make_csms: MakeCsms, make_proxy: ProxyFactory, tmp_path: Path
) -> None:
    proxy = await make_proxy(csms.url)
    code, _, err = await bench(
        "run", "--csms", proxy.url, "--id", "FIELD-1", "--speed", "120",
        "--set", "boot_seconds=0", "--quiet", "--script", SCRIPT,
    )  # fmt: skip
    assert code == 0, err
    proxy.log.flush()  # the export reads the file from another process
    assert proxy.log.count(station="FIELD-1", action="StopTransaction") >= 2  # both legs
    bundle_file = tmp_path / "field.bundle"
    code, out, err = await bench(
        "bundle", "export", "--db", str(tmp_path / "proxy0.db"), "--station", "FIELD-1",
        "--out", str(bundle_file),
    )  # fmt: skip
    assert code == 0, out + err
    bundle = read_bundle(bundle_file)
    actions = [f.action for f in bundle.frames if f.type == "CALL" and f.direction == "tx"]
    # Each frame once, from the charger's side, although the proxy logged it on two legs.
    assert actions.count("StartTransaction") == 1 and actions.count("StopTransaction") == 1

    fresh = await make_csms(db_path=tmp_path / "fresh-csms.db")
    code, out, err = await bench(
        "replay", str(bundle_file), "--csms", fresh.url, "--speed", "1000", "--tolerance", SLACK
    )
    assert code == 0, out + err
    assert "no differences" in out
    transactions = fresh.transactions("FIELD-1")
    assert len(transactions) == 1 and transactions[0].stop_ts is not None
