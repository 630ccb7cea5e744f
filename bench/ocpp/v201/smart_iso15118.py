"""ISO 15118 smart charging as the station relays it to the CSMS (part 2 K15-K17).

The bench simulates the SECC side of ISO 15118-2 for EVs whose template says so
(``EvSpec.iso15118``). The simulated EV:

- states its charging needs when plugged in (ChargeParameterDiscoveryReq); the station
  relays them in NotifyEVChargingNeedsRequest (K15.FR.01, K15.FR.06) with the energy
  the battery still wants, the EV's current limits and the requested transfer mode.
  Offline, nothing is sent and the TxDefaultProfile governs (K15.FR.15); the needs go
  out once the station is accepted again.
- draws no power before it has a schedule (K15 steps 1-8: ChargeParameterDiscovery
  comes before PowerDeliveryReq Start closes the contactor): the transaction waits,
  SuspendedEVSE, until the CSMS's TxProfile, a NotifyEVChargingNeedsResponse that is
  not Accepted (the station then offers its own schedule, K15 remark on error
  handling), a failed request, or the ChargeParameterDiscovery timeout of 60 s
  (K15.FR.08). Plugged in offline, it charges at once under the station's own
  composite schedule, the TxDefaultProfile (K15.FR.15). ``holding`` says whether an
  EVSE waits; ``watch`` tells the transactions block when that changes.
- follows the schedule it is given: after the CSMS sets a TxProfile (K15.FR.07,
  K16.FR.01) it selects the first chargingSchedule and returns its charging profile,
  which the station reports in NotifyEVChargingScheduleRequest (K15.FR.10, K15.FR.19:
  chargingSchedule.id = the selected SAScheduleTupleId). That profile is the EVSE's
  composite schedule capped by what the EV can take, so it is within the CSMS's
  boundaries by construction (K15.FR.09).
- may renegotiate (K17.FR.01): ``renegotiate(evse_id)`` sends its needs again.
- asks for its contract certificate first when the station allows installation
  (ISO15118Ctrlr.ContractCertificateInstallationEnabled) and its template says so
  (``EvSpec.contract_request``): a new one, CertificateInstallationReq, goes to the
  CSMS in Get15118EVCertificateRequest with action Install (M01.FR.01); an update of a
  contract due for renewal, CertificateUpdateReq, with action Update (M02.FR.01). The
  bench has no EXI codec, so the simulated EV's request is an opaque, Base64-encoded
  byte string that names the EV; OCPP carries it without looking inside, as it does a
  real one. The outcome goes to ``watch_contract`` handlers: Plug and Charge (C07,
  ``pnc``) waits for it, as ISO 15118-2 has PaymentDetailsReq after the certificate
  exchange.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from bench.ocpp.common.smart import profile_time
from bench.ocpp.errors import CallError, CallTimeout, InvalidReply, LinkClosed
from bench.ocpp.v201.block import Evses, Messaging, Services, Variables
from bench.smart.profiles import TX
from bench.smart.units import convert

if TYPE_CHECKING:
    from bench.model.connector import Connector
    from bench.ocpp.v201.ports import EvCertificates
    from bench.smart.store import ProfileStore
    from bench.smart.units import Supply

log = logging.getLogger(__name__)

DEFAULT_SCHEDULE_S = 86_400  # the EV plans a day ahead when the CSMS schedule has no duration
ISO15118_2 = "urn:iso:15118:2:2013:MsgDef"
# EvSpec.contract_request -> Get15118EVCertificateRequest.action (M01.FR.01, M02.FR.01)
CONTRACT_ACTIONS = {"install": "Install", "update": "Update"}
# The ISO 15118-2 request each action carries.
EV_REQUESTS = {"Install": "CertificateInstallationReq", "Update": "CertificateUpdateReq"}
SCHEDULE_WAIT_S = 60.0  # ISO 15118 ChargeParameterDiscoveryReq timeout (K15.FR.08)


class Iso15118Host(Services, Messaging, Variables, Evses, Protocol):
    """What the ISO 15118 part uses of the station: EVs on EVSEs, the session, ISO15118Ctrlr."""


class Schedules(Protocol):
    """Block K as its ISO 15118 part uses it: the profiles, the composite, sending."""

    @property
    def store(self) -> ProfileStore: ...
    @property
    def supply(self) -> Supply: ...
    @property
    def ac(self) -> bool: ...
    def transaction_id(self, evse_id: int) -> str | None: ...
    def composite(self, evse_id: int, duration: int, unit: str) -> dict[str, Any]: ...
    def spawn_send(self, action: str, payload: dict[str, Any]) -> None: ...
    async def send(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | None: ...


class Iso15118:
    __slots__ = (
        "_answers",
        "_certificates",
        "_contract_watchers",
        "_contracts",
        "_scheduled",
        "_sent",
        "_watchers",
        "cp",
        "smart",
    )

    def __init__(self, cp: Iso15118Host, smart: Schedules, certificates: EvCertificates) -> None:
        self.cp = cp
        self.smart = smart
        self._certificates = certificates  # block M's Get15118EVCertificate
        # Dict keys as sets below: empty, a dict is 64 bytes and a set 216 (10,000
        # stations share a process).
        self._sent: dict[int, None] = {}  # EVSEs whose current EV's needs went out
        self._answers: dict[int, str] = {}  # NotifyEVChargingNeedsResponse status per EVSE
        self._contracts: dict[int, str] = {}  # Get15118EVCertificateResponse status per EVSE
        self._scheduled: dict[int, None] = {}  # EVSEs whose EV has its schedule: power may flow
        self._watchers: list[Callable[[int], None]] = []
        self._contract_watchers: list[Callable[[int, str], None]] = []

    # ------------------------------------------------------------ state
    def hlc(self, evse_id: int) -> bool:
        """Whether an ISO 15118 EV is plugged into ``evse_id``."""
        connector = self._connector(evse_id)
        ev = connector.ev if connector is not None else None
        return ev is not None and ev.spec.iso15118

    def holding(self, evse_id: int) -> bool:
        """Whether the ISO 15118 EV on ``evse_id`` still waits for its schedule (no power)."""
        return self.hlc(evse_id) and evse_id not in self._scheduled

    def watch(self, handler: Callable[[int], None]) -> None:
        """Call ``handler(evse_id)`` when an EVSE stops waiting for its schedule."""
        self._watchers.append(handler)

    def _schedule_agreed(self, evse_id: int) -> None:
        """The EV has a schedule (the CSMS's or the station's own): PowerDeliveryReq Start."""
        self.cp.tasks.cancel_timer(f"ev-schedule-{evse_id}")
        if evse_id in self._scheduled or not self.hlc(evse_id):
            return
        self._scheduled[evse_id] = None
        for handler in list(self._watchers):
            handler(evse_id)

    def needs_sent(self, evse_id: int) -> bool:
        return evse_id in self._sent

    def answer(self, evse_id: int) -> str | None:
        """The CSMS's status for the last charging needs of ``evse_id`` (K15.FR.03-05)."""
        return self._answers.get(evse_id)

    def contract_status(self, evse_id: int) -> str | None:
        """The CSMS's answer to the EV's certificate installation or update on ``evse_id``."""
        return self._contracts.get(evse_id)

    def contract_action(self, evse_id: int) -> str | None:
        """What the EV on ``evse_id`` asks for its contract certificate if plugged in now:
        ``Install`` (M01), ``Update`` (M02), or None (no request: offline, installation
        not enabled, or an EV that keeps its contract)."""
        connector = self._connector(evse_id)
        ev = connector.ev if connector is not None else None
        if ev is None or not ev.spec.iso15118 or not self.cp.accepted:
            return None
        if not self.cp.flag("ISO15118Ctrlr", "ContractCertificateInstallationEnabled"):
            return None
        return CONTRACT_ACTIONS.get(ev.spec.contract_request)

    def watch_contract(self, handler: Callable[[int, str], None]) -> None:
        """Call ``handler(evse_id, status)`` when the EV's certificate exchange ends
        (status of the Get15118EVCertificateResponse, or Failed when there was none)."""
        self._contract_watchers.append(handler)

    def _connector(self, evse_id: int) -> Connector | None:
        if evse_id not in self.cp.evse_ids():
            return None
        return self.cp.station.connector(evse_id)

    # ------------------------------------------------------------ hooks
    def on_connector_event(self, evse_id: int, reason: str | None) -> None:
        cp = self.cp
        if reason == "plugged" and self.hlc(evse_id):
            if not cp.accepted:
                self._schedule_agreed(evse_id)  # K15.FR.15: offline, its own schedule
            else:
                cp.tasks.later(
                    f"ev-schedule-{evse_id}",
                    SCHEDULE_WAIT_S,
                    lambda: self._schedule_agreed(evse_id),
                )
            action = self.contract_action(evse_id)
            if action is not None:
                cp.tasks.spawn(
                    self._certificate_then_negotiate(evse_id, action), name=f"ev-cert-{evse_id}"
                )
            else:
                self.renegotiate(evse_id)
        elif reason == "unplugged":
            self._sent.pop(evse_id, None)
            self._answers.pop(evse_id, None)
            self._contracts.pop(evse_id, None)
            self._scheduled.pop(evse_id, None)
            cp.tasks.cancel_timer(f"ev-schedule-{evse_id}")

    async def _certificate_then_negotiate(self, evse_id: int, action: str) -> None:
        """ISO 15118-2: the certificate exchange comes before charge parameter discovery."""
        cp = self.cp
        connector = self._connector(evse_id)
        ev = connector.ev if connector is not None else None
        name = ev.spec.name if ev is not None else "EV"
        request = f"{EV_REQUESTS[action]}|{cp.station.id}|EVSE {evse_id}|{name}".encode()
        try:
            reply = await self._certificates.request_ev_certificate(
                ISO15118_2, action, base64.b64encode(request).decode()
            )
            status = str(reply["status"])
        except (CallError, CallTimeout, InvalidReply, LinkClosed) as exc:
            # M01/M02 error handling: the station tells the EV the exchange failed.
            log.warning("%s: Get15118EVCertificate failed: %s", cp.station.id, exc)
            status = "Failed"
        if not self.hlc(evse_id):
            return  # unplugged meanwhile: nobody to hand the answer to
        self._contracts[evse_id] = status
        for handler in list(self._contract_watchers):
            handler(evse_id, status)
        self.renegotiate(evse_id)

    def on_accepted(self) -> None:
        for evse_id in self.cp.evse_ids():
            if self.hlc(evse_id) and evse_id not in self._sent:
                self.renegotiate(evse_id)

    # ------------------------------------------------------------ K15 / K17: needs
    def renegotiate(self, evse_id: int) -> None:
        """The EV (re)states its charging needs (K15.FR.01, K17.FR.01); offline: later."""
        if not self.cp.accepted or not self.hlc(evse_id):
            return
        self._sent[evse_id] = None  # before the call: the CSMS may answer with a profile at once
        self.cp.tasks.spawn(self._send_needs(evse_id), name=f"ev-needs-{evse_id}")

    async def _send_needs(self, evse_id: int) -> None:
        payload = self.needs_payload(evse_id)
        if payload is None:
            return
        reply = await self.smart.send("NotifyEVChargingNeeds", payload)
        if reply is not None:
            self._answers[evse_id] = reply["status"]
        if reply is None or reply["status"] != "Accepted":
            # K15.FR.04/05: no schedule coming now (or the request failed): the station
            # answers the EV with a schedule of its own.
            self._schedule_agreed(evse_id)

    def needs_payload(self, evse_id: int) -> dict[str, Any] | None:
        """NotifyEVChargingNeedsRequest for the EV on ``evse_id`` (K15.FR.06)."""
        connector = self._connector(evse_id)
        ev = connector.ev if connector is not None else None
        if connector is None or ev is None:
            return None
        template = self.cp.station.template
        spec = ev.spec
        wanted_wh = max(0, int(spec.battery_wh * max(0.0, ev.target_soc - ev.soc) / 100.0))
        voltage = float(template.nominal_voltage_v)
        needs: dict[str, Any]
        if self.smart.ac:
            phases = ev.active_phases(template.phases)
            mode = {1: "AC_single_phase", 2: "AC_two_phase"}.get(phases, "AC_three_phase")
            needs = {
                "requestedEnergyTransfer": mode,
                "acChargingParameters": {
                    "energyAmount": wanted_wh,
                    "evMinCurrent": int(spec.min_ac_current_a),
                    "evMaxCurrent": int(spec.max_ac_current_a),
                    "evMaxVoltage": int(voltage),
                },
            }
        else:
            max_w = spec.max_dc_power_kw * 1000.0
            needs = {
                "requestedEnergyTransfer": "DC",
                "dcChargingParameters": {
                    "evMaxCurrent": int(max_w / voltage) if voltage else 0,
                    "evMaxVoltage": int(voltage),
                    "evMaxPower": int(max_w),
                    "energyAmount": wanted_wh,
                    "stateOfCharge": int(ev.soc),
                    "evEnergyCapacity": int(spec.battery_wh),
                    "fullSoC": int(ev.target_soc),
                },
            }
        payload: dict[str, Any] = {"evseId": evse_id, "chargingNeeds": needs}
        tuples = self.cp.variable("ISO15118Ctrlr", "MaxScheduleEntries")
        if tuples:
            payload["maxScheduleTuples"] = int(tuples)
        return payload

    # ------------------------------------------------------------ K15 / K16: the EV's schedule
    def schedule_set(self, evse_id: int) -> None:
        """A TxProfile was set: the EV picks a schedule and returns its profile (K15.FR.10)."""
        self._schedule_agreed(evse_id)  # ChargeParameterDiscoveryRes, then PowerDelivery
        if not self.hlc(evse_id) or not self.cp.online:
            return
        payload = self.schedule_payload(evse_id)
        if payload is not None:
            self.smart.spawn_send("NotifyEVChargingSchedule", payload)

    def schedule_payload(self, evse_id: int) -> dict[str, Any] | None:
        """NotifyEVChargingScheduleRequest: the EV's plan within the composite schedule."""
        smart = self.smart
        tx_id = smart.transaction_id(evse_id)
        profiles = [
            e for e in smart.store.of(TX, (evse_id,)) if e.raw.get("transactionId") == tx_id
        ]
        connector = self._connector(evse_id)
        if not profiles or connector is None or connector.ev is None:
            return None
        leading = max(profiles, key=lambda e: e.profile.stack_level)
        selected = leading.raw["chargingSchedule"][0]  # the EV takes the first SAScheduleTuple
        unit = selected["chargingRateUnit"]
        duration = self._remaining(connector, selected)
        composite = smart.composite(evse_id, duration, unit)
        ev_max = self._ev_max(connector, unit)
        periods: list[dict[str, Any]] = []
        for period in composite["chargingSchedulePeriod"]:
            capped = {**period, "limit": min(float(period["limit"]), ev_max)}
            if periods and periods[-1]["limit"] == capped["limit"]:
                continue
            periods.append(capped)
        return {
            "timeBase": composite["scheduleStart"],
            "evseId": evse_id,
            "chargingSchedule": {
                "id": selected["id"],  # K15.FR.19: the selected schedule
                "chargingRateUnit": unit,
                "duration": duration,
                "chargingSchedulePeriod": periods,
            },
        }

    def _remaining(self, connector: Connector, selected: dict[str, Any]) -> int:
        """Seconds left of the selected schedule: the EV plans no further (K15.FR.09)."""
        if selected.get("duration") is None:
            return DEFAULT_SCHEDULE_S
        start = profile_time(selected.get("startSchedule"))
        if start is None and connector.transaction is not None:
            start = connector.transaction.started_at  # Relative: from the transaction's start
        now = self.cp.clock.now()
        elapsed = (now - start).total_seconds() if start is not None else 0.0
        return max(1, int(selected["duration"] - max(0.0, elapsed)))

    def _ev_max(self, connector: Connector, unit: str) -> float:
        ev = connector.ev
        assert ev is not None
        template = self.cp.station.template
        supply = self.smart.supply
        if self.smart.ac:
            amps = ev.max_ac_current(template.nominal_voltage_v, template.phases)
            lines = ev.active_phases(template.phases)
            return round(convert(amps, "A", unit, supply, lines), 1)
        return round(convert(ev.spec.max_dc_power_kw * 1000.0, "W", unit, supply, 1), 1)
