"""Device-model variables of the monitoring block (part 2 appendices §2.11, MonitoringCtrlr).

Severity numbers run from 0 (Danger) to 9 (Debug). ``ActiveMonitoringBase`` and
``ActiveMonitoringLevel`` are read-only: they change only through SetMonitoringBase
(N03) and SetMonitoringLevel (N05).
"""

from __future__ import annotations

from typing import Any

from bench.ocpp.v201.dm_seed import RO, RW, seed

MONITORING_BASES = ("All", "FactoryDefault", "HardWiredOnly")

SEEDS: dict[tuple[str, str, str | None], Any] = {
    ("MonitoringCtrlr", "Available", None): seed(RO, "true"),
    ("MonitoringCtrlr", "Enabled", None): seed(RW, "true"),
    # N04.FR.09, N06.FR.04: what one request may carry.
    ("MonitoringCtrlr", "ItemsPerMessage", "SetVariableMonitoring"): seed(RO, "20"),
    ("MonitoringCtrlr", "BytesPerMessage", "SetVariableMonitoring"): seed(RO, "8192"),
    ("MonitoringCtrlr", "ItemsPerMessage", "ClearVariableMonitoring"): seed(RO, "20"),
    ("MonitoringCtrlr", "BytesPerMessage", "ClearVariableMonitoring"): seed(RO, "4096"),
    # N07.FR.04: events of this severity or more severe (lower number) wait for the link.
    ("MonitoringCtrlr", "OfflineQueuingSeverity", None): seed(RW, "4", min=0, max=9),
    ("MonitoringCtrlr", "ActiveMonitoringBase", None): seed(RO, "All", values=MONITORING_BASES),
    ("MonitoringCtrlr", "ActiveMonitoringLevel", None): seed(RO, "9", min=0, max=9),
}
