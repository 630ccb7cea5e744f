"""Security profiles of the 1.6 security extension (whitepaper §2, A05), charge point side.

The link settings for the profile in force (its URL, the AuthorizationKey, the
installed roots and the newest client certificate), the upgrade by
ChangeConfiguration(SecurityProfile): checked (A05.FR.01-04), then the station
disconnects and reconnects with it (A05.FR.06/07), and falls back to the previous
profile when it cannot connect (A05.FR.08). The certificates themselves and the
security events belong to the security block (``security.py``), which holds this one.

Persisted per station in the StateStore:

``security_trial``   ``{"previous": int}`` while an upgraded profile has not yet connected.
``security_urls``    optional ``{"2": "wss://...", ...}``: the CSMS URL per profile.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bench.ocpp.common.certificates import CS_ROOT
from bench.ocpp.session import Reply
from bench.ocpp.tls_material import material_dir, write_material
from bench.ocpp.v16.config import parse_int

if TYPE_CHECKING:
    import sqlite3

    from bench.model.clock import Clock
    from bench.model.events import Emitter
    from bench.ocpp.v16.config import Configuration
    from bench.ocpp.v16.ports import CertificateHolder
    from bench.store.config import StateStore
    from bench.transport.config import LinkConfig

log = logging.getLogger(__name__)

FALLBACK_AFTER = 3  # failed connection attempts with an upgraded profile before falling back


@dataclass(frozen=True, slots=True)
class SecurityProfileChanged:
    """Emitted when the profile in force changes: upgrade, confirmation or fallback."""

    profile: int
    previous: int
    outcome: str  # "upgrading" | "confirmed" | "fell back"
    detail: str = ""


class SecurityProfiles:
    """The security profile of one station and the link settings it makes."""

    __slots__ = (
        "_base_link",
        "_certificates",
        "_clock",
        "_config",
        "_db",
        "_events",
        "_state",
        "_station_id",
        "_trial_failures",
        "use_fallback_root",
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
        base_link: LinkConfig,
        certificates: CertificateHolder,
    ) -> None:
        self._station_id = station_id
        self._db = db  # where the TLS material for the transport is written
        self._clock = clock
        self._config = config
        self._state = state
        self._events = events
        # The link settings the bench was given (the charge point keeps the same object
        # current: AuthorizationKey, ping interval); each profile's settings derive from it.
        self._base_link = base_link
        # The store; events for every change of profile; the reconnect after an upgrade.
        self._certificates = certificates
        self._trial_failures = 0
        self.use_fallback_root = False  # M05.FR.13: try the fallback root after a TLS failure
        base = base_link.profile
        if config.value("SecurityProfile") < base:
            # The key reports the profile the bench was configured with.
            config.set("SecurityProfile", str(base))

    def _get(self, name: str) -> Any:
        return self._state.get(self._station_id, name, None)

    def _put(self, name: str, value: Any) -> None:
        self._state.put(self._station_id, name, value)

    def profile(self) -> int:
        """The security profile in force (the key never reports less than the link's)."""
        return max(self._base_link.profile, self._config.value("SecurityProfile"))

    def set_profile_url(self, profile: int, url: str | None) -> None:
        """Where the CSMS listens for ``profile`` (A00.FR.006: a port per profile is allowed)."""
        urls = dict(self._get("security_urls") or {})
        if url is None:
            urls.pop(str(profile), None)
        else:
            urls[str(profile)] = url
        self._put("security_urls", urls)

    def reset_profile(self, profile: int) -> None:
        """Lower the profile outside OCPP (A00.FR.005: the bench's settings are that method)."""
        self._put("security_trial", None)
        self._config.set("SecurityProfile", str(profile))

    def link_config(self) -> LinkConfig:
        """The link settings for the next connection: the profile in force, its URL,
        the AuthorizationKey, the installed roots and the newest client certificate."""
        base = self._base_link
        try:
            return self._config_for(self.profile())
        except (ValueError, OSError) as exc:
            if self._get("security_trial"):
                self._fall_back(str(exc))
                try:
                    return self._config_for(self.profile())
                except (ValueError, OSError):
                    pass
            log.warning("%s: security settings unusable (%s)", self._station_id, exc)
            return base

    def _config_for(self, profile: int) -> LinkConfig:
        base = self._base_link
        urls = self._get("security_urls") or {}
        url = urls.get(str(profile)) or base.url
        if profile >= 2 and url.startswith("ws://"):
            url = "wss://" + url[len("ws://") :]
        password: str | None = None
        if profile in (1, 2) or (profile == 3 and base.profile == 3):
            key = self._config.raw("AuthorizationKey") or ""
            password = key or base.password
        ca_file, cert_file, key_file = base.ca_file, None, None
        # The CA file the user gives (--ca) is the one used, every time (issue 11); the
        # store's roots serve a station started without one.
        if profile >= 2 and url.startswith("wss://") and base.ca_file:
            _ = self._certificates.store  # built once: reports a CA file that differs from it
        elif profile >= 2 and url.startswith("wss://"):
            trust = self._certificates.store.trust_pem(with_fallback=self.use_fallback_root)
            if trust:
                ca_file = self._write("roots.pem", trust)
        if profile == 3:
            creds = self._certificates.store.client_credentials(self._clock.now())
            if creds is not None:
                cert_file = self._write("client.pem", creds.chain_pem)
                key_file = self._write("client.key", creds.key_pem, private=True)
            else:
                cert_file, key_file = base.cert_file, base.key_file
        return dataclasses.replace(
            base,
            url=url,
            security_profile=profile,
            password=password,
            ca_file=ca_file,
            cert_file=cert_file,
            key_file=key_file,
        )

    def _write(self, name: str, text: str, *, private: bool = False) -> str:
        """Write TLS material for the transport (which reads files); unchanged files stay put."""
        folder = material_dir(self._db, self._station_id)
        return write_material(folder, name, text, private=private)

    # ------------------------------------------------------------------ A05 upgrade
    def change_profile(self, text: str) -> dict[str, Any] | Reply:
        """ChangeConfiguration(SecurityProfile): an upgrade, or Rejected (A05)."""
        try:
            new = parse_int(0, 3)(text)
        except ValueError:
            return {"status": "Rejected"}
        current = self.profile()
        why = self._upgrade_refusal(new, current)
        if why is not None:
            log.info("%s: SecurityProfile %s rejected: %s", self._station_id, new, why)
            return {"status": "Rejected"}
        self._put("security_trial", {"previous": current})
        self._trial_failures = 0
        self._config.set("SecurityProfile", str(new))
        self._certificates.notify(
            "ReconfigurationOfSecurityParameters", f"SecurityProfile {current} -> {new}"
        )
        self._events.emit(SecurityProfileChanged(new, current, "upgrading"))
        # A05.FR.06/07: disconnect after the reply, reconnect with the new profile.
        return Reply({"status": "Accepted"}, then=self._certificates.reconnect)

    def _upgrade_refusal(self, new: int, current: int) -> str | None:
        """Why an upgrade to ``new`` is not allowed now (A05.FR.01-04), or None."""
        if new <= current:
            return "lowering or keeping the profile is not done over OCPP (A05.FR.01)"
        base = self._base_link
        if new in (1, 2):
            key = self._config.raw("AuthorizationKey") or base.password or ""
            if not (16 <= len(key) <= 40):
                return "no valid AuthorizationKey (A05.FR.02)"
        now = self._clock.now()
        store = self._certificates.store
        if new >= 2 and not (store.valid_roots(CS_ROOT, now) or base.ca_file):
            return "no valid CentralSystemRootCertificate (A05.FR.03)"
        if new == 3 and not (store.client_credentials(now) or base.cert_file):
            return "no valid ChargePointCertificate (A05.FR.04)"
        try:
            self._config_for(new)
        except (ValueError, OSError) as exc:
            return str(exc)
        return None

    def _fall_back(self, reason: str) -> None:
        """A05.FR.08: the upgraded profile did not connect; go back to the previous one."""
        trial = self._get("security_trial") or {}
        previous = int(trial.get("previous", self._base_link.profile))
        failed = self.profile()
        self._put("security_trial", None)
        self._trial_failures = 0
        self._config.set("SecurityProfile", str(previous))
        self._certificates.notify(
            "ReconfigurationOfSecurityParameters",
            f"SecurityProfile {failed} failed to connect; back to {previous}",
        )
        self._events.emit(SecurityProfileChanged(previous, failed, "fell back", reason))

    # ------------------------------------------------------------------ connection hooks
    def attempt_failed(self, reason: str) -> None:
        """A connection attempt failed: the third one with an upgraded profile falls back."""
        if self._get("security_trial"):
            self._trial_failures += 1
            if self._trial_failures >= FALLBACK_AFTER:
                self._fall_back(reason)

    def connected(self) -> None:
        """A connection opened: an upgraded profile works and stays (A05.FR.09 is the CSMS's)."""
        trial = self._get("security_trial")
        if trial:
            self._put("security_trial", None)
            self._trial_failures = 0
            self._events.emit(
                SecurityProfileChanged(self.profile(), int(trial["previous"]), "confirmed")
            )
