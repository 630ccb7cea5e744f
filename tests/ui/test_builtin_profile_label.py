"""The built-in CSMS is labelled with both versions it serves, not "OCPP 1.6".

It answers each station in the subprotocol it connects with (ocpp1.6 or
ocpp2.0.1); its profile's stored version is only the default for new stations.
"""

from __future__ import annotations

from PySide6.QtCore import Qt

from bench.workspace import BUILTIN_PROFILE
from tests.ui.conftest import running_app
from tests.ui.test_stations import demo_booted


async def test_the_profiles_dialog_labels_the_built_in_csms_with_both_versions(qtbot, tmp_path):
    async with running_app(qtbot, tmp_path) as window:
        await demo_booted(window)
        dialog = window.station_actions.open_profiles_dialog()
        assert dialog.current_profile().name == BUILTIN_PROFILE
        assert dialog.ocpp.currentText() == "OCPP 1.6 and 2.0.1"
        tooltip = dialog.model.index(0).data(Qt.ItemDataRole.ToolTipRole)
        assert "OCPP 1.6 and 2.0.1" in tooltip and "OCPP 1.6 ·" not in tooltip
        # A profile of the user's names one version; the built-in entry is not offered.
        dialog.new_profile()
        assert dialog.ocpp.currentText() == "OCPP 1.6"
        offered = [
            dialog.ocpp.itemText(i)
            for i in range(dialog.ocpp.count())
            if not dialog.ocpp.view().isRowHidden(i)
        ]
        assert "OCPP 1.6 and 2.0.1" not in offered
        dialog.reject()


async def test_adding_a_2_0_1_station_shows_the_built_in_csms_serving_both_versions(
    qtbot, tmp_path
):
    async with running_app(qtbot, tmp_path) as window:
        await demo_booted(window)
        dialog = window.station_actions.open_add_dialog()
        dialog.profile.setCurrentIndex(dialog.profile.findData(BUILTIN_PROFILE))
        dialog.ocpp.setCurrentIndex(dialog.ocpp.findData("2.0.1"))
        dialog.ocpp.activated.emit(dialog.ocpp.currentIndex())
        assert "OCPP 1.6 and 2.0.1" in dialog.profile_hint.text()
        assert "OCPP 1.6 ·" not in dialog.profile_hint.text()
        tooltip = dialog.profile.itemData(
            dialog.profile.findData(BUILTIN_PROFILE), Qt.ItemDataRole.ToolTipRole
        )
        assert "OCPP 1.6 and 2.0.1" in tooltip
        dialog.reject()
