"""The charging station under test: one of the bench's own, or a real one.

``OwnStation`` starts a fresh bench station (a new database, the template's
default configuration) for every case, connected to the run's endpoint, and does
the case's physical steps through the station API (``StationActuator``): the
whole catalogue runs unattended. This is also how the bench tests itself.

``RealStation`` is a charger the bench does not control: it stays connected from
case to case; a case waits for it to be connected, and its physical steps go to a
person (the terminal or the app's dialog).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

from bench.conformance.charger.endpoint import CsmsEndpoint
from bench.conformance.charger.run import ChargerSettings
from bench.conformance.evidence import Inconclusive
from bench.conformance.manual import ManualOutcome, ManualRequest
from bench.ocpp.api import ChargePointApi, RebootKind
from bench.runtime import StationOptions, StationRun

log = logging.getLogger(__name__)


class DeviceUnderTest(Protocol):
    """What the runner needs of the station under test."""

    @property
    def station(self) -> ChargePointApi | None:
        """The bench's own station under test (None for a real charger)."""

    async def before_case(self, case_id: str) -> None:
        """Have the station connected and idle for the next case."""

    async def after_case(self, case_id: str) -> None: ...

    async def close(self) -> None: ...


class RealStation:
    """A charger a person operates: the bench only waits for it to be connected."""

    def __init__(self, endpoint: CsmsEndpoint, settings: ChargerSettings) -> None:
        self.endpoint = endpoint
        self.settings = settings

    @property
    def station(self) -> ChargePointApi | None:
        return None

    async def before_case(self, case_id: str) -> None:
        if not await self.endpoint.wait_connected(self.settings.timeout):
            raise Inconclusive(
                f"the station {self.settings.station_id} is not connected to "
                f"{self.endpoint.station_url} (waited {self.settings.timeout:g} s)"
            )

    async def after_case(self, case_id: str) -> None:
        pass

    async def close(self) -> None:
        pass


class OwnStation:
    """A fresh bench station per case, from a template, as the station under test."""

    def __init__(
        self,
        endpoint: CsmsEndpoint,
        settings: ChargerSettings,
        template: str,
        *,
        station_settings: dict[str, str] | None = None,
        password: str | None = None,
        ca_file: str | None = None,
        cert_file: str | None = None,
        key_file: str | None = None,
        folder: Path | None = None,
        device_specs: list[Any] | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.settings = settings
        self.template = template
        # boot at once, secure firmware updates only (as certified, TC_L_18_CS); the
        # case's own settings (a misbehaviour) come on top.
        self.station_settings = {
            "boot_seconds": "0",
            "unsigned_firmware": "false",
            **(station_settings or {}),
        }
        self.password = password
        self.ca_file = ca_file
        self.cert_file = cert_file
        self.key_file = key_file
        self.device_specs = list(device_specs or [])
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if folder is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="bench-dut-")
            folder = Path(self._tmp.name)
        self.folder = folder
        self._run: StationRun | None = None

    @property
    def station(self) -> ChargePointApi | None:
        return self._run.cp if self._run is not None else None

    async def before_case(self, case_id: str) -> None:
        options = StationOptions(
            csms_url=self.endpoint.url,
            station_id=self.settings.station_id,
            ocpp=self.settings.version,
            station_template=self.template,
            ev_template=self.settings.ev_template,
            db=str(self.folder / f"{case_id}.db"),
            password=self.password,
            ca_file=self.ca_file,
            cert_file=self.cert_file,
            key_file=self.key_file,
            settings=dict(self.station_settings),
            devices=list(self.device_specs),
        )
        self._run = StationRun(options)
        await self._run.start()
        await self._settled(self._run.cp)

    async def _settled(self, cp: ChargePointApi) -> None:
        """Accepted, and every connector's first status reported: the case starts idle."""
        limit = self.settings.timeout
        try:
            await cp.wait_accepted(limit)
        except TimeoutError:
            raise Inconclusive(
                f"the bench's own station was not accepted within {limit:g} s"
            ) from None
        wanted = len(cp.connector_ids()) + (1 if self.settings.version == "1.6" else 0)
        # Not reached (a station that leaves a status out): the case's own checks say so.
        await self.endpoint.wait_for(lambda: len(self.endpoint.reported) >= wanted, limit)

    async def after_case(self, case_id: str) -> None:
        if self._run is not None:
            run, self._run = self._run, None
            await run.stop()
        await self.endpoint.wait_disconnected(5.0)

    async def close(self) -> None:
        await self.after_case("")
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


