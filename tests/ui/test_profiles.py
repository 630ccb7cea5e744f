"""CSMS profiles: the dialog, the step-by-step connection test, and what survives a restart."""

from __future__ import annotations

import logging
import socket

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QLineEdit

from bench.csms.config import CsmsConfig
from bench.csms.server import CentralSystem
from bench.ocpp.probe import Step, Verdict
from bench.workspace import BUILTIN_PROFILE, DEMO_STATION_ID
from tests.ui.conftest import running_app, wait_until
from tests.ui.test_stations import badge, demo_booted, ids

PASSWORD = "lab-authorization-key-0042"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fill(dialog, *, name: str, url: str, level: int, password: str = "") -> None:
    dialog.new_profile()
    dialog.name.setText(name)
    dialog.url.setText(url)
    dialog.security.setCurrentIndex(dialog.security.findData(level))
    dialog.password.setText(password)


async def run_test(qtbot, dialog, station_id: str):
    dialog.probe_id.setText(station_id)
    dialog.last_report = None  # the click starts the test on the next turn of the loop
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    await wait_until(lambda: dialog.last_report is not None, what="the connection test verdict")
    return dialog.last_report


def row_text(dialog, step: Step) -> tuple[str, str]:
    row = list(Step).index(step)
    return dialog.steps.item(row, 0).text(), dialog.steps.item(row, 1).text()


async def test_test_connection_against_the_built_in_csms_passes_every_step(qtbot, tmp_path):
    """OCPP-J 1.6 §3 (upgrade, subprotocol ocpp1.6) and 1.6 §4.2 BootNotification Accepted."""
    async with running_app(qtbot, tmp_path) as window:
        await demo_booted(window)
        dialog = window.station_actions.open_profiles_dialog()
        assert dialog.current_profile().name == BUILTIN_PROFILE
        assert not dialog.url.isEnabled()  # the built-in profile is read-only
        assert dialog.url.text() == window.workspace.csms_url
        assert dialog.probe_id.text() == DEMO_STATION_ID  # a station that uses the profile
        report = await run_test(qtbot, dialog, "PROBE-BUILTIN")
        assert report.ok
        assert dialog.verdict.text().startswith("✔ Connection works: Accepted")
        for step in (Step.RESOLVE, Step.TCP, Step.UPGRADE, Step.SUBPROTOCOL, Step.BOOT):
            title, _detail = row_text(dialog, step)
            assert title.startswith("✔"), (step, title)
        assert row_text(dialog, Step.TLS)[0].startswith("–")
        assert "ocpp1.6" in row_text(dialog, Step.SUBPROTOCOL)[1]

        # Security profile 1 (Basic auth over ws://) to the built-in CSMS, which asks
        # for no credentials: the upgrade carries them and boot is still accepted.
        fill(
            dialog,
            name="Built-in, profile 1",
            url=window.workspace.csms_url,
            level=1,
            password=PASSWORD,
        )
        report = await run_test(qtbot, dialog, "PROBE-SP1")
        assert report.ok, report.summary()
        assert "with Basic auth" in report.result(Step.UPGRADE).detail
        dialog.reject()


async def test_a_refused_port_and_a_wrong_password_fail_at_the_right_step(qtbot, tmp_path):
    """Refused: TCP step. Wrong password: the WebSocket upgrade answers HTTP 401
    (whitepaper §2.3, A00.FR.203); the message says which and why, never the password."""
    config = CsmsConfig(basic_auth={"LAB-CP-1": PASSWORD})
    async with CentralSystem(config) as lab, running_app(qtbot, tmp_path) as window:
        await demo_booted(window)
        dialog = window.station_actions.open_profiles_dialog()

        fill(dialog, name="Nowhere", url=f"ws://127.0.0.1:{free_port()}/ocpp", level=0)
        report = await run_test(qtbot, dialog, "LAB-CP-1")
        assert report.failed.step is Step.TCP
        title, detail = row_text(dialog, Step.TCP)
        assert title.startswith("✘") and "connection refused" in detail
        assert row_text(dialog, Step.BOOT)[0].startswith("·")  # not run
        assert dialog.verdict.text().startswith("✘ TCP connect failed: connection refused")

        fill(dialog, name="Lab", url=lab.url, level=1, password="not-the-key")
        report = await run_test(qtbot, dialog, "LAB-CP-1")
        assert report.failed.step is Step.UPGRADE
        assert row_text(dialog, Step.TCP)[0].startswith("✔")
        title, detail = row_text(dialog, Step.UPGRADE)
        assert title.startswith("✘") and "HTTP 401" in detail and "check the password" in detail
        assert "not-the-key" not in dialog.verdict.text()

        dialog.password.setText(PASSWORD)
        report = await run_test(qtbot, dialog, "LAB-CP-1")
        assert report.ok, report.summary()

        fill(dialog, name="Broken", url="http://example.org", level=0)
        qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
        await wait_until(lambda: "ws:// or wss://" in dialog.verdict.text(), what="URL error")
        dialog.reject()


