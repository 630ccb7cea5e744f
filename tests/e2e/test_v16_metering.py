"""MeterValues: sampled and clock-aligned data, measurands, phases, units.

1.6 §3.16, §4.7 and the metering keys of §9.1.
"""

from __future__ import annotations

from datetime import datetime

from tests.e2e.conftest import WAIT, ev, start_charging, status_sent, stopped

CAP_PROFILE = {
    "chargingProfileId": 11,
    "stackLevel": 0,
    "chargingProfilePurpose": "TxProfile",
    "chargingProfileKind": "Relative",
    "chargingSchedule": {
        "chargingRateUnit": "A",
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10}],
    },
}


def when(mv: dict) -> datetime:
    return datetime.fromisoformat(mv["timestamp"].replace("Z", "+00:00"))


def periodic(p: dict) -> bool:
    return p["meterValue"][0]["sampledValue"][0]["context"] == "Sample.Periodic"


def clock_aligned(p: dict) -> bool:
    return p["meterValue"][0]["sampledValue"][0]["context"] == "Sample.Clock"


async def test_sampled_meter_values_follow_the_interval_with_the_configured_measurands(
    csms, make_cp
) -> None:
    """1.6 §3.16.1, §9.1.16 MeterValueSampleInterval, §9.1.17 MeterValuesSampledData."""
    cp = await make_cp(
        csms.url,
        keys={
            "MeterValueSampleInterval": "20",
            "MeterValuesSampledData": (
                "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,SoC"
            ),
        },
    )
    tx_id = await start_charging(cp, csms)
    first = await csms.wait_for_message("CP1", "MeterValues", periodic, WAIT)
    second = await csms.wait_for_message("CP1", "MeterValues", periodic, WAIT)
    gap = (when(second["meterValue"][0]) - when(first["meterValue"][0])).total_seconds()
    assert 19 <= gap <= 25
    assert first["transactionId"] == tx_id
    assert first["connectorId"] == 1
    values = first["meterValue"][0]["sampledValue"]
    shown = {(sv["measurand"], sv.get("phase"), sv.get("unit")) for sv in values}
    assert shown == {
        ("Energy.Active.Import.Register", None, "Wh"),
        ("Power.Active.Import", None, "W"),
        ("Current.Import", "L1", "A"),
        ("Current.Import", "L2", "A"),
        ("Current.Import", "L3", "A"),
        ("Voltage", "L1-N", "V"),
        ("Voltage", "L2-N", "V"),
        ("Voltage", "L3-N", "V"),
        ("SoC", None, "Percent"),
    }
    assert {sv["context"] for sv in values} == {"Sample.Periodic"}
    power = next(float(sv["value"]) for sv in values if sv["measurand"] == "Power.Active.Import")
    assert 10_000 < power < 11_500  # 3 x 16 A x 230 V
    # The CSMS stored them under the transaction.
    rows = csms.meter_values(tx_id)
    assert {r.measurand for r in rows} >= {"Energy.Active.Import.Register", "SoC"}


async def test_a_phase_suffix_reports_only_that_phase(csms, make_cp) -> None:
    """1.6 §9.1.17: a measurand may name a phase ("Current.Import.L2")."""
    cp = await make_cp(
        csms.url,
        keys={"MeterValueSampleInterval": "15", "MeterValuesSampledData": "Current.Import.L2"},
    )
    await start_charging(cp, csms)
    msg = await csms.wait_for_message("CP1", "MeterValues", periodic, WAIT)
    (value,) = msg["meterValue"][0]["sampledValue"]
    assert (value["measurand"], value["phase"], value["unit"]) == ("Current.Import", "L2", "A")


async def test_a_dc_station_reports_current_and_voltage_without_phases(csms, make_cp) -> None:
    """1.6 §3.16.3: phases apply to AC; a DC meter reports one line."""
    cp = await make_cp(
        csms.url,
        template="dc-50kw",
        keys={"MeterValueSampleInterval": "15", "MeterValuesSampledData": "Current.Import,Voltage"},
    )
    cp.station.connector(1).plug_in(ev("dc-fast-ev"))
    cp.present_id("TAG1")
    await status_sent(csms, "Charging")
    msg = await csms.wait_for_message("CP1", "MeterValues", periodic, WAIT)
    values = msg["meterValue"][0]["sampledValue"]
    assert [(sv["measurand"], "phase" in sv) for sv in values] == [
        ("Current.Import", False),
        ("Voltage", False),
    ]
    assert float(values[0]["value"]) > 0


