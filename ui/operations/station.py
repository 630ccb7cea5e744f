"""Operations on a whole station: badge reader, power, network link, station-wide faults."""

from __future__ import annotations

from bench.model.faults import FAULTS
from bench.ocpp.api import ChargePointApi, RebootKind
from ui.operations import OperationError


def present_card(cp: ChargePointApi, id_tag: str, connector_id: int | None = None) -> str:
    """Hold an RFID card to the reader; the outcome arrives as an AuthorizationResult event."""
    id_tag = id_tag.strip()
    if not id_tag:
        raise OperationError("Type an RFID tag first")
    problem = cp.id_token_problem(id_tag)  # 1.6 IdToken / 2.0.1 IdTokenType lengths
    if problem is not None:
        raise OperationError(problem)
    if not cp.power().on:
        raise OperationError(f"{cp.station_id} is powered off")
    if not cp.present_id(id_tag, connector_id):
        raise OperationError(f"{cp.station_id}: the RFID reader does not respond")
    return id_tag


async def reboot(cp: ChargePointApi) -> None:
    """Restart the station at the box: each version says so in its own words (1.6 stop
    reason Reboot; 2.0.1 boot reason LocalReset, stoppedReason Reboot). It stays dark
    for its template's boot duration, then connects and boots again."""
    await cp.reboot(RebootKind.LOCAL)


async def power_cut(cp: ChargePointApi) -> None:
    """A power failure at the station: its transactions end with the version's PowerLoss
    reason (sent once it is back) and it stays dark until ``power_restore``."""
    if not cp.power().on:
        raise OperationError(f"{cp.station_id} has no power to cut")
    await cp.power_cut()


async def power_restore(cp: ChargePointApi) -> None:
    """The supply is back: the station boots for its template's duration, then registers."""
    power = cp.power()
    if power.on:
        raise OperationError(f"{cp.station_id} has power already")
    if not power.cut:
        raise OperationError(f"{cp.station_id} is booting already")
    await cp.power_restore()


def cut_network(cp: ChargePointApi) -> None:
    if not network_enabled(cp):
        raise OperationError(f"{cp.station_id}: the network is already cut")
    cp.cut_network()


def restore_network(cp: ChargePointApi) -> None:
    cp.restore_network()


def network_enabled(cp: ChargePointApi) -> bool:
    return cp.network().enabled


def toggle_network(cp: ChargePointApi) -> bool:
    """Cut a working link or restore a cut one; returns True when the network is up."""
    if network_enabled(cp):
        cp.cut_network()
        return False
    cp.restore_network()
    return True


def raise_station_fault(cp: ChargePointApi, fault_name: str) -> None:
    if fault_name not in FAULTS:
        raise OperationError(f"Unknown fault {fault_name!r}")
    cp.raise_fault(0, FAULTS[fault_name])


def clear_station_fault(cp: ChargePointApi) -> None:
    if cp.station.fault is None:
        raise OperationError(f"{cp.station_id} has no station fault to clear")
    cp.clear_fault(0)
