"""A proxied station's network faults on their own: per station, per side, kept (issue 17)."""

from __future__ import annotations

import pytest

from bench.model.clock import ManualClock
from bench.proxy.faults import LegFaults
from bench.transport.impair_spec import ImpairmentError, parse_impairment
from bench.transport.memory import memory_pair


def test_the_command_line_default_is_every_charger_leg_s_start_and_the_csms_leg_s_is_off():
    faults = LegFaults(ManualClock(), charger_default=parse_impairment("latency 800ms"))
    assert faults.current("CP1").describe() == "latency 800ms"
    assert faults.current("CP1", "csms").describe() == "off"
    assert faults.describe("CP2") == "charger leg: latency 800ms; csms leg: off"


def test_a_station_s_faults_are_the_same_for_every_leg_it_opens_until_off():
    """A reconnect wraps a fresh link in the faults already set for that station."""
    changes: list[tuple[str, str, str]] = []
    faults = LegFaults(
        ManualClock(), on_change=lambda s, side, i: changes.append((s, side, i.describe()))
    )
    faults.apply("CP1", "loss 100%")
    first, _ = memory_pair()
    again, _ = memory_pair()
    assert (
        faults.wrap("CP1", "charger", first)._faults is faults.wrap("CP1", "charger", again)._faults
    )
    assert faults.current("CP1").describe() == "loss 100%"
    assert faults.current("CP2").describe() == "off"  # another station is not touched
    assert faults.apply("CP1", "off").describe() == "off"
    assert changes == [("CP1", "charger", "loss 100%"), ("CP1", "charger", "off")]


@pytest.mark.parametrize("spec", ["dnsfail", "tlsfail"])
def test_faults_of_opening_a_connection_are_refused_on_the_charger_side(spec: str):
    faults = LegFaults(ManualClock())
    with pytest.raises(ImpairmentError, match="out of the proxy's hands"):
        faults.apply("CP1", spec)
    assert faults.current("CP1").describe() == "off"
    with pytest.raises(ImpairmentError):
        LegFaults(ManualClock(), charger_default=parse_impairment(spec))


def test_dnsfail_on_the_csms_side_refuses_the_upstream_connection_until_cleared():
    faults = LegFaults(ManualClock())
    assert faults.refusal("CP1") is None
    faults.apply("CP1", "dnsfail", "csms")
    assert "impair dnsfail" in (faults.refusal("CP1") or "")
    assert faults.of("CP1", "csms").counters.failed_opens == 1
    faults.apply("CP1", "off", "csms")
    assert faults.refusal("CP1") is None


def test_a_side_that_is_not_a_leg_is_refused():
    with pytest.raises(ImpairmentError, match="side must be"):
        LegFaults(ManualClock()).apply("CP1", "loss 5%", "middle")