# --------------------------------------------------------------------- physical steps
Action = Callable[[ChargePointApi, dict[str, Any]], Awaitable[None] | None]


async def _power_cycle(cp: ChargePointApi, params: dict[str, Any]) -> None:
    await cp.power_cut()
    await cp.power_restore()


def _plug_in(cp: ChargePointApi, params: dict[str, Any]) -> None:
    cp.plug_in(int(params.get("connector_id", 1)), str(params.get("ev_template", "family-ev")))


def _plug_in_halfway(cp: ChargePointApi, params: dict[str, Any]) -> None:
    # A half-inserted plug: the connector lock cannot engage (a lock failure), then the EV.
    cp.raise_fault(int(params.get("connector_id", 1)), "connector_lock_failure")
    _plug_in(cp, params)


def _local_list_full(cp: ChargePointApi, params: dict[str, Any]) -> None:
    # 1.6: no room left for a Local Authorization List (its read-only capacity set to 0
    # by the bench, as a full list memory would): SendLocalList fails (OCTT TC_043_3_CS).
    from bench.ocpp.v16.config import Configuration

    config = cp.facet(Configuration)
    if config is None:
        raise ValueError("only a 1.6 station has a LocalAuthListMaxLength")
    config.set("LocalAuthListMaxLength", "0", 0)


def _unplug(cp: ChargePointApi, params: dict[str, Any]) -> None:
    cid = int(params.get("connector_id", 1))
    connector = cp.station.connector(cid)
    if not connector.plugged and connector.cable_in_socket:
        connector.remove_cable()  # its EV end was pulled already: the cable comes out
        return
    cp.unplug(cid)


def _unplug_ev_side(cp: ChargePointApi, params: dict[str, Any]) -> None:
    cp.station.connector(int(params.get("connector_id", 1))).unplug_ev_side()


def _present(cp: ChargePointApi, params: dict[str, Any]) -> None:
    cid = params.get("connector_id")
    cp.present_id(str(params["token"]), int(cid) if cid is not None else None)


def _fault(cp: ChargePointApi, params: dict[str, Any]) -> None:
    cp.raise_fault(int(params.get("connector_id", 1)), str(params.get("fault", "ground_failure")))


def _clear_fault(cp: ChargePointApi, params: dict[str, Any]) -> None:
    cp.clear_fault(int(params.get("connector_id", 1)))


def _suspend(cp: ChargePointApi, params: dict[str, Any]) -> None:
    cp.suspend_ev(int(params.get("connector_id", 1)))


def _resume(cp: ChargePointApi, params: dict[str, Any]) -> None:
    cp.resume_ev(int(params.get("connector_id", 1)))


async def _reboot(cp: ChargePointApi, params: dict[str, Any]) -> None:
    await cp.reboot(RebootKind.LOCAL)


def _unplug_if_plugged(cp: ChargePointApi, params: dict[str, Any]) -> None:
    # The cable out of the station: a loose cable left in a socket when its EV end was
    # pulled first (``unplug_ev_side``) comes out; one still in the EV is pulled at
    # both ends. The EV has then left the bay with it (its bay detector is the plug).
    cid = int(params.get("connector_id", 1))
    connector = cp.station.connector(cid)
    if connector.plugged or connector.cable_in_socket:
        _unplug(cp, params)