async def test_the_password_is_masked_and_never_reaches_the_message_log_or_the_logs(
    qtbot, tmp_path, caplog
):
    """A station on a profile-1 profile boots with the password (whitepaper A00.FR.203),
    yet no frame in the message log and no log record contains it."""
    caplog.set_level(logging.DEBUG)
    config = CsmsConfig(basic_auth={"LAB-CP-1": PASSWORD})
    async with CentralSystem(config) as lab, running_app(qtbot, tmp_path) as window:
        await demo_booted(window)
        dialog = window.station_actions.open_profiles_dialog()
        fill(dialog, name="Lab", url=lab.url, level=1, password=PASSWORD)
        assert dialog.password.echoMode() is QLineEdit.EchoMode.Password
        assert dialog.save_current(), dialog.form_note.text()
        dialog.reject()

        add = window.station_actions.open_add_dialog()
        add.station_id.setText("LAB-CP-1")
        add.profile.setCurrentIndex(add.profile.findData("Lab"))
        add.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
        await wait_until(lambda: badge(window, "LAB-CP-1") == "booted", what="LAB-CP-1 booted")
        assert "LAB-CP-1" in lab.connected_stations()
        for run in window.workspace.stations.values():
            run.message_log.flush()
        rows = window.workspace.db.execute("SELECT payload, error FROM messages").fetchall()
        assert rows and not any(PASSWORD in (p or "") + (e or "") for p, e in rows)
    assert not any(PASSWORD in record.getMessage() for record in caplog.records)


async def test_stations_and_profiles_come_back_after_a_restart_on_the_same_data_dir(
    qtbot, tmp_path
):
    """Everything set up in one run (stations with their template, EV, profile, speed and
    stopped state; the CSMS profiles with their password) is there on the next start."""
    config = CsmsConfig(basic_auth={"LAB-CP-1": PASSWORD})
    async with CentralSystem(config) as lab:
        async with running_app(qtbot, tmp_path) as window:
            await demo_booted(window)
            workspace = window.workspace
            dialog = window.station_actions.open_profiles_dialog()
            fill(dialog, name="Lab", url=lab.url, level=1, password=PASSWORD)
            assert dialog.save_current()
            dialog.reject()
            add = window.station_actions.open_add_dialog()
            add.template.setCurrentIndex(add.template.findData("ac-22kw-dual"))
            add.station_id.setText("LAB-CP-1")
            add.ev.setCurrentIndex(add.ev.findData("compact-ev"))
            add.profile.setCurrentIndex(add.profile.findData("Lab"))
            add.speed.setValue(30.0)
            add.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
            await wait_until(lambda: badge(window, "LAB-CP-1") == "booted", what="lab booted")
            window.station_list.select_station(DEMO_STATION_ID)
            window.station_actions.start_stop_action.trigger()
            await wait_until(lambda: badge(window, DEMO_STATION_ID) == "stopped", what="stop")
            assert workspace.records[DEMO_STATION_ID].running is False

        async with running_app(qtbot, tmp_path) as window:
            workspace = window.workspace
            await wait_until(lambda: len(ids(window)) == 2, what="two restored stations")
            assert ids(window) == [DEMO_STATION_ID, "LAB-CP-1"]
            record = workspace.records["LAB-CP-1"]
            assert (record.template, record.ev_template, record.profile, record.speed) == (
                "ac-22kw-dual",
                "compact-ev",
                "Lab",
                30.0,
            )
            profile = workspace.profile("Lab")
            assert profile.password == PASSWORD and profile.security_profile == 1
            assert [p.name for p in workspace.profiles()] == [BUILTIN_PROFILE, "Lab"]
            await wait_until(lambda: badge(window, "LAB-CP-1") == "booted", what="lab rebooted")
            assert badge(window, DEMO_STATION_ID) == "stopped"  # it stays as the user left it
            assert not workspace.is_running(DEMO_STATION_ID)
            window.station_list.select_station(DEMO_STATION_ID)
            assert window.station_actions.start_stop_action.text() == "Start"
            window.station_actions.start_stop_action.trigger()
            await wait_until(lambda: badge(window, DEMO_STATION_ID) == "booted", what="started")
            # The built-in CSMS got a new port on this start; the station followed it.
            assert workspace.stations[DEMO_STATION_ID].options.csms_url == workspace.csms_url


async def test_a_profile_in_use_cannot_be_deleted_and_the_built_in_one_cannot_be_edited(
    qtbot, tmp_path
):
    async with running_app(qtbot, tmp_path) as window:
        await demo_booted(window)
        workspace = window.workspace
        dialog = window.station_actions.open_profiles_dialog()
        assert not dialog.delete_button.isEnabled()
        assert not dialog.save_button.isEnabled()
        fill(dialog, name="Spare", url="ws://127.0.0.1:9/ocpp", level=0)
        assert dialog.save_current()
        assert dialog.current_profile().name == "Spare"
        fill(dialog, name="Spare", url="ws://127.0.0.1:9/other", level=0)
        assert not dialog.save_current()  # a new profile may not take a used name
        assert "already exists" in dialog.form_note.text()
        dialog.select_profile("Spare")
        dialog.url.setText("ws://127.0.0.1:10/ocpp")
        dialog.name.setText("Spare renamed")
        assert dialog.save_current()
        assert [p.name for p in workspace.profiles()] == [BUILTIN_PROFILE, "Spare renamed"]
        await workspace.add_station("SPARE-1", "ac-11kw", profile="Spare renamed")
        dialog.select_profile("Spare renamed")
        dialog.delete_current()
        assert "used by 1 station" in dialog.form_note.text()
        await workspace.remove_station("SPARE-1")
        dialog.delete_current()
        assert [p.name for p in workspace.profiles()] == [BUILTIN_PROFILE]
        dialog.reject()
        assert Verdict.OK  # the enum is importable by the UI layer
