"""Network faults from the app: the station view's "Network faults" menu (issue 17).

Real app offscreen, real built-in CSMS on 127.0.0.1, a 1.6 and a 2.0.1 station.
"""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QInputDialog

from tests.ui.conftest import running_app, wait_until
from tests.ui.test_station_reboot import add_station


def preset(view, label: str):
    (action,) = [a for a in view.faults_button.menu().actions() if a.text() == label]
    return action


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_a_dns_fault_from_the_menu_keeps_the_station_offline_until_cleared(
    qtbot, tmp_path, version: str
) -> None:
    station_id = f"NF-{version.replace('.', '')}"
    async with running_app(qtbot, tmp_path) as window:
        view = await add_station(window, station_id, version)
        cp = view.cp
        assert view.faults_button.text() == "Network faults"
        assert view.header.values["faults"].text() == "off"

        preset(view, "DNS name stops resolving").trigger()
        view.network_button.click()  # cut, then restore: the next connect meets the fault
        await wait_until(lambda: not cp.accepted, what="offline")
        view.network_button.click()
        header = view.header.values
        await wait_until(
            lambda: "cannot resolve host name" in header["csms"].text(), what="the DNS failure"
        )
        assert header["faults"].text() == "dnsfail"
        assert view.faults_button.text() == "Network faults: on"
        assert not cp.accepted

        view.faults_button.clear_action.trigger()
        await wait_until(lambda: cp.accepted, what="back online")
        await wait_until(lambda: header["faults"].text() == "off", what="the header")
        assert view.faults_button.text() == "Network faults"


async def test_a_custom_fault_adds_to_the_ones_in_force_and_a_bad_one_is_reported(
    qtbot, tmp_path, monkeypatch
) -> None:
    async with running_app(qtbot, tmp_path) as window:
        view = await add_station(window, "NF-CUSTOM", "1.6")
        preset(view, "Latency 800 ms ± 200 ms").trigger()
        answers = iter([("loss 5%", True), ("loss lots", True)])
        monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: next(answers))

        view.faults_button.custom_action.trigger()
        assert view.cp.impairment().describe() == "latency 800ms jitter 200ms, loss 5%"
        await wait_until(
            lambda: "loss 5%" in view.header.values["faults"].text(), what="the header"
        )

        view.faults_button.custom_action.trigger()
        assert "loss: expected a percentage" in window.statusBar().currentMessage()
        assert view.cp.impairment().describe() == "latency 800ms jitter 200ms, loss 5%"
        view.faults_button.clear_action.trigger()
