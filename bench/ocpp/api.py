"""The one charge point API both OCPP versions implement (issue 12).

The UI, the CLI, the runtime, the demo and the step language drive a station
through ``ChargePointApi`` only: they never ask which version a charge point
speaks to decide what to call, never read its private members and never parse
the text of a limit. Each version maps the neutral words below onto its own
(1.6 stop reasons and configuration keys; 2.0.1 boot reasons, stopped reasons
and device model) in ``bench.ocpp.v16.api_impl`` and ``bench.ocpp.v201.api_impl``.

Everything a caller reads comes back as frozen dataclasses, so a view can keep
one and compare it with the next without it changing underneath.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

if TYPE_CHECKING:
    from bench.model.clock import Clock
    from bench.model.ev import Ev
    from bench.model.faults import Fault
    from bench.model.station import Station
    from bench.smart.store import Installed
    from bench.smart.units import Supply
    from bench.transport.impair_spec import Impairment


F = TypeVar("F")

# Answers one CSMS-initiated request: its payload in, the reply payload out.
RequestHandler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


class RebootKind(Enum):
    """Why a station restarts, in words no OCPP version owns.

    Each version maps a kind to its own fields: 1.6 to the StopTransaction reason
    of the transactions the reboot ends (1.6 §7.36); 2.0.1 to the BootNotification
    reason (BootReasonEnumType, B11/B12) and the stoppedReason (ReasonEnumType, E06).
    """

    LOCAL = "local"  # restarted at the station itself: the bench's Reboot button, a script
    REMOTE = "remote"  # the CSMS reset it now (1.6 Reset Soft, 2.0.1 Reset Immediate)
    SCHEDULED = "scheduled"  # a reset the CSMS asked for earlier, done once idle (B12.FR.01)


class Registration(Enum):
    """Where the station stands with its CSMS after BootNotification (1.6 §4.2, B01-B03)."""

    NONE = "None"  # not booted since power-on
    PENDING = "Pending"
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"


class LinkState(Enum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    OFFLINE = "offline"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class NetworkState:
    """The station's network as a technician sees it."""

    enabled: bool  # False while the bench user (or a script) has cut the network
    link: LinkState
    last_error: str | None  # why the last connection failed or ended, if it did
    url: str  # the CSMS endpoint it connects to


@dataclass(frozen=True, slots=True)
class Heartbeat:
    interval_s: int  # 0: no heartbeat
    last_at: float | None  # the station clock's monotonic() of the last answered one


@dataclass(frozen=True, slots=True)
class Power:
    """The station's supply as a technician sees it."""

    on: bool  # False while a power cut (or a reboot) keeps the station dark
    cut: bool  # True from ``power_cut()`` until ``power_restore()``
    back_at: float | None  # while rebooting: the clock's monotonic() its power comes back


@dataclass(frozen=True, slots=True)
class StorageState:
    """Whether the station's database accepts writes (issue 11: disk full, read-only...)."""

    failing: bool
    kind: str  # FULL, READ_ONLY, BUSY, IO_ERROR; "" while writes succeed
    unsaved: int  # changes held in memory only: lost if the process ends now
    detail: str | None  # the last refusal's text, if any


@dataclass(frozen=True, slots=True)
class UnsavedQueue:
    """What the queue of transaction messages holds in memory only."""

    actions: tuple[str, ...]  # queued messages the disk refused, oldest first
    resend: int  # delivered messages whose rows could not be removed: sent again on restart


class LimitOrigin(Enum):
    """Who imposes the current limit in force on a connector."""

    HARDWARE = "hardware"  # nothing below the connector's (and cable's) rating
    LOCAL = "local"  # the bench user's cap on the connector
    PROFILE = "profile"  # a charging profile the CSMS installed
    EXTERNAL = "external"  # an external system (EMS, DSO) through the station (2.0.1 K11-K13)


@dataclass(frozen=True, slots=True)
class LimitSource:
    """Structured: a profile's id, purpose and stack level, never a label to parse."""

    origin: LimitOrigin
    profile_id: int | None = None
    purpose: str | None = None  # the version's purpose name (TxProfile, ChargePointMaxProfile...)
    stack_level: int | None = None
    place: int | None = None  # connector / EVSE the profile is installed on (0: the station)
    external_source: str | None = None  # chargingLimitSource of an external limit (EMS, SO...)
    shared_by: int | None = None  # a station-wide maximum split between this many connectors


@dataclass(frozen=True, slots=True)
class Limit:
    amps: float  # per phase
    source: LimitSource


@dataclass(frozen=True, slots=True)
class TransactionView:
    """The running transaction on a connector / EVSE: one object whichever version."""

    id: str | None  # None until the CSMS assigns one (a 1.6 transaction started offline)
    tag: str  # the idTag / idToken that started it ("" for none)
    token_type: str | None  # 2.0.1 IdTokenEnumType; None in 1.6
    started_at: datetime
    meter_start_wh: int
    energy_wh: float  # delivered so far (register minus meter start)
    charging_state: str | None  # 2.0.1 ChargingStateEnumType; None in 1.6 or before Started


