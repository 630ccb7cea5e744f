"""What the CSMS knows about each station right now, and the snapshots it hands out.

Version-neutral. ``StationState`` is the live, mutable record the handlers
update; ``StationInfo`` is a frozen copy for callers (tests, console, GUI), so
nobody outside the CSMS can change its state by accident. The persistent
record (registration, transactions, history) is in ``storage``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bench.csms.storage import MeterValueRow, StatusRow, Transaction

HISTORY_LIMIT = 5000  # incoming CALLs kept per station for wait_for_message
_VERSIONS = {"ocpp1.6": "1.6", "ocpp2.0.1": "2.0.1"}


class UnknownStation(KeyError):
    """No station with this id is connected (or, for ``station()``, was ever seen)."""

    def __str__(self) -> str:  # KeyError would print the repr of its argument
        return str(self.args[0]) if self.args else "unknown station"


class NotAllowed(Exception):
    """The CSMS may not send this request to the station in its registration state.

    1.6 §4.2: no RemoteStart/RemoteStopTransaction while Pending; nothing at all
    while Rejected (2.0.1: B02.FR.05, B03.FR.03). Pass ``force=True`` to ``call``
    to send it anyway.
    """


class WrongVersion(NotAllowed):
    """A typed helper of one OCPP version was used on a station speaking another.

    ``csms.v201.reset("CP16")`` on a 1.6 station: refused before anything is sent
    (``force`` does not help; ``call`` sends raw payloads of either version).
    """


@dataclass(slots=True)
class IncomingMessage:
    """One CALL the station sent us and what we answered."""

    seq: int
    station: str
    action: str
    payload: dict[str, Any]
    received: datetime
    reply: dict[str, Any] | None = None
    error: str | None = None  # the CALLERROR code we answered with
    consumed: bool = False  # returned by a wait_for_message already


@dataclass(slots=True)
class StationState:
    id: str
    registration: str | None = None  # None: never booted (as far as the store knows)
    connected: bool = False
    subprotocol: str | None = None
    boot: dict[str, Any] | None = None
    boot_count: int = 0  # BootNotifications answered by this CSMS run
    boot_index: int = 0  # position in the boot response sequence
    boot_responses: list[str] | None = None  # per-station override of the config sequence
    last_boot: datetime | None = None
    last_heartbeat: datetime | None = None
    connectors: dict[int, StatusRow] = field(default_factory=dict)
    last_meter_values: dict[int, list[MeterValueRow]] = field(default_factory=dict)
    firmware_status: str | None = None
    diagnostics_status: str | None = None
    # Messages the CSMS asked for with TriggerMessage (2.0.1: also GetBaseReport and
    # GetReport) while the station is not accepted (1.6 §4.2, B01.FR.10 allow exactly
    # those); keys from the protocol's ``expected_trigger``, consumed as they arrive.
    triggered: set[str] = field(default_factory=set)
    history: deque[IncomingMessage] = field(default_factory=lambda: deque(maxlen=HISTORY_LIMIT))
    # 2.0.1 DeviceDataCtrlr.ItemsPerMessage the station reported, by instance
    # (GetVariables, SetVariables): the CSMS sends no more items per request (B05.FR.11,
    # B06.FR.05; bench.csms.v201_items).
    items_per_message: dict[str, int] = field(default_factory=dict)
    # The highest security profile the station connected with on this CSMS's listener:
    # a lower one is refused from then on (A05.FR.07). Kept for the run, not stored.
    security_floor: int = 0


@dataclass(slots=True, frozen=True)
class StationInfo:
    """A snapshot of one station as the CSMS sees it."""

    id: str
    connected: bool
    subprotocol: str | None
    registration: str | None
    boot: dict[str, Any] | None
    boot_count: int
    last_boot: datetime | None
    last_heartbeat: datetime | None
    connectors: dict[int, StatusRow]
    transactions: list[Transaction]  # the open ones
    last_meter_values: dict[int, list[MeterValueRow]]
    firmware_status: str | None
    diagnostics_status: str | None

    @property
    def accepted(self) -> bool:
        return self.registration == "Accepted"

    @property
    def version(self) -> str | None:
        """The OCPP version of the subprotocol ("1.6", "2.0.1"), None before any connection."""
        return _VERSIONS.get(self.subprotocol or "")


def snapshot(state: StationState, open_transactions: list[Transaction]) -> StationInfo:
    return StationInfo(
        id=state.id,
        connected=state.connected,
        subprotocol=state.subprotocol,
        registration=state.registration,
        boot=dict(state.boot) if state.boot is not None else None,
        boot_count=state.boot_count,
        last_boot=state.last_boot,
        last_heartbeat=state.last_heartbeat,
        connectors=dict(state.connectors),
        transactions=list(open_transactions),
        last_meter_values={k: list(v) for k, v in state.last_meter_values.items()},
        firmware_status=state.firmware_status,
        diagnostics_status=state.diagnostics_status,
    )
