"""What the charging-profile form does: send the profile, or install it on the station itself.

Which way a profile can reach a station of this bench (``route``):

- the station talks to the built-in CSMS and is connected: the CSMS sends
  SetChargingProfile exactly as the CSMS console does (``send``);
- it talks to the built-in CSMS but is not connected now (network cut, rebooting):
  nothing can be sent until it is back;
- it talks to an external CSMS: the bench plays the charge point and cannot send
  itself CSMS requests. The profile can be sent from that CSMS (the form copies the
  JSON), or installed on the station without any message (``install_locally``, the
  station's own check and install, through ``bench.ocpp.profile_desk``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.csms.server import CentralSystem
from bench.ocpp.api import ChargePointApi
from bench.ocpp.profile_builder import ACTION
from bench.ocpp.profile_desk import LocalRefusal, ProfileDesk
from ui.operations import OperationError
from ui.operations import csms_console as console_ops

BUILTIN, OFFLINE, EXTERNAL = "builtin", "offline", "external"


@dataclass(frozen=True, slots=True)
class Route:
    kind: str  # BUILTIN | OFFLINE | EXTERNAL
    message: str  # for the user: how the profile travels, or why it cannot

    @property
    def can_send(self) -> bool:
        return self.kind == BUILTIN


def _same_url(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.rstrip("/") == b.rstrip("/")


def route(station_id: str, station_csms_url: str, csms: CentralSystem | None) -> Route:
    """How a profile for ``station_id`` (whose CSMS is ``station_csms_url``) can be sent."""
    builtin_url = csms.url if csms is not None else None
    if csms is None or not _same_url(station_csms_url, builtin_url):
        return Route(
            EXTERNAL,
            f"{station_id} talks to an external CSMS ({station_csms_url}). The bench plays the "
            "charge point and cannot send itself CSMS requests: send this payload from your "
            "CSMS (Copy JSON), or install the profile on the station locally.",
        )
    if csms.protocol_version(station_id) is None:
        return Route(
            OFFLINE,
            f"{station_id} is not connected to the built-in CSMS right now "
            "(network cut or rebooting): nothing can be sent until it is back.",
        )
    return Route(BUILTIN, f"The built-in CSMS ({builtin_url}) sends it as {ACTION}.")


async def send(csms: CentralSystem, station_id: str, payload: dict[str, Any]) -> Any:
    """SetChargingProfile through the built-in CSMS, as the console sends it (a SendOutcome)."""
    return await console_ops.send(csms, station_id, ACTION, payload)


def install_locally(cp: ChargePointApi, payload: dict[str, Any]) -> None:
    """Put the profile on the station without a message; OperationError with its reason."""
    try:
        ProfileDesk(cp).install_locally(payload)
    except LocalRefusal as exc:
        raise OperationError(f"{cp.station_id} refuses the profile: {exc}") from exc


def local_charge_point(workspace: Any, station_id: str) -> ChargePointApi | None:
    """The charge point of ``station_id`` when it runs in this bench on the built-in CSMS."""
    run = workspace.stations.get(station_id)
    csms = workspace.csms
    if run is None or csms is None or not _same_url(run.options.csms_url, csms.url):
        return None
    return run.cp
