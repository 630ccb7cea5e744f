"""Operations on one connector: the cable, the EV behind it, faults and the local limit."""

from __future__ import annotations

from bench.model.connector import Connector
from bench.model.ev import Ev
from bench.model.faults import FAULTS
from bench.model.templates import list_ev_templates
from bench.ocpp.api import ChargePointApi
from ui.operations import OperationError


def ev_templates() -> list[str]:
    return list_ev_templates()


def plug_in(
    cp: ChargePointApi, connector_id: int, ev_template: str, soc: float | None = None
) -> Ev:
    """Plug an EV built from ``ev_template`` into the connector."""
    if cp.connector(connector_id).plugged:
        raise OperationError(f"Connector {connector_id} already has an EV plugged in")
    return cp.plug_in(connector_id, ev_template, soc)


def unplug(cp: ChargePointApi, connector_id: int) -> None:
    if not cp.connector(connector_id).plugged:
        raise OperationError(f"Connector {connector_id} has nothing plugged in")
    cp.unplug(connector_id)


def raise_fault(connector: Connector, fault_name: str) -> None:
    if fault_name not in FAULTS:
        raise OperationError(f"Unknown fault {fault_name!r}")
    connector.raise_fault(FAULTS[fault_name])


def clear_fault(connector: Connector) -> None:
    if connector.fault is None:
        raise OperationError(f"Connector {connector.id} has no fault to clear")
    connector.clear_fault()


def suspend_ev(connector: Connector) -> None:
    connector.suspend_ev()


def resume_ev(connector: Connector) -> None:
    connector.resume_ev()


def toggle_ev_suspended(connector: Connector) -> bool:
    """Suspend a charging EV or resume a suspended one; returns the new suspended state."""
    ev = connector.ev
    if ev is None:
        raise OperationError(f"Connector {connector.id} has no EV plugged in")
    if ev.suspended:
        connector.resume_ev()
    else:
        connector.suspend_ev()
    return ev.suspended


def set_soc(connector: Connector, pct: float) -> None:
    if not 0 <= pct <= 100:
        raise OperationError(f"A state of charge is 0 to 100 %, not {pct:g}")
    connector.set_ev_soc(pct)


def set_limit(cp: ChargePointApi, connector: Connector, amps: float | None) -> None:
    """The card's Limit… for either version.

    1.6: a local cap on the connector. 2.0.1: an external limit through the smart
    charging block, which installs it as a ChargingStationExternalConstraints
    profile and tells the CSMS with NotifyChargingLimit (K12).
    """
    if amps is not None and amps < 0:
        raise OperationError("A current limit cannot be negative")
    cp.set_external_limit(connector.id, amps)


def set_local_limit(connector: Connector, amps: float | None) -> None:
    """Cap the connector by hand (A per phase); None removes the cap."""
    if amps is not None and amps < 0:
        raise OperationError("A current limit cannot be negative")
    connector.set_local_limit(amps)
