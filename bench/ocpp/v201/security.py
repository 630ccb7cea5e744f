"""Functional block A (security) and M (certificates) of a 2.0.1 station.

- Security events (A04, appendix 1): ``notify(type, tech_info)`` logs the event
  and sends SecurityEventNotification, queued while offline (A04.FR.02); the
  log and queue are ``bench.ocpp.common.security_events``. Raised here: StartupOfTheDevice
  (power-up and every reboot), FailedToAuthenticationAtCsms / InvalidCsmsCertificate /
  InvalidTLSVersion / InvalidTLSCipherSuite (a failed connection, once per kind,
  A00.FR.310/316/323/413), ReconfigurationOfSecurityParameters (BasicAuthPassword
  changed, A01.FR.11, without the password, A01.FR.12; certificates; profiles),
  TamperDetectionActivated (a fault of a tamper kind is injected) and
  SecurityLogWasCleared. Other blocks raise theirs through ``notify``.
- Security profiles 1-3 on the transport and the network connection profiles
  (A05, B09, B10): ``sec_network.NetworkProfiles``.
- TLS trust (``csms_trust``): the CA file plus the CSMS roots installed over OCPP;
  with AdditionalRootCertificateCheck the fallback root is tried in the same attempt
  after the new root failed to verify the server (M05.FR.14/16, ``open_verified``),
  and dropped once the new root verified a connection (M05.FR.13). The check itself
  is the station's ``additional_root_certificate_check`` setting.
- Certificates (A02, A03, M01-M06): ``certificates.Certificates``.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from bench.model.faults import Fault
from bench.ocpp.common.security_events import (
    ConnectFailure,
    SecurityLog,
    connect_event,
    connect_failure,
)
from bench.ocpp.tls_material import material_dir, write_material
from bench.ocpp.v201.block import (
    Block,
    Handler,
    Link,
    Messaging,
    Persistence,
    Services,
    Trigger,
    Variables,
)
from bench.ocpp.v201.certificates import CSMS_ROOT, Certificates
from bench.ocpp.v201.csms_trust import Trust, current_roots, fallback_roots
from bench.ocpp.v201.sec_network import NetworkProfiles
from bench.transport.config import LinkConfig
from bench.transport.errors import LinkError

Opener = Callable[[LinkConfig], Awaitable[Any]]

log = logging.getLogger(__name__)

# Part 2 appendix 1: every security event and whether it is critical.
EVENTS: dict[str, bool] = {
    "FirmwareUpdated": True,
    "FailedToAuthenticationAtCsms": False,
    "CsmsFailedToAuthentication": False,
    "SettingSystemTime": True,
    "StartupOfTheDevice": True,
    "ResetOrReboot": True,
    "SecurityLogWasCleared": True,
    "ReconfigurationOfSecurityParameters": False,
    "MemoryExhaustion": True,
    "InvalidMessages": False,
    "AttemptedReplayAttacks": False,
    "TamperDetectionActivated": True,
    "InvalidFirmwareSignature": True,
    "InvalidFirmwareSigningCertificate": True,
    "InvalidCsmsCertificate": True,
    "InvalidChargingStationCertificate": True,
    "InvalidTLSVersion": True,
    "InvalidTLSCipherSuite": True,
    "MaintenanceLoginAccepted": True,
    "MaintenanceLoginFailed": True,
}


def is_tamper(fault: Fault | None) -> bool:
    """A fault of a tamper kind: its name or vendor code says "tamper"."""
    if fault is None:
        return False
    text = f"{fault.name} {fault.vendor_error_code}"
    return "tamper" in text.lower()


class SecurityHost(Services, Messaging, Variables, Persistence, Link, Protocol):
    """What blocks A and M use of the station: the security log's store, the link it secures."""


