"""Shared helpers for the monitoring, display and tariff tests (no tests here)."""

from __future__ import annotations

from bench.model.connector import Connector
from bench.ocpp.v201.charge_point import ChargePoint201
from tests.e2e.conftest import ev


def start_charging(cp: ChargePoint201, evse_id: int = 1) -> Connector:
    """Plug an EV in and badge TAG1 (accepted by the test CSMS): the transaction starts."""
    connector = cp.station.connector(evse_id)
    connector.plug_in(ev())
    cp.present_id("TAG1", evse_id)
    return connector


def monitor(component: dict, variable: str, type_: str, value: float, severity: int = 5, **kw):
    """One SetMonitoringDataType."""
    return {
        "component": component,
        "variable": {"name": variable},
        "type": type_,
        "value": value,
        "severity": severity,
        **kw,
    }


EVSE1 = {"name": "EVSE", "evse": {"id": 1}}
