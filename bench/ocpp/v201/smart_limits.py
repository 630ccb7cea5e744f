"""The limit each EVSE gets from the installed 2.0.1 profiles (part 2 §3.4-3.5, K01, K08, K11).

Purposes combine as the spec's "Combining Charging Profile Purposes" says: per purpose
the valid profile with the highest stackLevel that has a period now leads; a TxProfile
overrules the TxDefaultProfile; the composite is the lowest of the leaders of
ChargingStationMaxProfile, ChargingStationExternalConstraints and Tx(Default)Profile.

- Per EVSE: its TxProfiles (of the running transaction only, K01.FR.04) above its
  TxDefaultProfiles (the EVSE's own above EVSE #0's at the same level, K01.FR.14/15),
  capped by an external limit set on that EVSE.
- Station-wide (EVSE #0): ChargingStationMaxProfile and an external limit on EVSE #0
  limit all EVSEs together (§3.5, K12.FR.01); they are shared among the charging EVSEs
  by the engine's water-filling ``share`` exactly as 1.6 shares its
  ChargePointMaxProfile (minChargingRate honoured, K01.FR.21).

Relative TxProfiles and TxDefaultProfiles start with the transaction; station-level
profiles without a start (external limits) run from their installation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bench.ocpp.common.smart import Wanted, hardware_cap, share_station_limit
from bench.ocpp.v201.smart_profiles import label
from bench.smart.composite import Candidate, Layer, Limit, composite, lowest
from bench.smart.profiles import EXTERNAL, STATION_MAX, TX, TX_DEFAULT
from bench.smart.store import Installed, ProfileStore
from bench.smart.units import Supply

if TYPE_CHECKING:
    from bench.model.connector import Connector
    from bench.model.station import Station


class LimitPlanner:
    """Evaluates one snapshot of the profile store against the station."""

    __slots__ = ("station", "store", "supply", "tx_id")

    def __init__(
        self,
        store: ProfileStore,
        station: Station,
        supply: Supply,
        tx_id: Callable[[int], str | None],
    ) -> None:
        self.store = store
        self.station = station
        self.supply = supply
        self.tx_id = tx_id  # the id of the transaction running on an EVSE

    # ------------------------------------------------------------ layers
    def tx_layer(self, evse_id: int, anchor: datetime | None, tx_id: str | None) -> Layer:
        entries: list[tuple[tuple[int, int, int], Installed]] = []
        if tx_id is not None:
            entries += [
                ((2, e.profile.stack_level, 1), e)
                for e in self.store.of(TX, (evse_id,))
                if e.raw.get("transactionId") == tx_id
            ]
        for e in self.store.of(TX_DEFAULT, (0, evse_id)):
            own = 1 if e.connector_id == evse_id else 0
            entries.append(((1, e.profile.stack_level, own), e))
        entries.sort(key=lambda item: item[0], reverse=True)
        return Layer(
            [Candidate(e.profile, anchor, label(e.profile)) for _, e in entries], self.supply
        )

    def _ranked(self, purpose: str, evse_id: int) -> Layer:
        entries = sorted(
            self.store.of(purpose, (evse_id,)), key=lambda e: e.profile.stack_level, reverse=True
        )
        return Layer(
            [Candidate(e.profile, e.installed_at, label(e.profile)) for e in entries], self.supply
        )

    def station_layers(self) -> list[Layer]:
        """What limits all EVSEs together: the max profile and an external limit on EVSE #0."""
        return [self._ranked(STATION_MAX, 0), self._ranked(EXTERNAL, 0)]

    def external_layer(self, evse_id: int) -> Layer:
        return self._ranked(EXTERNAL, evse_id)

    # ------------------------------------------------------------ now
    def limits_now(self, now: datetime, horizon_end: datetime) -> tuple[Wanted, set[datetime]]:
        """The limit of every EVSE with a transaction, and when it may change next."""
        running = sorted(
            (c for c in self.station.connectors if c.transaction is not None),
            key=lambda c: c.transaction.started_at,  # type: ignore[union-attr]
        )
        layers: list[Layer] = self.station_layers()
        own: dict[int, Limit | None] = {}
        tx_limits: dict[int, Limit | None] = {}
        for c in running:
            tx = c.transaction
            assert tx is not None
            tx_layer = self.tx_layer(c.id, tx.started_at, self.tx_id(c.id))
            ext = self.external_layer(c.id)
            layers += [tx_layer, ext]
            tx_limits[c.id] = tx_layer.at(now)
            own[c.id] = lowest([tx_limits[c.id], ext.at(now)])
        wanted: Wanted = {}
        for c in running:
            limit = own[c.id]
            wanted[c.id] = (limit.amps, limit.source) if limit is not None else (None, None)
        station = lowest(layer.at(now) for layer in self.station_layers())
        if station is not None and running:
            share_station_limit(station, running, own, tx_limits, self.station.template, wanted)
        points: set[datetime] = set()
        for layer in layers:
            points |= layer.changes(now, horizon_end)
        return wanted, points

    # ------------------------------------------------------------ composite (K08)
    def composite(self, evse_id: int, start: datetime, duration: int) -> list[tuple[float, Limit]]:
        """Periods ``(offset s, limit)`` the EVSE (0: the grid connection) expects to draw.

        K08.FR.06: an EVSE without a transaction is computed as if one were running
        under its TxDefaultProfiles. K08.FR.03: EVSE #0 is the sum of all EVSEs,
        capped by the station-wide limits. Where nothing limits, the hardware does.
        """
        end_layers = self.station_layers()
        per_evse: dict[int, tuple[Layer, Layer]] = {}
        for c in self.station.connectors:
            if evse_id in (0, c.id):
                tx = c.transaction
                anchor = tx.started_at if tx is not None else start
                tx_id = self.tx_id(c.id) if tx is not None else None
                per_evse[c.id] = (self.tx_layer(c.id, anchor, tx_id), self.external_layer(c.id))

        def evse_limit(c: Connector, t: datetime) -> float:
            tx_layer, ext = per_evse[c.id]
            mine = lowest([tx_layer.at(t), ext.at(t)])
            return min(mine.amps, hardware_cap(c)) if mine is not None else hardware_cap(c)

        def evaluate(t: datetime) -> Limit:
            parts: list[Limit | None] = [layer.at(t) for layer in end_layers]
            if evse_id == 0:
                total = sum(evse_limit(c, t) for c in self.station.connectors)
                parts.append(Limit(total, self.supply.phases, "EVSEs"))
            else:
                c = self.station.connector(evse_id)
                tx_layer, ext = per_evse[c.id]
                parts += [tx_layer.at(t), ext.at(t)]
                parts.append(Limit(hardware_cap(c), self.supply.phases, "hardware"))
            limit = lowest(parts)
            assert limit is not None
            return limit

        end = start + timedelta(seconds=duration)
        points: set[datetime] = set()
        for layer in end_layers:
            points |= layer.changes(start, end)
        for tx_layer, ext in per_evse.values():
            points |= tx_layer.changes(start, end) | ext.changes(start, end)
        return composite(evaluate, points, start, duration)
