"""Where and how a charge point connects: URL, identity, security profile.

The security profiles are those of the OCPP 1.6 security whitepaper (edition 3)
§2.1–§2.5:

* 0 — no security (plain ``ws://``, no credentials; the 1.6 default "no profile").
* 1 — unsecured transport with HTTP Basic authentication (§2.3). The username is
  the charge point identity, the password the AuthorizationKey (A00.FR.204/205).
* 2 — TLS with Basic authentication (§2.4): ``wss://`` and a password.
* 3 — TLS with client-side certificates (§2.5): ``wss://`` and a certificate.

Validation happens when the config is built, so a bad configuration is a
clear ``ValueError`` in the settings form, not a failed connection later.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

__all__ = ["ID_PLACEHOLDER", "LinkConfig"]

ID_PLACEHOLDER = "{id}"
_SCHEMES = ("ws", "wss")


@dataclass(slots=True)
class LinkConfig:
    """The settings of one charge point's WebSocket link to its CSMS.

    ``security_profile=None`` infers the profile from the other fields: 3 when
    a client certificate is given, 2 for ``wss://`` with a password, 1 for
    ``ws://`` with a password, else 0. A ``wss://`` URL without credentials is
    profile 0 over TLS: not a whitepaper profile, but common on public test
    servers, and the server certificate is still verified.

    ``ping_interval`` of ``None`` or ``0`` disables WebSocket pings, like 1.6's
    WebSocketPingInterval = 0 (OCPP-J 1.6 §7).
    ``ping_timeout`` of ``None`` waits one ping interval for the pong.
    ``close_timeout`` bounds the wait for the peer's close frame (and so adds
    to the time it takes to notice a dead peer after a ping timeout).
    ``extra_ca_file`` holds more trust anchors (PEM), trusted beside ``ca_file``'s (or,
    without one, beside the system store's): a 2.0.1 station's CSMS roots installed
    over OCPP beside the CA file it was installed with.
    """

    url: str
    station_id: str
    subprotocol: str = "ocpp1.6"
    security_profile: int | None = None
    password: str | None = None
    ca_file: str | None = None
    extra_ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    ping_interval: float | None = None
    open_timeout: float = 10.0
    ping_timeout: float | None = None
    close_timeout: float = 5.0

    def __post_init__(self) -> None:
        if not self.station_id:
            raise ValueError("the charge point identity (station id) must not be empty")
        scheme = self.scheme
        if scheme not in _SCHEMES:
            shown = f"{scheme}://" if scheme else "no scheme"
            raise ValueError(
                f"CSMS URL {self.url!r} must start with ws:// or wss:// (it has {shown})"
            )
        if not urllib.parse.urlsplit(self.url).hostname:
            raise ValueError(f"CSMS URL {self.url!r} has no host name")
        if self.url.count(ID_PLACEHOLDER) > 1:
            raise ValueError(f"CSMS URL {self.url!r} has more than one {ID_PLACEHOLDER}")
        if self.open_timeout <= 0:
            raise ValueError("open_timeout must be positive")
        if self.ping_interval is not None and self.ping_interval < 0:
            raise ValueError("ping_interval must be 0 (disabled) or positive")
        if self.ping_timeout is not None and self.ping_timeout <= 0:
            raise ValueError("ping_timeout must be positive")
        if self.close_timeout <= 0:
            raise ValueError("close_timeout must be positive")
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("a client certificate needs both cert_file and key_file")
        if self.password is not None and ":" in self.station_id:
            # RFC 7617 §2: the user-id of Basic authentication cannot contain a colon.
            raise ValueError(
                f"station id {self.station_id!r} contains ':' and cannot be a Basic auth username"
            )
        self._check_profile(self.profile)

    # ------------------------------------------------------------------ derived
    @property
    def scheme(self) -> str:
        return urllib.parse.urlsplit(self.url).scheme.lower()

    @property
    def secure(self) -> bool:
        return self.scheme == "wss"

    @property
    def profile(self) -> int:
        """The security profile in use: the configured one, or the inferred one."""
        if self.security_profile is not None:
            return self.security_profile
        if self.cert_file is not None:
            return 3
        if self.password is not None:
            return 2 if self.secure else 1
        return 0

    @property
    def sends_basic_auth(self) -> bool:
        """Profiles 1 and 2 always send Basic auth; profile 3 only if a password is set."""
        return self.password is not None and self.profile in (1, 2, 3)

    def endpoint(self) -> str:
        """The URL to connect to, with the station id in it.

        OCPP-J 1.6 §3.1.1: the charge point identity is the last path segment
        of the connection URL. A URL with ``{id}`` gets the id substituted there
        (the rest of the URL, including a trailing slash, is kept); otherwise the
        id is appended as a new last segment. The id is percent-encoded, so an
        id with a ``/``, space or ``#`` stays one segment.
        """
        quoted = urllib.parse.quote(self.station_id, safe="")
        if ID_PLACEHOLDER in self.url:
            return self.url.replace(ID_PLACEHOLDER, quoted)
        parts = urllib.parse.urlsplit(self.url)
        path = parts.path
        if not path.endswith("/"):
            path += "/"
        return urllib.parse.urlunsplit(
            (parts.scheme, parts.netloc, path + quoted, parts.query, parts.fragment)
        )

    # ------------------------------------------------------------------ checks
    def _check_profile(self, profile: int) -> None:
        if profile not in (0, 1, 2, 3):
            raise ValueError(f"security profile must be 0, 1, 2 or 3, not {profile!r}")
        if profile == 0:
            if self.password is not None:
                raise ValueError(
                    "security profile 0 sends no credentials; use profile 1 or 2 for a password"
                )
            if self.cert_file is not None:
                raise ValueError(
                    "security profile 0 uses no client certificate; use profile 3 for one"
                )
        elif profile == 1:
            # Whitepaper §2.3, A00.FR.202/203: Basic auth on every connection request.
            if not self.password:
                raise ValueError("security profile 1 needs a password (the AuthorizationKey)")
        elif profile == 2:
            # §2.4, A00.FR.301/311: TLS plus Basic auth.
            if not self.secure:
                raise ValueError("security profile 2 needs a wss:// URL (TLS)")
            if not self.password:
                raise ValueError("security profile 2 needs a password (the AuthorizationKey)")
        else:
            # §2.5, A00.FR.401/415: TLS with a client certificate.
            if not self.secure:
                raise ValueError("security profile 3 needs a wss:// URL (TLS)")
            if self.cert_file is None or self.key_file is None:
                raise ValueError(
                    "security profile 3 needs a client certificate (cert_file and key_file)"
                )