class Security(Block[SecurityHost]):
    __slots__ = (
        "_failure_noted",
        "_log",
        "_opened",
        "_tampered",
        "certificates",
        "network",
    )

    def __init__(self, cp: SecurityHost) -> None:
        super().__init__(cp)
        self._log = SecurityLog(cp, self.owner, EVENTS)
        self._failure_noted: str | None = None  # one event per kind of failure, not per retry
        # The last link opened: (over TLS, verified with the fallback root) - M05.FR.13.
        self._opened: tuple[bool, bool] = (False, False)
        # 0: the station, n: connector n. Dict keys as a set: empty, a dict is 64 bytes
        # and a set 216 (10,000 stations share a process).
        self._tampered: dict[int, None] = {}
        self.network = NetworkProfiles(cp, self)
        self.certificates = Certificates(cp, self)

    @property
    def owner(self) -> str:
        # Beside a 1.6 station of the same id, as the device model is (charge_point._store_id).
        return f"{self.cp.station.id}#2.0.1"

    def get(self, name: str) -> Any:
        return self.cp.state.get(self.owner, name, None)

    def put(self, name: str, value: Any) -> None:
        self.cp.state.put(self.owner, name, value)

    # ------------------------------------------------------------ block hooks
    def handlers(self) -> dict[str, Handler]:
        return {"SetNetworkProfile": self.set_network_profile, **self.certificates.handlers()}

    def triggers(self) -> dict[str, Trigger]:
        return self.certificates.triggers()

    def on_start(self) -> None:
        # M05.FR.09: AdditionalRootCertificateCheck is read-only over OCPP; the bench's
        # station setting decides it (off unless asked for).
        check = "true" if self.cp.station.template.additional_root_certificate_check else "false"
        if self.cp.variable("SecurityCtrlr", "AdditionalRootCertificateCheck") != check:
            self.cp.set_own_variable("SecurityCtrlr", "AdditionalRootCertificateCheck", check)
        if not self.get("security_profile_confirmed"):
            # Until a connection confirms a profile, SecurityProfile is the bench link's.
            profile = self.cp.link_config.profile
            self.cp.set_own_variable("SecurityCtrlr", "SecurityProfile", str(profile))
        self.network.begin()
        self.notify("StartupOfTheDevice", "power on")

    def on_reboot(self) -> None:
        self.network.begin()  # B10.FR.04
        self.notify("StartupOfTheDevice", f"reboot ({self.cp.boot_reason or 'reboot'})")

    def on_accepted(self) -> None:
        self._log.deliver()
        self.certificates.on_accepted()

    def on_variable_changed(self, component: str, variable: str, instance: str | None) -> None:
        if (component, variable) == ("SecurityCtrlr", "BasicAuthPassword"):
            # A01.FR.11/12: logged, never the password itself; used from the next connection.
            self.notify("ReconfigurationOfSecurityParameters", "BasicAuthPassword changed")

    def on_model_event(self, event: Any) -> None:
        station = self.cp.station
        faults = {0: station.fault, **{c.id: c.fault for c in station.connectors}}
        for where, fault in faults.items():
            if fault is None or not is_tamper(fault):
                self._tampered.pop(where, None)
            elif where not in self._tampered:
                self._tampered[where] = None
                place = "station" if where == 0 else f"connector {where}"
                self.notify("TamperDetectionActivated", f"{fault.name} on the {place}")

    # ------------------------------------------------------------ security events (A04)
    def notify(self, event_type: str, tech_info: str | None = None) -> None:
        self._log.notify(event_type, tech_info)

    def security_log(self) -> list[dict[str, Any]]:
        """The security log, oldest first (GetLog SecurityLog uploads it, N01.FR.03)."""
        return self._log.entries()

    def clear_log(self) -> None:
        self._log.clear()
        self.notify("SecurityLogWasCleared")

    def pending_notifications(self) -> list[dict[str, Any]]:
        return self._log.pending()

    # ------------------------------------------------------------ profiles on the transport
    def security_profile(self) -> int:
        return int(self.cp.number("SecurityCtrlr", "SecurityProfile"))

    def link_config(self) -> LinkConfig:
        return self.network.link_config()

    def on_connect_failed(self, exc: LinkError) -> None:
        event = connect_event(exc, _CONNECT_EVENTS)
        if event is not None and event != self._failure_noted:
            self._failure_noted = event
            self.notify(event, exc.message)
        self.network.on_connect_failed(exc.message)

    def on_connected(self) -> None:
        self._failure_noted = None
        self.network.on_connected()
        secure, via_fallback = self._opened
        store = self.certificates.store
        if secure and not via_fallback and store.has_fallback_root():
            # M05.FR.13: the new root verified the CSMS; the old one goes.
            store.drop_fallback_root()
            self.notify("ReconfigurationOfSecurityParameters", "fallback CSMS root removed")

    def open_verified(self, opener: Opener) -> Opener:
        """``opener`` with the fallback root tried when the new one fails (M05.FR.14/16)."""

        async def open_link(cfg: LinkConfig) -> Any:
            self._opened = (cfg.secure, False)
            try:
                return await opener(cfg)
            except LinkError as exc:
                retry = self._fallback_config(cfg, exc)
                if retry is None:
                    raise
                log.info(
                    "%s: the CSMS certificate failed with the new root (%s); trying the"
                    " fallback root",
                    self.cp.station.id,
                    exc.message,
                )
            link = await opener(retry)
            self._opened = (True, True)
            return link

        return open_link

    def _fallback_config(self, cfg: LinkConfig, exc: LinkError) -> LinkConfig | None:
        """The same link with the fallback root as the only anchor, where it may be used."""
        if not cfg.secure or connect_failure(exc) != ConnectFailure.BAD_CSMS_CERTIFICATE:
            return None
        if self.network.migrating():
            return None  # M05.FR.15: the NetworkProfileConnectionAttempts mechanism (B10)
        trust = fallback_roots(self.certificates.store.root_entries(CSMS_ROOT))
        if trust is None:
            return None
        ca_file, extra = self._trust_files(trust, "fallback-roots.pem")
        return dataclasses.replace(cfg, ca_file=ca_file, extra_ca_file=extra)

    def reconnect(self) -> None:
        """Drop the link; the connection loop reconnects with the current settings."""
        self.cp.tasks.spawn(self.cp.drop_link(), name="security-reconnect")

    def missing_for_profile(self, profile: int) -> str | None:
        """Why the station cannot use ``profile`` now (A05.FR.02/03), or None."""
        now = self.cp.clock.now()
        store = self.certificates.store
        if profile in (1, 2):
            key = self.cp.variable("SecurityCtrlr", "BasicAuthPassword") or ""
            key = key or self.cp.link_config.password or ""
            if not 16 <= len(key) <= 40:
                return "no BasicAuthPassword of 16 to 40 characters (A00.FR.304)"
        if profile >= 2 and not (store.valid_roots(CSMS_ROOT, now) or self.cp.link_config.ca_file):
            return "no valid CSMSRootCertificate installed (A05.FR.02)"
        if profile == 3 and not (store.client_credentials(now) or self.cp.link_config.cert_file):
            return "no valid ChargingStationCertificate installed (A05.FR.03)"
        return None

    def check_network_priority(self, value: str) -> str | None:
        """For SetVariables(NetworkConfigurationPriority): why to reject ``value`` (B10.FR.02)."""
        return self.network.check_priority(value)

    def tls_trust(self) -> tuple[str | None, str | None]:
        """(ca_file, extra_ca_file) of a TLS attempt: the link's CA file and the CSMS
        roots installed over OCPP, as ``csms_trust`` decides (built once, the store
        reports a CA file that differs from its copy)."""
        trust = current_roots(
            self.certificates.store.root_entries(CSMS_ROOT),
            ca_file_given=bool(self.cp.link_config.ca_file),
            additional_check=self.cp.flag("SecurityCtrlr", "AdditionalRootCertificateCheck"),
        )
        return self._trust_files(trust, "roots.pem")

    def _trust_files(self, trust: Trust, name: str) -> tuple[str | None, str | None]:
        roots = write_material(self._folder(), name, trust.roots_pem) if trust.roots_pem else None
        if trust.ca_file:
            return self.cp.link_config.ca_file, roots
        return roots, None  # no roots and no CA file: the system store, as before

    def client_files(self) -> tuple[str, str] | None:
        """(certificate chain file, key file) of the newest valid ChargingStationCertificate."""
        creds = self.certificates.store.client_credentials(self.cp.clock.now())
        if creds is None:
            return None
        folder = self._folder()
        return (
            write_material(folder, "client.pem", creds.chain_pem),
            write_material(folder, "client.key", creds.key_pem, private=True),
        )

    def _folder(self) -> Any:
        return material_dir(self.cp.db, self.owner)

    # ------------------------------------------------------------ B09 SetNetworkProfile
    async def set_network_profile(self, req: dict[str, Any]) -> dict[str, Any]:
        status, reason = self.network.set_profile(req["configurationSlot"], req["connectionData"])
        reply: dict[str, Any] = {"status": status}
        if reason is not None:
            reply["statusInfo"] = {"reasonCode": status, "additionalInfo": reason[:512]}
        return reply


# The appendix 1 event for each kind of failed connection
# (A00.FR.310/413, A00.FR.316/419, A00.FR.323/426).
_CONNECT_EVENTS = {
    ConnectFailure.UNAUTHORIZED: "FailedToAuthenticationAtCsms",
    ConnectFailure.BAD_CSMS_CERTIFICATE: "InvalidCsmsCertificate",
    ConnectFailure.TLS_VERSION: "InvalidTLSVersion",
    ConnectFailure.TLS_CIPHER: "InvalidTLSCipherSuite",
}
