"""The half of ``ChargePointApi`` that reads the same in both OCPP versions.

``CommonApi`` sits between ``ChargePointBase`` and each version's ``api_impl``:
the network, the registration, the heartbeat and the physical actions act on
the shared link loop and on the model, so they are written once. What differs
(statuses, transactions, profiles, settings, the reboot's words) is in
``bench.ocpp.v16.api_impl`` and ``bench.ocpp.v201.api_impl``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bench.model.ev import Ev
from bench.model.templates import load_ev_template
from bench.ocpp.api import (
    Heartbeat,
    Limit,
    LimitOrigin,
    LimitSource,
    LinkState,
    NetworkState,
    Power,
    Registration,
    RequestHandler,
    StorageState,
)
from bench.ocpp.charge_point_base import OFFLINE, ChargePointBase
from bench.smart.composite import ProfileSource
from bench.transport.config import LinkConfig
from bench.transport.impair import NetworkFaults
from bench.transport.impair_spec import NO_IMPAIRMENT, Impairment

if TYPE_CHECKING:
    from bench.model.connector import Connector
    from bench.model.faults import Fault
    from bench.smart.store import Installed


# Why the link is down while the station has no power (NetworkState.last_error).
POWER_CUT = "power cut"


class CommonApi(ChargePointBase):
    """Network, registration, heartbeat and physical actions, for both versions."""

    __slots__ = ("_faults", "_open_plain")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Network faults on demand (issue 17): once a fault has been set, every link the
        # station opens passes through them. Until then there is no fault object and no
        # wrapper around the link at all (~1.3 KiB a station, 10,000 in a fleet process).
        self._faults: NetworkFaults | None = None
        self._open_plain = self._open_link
        self._open_link = self._open_through_faults

    async def _open_through_faults(self, cfg: LinkConfig) -> Any:
        faults = self._faults
        if faults is None:
            return await self._open_plain(cfg)
        return await faults.open(self._open_plain, cfg)

    @property
    def network_faults(self) -> NetworkFaults:
        """The station's network faults, installed on first use (see ``impair``)."""
        faults = self._faults
        if faults is None:
            # Their delays run on the wall timers, like the reconnect pauses.
            faults = NetworkFaults(
                self.clock.wall, seed=self.station.id, on_change=self.events.emit
            )
            self._faults = faults
            link = self._link
            if link is not None:
                # The link open now was opened plainly: it takes the faults from here
                # on, as a link opened through them would (a read already waiting on it
                # returns its frame directly, as the wrapper's own fast path does).
                wrapped = faults.wrap(link)
                self._link = wrapped
                if self.session.link is link:
                    self.session.link = wrapped
        return faults

    @property
    def station_id(self) -> str:
        return self.station.id

    # ------------------------------------------------------------ power
    async def power_cut(self) -> None:
        """Everything goes dark at once, as on a real power failure.

        The version ends its transactions first (their messages wait in the queue: the
        station has no power to send them), then the supply goes, the registration is
        forgotten and the link drops. The station stays dark until ``power_restore``.
        """
        if not self.station.powered:
            raise RuntimeError(f"{self.station.id} has no power to cut")
        self._end_transactions_for_power_loss()
        self.station.power_off()
        self._forget_registration()
        await self._close_link()
        self._set_link_state(OFFLINE, POWER_CUT)

    async def power_restore(self) -> None:
        """Power is back: the station boots for the template's duration, then connects
        and registers afresh with the version's power-up reason."""
        if self.station.powered:
            raise RuntimeError(f"{self.station.id} has power already")
        if self.powered_off_until is not None:
            raise RuntimeError(f"{self.station.id} is booting already")
        boot_seconds = self.station.template.boot_seconds
        self.powered_off_until = self.clock.monotonic() + boot_seconds
        try:
            if boot_seconds > 0:
                await self.clock.sleep(boot_seconds)  # virtual time: a manual clock skips it
        finally:
            self.powered_off_until = None
        self._prepare_power_up()
        self.station.power_on()
        self._backoff.reset()
        self._wake.set()

    def power(self) -> Power:
        on = self.station.powered
        booting = self.powered_off_until
        return Power(on, not on and booting is None, booting)

    def _end_transactions_for_power_loss(self) -> None:
        """End running transactions with the version's PowerLoss reason (queued)."""
        raise NotImplementedError

    def _prepare_power_up(self) -> None:
        """What the version does before the first boot after power returns."""
        raise NotImplementedError

    # ------------------------------------------------------------ storage
    def storage_state(self) -> StorageState:
        health = self.storage
        return StorageState(
            health.failing, health.kind, health.unsaved_count(), health.last_detail or None
        )

    # ------------------------------------------------------------ network
    def network(self) -> NetworkState:
        return NetworkState(
            self._network_enabled,
            LinkState(self.link_state),
            self.last_link_error,
            self.link_config.url,
        )

    def impair(self, spec: str) -> Impairment:
        """Change the station's network faults by a spec string (see ``impair_spec``)."""
        return self.network_faults.apply(spec)

    def impairment(self) -> Impairment:
        faults = self._faults
        return NO_IMPAIRMENT if faults is None else faults.current

    # ------------------------------------------------------------ registration
    def registration_state(self) -> Registration:
        return Registration(self.registration)

    def heartbeat(self) -> Heartbeat:
        return Heartbeat(int(self.heartbeat_interval), self.last_heartbeat)

    # ------------------------------------------------------------ physical actions
    def plug_in(self, connector_id: int, ev_template: str, soc: float | None = None) -> Ev:
        """Plug an EV built from ``ev_template`` into the connector."""
        ev = Ev(load_ev_template(ev_template), soc=soc)
        self.station.connector(connector_id).plug_in(ev)
        return ev

    def unplug(self, connector_id: int) -> None:
        self.station.connector(connector_id).unplug()

    def raise_fault(self, connector_id: int, fault: Fault | str) -> None:
        if connector_id == 0:
            self.station.raise_fault(fault)
        else:
            self.station.connector(connector_id).raise_fault(fault)

    def clear_fault(self, connector_id: int) -> None:
        if connector_id == 0:
            self.station.clear_fault()
        else:
            self.station.connector(connector_id).clear_fault()

    def suspend_ev(self, connector_id: int) -> None:
        self.station.connector(connector_id).suspend_ev()

    def resume_ev(self, connector_id: int) -> None:
        self.station.connector(connector_id).resume_ev()

    def set_soc(self, connector_id: int, pct: float) -> None:
        self.station.connector(connector_id).set_ev_soc(pct)

    def set_local_limit(self, connector_id: int, amps: float | None) -> None:
        self.station.connector(connector_id).set_local_limit(amps)

    # ------------------------------------------------------------ views
    def connector_ids(self) -> Sequence[int]:
        return tuple(c.id for c in self.station.connectors)

    def subscribe(self, handler: Callable[[object], None]) -> Callable[[], None]:
        return self.events.subscribe(handler)

    # ------------------------------------------------------------ conformance cases
    async def send_message(
        self, action: str, payload: dict[str, Any], *, timeout: float | None = None
    ) -> dict[str, Any]:
        return await self.session.call(action, payload, timeout=timeout)

    def answer_with(self, action: str, handler: RequestHandler) -> Callable[[], None]:
        session = self.session
        own = session.handlers
        session.handlers = _Answering(own, action, handler)

        def restore() -> None:
            if isinstance(session.handlers, _Answering) and session.handlers.action == action:
                session.handlers = own

        return restore


