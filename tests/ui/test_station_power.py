"""Power cut and power restore from the app, for a 1.6 and a 2.0.1 station.

The station view's power button runs ``ui.operations.station.power_cut`` /
``power_restore``, which call the charge point API's ``power_cut()`` /
``power_restore()``: each version ends its transactions with its own PowerLoss
reason (sent once the station is back) and boots with its power-up reason. Real
app offscreen, real built-in CSMS on 127.0.0.1, stations at 60x speed so the
5 s boot duration passes quickly.
"""

from __future__ import annotations

import pytest

from tests.ui.conftest import running_app, wait_until
from tests.ui.test_station_reboot import TAG, add_station, ended
from ui.operations import connector as connector_ops
from ui.operations import station as station_ops


@pytest.mark.parametrize(
    ("version", "boot_reason"),
    [
        ("1.6", None),  # 1.6 §7.36 Reason PowerLoss; BootNotification has no reason
        ("2.0.1", "PowerUp"),  # ReasonEnumType PowerLoss; BootReasonEnumType PowerUp (B01)
    ],
)
async def test_power_cut_keeps_the_station_dark_until_restored_then_it_reports_power_loss(
    qtbot, tmp_path, version: str, boot_reason: str | None
) -> None:
    station_id = f"PW-{version.replace('.', '')}"
    async with running_app(qtbot, tmp_path) as window:
        view = await add_station(window, station_id, version)
        cp, csms = view.cp, window.workspace.csms
        connector_ops.plug_in(cp, 1, "family-ev")
        station_ops.present_card(cp, TAG, 1)
        await wait_until(lambda: cp.station.connector(1).transaction is not None, what="charging")
        boots = csms.station(station_id).boot_count
        mark = csms.mark()
        assert view.power_button.text() == "Power cut"

        view.power_button.click()  # the user's click: ui.operations.station.power_cut

        await wait_until(
            lambda: view.power_button.text() == "Power restore" and view.power_button.isEnabled(),
            what="power cut",
        )
        assert not cp.power().on
        assert csms.protocol_version(station_id) is None  # the link went down with the power
        assert csms.station(station_id).boot_count == boots

        view.power_button.click()  # ui.operations.station.power_restore

        boot = await csms.wait_for_message(station_id, "BootNotification", timeout=15, since=mark)
        if boot_reason is not None:
            assert boot["reason"] == boot_reason
        action, is_end = ended(version)
        end = await csms.wait_for_message(station_id, action, is_end, timeout=15, since=mark)
        reason = end["reason"] if version == "1.6" else end["transactionInfo"]["stoppedReason"]
        assert reason == "PowerLoss"
        await wait_until(
            lambda: cp.accepted and view.power_button.text() == "Power cut", what="back"
        )
        assert view.power_button.isEnabled()
        assert csms.station(station_id).boot_count == boots + 1
