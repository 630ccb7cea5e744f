"""Operations on a whole station: badge reader, power, network link, station-wide faults."""

from __future__ import annotations

from typing import Any

from bench.model.faults import FAULTS
from bench.ocpp.charge_point_base import RebootCause
from bench.ocpp.v16.charge_point import ChargePoint16
from ui.operations import OperationError


def present_card(cp: ChargePoint16 | Any, id_tag: str, connector_id: int | None = None) -> str:
    """Hold an RFID card to the reader; the outcome arrives as an AuthorizationResult event."""
    id_tag = id_tag.strip()
    if not id_tag:
        raise OperationError("Type an RFID tag first")
    if getattr(cp, "version", "1.6") == "2.0.1":
        # 2.0.1 IdTokenType.idToken: identifierString, at most 36 characters; a
        # ``TYPE:value`` badge picks the token type (bench.ocpp.v201.transactions).
        if len(id_tag.partition(":")[2] or id_tag) > 36:
            raise OperationError("An idToken is at most 36 characters (2.0.1 IdTokenType)")
    elif len(id_tag) > 20:
        raise OperationError("An idTag is at most 20 characters (1.6 IdToken)")
    if not cp.station.powered:
        raise OperationError(f"{cp.station.id} is powered off")
    if not cp.station.present_id(id_tag, connector_id):
        raise OperationError(f"{cp.station.id}: the RFID reader does not respond")
    return id_tag


async def reboot(cp: ChargePoint16 | Any) -> None:
    """Restart the station at the box: each version says so in its own words (1.6 stop
    reason Reboot; 2.0.1 boot reason LocalReset, stoppedReason Reboot). It stays dark
    for its template's boot duration, then connects and boots again."""
    await cp.restart(RebootCause.LOCAL)


def cut_network(cp: ChargePoint16) -> None:
    if not network_enabled(cp):
        raise OperationError(f"{cp.station.id}: the network is already cut")
    cp.cut_network()


def restore_network(cp: ChargePoint16) -> None:
    cp.restore_network()


def network_enabled(cp: ChargePoint16) -> bool:
    # The core keeps this private; the UI only reads it to label a toggle.
    return bool(getattr(cp, "_network_enabled", True))


def toggle_network(cp: ChargePoint16) -> bool:
    """Cut a working link or restore a cut one; returns True when the network is up."""
    if network_enabled(cp):
        cp.cut_network()
        return False
    cp.restore_network()
    return True


def raise_station_fault(cp: ChargePoint16, fault_name: str) -> None:
    if fault_name not in FAULTS:
        raise OperationError(f"Unknown fault {fault_name!r}")
    cp.station.raise_fault(FAULTS[fault_name])


def clear_station_fault(cp: ChargePoint16) -> None:
    if cp.station.fault is None:
        raise OperationError(f"{cp.station.id} has no station fault to clear")
    cp.station.clear_fault()
