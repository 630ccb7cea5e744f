"""1.6 configuration keys: validation of measurand lists (1.6 §3.16.4, §9.1.17)."""

from __future__ import annotations

from bench.ocpp.v16.config import Configuration
from bench.ocpp.v16.keys import ALL_KEYS


def test_a_measurand_list_the_meter_cannot_supply_is_rejected_and_changes_nothing():
    """1.6 §3.16.4: unsupported measurands -> Rejected, no change to the configuration."""
    config = Configuration(ALL_KEYS)
    before = config.raw("MeterValuesSampledData")
    status = config.change(
        "MeterValuesSampledData", "Energy.Active.Import.Register,Energy.Active.Import.Interval"
    )
    assert status == "Rejected"
    assert config.raw("MeterValuesSampledData") == before


def test_measurands_with_phases_are_accepted_and_unknown_names_rejected():
    config = Configuration(ALL_KEYS)
    assert config.change("MeterValuesSampledData", "Current.Import.L2,Voltage.L1-N") == "Accepted"
    assert config.value("MeterValuesSampledData") == ["Current.Import.L2", "Voltage.L1-N"]
    assert config.change("MeterValuesSampledData", "Current.Import.L4") == "Rejected"
    assert config.change("StopTxnAlignedData", "Warp.Factor") == "Rejected"