class _Answering(Mapping[str, Any]):
    """The station's handlers, with one action answered by a test case instead."""

    __slots__ = ("action", "handler", "own")

    def __init__(self, own: Mapping[str, Any], action: str, handler: RequestHandler) -> None:
        self.own = own
        self.action = action
        self.handler = handler

    def __getitem__(self, action: str) -> Any:
        return self.handler if action == self.action else self.own[action]

    def get(self, action: str, default: Any = None) -> Any:
        return self.handler if action == self.action else self.own.get(action, default)

    def __iter__(self) -> Iterator[str]:
        yield from self.own
        if self.action not in self.own:
            yield self.action

    def __len__(self) -> int:
        return len(self.own) + (self.action not in self.own)


def limit_in_force(connector: Connector, smart: Limit | None) -> Limit:
    """The strictest of the connector's rating (and cable's), its local cap and ``smart``."""
    limit = Limit(connector.hardware_max_a, LimitSource(LimitOrigin.HARDWARE))
    cable = connector.effective_cable_max_a
    if cable is not None and cable < limit.amps:
        limit = Limit(cable, limit.source)  # the cable is part of the hardware
    if smart is not None and smart.amps < limit.amps:
        limit = smart
    local = connector.local_limit_a
    if local is not None and local < limit.amps:
        limit = Limit(local, LimitSource(LimitOrigin.LOCAL))
    return Limit(max(0.0, limit.amps), limit.source)


def profile_limit(
    amps: float | None,
    source: str | None,
    entries: Iterable[Installed],
    external_source: Callable[[Installed], str | None],
) -> Limit | None:
    """The smart-charging limit the engine set on a connector, with a structured source.

    The engine hands the deciding profile's id, purpose and stack level (and how many
    connectors share a station-wide limit) as data on the source (``ProfileSource``);
    the installed entry of that id says where it sits and, for an external limit, who
    imposes it.
    """
    if amps is None:
        return None
    if not isinstance(source, ProfileSource):
        raise ValueError(f"a smart-charging limit of {amps} A without a deciding profile")
    entry = next((e for e in entries if e.profile.id == source.profile_id), None)
    external = external_source(entry) if entry is not None else None
    return Limit(
        amps,
        LimitSource(
            LimitOrigin.EXTERNAL if external is not None else LimitOrigin.PROFILE,
            profile_id=source.profile_id,
            purpose=source.purpose,
            stack_level=source.stack_level,
            # None only when the profile was removed this very turn, before the engine ran.
            place=entry.connector_id if entry is not None else None,
            external_source=external,
            shared_by=source.shared_by,
        ),
    )