async def test_clock_aligned_meter_values_fall_on_the_interval_boundaries(csms, make_cp) -> None:
    """1.6 §3.16.2, §9.1.5 ClockAlignedDataInterval, §9.1.14 MeterValuesAlignedData."""
    cp = await make_cp(
        csms.url,
        keys={
            "ClockAlignedDataInterval": "15",
            "MeterValuesAlignedData": "Energy.Active.Import.Register,Voltage",
            "MeterValueSampleInterval": "0",
        },
    )
    tx_id = await start_charging(cp, csms)
    # A boundary may fall before the transaction starts: those samples carry no transactionId.
    in_tx = lambda p: clock_aligned(p) and "transactionId" in p  # noqa: E731
    for _ in range(2):
        msg = await csms.wait_for_message("CP1", "MeterValues", in_tx, WAIT)
        stamp = when(msg["meterValue"][0])
        seconds = stamp.hour * 3600 + stamp.minute * 60 + stamp.second + stamp.microsecond / 1e6
        offset = seconds % 15
        assert min(offset, 15 - offset) < 1.0, stamp  # on a boundary (timer slack aside)
        assert msg["transactionId"] == tx_id
        measurands = {sv["measurand"] for sv in msg["meterValue"][0]["sampledValue"]}
        assert measurands == {"Energy.Active.Import.Register", "Voltage"}


async def test_clock_aligned_values_are_sent_for_an_idle_connector_too(csms, make_cp) -> None:
    """1.6 §3.16.2: aligned data is per connector, with or without a transaction."""
    await make_cp(
        csms.url,
        keys={
            "ClockAlignedDataInterval": "10",
            "MeterValuesAlignedData": "Energy.Active.Import.Register",
        },
    )
    msg = await csms.wait_for_message("CP1", "MeterValues", clock_aligned, WAIT)
    assert "transactionId" not in msg
    assert msg["connectorId"] == 1


async def test_the_energy_register_never_decreases_across_samples_and_sessions(
    csms, make_cp
) -> None:
    """1.6 §7.31 Energy.Active.Import.Register is a register: monotonically non-decreasing."""
    cp = await make_cp(
        csms.url,
        keys={
            "MeterValueSampleInterval": "10",
            "MeterValuesSampledData": "Energy.Active.Import.Register",
        },
    )
    readings: list[int] = []
    for tag in ("TAG1", "TAG2"):
        tx_id = await start_charging(cp, csms, tag)
        for _ in range(3):
            msg = await csms.wait_for_message(
                "CP1", "MeterValues", lambda p, t=tx_id: p.get("transactionId") == t, WAIT
            )
            readings.append(int(msg["meterValue"][0]["sampledValue"][0]["value"]))
        cp.present_id(tag)
        stop = await stopped(csms)
        readings.append(stop["meterStop"])
        cp.station.connector(1).unplug()
        await status_sent(csms, "Available")
    assert readings == sorted(readings)
    assert readings[-1] > readings[0]


async def test_a_tx_profile_in_remote_start_caps_current_import(csms, make_cp) -> None:
    """1.6 §5.11, §5.16.2: the TxProfile of a RemoteStartTransaction limits the current."""
    cp = await make_cp(
        csms.url,
        keys={
            "AuthorizeRemoteTxRequests": "false",
            "MeterValueSampleInterval": "15",
            "MeterValuesSampledData": "Current.Import,Current.Offered",
        },
    )
    cp.station.connector(1).plug_in(ev())
    reply = await csms.remote_start_transaction("CP1", "TAG1", 1, CAP_PROFILE)
    assert reply == {"status": "Accepted"}
    await status_sent(csms, "Charging")
    msg = await csms.wait_for_message("CP1", "MeterValues", periodic, WAIT)
    values = msg["meterValue"][0]["sampledValue"]
    currents = [float(sv["value"]) for sv in values if sv["measurand"] == "Current.Import"]
    offered = [float(sv["value"]) for sv in values if sv["measurand"] == "Current.Offered"]
    assert len(currents) == 3
    assert all(9.0 <= amps <= 10.0 for amps in currents), currents
    assert offered == [10.0]


async def test_a_new_sample_interval_applies_to_the_running_session(csms, make_cp) -> None:
    """1.6 §5.3, §9.1.16: ChangeConfiguration of MeterValueSampleInterval takes effect."""
    cp = await make_cp(csms.url, keys={"MeterValueSampleInterval": "3600"})
    await start_charging(cp, csms)
    reply = await csms.change_configuration("CP1", "MeterValueSampleInterval", "10")
    assert reply == {"status": "Accepted"}
    await csms.wait_for_message("CP1", "MeterValues", periodic, WAIT)
