"""Whether a 1.6 station speaks the security extension, and whether its CSMS does.

The security whitepaper (edition 3) adds messages to OCPP 1.6J that a plain
1.6 CSMS does not know. Two things decide whether the station uses them:

- the station's setting (``StationTemplate.security_extension``). With it off
  the station is a plain 1.6 charge point: it sends none of the extension's
  messages and answers the extension's CSMS requests with CALLERROR
  NotImplemented, OCPP-J 1.6 §4.2.3's code for an action the receiver does not
  know (the whitepaper defines no other answer for a station without it);
- the CSMS's answers. Once it answers an extension message with NotImplemented
  or NotSupported, that message is not retried and no further ones of that
  action go out on this connection: every one would be refused the same way.
  A new connection asks again (the CSMS may have been upgraded or replaced).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from bench.ocpp.errors import CallError, ErrorKind, OcppError

log = logging.getLogger(__name__)

# What the station sends that only an extension-aware CSMS knows.
EXTENSION_MESSAGES = frozenset(
    {
        "SecurityEventNotification",
        "SignCertificate",
        "LogStatusNotification",
        "SignedFirmwareStatusNotification",
    }
)
# The CALLERROR codes that mean "this CSMS does not do that" rather than "not now".
REFUSALS = frozenset({ErrorKind.NOT_IMPLEMENTED.value, ErrorKind.NOT_SUPPORTED.value})

Handler = Callable[[dict[str, Any]], Awaitable[Any]]


_NONE: frozenset[str] = frozenset()


class ExtensionGate:
    """One station's view of the security extension: its setting and its CSMS's refusals."""

    __slots__ = ("_refused", "_told", "enabled", "station_id")

    def __init__(self, station_id: str, enabled: bool) -> None:
        self.station_id = station_id
        self.enabled = enabled
        # Refusals are rare, and an empty set costs 216 bytes a station: both start as one
        # shared empty frozenset and are replaced, not mutated, when one arrives.
        self._refused = _NONE  # refused on the current connection
        self._told = _NONE  # refusals logged in this station's life

    def may_send(self, action: str) -> bool:
        """False for an extension message the station must not send now."""
        if action not in EXTENSION_MESSAGES:
            return True
        return self.enabled and action not in self._refused

    def refused(self, action: str, exc: CallError) -> bool:
        """Note the CSMS's CALLERROR; True when it means the CSMS does not implement ``action``."""
        if action not in EXTENSION_MESSAGES or exc.code not in REFUSALS:
            return False
        self._refused |= {action}
        if action not in self._told:
            self._told |= {action}
            log.warning(
                "%s: the CSMS does not implement %s (%s); not sent again on this connection",
                self.station_id,
                action,
                exc.code,
            )
        return True

    def on_connected(self) -> None:
        """A new connection: the CSMS behind it gets asked again."""
        self._refused = _NONE

    def guard(self, handlers: Mapping[str, Handler]) -> dict[str, Handler]:
        """The extension's request handlers, or NotImplemented for each while it is off."""
        if self.enabled:
            return dict(handlers)
        return {action: _not_implemented(action) for action in handlers}


def _not_implemented(action: str) -> Handler:
    async def refuse(_req: dict[str, Any]) -> Any:
        raise OcppError(
            ErrorKind.NOT_IMPLEMENTED,
            f"{action} belongs to the 1.6 security extension, which this station does not have",
        )

    return refuse
