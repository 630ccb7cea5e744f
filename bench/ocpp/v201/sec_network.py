"""Network connection profiles of a 2.0.1 station (B09, B10, A05; part of block A's transport).

A station has configuration slots ``SLOTS`` (the valuesList of
OCPPCommCtrlr.NetworkConfigurationPriority, B09.FR.06). Slot ``BASE_SLOT`` holds
the link the bench was configured with until the CSMS overwrites it; the
others hold what SetNetworkProfile stored (B09.FR.01). After every power-up or
reboot the station walks NetworkConfigurationPriority from its first entry
(B10.FR.04), making NetworkProfileConnectionAttempts attempts per slot
(B10.FR.03); when every slot failed it falls back to the slot of the last
successful connection and keeps reconnecting there (B10.FR.07). A slot that
connects with a higher securityProfile raises SecurityCtrlr.SecurityProfile and
drops the slots below it (A05.FR.06).

The credentials are the station's: BasicAuthPassword for profiles 1 and 2
(A00.FR.204/304), the installed CSMS roots for TLS, the newest
ChargingStationCertificate for profile 3.

Persisted in the StateStore under ``<station id>#2.0.1``:

``network_profiles``  ``{"<slot>": NetworkConnectionProfileType}`` set over OCPP
``network_removed``   slots removed by an upgrade (A05.FR.06), the base slot included
``network_last_good`` the slot of the last successful connection (B10.FR.07)
``security_profile_confirmed`` true once a profile was confirmed by a connection
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any, Protocol

from bench.ocpp.v201.block import Link, Services, Variables
from bench.transport.config import LinkConfig

log = logging.getLogger(__name__)

SLOTS = (0, 1, 2)
BASE_SLOT = 1
# The OCPP version this station speaks in NetworkConnectionProfileType.ocppVersion.
OCPP_VERSION = "OCPP20"


@dataclass(frozen=True, slots=True)
class NetworkProfileChanged:
    """Emitted on ``cp.events``: a slot was stored, connected, or the station fell back."""

    slot: int
    outcome: str  # "stored" | "connected" | "trying" | "fell back" | "upgraded"
    detail: str = ""


class TransportSecurity(Protocol):
    """Block A as the network profiles use it: its state, log and TLS material."""

    def get(self, name: str) -> Any: ...
    def put(self, name: str, value: Any) -> None: ...
    def notify(self, event_type: str, tech_info: str | None = None) -> None: ...
    def security_profile(self) -> int: ...
    def missing_for_profile(self, profile: int) -> str | None: ...
    def tls_trust(self) -> tuple[str | None, str | None]: ...
    def client_files(self) -> tuple[str, str] | None: ...


class NetworkHost(Services, Variables, Link, Protocol):
    """What the network profiles use of the station: its events, OCPPCommCtrlr, its link."""


class NetworkProfiles:
    """The slots, the connection order after a boot and the fallback of one station."""

    __slots__ = ("_failures", "_index", "_order", "cp", "sec")

    def __init__(self, cp: NetworkHost, security: TransportSecurity) -> None:
        self.cp = cp
        self.sec = security
        self._order: list[int] = [BASE_SLOT]
        self._index = 0
        self._failures = 0

    # ------------------------------------------------------------ stored slots
    def base_profile(self) -> dict[str, Any]:
        """The bench's own link as a NetworkConnectionProfileType."""
        base = self.cp.link_config
        return {
            "ocppVersion": OCPP_VERSION,
            "ocppTransport": "JSON",
            "ocppCsmsUrl": base.url,
            "messageTimeout": int(self.cp.number("OCPPCommCtrlr", "MessageTimeout", "Default")),
            "securityProfile": base.profile,
            "ocppInterface": "Wired0",
        }

    def profiles(self) -> dict[int, dict[str, Any]]:
        """Every slot that holds a profile."""
        stored = self.sec.get("network_profiles") or {}
        removed = set(self.sec.get("network_removed") or [])
        out: dict[int, dict[str, Any]] = {}
        if BASE_SLOT not in removed:
            out[BASE_SLOT] = self.base_profile()
        for slot, data in stored.items():
            if int(slot) not in removed:
                out[int(slot)] = data
        return out

    def set_profile(self, slot: int, data: dict[str, Any]) -> tuple[str, str | None]:
        """SetNetworkProfile (B09): the status and, unless Accepted, why."""
        if slot not in SLOTS:
            return "Rejected", f"configurationSlot {slot} is not one of {SLOTS}"  # B09.FR.05
        why = self._invalid(data)
        if why is not None:
            return "Rejected", why  # B09.FR.02, B09.FR.04
        stored = dict(self.sec.get("network_profiles") or {})
        stored[str(slot)] = dict(data)
        removed = [s for s in self.sec.get("network_removed") or [] if s != slot]
        try:
            self.sec.put("network_profiles", stored)
            self.sec.put("network_removed", removed)
        except Exception as exc:  # the database said no: B09.FR.03
            log.error("%s: storing network profile %d failed: %s", self.cp.station.id, slot, exc)
            return "Failed", str(exc)
        self.cp.events.emit(NetworkProfileChanged(slot, "stored", data["ocppCsmsUrl"]))
        return "Accepted", None

    def _invalid(self, data: dict[str, Any]) -> str | None:
        if data["ocppVersion"] != OCPP_VERSION:
            return f"this station speaks OCPP 2.0.1, not {data['ocppVersion']}"
        if data["ocppTransport"] != "JSON":
            return "only OCPP-J (JSON) is supported"
        profile = int(data["securityProfile"])
        if profile < self.sec.security_profile():
            return "securityProfile is lower than SecurityCtrlr.SecurityProfile (B09.FR.04)"
        try:
            self._link_for(data, check_only=True)
        except ValueError as exc:
            return str(exc)
        return None

    def check_priority(self, value: str) -> str | None:
        """Why NetworkConfigurationPriority ``value`` must be Rejected (B10.FR.02, A05.FR.02/03).

        None when every slot named holds a valid profile whose prerequisites are met.
        """
        profiles = self.profiles()
        current = self.sec.security_profile()
        for item in [i.strip() for i in value.split(",") if i.strip()]:
            if not item.isdigit() or int(item) not in profiles:
                return f"slot {item} holds no network connection profile"
            wanted = int(profiles[int(item)]["securityProfile"])
            if wanted <= current:
                continue
            missing = self.sec.missing_for_profile(wanted)
            if missing is not None:
                return missing
        return None

    # ------------------------------------------------------------ connecting
    def priority(self) -> list[int]:
        """NetworkConfigurationPriority as slots that hold a profile, in order."""
        text = self.cp.variable("OCPPCommCtrlr", "NetworkConfigurationPriority") or ""
        profiles = self.profiles()
        order = []
        for item in text.split(","):
            item = item.strip()
            if item.isdigit() and int(item) in profiles and int(item) not in order:
                order.append(int(item))
        return order or [self._last_good()]

    def _last_good(self) -> int:
        last = self.sec.get("network_last_good")
        profiles = self.profiles()
        if last is not None and int(last) in profiles:
            return int(last)
        return BASE_SLOT if BASE_SLOT in profiles else min(profiles, default=BASE_SLOT)

    def begin(self) -> None:
        """After a power-up or reboot: start at the first entry of the priority (B10.FR.04)."""
        self._order = self.priority()
        self._index = 0
        self._failures = 0

    @property
    def current_slot(self) -> int:
        return self._order[min(self._index, len(self._order) - 1)]

    def link_config(self) -> LinkConfig:
        """The link for the next attempt; a slot that cannot be used is skipped."""
        for _ in range(len(SLOTS) + 2):
            slot = self.current_slot
            data = self.profiles().get(slot)
            try:
                if data is None:
                    raise ValueError(f"slot {slot} holds no profile")
                return self._link_for(data)
            except (ValueError, OSError) as exc:
                log.warning("%s: network slot %d unusable: %s", self.cp.station.id, slot, exc)
                self._next_slot(str(exc))
        return self.cp.link_config

    def _link_for(self, data: dict[str, Any], *, check_only: bool = False) -> LinkConfig:
        base: LinkConfig = self.cp.link_config
        profile = int(data["securityProfile"])
        url = data["ocppCsmsUrl"]
        password = None
        if profile in (1, 2) or (profile == 3 and base.password):
            password = self.cp.variable("SecurityCtrlr", "BasicAuthPassword") or base.password
            if check_only and profile in (1, 2) and not password:
                password = "x" * 16  # only the shape is checked here; A05 checks the key
        ca_file, extra_ca_file, cert_file, key_file = base.ca_file, None, None, None
        if not check_only and url.startswith("wss://"):
            # The user's CA file (--ca) every time (issue 11), plus the CSMS roots
            # installed over OCPP (M05); the store's roots without a CA file.
            ca_file, extra_ca_file = self.sec.tls_trust()
        if profile == 3:
            if check_only:
                cert_file, key_file = "client.pem", "client.key"
            else:
                cert_file, key_file = self.sec.client_files() or (base.cert_file, base.key_file)
        return dataclasses.replace(
            base,
            url=url,
            security_profile=profile,
            password=password,
            ca_file=ca_file,
            extra_ca_file=extra_ca_file,
            cert_file=cert_file,
            key_file=key_file,
        )

    def migrating(self) -> bool:
        """Whether the slot tried now is another than the last one that connected (B10):
        the station is migrating to another CSMS (M05.FR.15)."""
        return self.current_slot != self._last_good()

    def on_connect_failed(self, reason: str) -> None:
        self._failures += 1
        attempts = max(1, int(self.cp.number("OCPPCommCtrlr", "NetworkProfileConnectionAttempts")))
        if self._failures >= attempts:  # B10.FR.03
            self._next_slot(reason)

    def _next_slot(self, reason: str) -> None:
        self._failures = 0
        self._index += 1
        if self._index < len(self._order):
            self.cp.events.emit(NetworkProfileChanged(self.current_slot, "trying", reason))
            return
        # B10.FR.07: every entry failed; reconnect with the last slot that worked.
        slot = self._last_good()
        self._order, self._index = [slot], 0
        log.warning("%s: every network profile failed; back to slot %d", self.cp.station.id, slot)
        self.cp.events.emit(NetworkProfileChanged(slot, "fell back", reason))

    def on_connected(self) -> None:
        slot = self.current_slot
        self._failures = 0
        # Written only when they change: every (re)connection of every station passes here.
        if self.sec.get("network_last_good") != slot:
            self.sec.put("network_last_good", slot)
        self.cp.set_own_variable("OCPPCommCtrlr", "ActiveNetworkProfile", str(slot))
        self.cp.events.emit(NetworkProfileChanged(slot, "connected"))
        data = self.profiles().get(slot)
        if data is None:
            return
        profile = int(data["securityProfile"])
        if profile > self.sec.security_profile():
            self._upgrade(slot, profile)
        if self.sec.get("security_profile_confirmed") is not True:
            self.sec.put("security_profile_confirmed", True)

    def _upgrade(self, slot: int, profile: int) -> None:
        """A05.FR.06: the new profile connected; it becomes the floor."""
        previous = self.sec.security_profile()
        self.cp.set_own_variable("SecurityCtrlr", "SecurityProfile", str(profile))
        lower = [s for s, d in self.profiles().items() if int(d["securityProfile"]) < profile]
        removed = sorted({*(self.sec.get("network_removed") or []), *lower})
        self.sec.put("network_removed", removed)
        text = self.cp.variable("OCPPCommCtrlr", "NetworkConfigurationPriority") or ""
        items = [i.strip() for i in text.split(",") if i.strip()]
        kept = [i for i in items if not (i.isdigit() and int(i) in lower)]
        self.cp.set_own_variable(
            "OCPPCommCtrlr", "NetworkConfigurationPriority", ",".join(kept) or str(slot)
        )
        self.sec.notify(
            "ReconfigurationOfSecurityParameters", f"SecurityProfile {previous} -> {profile}"
        )
        self.cp.events.emit(NetworkProfileChanged(slot, "upgraded", f"{previous} -> {profile}"))
