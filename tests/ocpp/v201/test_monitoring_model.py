"""When a monitor fires (part 1 §4.4, N07.FR.02/16-19, N08.FR.07), without a station."""

from __future__ import annotations

from datetime import UTC, datetime

from bench.ocpp.v201.device_model import ComponentKey, DataType, VariableKey
from bench.ocpp.v201.mon_model import (
    Firing,
    Monitor,
    MonitorType,
    evaluate,
    matches,
    next_aligned,
    supports,
)


def power_monitor(kind: MonitorType, value: float) -> Monitor:
    return Monitor(1, ComponentKey("EVSE", evse=1), VariableKey("Power"), kind, value, 5)


def test_an_upper_threshold_fires_above_not_on_the_limit_and_clears_once_back() -> None:
    """N07.FR.16 (exceeding, not on), N07.FR.02 (cleared)."""
    m = power_monitor(MonitorType.UPPER, 100)
    assert evaluate(m, "100", DataType.DECIMAL) is None
    assert evaluate(m, "100.5", DataType.DECIMAL) == Firing("Alerting")
    assert evaluate(m, "150", DataType.DECIMAL) is None  # still above: no repeat
    assert evaluate(m, "99", DataType.DECIMAL) == Firing("Alerting", cleared=True)


def test_a_lower_threshold_fires_below_the_limit() -> None:
    """N07.FR.17."""
    m = power_monitor(MonitorType.LOWER, 10)
    assert evaluate(m, "10", DataType.DECIMAL) is None
    assert evaluate(m, "9", DataType.DECIMAL) == Firing("Alerting")


def test_a_numeric_delta_fires_past_its_step_and_takes_a_new_reference() -> None:
    """N07.FR.18: more than plus or minus value since set or last fired."""
    m = power_monitor(MonitorType.DELTA, 50)
    assert evaluate(m, "1000", DataType.DECIMAL) is None  # the reference
    assert evaluate(m, "1050", DataType.DECIMAL) is None
    assert evaluate(m, "1051", DataType.DECIMAL) == Firing("Delta")
    assert evaluate(m, "1000", DataType.DECIMAL) == Firing("Delta")


def test_a_delta_on_text_fires_on_any_change() -> None:
    """N07.FR.19."""
    m = Monitor(2, ComponentKey("EVSE", evse=1), VariableKey("AvailabilityState"),
                MonitorType.DELTA, 1, 5)  # fmt: skip
    assert evaluate(m, "Available", DataType.OPTION_LIST) is None
    assert evaluate(m, "Occupied", DataType.OPTION_LIST) == Firing("Delta")


def test_monitor_types_follow_the_data_type_table() -> None:
    """Part 1 §4.4: thresholds only on numbers, periodic not on dateTime."""
    assert supports(MonitorType.UPPER, DataType.DECIMAL)
    assert not supports(MonitorType.UPPER, DataType.OPTION_LIST)
    assert supports(MonitorType.DELTA, DataType.DATE_TIME)
    assert not supports(MonitorType.PERIODIC, DataType.DATE_TIME)


def test_clock_aligned_periods_start_on_the_quarter_hour() -> None:
    """N08.FR.07: 900 s fires at 0, 15, 30 and 45 minutes past the hour."""
    now = datetime(2026, 1, 1, 10, 7, 30, tzinfo=UTC)
    assert next_aligned(now, 900) == 450.0


def test_report_filters_match_evse_wildcards() -> None:
    """N02.FR.18/19: an evse without connectorId matches its connectors and the top level."""
    m = Monitor(3, ComponentKey("Connector", evse=1, connector=1), VariableKey("Problem"),
                MonitorType.DELTA, 1, 5)  # fmt: skip
    assert matches(m, {"component": {"name": "Connector", "evse": {"id": 1}}})
    assert not matches(m, {"component": {"name": "Connector", "evse": {"id": 2}}})
    assert not matches(m, {"component": {"name": "Connector"}, "variable": {"name": "Power"}})
