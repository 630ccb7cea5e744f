"""The 1.6 security extension (security whitepaper edition 3), charge point side.

- Security events (§8, A04): ``notify(type, tech_info)`` writes the event to
  the security log and pushes it to the CSMS as SecurityEventNotification;
  while the station is offline or not yet accepted the notifications wait in
  a persisted queue and go out in order (A04.FR.02).
- Certificates (A02/A03, M03-M05): SignCertificate with a CSR from a fresh
  local key, CertificateSigned verified and installed, InstallCertificate,
  DeleteCertificate, GetInstalledCertificateIds; the store itself is
  ``certificates.CertificateStore``.
- ExtendedTriggerMessage (§5.5): its own block, in ``extended_trigger.py``.
- Whether the station speaks the extension at all (its template's
  ``security_extension``) and whether its CSMS does: ``security_gate.py``.
- Security profiles (§2, A05): the link settings for the profile in force;
  ChangeConfiguration(SecurityProfile) upgrades, disconnects, reconnects with
  the new profile and falls back to the previous one when it cannot connect.
  A collaborator does that (``security_profiles.SecurityProfiles``, ``profiles``).

Persisted per station in the StateStore (``state``):

``security_events``  the security log, oldest first, at most ``security_events.LOG_LIMIT`` entries
                     (rolling, A04.FR.04); each entry is
                     ``{"seq": int, "timestamp": "2026-01-01T00:00:00.000Z",
                     "type": "StartupOfTheDevice", "techInfo": "..." (optional),
                     "critical": bool}``. GetLog(SecurityLog) uploads these.
``security_queue``   notifications not yet confirmed by the CSMS:
                     ``{"seq", "critical", "payload": SecurityEventNotification.req}``.
``certificates``     the certificate store (see ``certificates.py``).
``security_last_csr`` when the last SignCertificate.req was made (paces A03 renewals).
``security_trial``, ``security_urls``: the profiles' (see ``security_profiles.py``).
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bench.ocpp.common.certificates import (
    CERTIFICATE_TYPES,
    CS_ROOT,
    MF_ROOT,
    CertificateError,
    CertificateStore,
    provisioned_roots,
    report_ca_mismatch,
    root_problem,
)
from bench.ocpp.common.security_events import (
    ConnectFailure,
    SecurityEventRaised,
    SecurityLog,
    connect_event,
)
from bench.ocpp.common.timestamps import iso
from bench.ocpp.errors import CallError, CallTimeout, InvalidReply, LinkClosed
from bench.ocpp.session import Reply
from bench.ocpp.v16.config import KeyDef, _key, _simple, parse_int
from bench.ocpp.v16.security_profiles import SecurityProfileChanged, SecurityProfiles
from bench.transport.config import LinkConfig
from bench.transport.errors import LinkError

if TYPE_CHECKING:
    from cryptography import x509

    from bench.kernel.supervisor import Supervisor
    from bench.model.clock import Clock
    from bench.model.events import Emitter
    from bench.ocpp.session import OcppSession
    from bench.ocpp.v16.config import Configuration
    from bench.ocpp.v16.ports import LinkState, Reconnect
    from bench.ocpp.v16.security_gate import ExtensionGate
    from bench.store.config import StateStore

log = logging.getLogger(__name__)

# Kept importable from here, where the 1.6 UI found it first.
__all__ = ["EVENTS", "Security", "SecurityEventRaised", "SecurityProfileChanged"]

PROFILE = ""  # not a SupportedFeatureProfiles entry
SUPPORTED = True
KEYS: tuple[KeyDef, ...] = (
    # Whitepaper §7 (AuthorizationKey is a Core key in config.py).
    _key("AdditionalRootCertificateCheck", "boolean", "R", "false"),
    _key("CertificateSignedMaxChainSize", "integer", "R", "10000", _simple(parse_int(0, 10000))),
    _key("CertificateStoreMaxLength", "integer", "R", "10"),
    _key("CpoName", "string", "RW", ""),
    # §7.6: 0 until a profile is configured; only raised over OCPP (A05.FR.01).
    _key("SecurityProfile", "integer", "RW", "0", _simple(parse_int(0, 3))),
)

# Whitepaper §8: every security event and whether it is critical.
EVENTS: dict[str, bool] = {
    "FirmwareUpdated": True,
    "FailedToAuthenticationAtCentralSystem": False,
    "CentralSystemFailedToAuthentication": False,
    "SettingSystemTime": True,
    "StartupOfTheDevice": True,
    "ResetOrReboot": True,
    "SecurityLogWasCleared": True,
    "ReconfigurationOfSecurityParameters": False,
    "MemoryExhaustion": True,
    "InvalidMessages": False,
    "AttemptedReplayAttacks": False,
    "TamperDetectionActivated": True,
    "InvalidFirmwareSignature": False,
    "InvalidFirmwareSigningCertificate": False,
    "InvalidCentralSystemCertificate": False,
    "InvalidChargePointCertificate": False,
    "InvalidTLSVersion": False,
    "InvalidTLSCipherSuite": False,
}
RENEW_BEFORE = timedelta(days=30)  # A03.FR.02: renew a certificate that expires within a month
# At most one automatic renewal a day: a CA whose own root expires soon would otherwise
# be asked again on every reconnect (A03 error handling: no retry loops).
RENEW_PAUSE = timedelta(days=1)


class Security:
    """The security extension of one station: events, certificates, security profiles."""

    __slots__ = (
        "_base_link",
        "_clock",
        "_config",
        "_failure_noted",
        "_link",
        "_log",
        "_reconnector",
        "_session",
        "_state",
        "_station_id",
        "_store",
        "_tasks",
        "gate",
        "profiles",
    )

    def __init__(
        self,
        station_id: str,
        *,
        db: sqlite3.Connection,
        clock: Clock,
        config: Configuration,
        state: StateStore,
        events: Emitter,
        tasks: Supervisor,
        session: OcppSession,
        base_link: LinkConfig,
        link: LinkState,
        reconnector: Reconnect,
        gate: ExtensionGate,
        security_log: SecurityLog,
    ) -> None:
        self._station_id = station_id
        self._clock = clock
        self._config = config
        self._state = state
        self._tasks = tasks
        self._session = session
        # The link settings the bench was given (the charge point keeps the same object
        # current: AuthorizationKey, ping interval); profiles derive theirs from it.
        self._base_link = base_link
        self._link = link
        self._reconnector = reconnector
        # The station's setting, and what its CSMS refuses (security_gate.py).
        self.gate = gate
        self._log = security_log  # the security log and notification queue (common.security_events)
        self._store: CertificateStore | None = None  # loaded on first use
        self._failure_noted: str | None = None  # one event per kind of failure, not per retry
        # The profile in force and the link settings it makes (security_profiles.py).
        self.profiles = SecurityProfiles(
            station_id,
            db=db,
            clock=clock,
            config=config,
            state=state,
            events=events,
            base_link=base_link,
            certificates=self,
        )

    def handlers(self) -> dict[str, Any]:
        """CSMS-initiated actions this block answers (NotImplemented without the extension)."""
        return self.gate.guard(
            {
                "CertificateSigned": self.certificate_signed,
                "DeleteCertificate": self.delete_certificate,
                "GetInstalledCertificateIds": self.get_installed_certificate_ids,
                "InstallCertificate": self.install_certificate,
            }
        )

    def _get(self, name: str, default: Any = None) -> Any:
        return self._state.get(self._station_id, name, default)

    def _put(self, name: str, value: Any) -> None:
        self._state.put(self._station_id, name, value)

    # ================================================================ security events
    def notify(self, event_type: str, tech_info: str | None = None) -> None:
        """Record a security event (A04.FR.04) and push it to the CSMS (A04.FR.01/02).

        Every event goes to the security log and to the CSMS; critical ones are
        the ones the whitepaper requires to be pushed, and they are the last to
        be dropped should the offline queue overflow (``bench.ocpp.common.security_events``).
        """
        self._log.notify(event_type, tech_info)

    def security_log(self) -> list[dict[str, Any]]:
        """The security log, oldest first (the shape is in the module docstring)."""
        return self._log.entries()

    def clear_log(self) -> None:
        self._log.clear()
        self.notify("SecurityLogWasCleared")

    def pending_notifications(self) -> list[dict[str, Any]]:
        return self._log.pending()

    def on_link_up(self) -> None:
        """Deliver queued notifications once the station may talk (1.6 §4.2: accepted)."""
        self._log.deliver()

    # ================================================================ certificate store
    @property
    def store(self) -> CertificateStore:
        if self._store is None:
            data = self._get("certificates")
            self._store = CertificateStore(data, lambda d: self._put("certificates", d))
            if data is None:
                self._seed_store()
            else:
                report_ca_mismatch(
                    self._station_id, self._base_link.ca_file, self._store.roots(CS_ROOT)
                )
        return self._store

    def manufacturer_roots(self) -> list[x509.Certificate]:
        """The installed ManufacturerRootCertificates (a signed firmware's chain, L01)."""
        return list(self.store.roots(MF_ROOT))

    def _seed_store(self) -> None:
        """The CA file the station was provisioned with is its first CentralSystemRootCertificate.

        Whitepaper §2.6.4: credentials are installed during manufacturing or
        installation; in the bench that is the link's ``ca_file``.
        """
        store = self._store
        assert store is not None
        pems: list[str] = []
        try:
            pems = provisioned_roots(self._base_link.ca_file)
        except (OSError, CertificateError) as exc:
            log.warning("%s: CA file not imported: %s", self._station_id, exc)
        now = self._clock.now()
        for pem in pems:
            store.install_root(CS_ROOT, pem, now, max_length=None)
        if not pems:
            self._put("certificates", store.snapshot())

    # ------------------------------------------------------------------ M05
    async def install_certificate(self, req: dict[str, Any]) -> dict[str, Any]:
        certificate_type = req["certificateType"]
        status = self.store.install_root(
            certificate_type,
            req["certificate"],
            self._clock.now(),
            max_length=self._config.value("CertificateStoreMaxLength"),
            additional_check=self._config.get_bool("AdditionalRootCertificateCheck"),
        )
        if status == "Accepted":
            self.notify("ReconfigurationOfSecurityParameters", f"{certificate_type} installed")
        elif certificate_type == CS_ROOT:
            problem = root_problem(req["certificate"], self._clock.now())
            if problem is not None:
                # Whitepaper §8 (OCTT TC_078_CS): an invalid Central System certificate is
                # a security event, also when it comes to be installed.
                self.notify("InvalidCentralSystemCertificate", problem)
        return {"status": status}

    # ------------------------------------------------------------------ M04
    async def delete_certificate(self, req: dict[str, Any]) -> dict[str, Any]:
        wanted = req["certificateHashData"]
        store = self.store
        if store.matches_client(wanted):
            return {"status": "Failed"}  # M04.FR.05: never the charge point certificate
        found = store.find_root(wanted)
        if found is None:
            return {"status": "NotFound"}  # M04.FR.04
        certificate_type, cert = found
        if certificate_type == CS_ROOT and self._root_in_use():
            return {"status": "Failed"}  # M04.FR.06
        try:
            store.delete_root(cert)
        except sqlite3.Error as exc:
            log.error("%s: deleting a certificate failed: %s", self._station_id, exc)
            return {"status": "Failed"}  # M04.FR.03
        self.notify("ReconfigurationOfSecurityParameters", f"{certificate_type} deleted")
        return {"status": "Accepted"}

    def _root_in_use(self) -> bool:
        """M04.FR.06, conservatively: over TLS, the last CentralSystemRootCertificate is in use.

        (The TLS stack does not tell which root verified the server; with
        several installed the CSMS is trusted to delete the right one.)
        """
        if not (self._link.online and self.link_config().secure):
            return False
        return len(self.store.roots(CS_ROOT)) <= 1

    # ------------------------------------------------------------------ M03
    async def get_installed_certificate_ids(self, req: dict[str, Any]) -> dict[str, Any]:
        certificate_type = req["certificateType"]
        ids = (
            self.store.installed_ids(certificate_type)
            if certificate_type in CERTIFICATE_TYPES
            else []
        )
        if not ids:
            return {"status": "NotFound"}  # M03.FR.02
        return {"status": "Accepted", "certificateHashData": ids}  # M03.FR.03/04

    # ------------------------------------------------------------------ A02/A03
    async def request_certificate(self) -> str:
        """Make a key pair and send SignCertificate.req (A02.FR.02/03, A03.FR.02/03).

        Returns the CSMS's status, or "Failed" when the request could not be
        made or delivered. CpoName must be set (A02/A03 prerequisite).
        """
        if not self.gate.may_send("SignCertificate"):
            log.info("%s: SignCertificate not sent: the CSMS does not take it", self._station_id)
            return "Failed"
        cpo_name = self._config.value("CpoName")
        if not cpo_name:
            log.warning("%s: SignCertificate needs CpoName", self._station_id)
            return "Failed"
        csr = self.store.start_signing_request(self._station_id, cpo_name)
        self._put("security_last_csr", iso(self._clock.now()))
        try:
            conf = await self._session.call("SignCertificate", {"csr": csr})
        except CallError as exc:
            if not self.gate.refused("SignCertificate", exc):  # a refusal is logged once there
                log.warning("%s: SignCertificate failed: %s", self._station_id, exc)
            return "Failed"
        except (CallTimeout, InvalidReply, LinkClosed) as exc:
            log.warning("%s: SignCertificate failed: %s", self._station_id, exc)
            return "Failed"
        return conf["status"]

    async def certificate_signed(self, req: dict[str, Any]) -> dict[str, Any] | Reply:
        chain = req["certificateChain"]
        limit = self._config.value("CertificateSignedMaxChainSize")
        now = self._clock.now()
        try:
            if len(chain) > limit:
                raise CertificateError(
                    f"chain of {len(chain)} characters exceeds CertificateSignedMaxChainSize"
                )
            leaf = self.store.accept_signed_chain(chain, now)
        except (CertificateError, ValueError) as exc:
            # A02.FR.07 / A03.FR.07: discard it and raise the security event.
            self.notify("InvalidChargePointCertificate", str(exc))
            return {"status": "Rejected"}
        except sqlite3.Error as exc:
            log.error("%s: storing the certificate failed: %s", self._station_id, exc)
            return {"status": "Rejected"}
        self.notify(
            "ReconfigurationOfSecurityParameters",
            f"new ChargePointCertificate {leaf.serial_number:x} installed",
        )
        if self.profile() != 3:
            return {"status": "Accepted"}
        starts_in = (leaf.not_valid_before_utc - now).total_seconds()
        if starts_in > 0:
            # A02.FR.08: switch once its validity starts.
            self._tasks.later("client-certificate", starts_in, self.reconnect)
            return {"status": "Accepted"}
        return Reply({"status": "Accepted"}, then=self.reconnect)

    def reconnect(self) -> None:
        """Drop the link; the connection loop reconnects with the current settings."""
        self._tasks.spawn(self._reconnector.drop_connection(), name="security-reconnect")

    def _maybe_renew(self) -> None:
        # A03.FR.02: the station renews a certificate that expires within a month.
        if not self.gate.may_send("SignCertificate"):
            return
        if self.profile() != 3 or self.store.has_pending_request:
            return
        creds = self.store.client_credentials(self._clock.now())
        if creds is None or not self._config.value("CpoName"):
            return
        now = self._clock.now()
        last = self._get("security_last_csr")
        if last is not None and now - datetime.fromisoformat(last) < RENEW_PAUSE:
            return
        if creds.not_after - now < RENEW_BEFORE:
            self._tasks.spawn(self.request_certificate(), name="renew-certificate")

    # ================================================================ security profiles
    def profile(self) -> int:
        """The security profile in force (the key never reports less than the link's)."""
        return self.profiles.profile()

    def set_profile_url(self, profile: int, url: str | None) -> None:
        """Where the CSMS listens for ``profile`` (A00.FR.006: a port per profile is allowed)."""
        self.profiles.set_profile_url(profile, url)

    def reset_profile(self, profile: int) -> None:
        """Lower the profile outside OCPP (A00.FR.005: the bench's settings are that method)."""
        self.profiles.reset_profile(profile)

    def link_config(self) -> LinkConfig:
        """The link settings for the next connection (``SecurityProfiles.link_config``)."""
        return self.profiles.link_config()

    def wrap_change_configuration(self, core: Any) -> Any:
        """ChangeConfiguration with the whitepaper's rules for its keys (A01, A05)."""

        async def change_configuration(req: dict[str, Any]) -> Any:
            key = req["key"]
            if key == "SecurityProfile":
                return self.profiles.change_profile(req["value"])
            # Whether the link in use authenticates with a password (profiles 1 and 2).
            with_password = key == "AuthorizationKey" and bool(self.link_config().password)
            result = await core(req)
            status = result.get("status") if isinstance(result, dict) else None
            if key == "AuthorizationKey" and status in ("Accepted", "RebootRequired"):
                # A01.FR.11/12: logged, without the key itself.
                self.notify("ReconfigurationOfSecurityParameters", "AuthorizationKey changed")
                if with_password:
                    # A01.FR.03: from Accepted on the CSMS refuses the old password, so the
                    # station applies the key now, not at the next connection (the key's
                    # RebootRequired): it answers Accepted and reconnects with the new key
                    # after its reply (OCTT TC_073_CS).
                    return Reply({"status": "Accepted"}, then=self.reconnect)
            return result

        return change_configuration

    # ------------------------------------------------------------------ connection hooks
    def on_connect_failed(self, exc: LinkError) -> None:
        """Security events for a failed connection, and the fallbacks of A05 and M05."""
        event = connect_event(exc, _CONNECT_EVENTS)
        if event is not None and event != self._failure_noted:
            self._failure_noted = event
            self.notify(event, exc.message)
        profiles = self.profiles
        if event == "InvalidCentralSystemCertificate" and self.store.has_fallback_root():
            # M05.FR.13: try the old root too
            profiles.use_fallback_root = not profiles.use_fallback_root
        profiles.attempt_failed(exc.message)

    def on_connected(self) -> None:
        self._failure_noted = None
        self.gate.on_connected()  # a new connection: the CSMS is asked again
        profiles = self.profiles
        profiles.connected()
        if self.store.has_fallback_root() and self.link_config().secure:
            if profiles.use_fallback_root:
                profiles.use_fallback_root = False  # the new root failed; try it again next time
            else:
                self.store.drop_fallback_root()  # M05.FR.12

    def on_accepted(self) -> None:
        """After the boot (or a reconnect): deliver queued events; renew a certificate."""
        self.on_link_up()
        self._maybe_renew()


# The whitepaper §8 event for each kind of failed connection
# (A00.FR.309/413, A00.FR.315/419, A00.FR.322/426).
_CONNECT_EVENTS = {
    ConnectFailure.UNAUTHORIZED: "FailedToAuthenticationAtCentralSystem",
    ConnectFailure.BAD_CSMS_CERTIFICATE: "InvalidCentralSystemCertificate",
    ConnectFailure.TLS_VERSION: "InvalidTLSVersion",
    ConnectFailure.TLS_CIPHER: "InvalidTLSCipherSuite",
}
