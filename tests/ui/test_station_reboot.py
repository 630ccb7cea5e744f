"""Reboot from the app, for a 1.6 and a 2.0.1 station (issue 10).

The station view's Reboot button runs ``ui.operations.station.reboot``, which says
what happens in version-neutral terms (the station restarts at the box); each
version words it itself. Before, the 1.6 stop reason "Reboot" reached a 2.0.1
BootNotification as its reason: the request failed its schema check and the
station stayed offline for good. Real app offscreen, real built-in CSMS on
127.0.0.1, stations at 60x speed so the 5 s boot duration passes quickly.
"""

from __future__ import annotations

from typing import Any

import pytest

from bench.workspace import BUILTIN_PROFILE
from tests.ui.conftest import running_app, wait_until
from ui.operations import connector as connector_ops
from ui.operations import station as station_ops
from ui.operations import stations as stations_ops

TAG = "DEMO-TAG-0001"  # accepted by the built-in CSMS of a first start


async def add_station(window: Any, station_id: str, version: str) -> Any:
    request = stations_ops.NewStation(
        station_id, "ac-11kw", "family-ev", BUILTIN_PROFILE, speed=60.0, ocpp_version=version
    )
    await stations_ops.add_stations(window.workspace, request)
    bridge = window.bridges[station_id]
    await wait_until(lambda: bridge.cp.accepted, what=f"{station_id} accepted")
    window.show_station(bridge)
    return window.current_view()


def ended(version: str) -> tuple[str, Any]:
    """The transaction-ending request of ``version`` and how to recognise it."""
    if version == "1.6":
        return "StopTransaction", lambda p: True
    return "TransactionEvent", lambda p: p["eventType"] == "Ended"


@pytest.mark.parametrize(
    ("version", "stop_reason", "boot_reason"),
    [
        ("1.6", "Reboot", None),  # 1.6 §7.36 Reason Reboot: "local reboot command"
        ("2.0.1", "Reboot", "LocalReset"),  # ReasonEnumType Reboot; BootReasonEnumType
    ],
)
async def test_reboot_from_the_app_ends_the_session_and_the_station_boots_again(
    qtbot, tmp_path, version: str, stop_reason: str, boot_reason: str | None
) -> None:
    station_id = f"RB-{version.replace('.', '')}"
    async with running_app(qtbot, tmp_path) as window:
        view = await add_station(window, station_id, version)
        cp, csms = view.cp, window.workspace.csms
        connector_ops.plug_in(cp, 1, "family-ev")
        station_ops.present_card(cp, TAG, 1)
        await wait_until(lambda: cp.station.connector(1).transaction is not None, what="charging")
        boots = csms.station(station_id).boot_count
        mark = csms.mark()

        view.reboot_button.click()  # the user's click: ui.operations.station.reboot

        action, is_end = ended(version)
        end = await csms.wait_for_message(station_id, action, is_end, timeout=15, since=mark)
        reason = end["reason"] if version == "1.6" else end["transactionInfo"]["stoppedReason"]
        assert reason == stop_reason
        boot = await csms.wait_for_message(station_id, "BootNotification", timeout=15, since=mark)
        if boot_reason is not None:
            assert boot["reason"] == boot_reason
        await wait_until(lambda: cp.accepted and view.reboot_button.isEnabled(), what="back")
        assert csms.station(station_id).boot_count == boots + 1
        assert cp.link_state == "connected"
