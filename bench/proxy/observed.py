"""What a proxied charger says about itself, read from the frames it sends.

The bench does not simulate a proxied charger, so its connector cards and graphs
come from its own reports: StatusNotification (1.6 §4.9; 2.0.1 G01), the
transaction messages (1.6 StartTransaction/StopTransaction §4.8/§4.10; 2.0.1
TransactionEvent E01-E07) and MeterValues (1.6 §4.7; 2.0.1 J01/J02). Both
versions land in the same shape: per connector, its status, its transaction and
its last measurements, plus one sample row per meter reading for the graphs.

``ObservedStation`` is a ``FrameSink``: fed the frames of the charger's leg, it
ignores the rest. Pure and Qt-free, so the desktop app and an imported bundle
can both show a station that only exists as frames.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bench.kernel.frames import FrameRecord

__all__ = ["SAMPLE_FIELDS", "ObservedConnector", "ObservedStation"]

# One graph row: time (epoch seconds), power, current per phase, voltage, energy of the
# session, energy register, state of charge. NaN where the charger reported nothing.
SAMPLE_FIELDS = (
    "t",
    "power_kw",
    "limit_kw",
    "i1",
    "i2",
    "i3",
    "voltage_v",
    "session_kwh",
    "energy_kwh",
    "soc",
)
_ENERGY = "Energy.Active.Import.Register"
_TO_WH = {"Wh": 1.0, "kWh": 1000.0}
_TO_W = {"W": 1.0, "kW": 1000.0}


@dataclass(slots=True)
class ObservedConnector:
    """One connector as its charger reported it; ``key`` is (evse, connector)."""

    key: tuple[int, int]
    status: str = "Unknown"
    transaction_id: str | None = None
    charging_state: str | None = None  # 2.0.1 transactionInfo.chargingState
    id_tag: str | None = None
    meter_start_wh: float | None = None
    energy_wh: float = math.nan
    power_w: float = math.nan
    current_a: list[float] = field(default_factory=lambda: [math.nan] * 3)
    voltage_v: float = math.nan
    soc: float = math.nan
    samples: list[tuple[float, ...]] = field(default_factory=list)

    @property
    def label(self) -> str:
        evse, connector = self.key
        return f"Connector {connector}" if evse == 0 else f"EVSE {evse} / connector {connector}"

    @property
    def session_wh(self) -> float:
        if self.transaction_id is None or self.meter_start_wh is None:
            return math.nan
        return max(0.0, self.energy_wh - self.meter_start_wh)


class ObservedStation:
    """The connectors of one proxied charger, kept up to date from its frames."""

    def __init__(self, station_id: str, max_samples: int = 4 * 3600) -> None:
        self.station_id = station_id
        self.connectors: dict[tuple[int, int], ObservedConnector] = {}
        self.max_samples = max_samples
        self._listeners: list[Callable[[ObservedStation], None]] = []
        # 1.6 StartTransaction.conf carries the transaction id: the request waits for it.
        self._starting: dict[str, tuple[int, int]] = {}

    def subscribe(self, listener: Callable[[ObservedStation], None]) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def connector(self, key: tuple[int, int]) -> ObservedConnector:
        found = self.connectors.get(key)
        if found is None:
            found = self.connectors[key] = ObservedConnector(key)
        return found

    # ------------------------------------------------------------------ frames
    def record(self, rec: FrameRecord) -> None:
        if rec.station != self.station_id or rec.leg not in (None, "charger"):
            return
        if not isinstance(rec.payload, dict) or rec.valid is False:
            return  # an invalid report says nothing reliable about the charger
        handler = None
        if rec.direction == "tx" and rec.type == "CALL":
            handler = _CALLS.get(rec.action or "")
        elif (rec.direction, rec.type, rec.action) == ("rx", "CALLRESULT", "StartTransaction"):
            handler = ObservedStation._start_confirmed
        if handler is None:
            return
        handler(self, rec)
        for listener in list(self._listeners):
            listener(self)

    def _status(self, rec: FrameRecord) -> None:
        p = rec.payload
        if "connectorStatus" in p:  # 2.0.1
            key = (int(p.get("evseId", 0)), int(p.get("connectorId", 0)))
            self.connector(key).status = str(p["connectorStatus"])
        else:
            connector_id = int(p.get("connectorId", 0))
            if connector_id:  # 1.6 connector 0 is the whole charge point
                self.connector((0, connector_id)).status = str(p.get("status", "Unknown"))

    def _start_16(self, rec: FrameRecord) -> None:
        p = rec.payload
        key = (0, int(p.get("connectorId", 0)))
        c = self.connector(key)
        c.id_tag = p.get("idTag")
        c.meter_start_wh = _number(p.get("meterStart"))
        c.energy_wh = c.meter_start_wh if c.meter_start_wh is not None else c.energy_wh
        if rec.id is not None:
            self._starting[rec.id] = key

    def _start_confirmed(self, rec: FrameRecord) -> None:
        key = self._starting.pop(rec.id or "", None)
        if key is not None and "transactionId" in rec.payload:
            self.connector(key).transaction_id = str(rec.payload["transactionId"])

    def _stop_16(self, rec: FrameRecord) -> None:
        tx = str(rec.payload.get("transactionId"))
        for c in self.connectors.values():
            if c.transaction_id == tx:
                c.energy_wh = _number(rec.payload.get("meterStop"), c.energy_wh)
                c.transaction_id = None
                c.charging_state = None

    def _meter_values(self, rec: FrameRecord) -> None:
        p = rec.payload
        if "evseId" in p:  # 2.0.1: one EVSE; its first connector carries the readings
            key = self._evse_key(int(p["evseId"]))
        else:
            key = (0, int(p.get("connectorId", 0)))
        if key[1] == 0:
            return  # the grid meter of the whole station: not a connector's graph
        self._readings(self.connector(key), p.get("meterValue") or [])

    def _transaction_event(self, rec: FrameRecord) -> None:
        p = rec.payload
        evse = p.get("evse") or {}
        info = p.get("transactionInfo") or {}
        tx = info.get("transactionId")
        key = None
        if "id" in evse:
            key = (int(evse["id"]), int(evse.get("connectorId", 1)))
        else:
            key = next((k for k, c in self.connectors.items() if c.transaction_id == tx), None)
        if key is None:
            return
        c = self.connector(key)
        if "chargingState" in info:
            c.charging_state = str(info["chargingState"])
        token = p.get("idToken") or {}
        if "idToken" in token:
            c.id_tag = str(token["idToken"])
        readings = p.get("meterValue") or []
        if p.get("eventType") == "Started":
            c.transaction_id = str(tx)
            c.meter_start_wh = None
        self._readings(c, readings)
        if p.get("eventType") == "Started" and c.meter_start_wh is None:
            c.meter_start_wh = c.energy_wh if not math.isnan(c.energy_wh) else None
        if p.get("eventType") == "Ended":
            c.transaction_id = None
            c.charging_state = None

    def _evse_key(self, evse: int) -> tuple[int, int]:
        keys = sorted(k for k in self.connectors if k[0] == evse)
        return keys[0] if keys else (evse, 1)

    # ------------------------------------------------------------------ readings
    def _readings(self, c: ObservedConnector, meter_values: list[Any]) -> None:
        for mv in meter_values:
            if not isinstance(mv, dict):
                continue
            for sv in mv.get("sampledValue") or []:
                if isinstance(sv, dict):
                    _apply(c, sv)
            t = _epoch(mv.get("timestamp"))
            if t is not None:
                c.samples.append(
                    (
                        t,
                        c.power_w / 1e3,
                        math.nan,
                        *c.current_a,
                        c.voltage_v,
                        c.session_wh / 1e3,
                        c.energy_wh / 1e3,
                        c.soc,
                    )
                )
                if len(c.samples) > self.max_samples:
                    del c.samples[: len(c.samples) - self.max_samples]


_CALLS: dict[str, Callable[[ObservedStation, FrameRecord], None]] = {
    "StatusNotification": ObservedStation._status,
    "StartTransaction": ObservedStation._start_16,
    "StopTransaction": ObservedStation._stop_16,
    "MeterValues": ObservedStation._meter_values,
    "TransactionEvent": ObservedStation._transaction_event,
}


def _apply(c: ObservedConnector, sv: dict[str, Any]) -> None:
    """One sampledValue onto the connector (1.6 §7.43; 2.0.1 SampledValueType)."""
    measurand = sv.get("measurand", _ENERGY)
    value = _number(sv.get("value"))
    if value is None:
        return
    unit = sv.get("unit")
    if unit is None and isinstance(sv.get("unitOfMeasure"), dict):
        unit = sv["unitOfMeasure"].get("unit")
    phase = str(sv.get("phase") or "")
    if measurand == _ENERGY and not phase:
        c.energy_wh = value * _TO_WH.get(unit or "Wh", 1.0)
    elif measurand == "Power.Active.Import" and not phase:
        c.power_w = value * _TO_W.get(unit or "W", 1.0)
    elif measurand == "Current.Import":
        index = {"L1": 0, "L2": 1, "L3": 2}.get(phase[:2], 0)
        c.current_a[index] = value
    elif measurand == "Voltage" and phase[:2] in ("", "L1"):
        c.voltage_v = value
    elif measurand == "SoC":
        c.soc = value


def _number(value: Any, default: Any = None) -> Any:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _epoch(text: Any) -> float | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
