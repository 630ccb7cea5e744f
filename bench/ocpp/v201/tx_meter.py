"""Turn a connector's meter into 2.0.1 MeterValueType elements (part 2 §2.x, J01, J02).

2.0.1 differs from 1.6 in the shape of a SampledValue: ``value`` is a number and the
unit travels in ``unitOfMeasure``; ``Temperature`` is no measurand any more (the
device model reports it). A measurand configured without a phase is reported per
phase where the quantity is per phase on AC (current, voltage), as a total otherwise
(J01.FR.10, J01.FR.11: phases from the meter's point of view).

``Interval`` measurands are the energy since the previous reading of the same
measurand on the same EVSE, so every periodic, clock-aligned or end-of-transaction
reading covers exactly the time since the one before (``Sampler`` keeps that state).

``ReadingSigner`` adds a ``signedMeterValue`` (OCMF, ``bench.ocpp.ocmf``) to the
Energy.Active.Import.Register values of an EVSE's meter (J01.FR.21, J02.FR.21); which
readings it signs is decided by ``tx_metering``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bench.ocpp.common.timestamps import iso, parse_iso
from bench.ocpp.ocmf import MeterSigner, Reading, signed_meter_value, user_of
from bench.ocpp.v201.dm_seed import MEASURANDS

if TYPE_CHECKING:
    from bench.model.connector import Connector
    from bench.model.station import Station

_PHASES = ("L1", "L2", "L3")
# Zero-valued quantities of a unidirectional charger, with their units.
_ZERO_UNITS = {
    "Current.Export": "A",
    "Energy.Active.Export.Register": "Wh",
    "Energy.Reactive.Export.Register": "varh",
    "Energy.Reactive.Import.Register": "varh",
    "Energy.Active.Export.Interval": "Wh",
    "Energy.Reactive.Export.Interval": "varh",
    "Energy.Reactive.Import.Interval": "varh",
    "Energy.Reactive.Net": "varh",
    "Energy.Apparent.Export": "VAh",
    "Power.Active.Export": "W",
    "Power.Reactive.Export": "var",
    "Power.Reactive.Import": "var",
}


def measurand_list(text: str | None) -> list[str]:
    """A comma-separated *Measurands value as a list of known measurands, in order."""
    if not text:
        return []
    return list(_measurands_in(text))


@functools.lru_cache(maxsize=64)
def _measurands_in(text: str) -> tuple[str, ...]:
    # Parsed on every sample of every station from a handful of distinct texts.
    return tuple(m for m in (part.strip() for part in text.split(",")) if m in MEASURANDS)


def meter_value(ts: datetime, values: list[dict[str, Any]]) -> dict[str, Any]:
    """MeterValueType: one timestamp for all its sampled values (J01.FR.17, J02.FR.18)."""
    return {"timestamp": iso(ts), "sampledValue": values}


def _sv(
    value: float,
    measurand: str,
    unit: str | None,
    context: str,
    location: str | None = "Outlet",
    phase: str | None = None,
) -> dict[str, Any]:
    return {"value": round(value, 3), **_labels(measurand, unit, context, location, phase)}


@functools.cache
def _labels(
    measurand: str, unit: str | None, context: str, location: str | None, phase: str | None
) -> dict[str, Any]:
    # Every sample of every station repeats a few dozen label sets: made once each
    # (issue 15). Payloads share them read-only; nothing edits a sampled value's labels.
    labels: dict[str, Any] = {"context": context, "measurand": measurand}
    if location:
        labels["location"] = location
    if phase:
        labels["phase"] = phase
    if unit:
        labels["unitOfMeasure"] = {"unit": unit}
    return labels


class Sampler:
    """Builds sampled values for one station; remembers registers for Interval measurands."""

    __slots__ = ("_last", "signer")

    def __init__(self) -> None:
        # (evse id, measurand) -> register (Wh) at the previous Interval reading.
        self._last: dict[tuple[int, str], float] = {}
        # Made on the first signed reading (it needs the station's database).
        self.signer: ReadingSigner | None = None

    def reset(self, evse_id: int, register_wh: float) -> None:
        """Start Interval measurands afresh (a transaction begins)."""
        for key in [k for k in self._last if k[0] == evse_id]:
            self._last[key] = register_wh

    def values(
        self, connector: Connector, measurands: Iterable[str], context: str
    ) -> list[dict[str, Any]]:
        """The sampledValue list for ``measurands`` as measured on ``connector`` right now."""
        out: list[dict[str, Any]] = []
        for measurand in measurands:
            out.extend(self._measure(connector, measurand, context))
        return out

    def station_values(
        self, station: Station, measurands: Iterable[str], context: str
    ) -> list[dict[str, Any]]:
        """EVSE 0: the station's main meter at the grid connection (J01.FR.03/04, Inlet)."""
        out: list[dict[str, Any]] = []
        energy = sum(c.meter.energy_wh for c in station.connectors)
        power = sum(c.meter.power_w for c in station.connectors)
        for measurand in measurands:
            if measurand in ("Energy.Active.Import.Register", "Energy.Active.Net"):
                out.append(_sv(float(int(energy)), measurand, "Wh", context, "Inlet"))
            elif measurand == "Energy.Active.Import.Interval":
                out.append(
                    _sv(self._interval(0, measurand, energy), measurand, "Wh", context, "Inlet")
                )
            elif measurand == "Power.Active.Import":
                out.append(_sv(power, measurand, "W", context, "Inlet"))
            elif measurand == "Frequency" and station.connectors:
                hz = station.connectors[0].meter.frequency_hz
                out.append(_sv(hz, measurand, "Hz", context, "Inlet"))
        return out

    def _interval(self, evse_id: int, measurand: str, register: float) -> float:
        key = (evse_id, measurand)
        before = self._last.get(key, register)
        self._last[key] = register
        return max(0.0, float(int(register) - int(before)))

    def _measure(self, connector: Connector, measurand: str, context: str) -> list[dict[str, Any]]:
        meter = connector.meter
        ac = connector.station.template.current_type == "AC"
        lines = len(meter.current_a) if ac else 0
        if measurand in ("Energy.Active.Import.Register", "Energy.Active.Net"):
            return [_sv(float(int(meter.energy_wh)), measurand, "Wh", context)]
        if measurand in ("Energy.Apparent.Import", "Energy.Apparent.Net"):
            # Unity power factor: apparent energy equals active energy.
            return [_sv(float(int(meter.energy_wh)), measurand, "VAh", context)]
        if measurand == "Energy.Active.Import.Interval":
            value = self._interval(connector.id, measurand, meter.energy_wh)
            return [_sv(value, measurand, "Wh", context)]
        if measurand == "Power.Active.Import":
            return [_sv(meter.power_w, measurand, "W", context)]
        if measurand == "Power.Offered":
            return [_sv(meter.offered_power_w, measurand, "W", context)]
        if measurand == "Current.Offered":
            return [_sv(connector.offered_current_a, measurand, "A", context)]
        if measurand == "Current.Import":
            if not ac:
                amps = meter.current_a[0] if meter.current_a else 0.0
                return [_sv(amps, measurand, "A", context)]
            return [
                _sv(meter.current_a[i], measurand, "A", context, phase=_PHASES[i])
                for i in range(lines)
            ]
        if measurand == "Voltage":
            if not ac:
                return [_sv(meter.voltage_v[0], measurand, "V", context)]
            return [
                _sv(meter.voltage_v[i], measurand, "V", context, phase=f"{_PHASES[i]}-N")
                for i in range(lines)
            ]
        if measurand == "SoC":
            ev = connector.ev
            if ev is None:
                return []  # no EV, no state of charge to report
            return [_sv(round(ev.soc), measurand, "Percent", context, "EV")]
        if measurand == "Frequency":
            return [_sv(meter.frequency_hz, measurand, "Hz", context, None)]
        if measurand == "Power.Factor":
            return [_sv(1.0, measurand, None, context)]
        return [_sv(0.0, measurand, _ZERO_UNITS.get(measurand), context)]