@dataclass(frozen=True, slots=True)
class ConnectorView:
    """One connector (1.6) or EVSE with its one connector (2.0.1)."""

    id: int
    status: str  # the status the version reports (ChargePointStatus / ConnectorStatusEnumType)
    error_code: str | None  # 1.6 ChargePointErrorCode; None in 2.0.1 (faults go to NotifyEvent)
    vendor_error_code: str | None
    plugged: bool
    transaction: TransactionView | None
    limit: Limit  # the strictest of hardware, local cap and smart charging
    smart_limit: Limit | None  # what profiles or an external system impose, if anything


@dataclass(frozen=True, slots=True)
class InstalledProfile:
    """A charging profile the station holds, in neutral terms."""

    id: int
    place: int  # connector / EVSE (0: the station as a whole)
    purpose: str  # the version's purpose name
    stack_level: int
    source: str  # chargingLimitSource (always "CSO", the CSMS, in 1.6)
    transaction_id: str | None  # a TxProfile's transaction
    installed_at: datetime


@dataclass(frozen=True, slots=True)
class SchedulePeriod:
    start_s: int  # seconds from the schedule's start
    limit: float  # in the schedule's unit
    phases: int | None = None


@dataclass(frozen=True, slots=True)
class CompositeSchedule:
    """What GetCompositeSchedule would report for a place from now (1.6 §5.7, K08)."""

    place: int
    start: datetime
    unit: str  # "A" or "W"
    periods: tuple[SchedulePeriod, ...]


@dataclass(frozen=True, slots=True)
class Setting:
    """One configuration key (1.6) or device-model variable (2.0.1, its Actual value)."""

    name: str  # 1.6 the key; 2.0.1 ``Component[instance]@evse.connector/Variable[instance]``
    value: str | None  # None for a write-only value (never shown) or one not set
    writable: bool
    secret: bool  # write-only: a value typed for it must never be echoed


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    name: str
    status: str  # the version's word: Accepted, Rejected, RebootRequired, NotSupported...
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("Accepted", "RebootRequired")


class Settings(Protocol):
    """Configuration keys (1.6 §9) or the device model (2.0.1 B05-B07) behind one face.

    A write takes the very path the CSMS's ChangeConfiguration / SetVariables takes,
    so it accepts and refuses exactly what the station would.
    """

    def read(self, name: str) -> str | None: ...

    def list(self) -> Sequence[Setting]: ...

    async def write(self, name: str, value: str) -> WriteOutcome: ...