def _plug_in_not_ready(cp: ChargePointApi, params: dict[str, Any]) -> None:
    _plug_in(cp, params)
    _suspend(cp, params)


def _cut_network(cp: ChargePointApi, params: dict[str, Any]) -> None:
    cp.cut_network()


def _restore_network(cp: ChargePointApi, params: dict[str, Any]) -> None:
    cp.restore_network()


async def _power_cut(cp: ChargePointApi, params: dict[str, Any]) -> None:
    await cp.power_cut()


async def _power_restore(cp: ChargePointApi, params: dict[str, Any]) -> None:
    await cp.power_restore()


def _renegotiate(cp: ChargePointApi, params: dict[str, Any]) -> None:
    if not cp.renegotiate_ev(int(params.get("connector_id", 1))):
        raise ValueError("no ISO 15118 EV is plugged in to renegotiate")


# The physical steps of the charger cases, by their catalogue-wide key. A scenario
# that needs another one asks for it by a new key: the bench's own station then
# answers "cannot do" (the case is inconclusive) until an entry is added here.
ACTIONS: dict[str, Action] = {
    "power_cycle": _power_cycle,
    "power_cut": _power_cut,
    "power_restore": _power_restore,
    "reboot": _reboot,
    "plug_in": _plug_in,
    "plug_in_halfway": _plug_in_halfway,
    "local_list_fail": _local_list_full,
    "unplug": _unplug,
    "unplug_ev_side": _unplug_ev_side,
    "present_token": _present,
    "raise_fault": _fault,
    "clear_fault": _clear_fault,
    "ev_suspend": _suspend,
    "ev_resume": _resume,
    "unplug_station_side": _unplug_if_plugged,
    "ev_enter_bay": _plug_in,
    "ev_leave_bay": _unplug_if_plugged,
    "plug_in_not_ready": _plug_in_not_ready,
    "cut_network": _cut_network,
    "restore_network": _restore_network,
    "ev_renegotiate": _renegotiate,
    "set_external_limit": lambda cp, p: cp.set_external_limit(p["connector_id"], p["amps"]),
}


# What a charge controller attached over USB-serial decides, not the station API: the
# cable is in the real (or emulated) socket, so a person (or the emulator) plugs it.
AT_THE_HARDWARE = frozenset(
    {
        "plug_in",
        "plug_in_halfway",
        "plug_in_not_ready",
        "unplug",
        "unplug_ev_side",
        "unplug_station_side",
        "ev_enter_bay",
        "ev_leave_bay",
        "ev_suspend",
        "ev_resume",
        "raise_fault",
        "clear_fault",
    }
)


class StationActuator:
    """Does a case's physical steps on the bench's own station (a ``Prompter``).

    ``hands_off`` are the steps it leaves to the next prompter (a person at the
    hardware a serial driver reads, or the emulator in tests): answered "nobody".
    """

    def __init__(self, dut: DeviceUnderTest, hands_off: frozenset[str] = frozenset()) -> None:
        self.dut = dut
        self.hands_off = hands_off

    async def perform(self, request: ManualRequest) -> ManualOutcome:
        cp = self.dut.station
        action = ACTIONS.get(request.key)
        if request.key in self.hands_off:
            return ManualOutcome(
                False, "nobody", f"{request.key} is done at the attached hardware, not by the bench"
            )
        if cp is None or action is None:
            return ManualOutcome(
                False, "nobody", f"the bench's own station has no automatic {request.key!r}"
            )
        try:
            done = action(cp, request.params)
            if done is not None:
                await done
        except Exception as exc:  # the station refused (no such connector, no EV): say so
            log.warning("%s: physical step %s failed: %s", request.case_id, request.key, exc)
            return ManualOutcome(False, "automatic", f"{type(exc).__name__}: {exc}")
        shown = ", ".join(f"{k}={v}" for k, v in request.params.items() if k != "station_id")
        return ManualOutcome(True, "automatic", f"{request.key}({shown})")
