"""Tools ▸ Load test… (issue 16): a local Locust run against the app's built-in CSMS.

Real parts: the app's built-in CSMS on 127.0.0.1, ``ocpp-bench load --processes 2``
as a child process (a master and two workers), Locust's real web UI on a free
port. The test does what a user does in the browser the app opens: press Start
(the web UI's form, posted to /swarm) and read the statistics (/stats/requests).
"""

from __future__ import annotations

import asyncio
import json
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QUrl

from bench.load.local import LoadRequest
from tests.ui.conftest import running_app
from ui.views.load_dialog import LoadTestDialog

STATIONS = 10


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as reply:  # loopback only
        return json.loads(reply.read())


def _post(url: str, form: dict[str, str]) -> Any:
    data = urllib.parse.urlencode(form).encode()
    with urllib.request.urlopen(url, data=data, timeout=5) as reply:
        return json.loads(reply.read())


def _booted(stats: dict[str, Any]) -> int:
    return sum(
        int(e["num_requests"])
        for e in stats["stats"]
        if e["method"] == "CALL" and e["name"] == "BootNotification"
    )


@pytest.mark.timeout(150)
async def test_a_load_test_opens_locust_web_ui_and_its_stations_stay_out_of_the_station_list(
    qtbot, tmp_path: Path
):
    async with running_app(qtbot, tmp_path) as win:
        menu = win.load_test
        opened: list[QUrl] = []
        menu.open_url = opened.append
        stations_before = win.station_model.rowCount()
        builtin = win.workspace.profiles()[0]
        assert builtin.builtin
        try:
            run = await menu.start(
                LoadRequest(builtin, stations=STATIONS, spawn_rate=10, mix="boot-storm")
            )
            assert [u.toString() for u in opened] == [run.url]
            assert menu.stop_action.isEnabled()
            # The user presses Start in the web UI, then watches the table fill.
            await asyncio.to_thread(
                _post, run.url + "swarm", {"user_count": str(STATIONS), "spawn_rate": "10"}
            )
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 90
            stats: dict[str, Any] = {}
            for _ in range(1000):
                stats = await asyncio.to_thread(_get, run.url + "stats/requests")
                if _booted(stats) >= STATIONS or loop.time() > deadline:
                    break
                await asyncio.sleep(0.5)
            assert _booted(stats) == STATIONS
            assert stats["fail_ratio"] == 0
            assert win.station_model.rowCount() == stations_before
        finally:
            await menu.stop()
        assert not run.running
        assert not menu.stop_action.isEnabled()


def test_the_load_test_form_names_the_chosen_profile_mix_and_workers(qtbot, tmp_path: Path):
    from bench.store.workspace import CsmsProfile

    profiles = [CsmsProfile("lab", "ws://127.0.0.1:9/", ocpp_version="2.0.1")]
    dialog = LoadTestDialog(profiles)
    qtbot.addWidget(dialog)
    dialog.stations.setValue(250)
    dialog.mix.setCurrentText("reconnect-storm")
    dialog.workers.setValue(3)
    request = dialog.request()
    assert (request.profile.name, request.stations, request.mix, request.processes) == (
        "lab",
        250,
        "reconnect-storm",
        3,
    )