@runtime_checkable
class ChargePointApi(Protocol):
    """What a caller outside the version packages may do with a charge point."""

    @property
    def version(self) -> str:
        """ "1.6" or "2.0.1": for the user to read, never to branch on."""
        ...

    @property
    def station_id(self) -> str: ...

    @property
    def station(self) -> Station:
        """The physical model (meters, EV, identity) for views to read; act through the
        methods below so each version reacts the way it must."""
        ...

    @property
    def clock(self) -> Clock: ...

    # ------------------------------------------------------------ lifecycle
    async def start(self) -> None: ...

    async def stop(self, *, drain_timeout: float = 10.0) -> None: ...

    async def reboot(self, kind: RebootKind = RebootKind.LOCAL) -> None: ...

    async def wait_accepted(self, timeout: float) -> None: ...

    async def power_cut(self) -> None:
        """A station-wide power failure: contactors open, the link drops, the station stays
        dark until ``power_restore``. Running transactions end with the versions' PowerLoss
        reason (1.6 §7.36 Reason, 2.0.1 ReasonEnumType); the messages go out after the boot."""
        ...

    async def power_restore(self) -> None:
        """Power comes back: after the template's boot duration the station boots afresh
        (2.0.1 BootNotification reason PowerUp, B01)."""
        ...

    def power(self) -> Power: ...

    def watch(self, watched: bool) -> None:
        """Someone looks at the station (its view is shown): its measured values are
        refreshed every physics interval instead of only when they change by themselves."""
        ...

    # ------------------------------------------------------------ network
    def cut_network(self) -> None: ...

    def restore_network(self) -> None: ...

    def network(self) -> NetworkState: ...

    def impair(self, spec: str) -> Impairment:
        """Change the station's network faults by a spec string ("latency 800ms jitter 200ms",
        "loss 5%", "halfopen", "flap 30s", "off"; see ``bench.transport.impair_spec``);
        ``ValueError`` for one that does not parse. Emits ``ImpairmentChanged``."""
        ...

    def impairment(self) -> Impairment:
        """The network faults in force now (``describe()`` words them)."""
        ...

    # ------------------------------------------------------------ registration
    def registration_state(self) -> Registration: ...

    def heartbeat(self) -> Heartbeat: ...

    # ------------------------------------------------------------ physical actions
    def plug_in(self, connector_id: int, ev_template: str, soc: float | None = None) -> Ev:
        """Plug an EV built from the named template into the connector."""
        ...

    def unplug(self, connector_id: int) -> None: ...

    def present_id(self, tag: str, connector_id: int | None = None) -> bool: ...

    def id_token_problem(self, tag: str) -> str | None:
        """Why ``tag`` cannot be an identifier in this version (its length), or None."""
        ...

    def raise_fault(self, connector_id: int, fault: Fault | str) -> None:
        """Raise a fault from the catalogue; connector 0 is the station as a whole."""
        ...

    def clear_fault(self, connector_id: int) -> None: ...

    def suspend_ev(self, connector_id: int) -> None: ...

    def resume_ev(self, connector_id: int) -> None: ...

    def set_soc(self, connector_id: int, pct: float) -> None: ...

    def set_local_limit(self, connector_id: int, amps: float | None) -> None: ...

    def set_external_limit(self, connector_id: int, amps: float | None) -> None:
        """The limit an external system imposes: 2.0.1 an external-constraints profile
        announced with NotifyChargingLimit (K12); 1.6, which has none, a local cap."""
        ...

    def renegotiate_ev(self, connector_id: int) -> bool:
        """The ISO 15118 EV on the connector renegotiates its charging needs, which the
        station relays (2.0.1 K17.FR.01); False where no such EV is plugged in (always in
        1.6, which has no charging needs)."""
        ...

    def external_limit_origin(self) -> LimitOrigin:
        """What ``set_external_limit`` imposes: EXTERNAL where the version has external
        limits (2.0.1 K11-K13), LOCAL where it falls back to a local cap (1.6)."""
        ...

    # ------------------------------------------------------------ views
    def connector_ids(self) -> Sequence[int]: ...

    def connector(self, connector_id: int) -> ConnectorView:
        """1.6 connector 0 is the station itself (§4.9); 2.0.1 has no EVSE 0 to view."""
        ...

    async def wait_status(self, connector_id: int, status: str, timeout: float) -> bool:
        """Wait up to ``timeout`` virtual seconds for the connector to show ``status``
        (2.0.1 also matches the transaction's chargingState)."""
        ...

    def station_limit(self) -> Limit | None:
        """A station-wide smart-charging limit apart from the connectors' (2.0.1), or None."""
        ...

    def profiles(self) -> Sequence[InstalledProfile]: ...

    def composite_schedule(self, place: int, duration_s: int, unit: str) -> CompositeSchedule: ...

    def profile_entries(self) -> Sequence[Installed]:
        """The installed profiles as the smart-charging engine holds them (schedules and
        all), for views that draw them; ``profiles()`` names them in neutral words."""
        ...

    def supply(self) -> Supply:
        """Voltage and usable phases: what converts a schedule between A and W."""
        ...

    @property
    def settings(self) -> Settings: ...

    def security_profile(self) -> int: ...

    # ------------------------------------------------------------ queue and events
    def queue_length(self) -> int: ...

    def queued_actions(self) -> Sequence[str]: ...

    def unsaved_queue(self) -> UnsavedQueue: ...

    def storage_state(self) -> StorageState: ...

    async def drained(self) -> None:
        """Return once the queue of transaction messages is empty."""
        ...

    def subscribe(self, handler: Callable[[object], None]) -> Callable[[], None]:
        """Call ``handler`` with every event the charge point emits; returns unsubscribe."""
        ...

    # ------------------------------------------------------------ conformance cases
    async def send_message(
        self, action: str, payload: dict[str, Any], *, timeout: float | None = None
    ) -> dict[str, Any]:
        """Send ``action`` with ``payload`` through the station's session, as it is, and
        return the CSMS's reply payload.

        For test cases that need a message the station would not send on its own (an
        unknown idToken, a status while Pending). It is logged and validated like any
        frame; raises ``CallError``, ``CallTimeout``, ``InvalidReply``, ``InvalidOutgoing``
        or ``LinkClosed`` (``bench.ocpp.errors``) the way a session call does.
        """
        ...

    def answer_with(self, action: str, handler: RequestHandler) -> Callable[[], None]:
        """Answer the CSMS's ``action`` requests with ``handler`` instead of the station's
        own handler until the returned function is called (a test case's scripted reply)."""
        ...

    # ------------------------------------------------------------ what one version has
    def facet(self, kind: type[F]) -> F | None:
        """The part of the station that ``kind`` describes, or None when it has none.

        ``kind`` is a small Protocol a version package declares for what only it has
        (``bench.ocpp.v201.facets``: the device model, monitors, the display, the
        TransactionEvent log; 1.6's ``bench.ocpp.v16.config.Configuration``: its keys). A view asks
        for what it shows and hides itself on None: it never asks for the version.
        """
        ...
