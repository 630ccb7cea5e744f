"""The payload of one TransactionEventRequest, made from its EVSE session (E01-E03).

Every event names the trigger that caused it (E02.FR.17) and a seqNo counted from 0
per transaction (E01.FR.15); it reports the charging state only when that changed
(E01.FR.18, E02.FR.13), the EVSE in the first event and again after a new plug-in
(E01.FR.16), the token once it is known (E03.FR.01) and the number of phases and the
cable's limit when they change. Making the payload also notes what it reported, so
the next event does not repeat it: the session and transaction are updated here.
The block (``transactions``) counts the seqNo on, persists and queues the event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from bench.ocpp.common.timestamps import iso
from bench.ocpp.v201.tx_state import EvseSession, IdToken, Tx201, charging_state

if TYPE_CHECKING:
    from bench.model.clock import Clock
    from bench.model.connector import Connector

# Triggers an authorization left pending may replace (E02.FR.01, F02.FR.21).
_AMBIENT = frozenset({None, "CablePluggedIn", "ChargingStateChanged", "EVDetected"})


class EventHost(Protocol):
    """What an event's payload reads of the station: its clock and its link."""

    @property
    def clock(self) -> Clock: ...
    @property
    def online(self) -> bool: ...


def event_payload(
    cp: EventHost,
    session: EvseSession,
    tx: Tx201,
    connector: Connector,
    event_type: str,
    trigger: str,
    *,
    meter: list[dict[str, Any]] | None = None,
    reason: str | None = None,
    id_token: IdToken | None = None,
    force_state: bool = False,
    force_evse: bool = False,
    state: str | None = None,
) -> tuple[dict[str, Any], str]:
    """The next event's payload and the charging state it stands for.

    ``force_evse``: name the EVSE even when an earlier event did (a triggered event,
    which the CSMS may have asked of every EVSE at once, F06.FR.11); ``state``: the
    charging state to report when it is not the one now (E03.FR.12)."""
    if event_type != "Ended" and session.pending_trigger and trigger in _AMBIENT:
        trigger = session.pending_trigger  # E02.FR.01, F02.FR.21: the next event says so
    session.pending_trigger = None
    state = charging_state(connector, session) if state is None else state
    now = cp.clock.monotonic()
    if state == "Charging" and tx.charging_since is None:
        tx.charging_since = now
    elif state != "Charging" and tx.charging_since is not None:
        tx.charging_s += now - tx.charging_since
        tx.charging_since = None
    info: dict[str, Any] = {"transactionId": tx.transaction_id}
    if state != tx.charging_state or force_state:
        info["chargingState"] = state
    if event_type == "Ended":
        info["stoppedReason"] = reason or "Local"
        info["timeSpentCharging"] = tx.time_charging(now)
    if session.remote_start_id is not None:
        info["remoteStartId"] = session.remote_start_id
        session.remote_start_id = None
    payload: dict[str, Any] = {
        "eventType": event_type,
        "timestamp": iso(cp.clock.now()),
        "triggerReason": trigger,
        "seqNo": tx.seq_no,
        "transactionInfo": info,
    }
    if not cp.online:
        payload["offline"] = True  # E04.FR.03, E08.FR.07
    token = id_token
    if token is None and session.authorized is not None and not session.token_reported:
        token = session.authorized
    if session.authorized is not None:
        session.token_reported = True
    if token is not None:
        payload["idToken"] = token
    if session.reservation_id is not None:
        payload["reservationId"] = session.reservation_id
        session.reservation_id = None
    if force_evse or tx.seq_no == 0 or (connector.plugged and not tx.evse_sent_plugged):
        payload["evse"] = {"id": session.evse_id, "connectorId": 1}
        tx.evse_sent_plugged = connector.plugged
    if state == "Charging" and connector.ev is not None:
        phases = 1
        template = connector.station.template
        if template.current_type == "AC":
            phases = connector.ev.active_phases(template.phases)
        if phases != tx.phases:
            payload["numberOfPhasesUsed"] = phases
            tx.phases = phases
    cable = connector.effective_cable_max_a
    if cable is not None and not tx.cable_sent:
        payload["cableMaxCurrent"] = int(cable)
        tx.cable_sent = True
    if meter:
        payload["meterValue"] = meter
    return payload, state