# The one quantity the bench's meter signs: the register a bill is made from.
SIGNABLE = "Energy.Active.Import.Register"
# ReadingContextEnumType -> OCMF "TX" (meter reading reason); any other reading in a
# transaction is "C" (charging).
_TX_REASONS = {"Transaction.Begin": "B", "Transaction.End": "E"}


class ReadingSigner:
    """Signs the register readings of one station's meters as OCMF records.

    ``publicKey`` follows OCPPCommCtrlr.PublicKeyWithSignedMeterValue (part 2 §2.7.17):
    Never ``""``; EveryMeterValue the key each time; OncePerTransaction the key in the
    first signed value the CSMS gets for a transaction. Values kept for the Ended event
    are signed when read but only get their key when the Ended event is made
    (``settle_ended``): they reach the CSMS after the Started and Updated ones.
    """

    __slots__ = ("_key_sent", "meter")

    def __init__(self, meter: MeterSigner) -> None:
        self.meter = meter
        self._key_sent: set[str] = set()  # transactions whose key went out already

    def sign(
        self,
        meter_values: list[dict[str, Any]],
        *,
        evse_id: int,
        current_type: str,
        key_policy: str,
        transaction_id: str | None = None,
        id_token: dict[str, Any] | None = None,
        for_ended: bool = False,
    ) -> int:
        """Add a signedMeterValue to each signable sampled value; returns how many."""
        signed = 0
        for mv in meter_values:
            # The meter signs the reading at the MeterValue's own time (note §2.3.2).
            when = parse_iso(mv["timestamp"])
            for sv in mv.get("sampledValue", ()):
                if (
                    when is None
                    or sv.get("measurand") != SIGNABLE
                    or "phase" in sv
                    or "signedMeterValue" in sv
                ):
                    continue
                if sv.get("location", "Outlet") != "Outlet":
                    continue  # the EVSE's meter measures at the outlet
                context = sv.get("context", "Sample.Periodic")
                reason = None
                user = None
                if transaction_id is not None:
                    reason = _TX_REASONS.get(context, "C")
                    token = id_token or {}
                    user = user_of(token.get("idToken"), token.get("type"))
                record = self.meter.sign(
                    [Reading(when, float(sv["value"]), reason, current_type)],
                    user=user,
                    connector=evse_id,
                )
                key = "" if for_ended else self._key(key_policy, transaction_id)
                if for_ended and key_policy == "EveryMeterValue":
                    key = self.meter.public_key
                sv["signedMeterValue"] = signed_meter_value(record, key)
                signed += 1
        return signed

    def _key(self, policy: str, transaction_id: str | None) -> str:
        if policy == "EveryMeterValue":
            return self.meter.public_key
        if policy == "OncePerTransaction":
            if transaction_id is None:
                return self.meter.public_key  # a record outside transactions stands alone
            if transaction_id not in self._key_sent:
                self._key_sent.add(transaction_id)
                return self.meter.public_key
        return ""

    def settle_ended(
        self, meter_values: list[dict[str, Any]], transaction_id: str, key_policy: str
    ) -> None:
        """The Ended event is being made: its first signed value carries the key if the
        transaction has not sent it yet (OncePerTransaction); the transaction is forgotten."""
        if key_policy == "OncePerTransaction" and transaction_id not in self._key_sent:
            for mv in meter_values:
                for sv in mv.get("sampledValue", ()):
                    smv = sv.get("signedMeterValue")
                    if smv is not None:
                        smv["publicKey"] = self.meter.public_key
                        self._key_sent.discard(transaction_id)
                        return
        self._key_sent.discard(transaction_id)
