"""What survives a crash of the 2.0.1 transaction block (E01.FR.08, E04, part 2 E §1.3).

Each TransactionEvent updates a small record of the open transaction (its id and the
next seqNo) and the EVSE's energy register in the station's state store. On the next
power-on a transaction still recorded as open was cut short: it ends with an
``Ended``/``PowerLoss`` event, queued offline (it happened while the station was
down), with the next seqNo so the CSMS sees the sequence complete.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from bench.ocpp.common.timestamps import iso
from bench.ocpp.v201.block import Persistence, Services
from bench.ocpp.v201.tx_meter import meter_value

if TYPE_CHECKING:
    from bench.ocpp.v201.tx_queue import TxQueue
    from bench.ocpp.v201.tx_state import Tx201


class RecoveryHost(Services, Persistence, Protocol):
    """What recovery uses of the station: the model, the clock and the state store."""


def persist_open(cp: RecoveryHost, tx: Tx201) -> None:
    """Record the open transaction and the register after every event."""
    station_id = cp.station.id
    # "at": the instant of this event; a restart resumes the clock from it (issue 11).
    record = {
        "id": tx.transaction_id,
        "seq": tx.seq_no,
        "start": tx.meter_start_wh,
        "at": cp.clock.now().timestamp(),
    }
    energy = cp.station.connector(tx.evse_id).meter.energy_wh
    cp.state.put_many(
        station_id, {f"tx201_open_{tx.evse_id}": record, f"tx201_energy_{tx.evse_id}": energy}
    )


def forget_open(cp: RecoveryHost, evse_id: int) -> None:
    cp.state.put(cp.station.id, f"tx201_open_{evse_id}", None)


def recover(cp: RecoveryHost, queue: TxQueue, evse_ids: list[int]) -> None:
    """End what a previous run left open with PowerLoss; restore the energy registers."""
    station_id = cp.station.id
    opened = {e: cp.state.get(station_id, f"tx201_open_{e}") for e in evse_ids}
    instants = [float(r["at"]) for r in opened.values() if r and r.get("at") is not None]
    if instants:  # never before what the previous run wrote (issue 11)
        cp.clock.resume_at(datetime.fromtimestamp(max(instants), UTC))
    for evse_id in evse_ids:
        connector = cp.station.connector(evse_id)
        energy = cp.state.get(station_id, f"tx201_energy_{evse_id}")
        if energy is not None and energy > connector.meter.energy_wh:
            connector.meter.energy_wh = float(energy)  # J02.FR.16: registers never go back
        left = cp.state.get(station_id, f"tx201_open_{evse_id}")
        if not left:
            continue
        reading = {
            "value": float(int(max(left["start"], connector.meter.energy_wh))),
            "context": "Transaction.End",
            "measurand": "Energy.Active.Import.Register",
            "location": "Outlet",
            "unitOfMeasure": {"unit": "Wh"},
        }
        now = cp.clock.now()
        payload = {
            "eventType": "Ended",
            "timestamp": iso(now),
            "triggerReason": "AbnormalCondition",
            "seqNo": left["seq"],
            "offline": True,
            "transactionInfo": {"transactionId": left["id"], "stoppedReason": "PowerLoss"},
            "evse": {"id": evse_id, "connectorId": 1},
            "meterValue": [meter_value(now, [reading])],
        }
        queue.push(payload, evse_id)
        forget_open(cp, evse_id)
