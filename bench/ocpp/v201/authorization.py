"""Functional blocks C and D: Authorize, the Authorization Cache, the Local Authorization List.

``authorize(id_token, evse_id)`` is the one place a 2.0.1 station decides whether
a token may charge. In order:

- NoAuthorization tokens (C02) and every token while ``AuthCtrlr.Enabled`` is
  false are Accepted; so are Central tokens, without an AuthorizeRequest
  (C03.FR.01, C05.FR.01). None of them is cached (C02.FR.03, C03.FR.02).
- The list's entry wins over the cache's (C13.FR.01, C14.FR.01).
- Online: an Accepted list entry is used without asking (C14.FR.02); an Accepted
  cache entry too when ``LocalPreAuthorize`` is true (C12.FR.02). A not-Accepted
  local entry is checked with the CSMS (C10.FR.03, C12.FR.05, C14.FR.03) unless
  that store's ``DisablePostAuthorize`` is true. Otherwise an AuthorizeRequest
  goes out (C01.FR.02) with the token as presented, additionalInfo included, and
  the reply updates the cache (C10.FR.04). ``DisableRemoteAuthorization`` keeps
  every AuthorizeRequest in: only the list and cache decide.
- Offline, or the CSMS does not answer: an Accepted local entry counts when
  ``LocalAuthorizeOffline`` is true (C13.FR.02); a known not-Accepted one is
  refused; an unknown token is Accepted when ``OfflineTxForUnknownIdEnabled``
  (C15.FR.08) and then not cached (C15.FR.01); else Unknown.
- With ``LocalAuthListCtrlr.SupportsExpiryDateTime`` true, a list entry whose
  cacheExpiryDateTime has passed is disregarded: online the token is checked
  with the CSMS (C14.FR.05); offline it is refused as Expired, not taken for an
  unknown id (C13.FR.05/06), unless the cache knows it.
- With an ``evse_id``, an Accepted verdict is narrowed to that EVSE: not in the
  reply's evseId list -> NotAtThisLocation (C01.FR.21); reserved for another
  token or group -> NotAtThisTime (H03.FR.01-06).

``remember`` caches the IdTokenInfo a TransactionEventResponse carried (C10.FR.05);
``forget_customer`` drops a customer's cache entries (N10.FR.03: never the list).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from bench.ocpp.errors import CallError, CallTimeout, InvalidReply, LinkClosed
from bench.ocpp.v201.auth_groups import TokenGroupMemo
from bench.ocpp.v201.auth_tokens import NO_REQUEST, allowed_at, bare_token, same_group
from bench.ocpp.v201.block import Block, Handler, Messaging, Services, Variables
from bench.ocpp.v201.ports import ReservationGate

log = logging.getLogger(__name__)

AUTH = "AuthCtrlr"


@dataclass(frozen=True, slots=True)
class TokenAuthorized:
    """A verdict on a presented token; ``source`` is list, cache, csms, offline or local."""

    id_token: str
    token_type: str
    status: str
    source: str
    evse_id: int | None = None


@dataclass(frozen=True, slots=True)
class LocalListChanged:
    version: int
    entries: int


@dataclass(frozen=True, slots=True)
class AuthCacheChanged:
    entries: int


def _accepted(info: dict[str, Any] | None) -> bool:
    return info is not None and info.get("status") == "Accepted"


class AuthorizationHost(Services, Messaging, Variables, Protocol):
    """What block C uses of the station: AuthCtrlr and friends, Authorize over the session."""


class Authorization(Block[AuthorizationHost]):
    __slots__ = ("_groups", "_reservations", "cache", "local_list")

    def __init__(
        self, cp: AuthorizationHost, groups: TokenGroupMemo, reservations: ReservationGate
    ) -> None:
        super().__init__(cp)
        self._groups = groups
        self._reservations = reservations
        self.cache = groups.cache
        self.local_list = groups.local_list

    def handlers(self) -> dict[str, Handler]:
        return {
            "ClearCache": self.clear_cache,
            "SendLocalList": self.send_local_list,
            "GetLocalListVersion": self.get_local_list_version,
        }

    # ------------------------------------------------------------ the interface of block C
    async def authorize(
        self,
        id_token: dict[str, Any],
        evse_id: int | None = None,
        *,
        request_extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """IdTokenInfoType for ``id_token`` (see the module docstring for the rules).

        ``request_extra`` adds fields to the AuthorizeRequest (certificate,
        iso15118CertificateHashData for C07).
        """
        token = bare_token(id_token)
        if token["type"] in NO_REQUEST or not self.cp.flag(AUTH, "Enabled"):
            return self._verdict(token, {"status": "Accepted"}, "local", evse_id)
        info, source = await self._decide(token, request_extra)
        self._note_group(token, info)
        return self._verdict(token, info, source, evse_id)

    async def authorize_remote_start(
        self, id_token: dict[str, Any], evse_id: int | None = None
    ) -> dict[str, Any]:
        """F01 RequestStartTransaction: authorize first only when AuthorizeRemoteStart is true."""
        if not self.cp.flag(AUTH, "AuthorizeRemoteStart"):
            token = bare_token(id_token)
            return self._verdict(token, {"status": "Accepted"}, "local", evse_id)
        return await self.authorize(id_token, evse_id)

    def remember(self, id_token: dict[str, Any], info: dict[str, Any]) -> None:
        """C10.FR.05, C12.FR.06: the IdTokenInfo of a TransactionEventResponse updates the cache."""
        token = bare_token(id_token)
        self._note_group(token, info)
        if self.cache.put(token, info):
            self.cp.events.emit(AuthCacheChanged(len(self.cache)))

    def forget_customer(
        self, id_token: dict[str, Any] | None, customer_identifier: str | None
    ) -> int:
        """N10.FR.03/06: remove what the cache holds on a customer; how many entries went.

        The list is the CSMS's to change (D01.FR.09, N10.FR.02), so it is left alone.
        """
        removed = 0
        if id_token is not None:
            removed += int(self.cache.remove(id_token))
            self._groups.forget(id_token)
        if customer_identifier:
            wanted = customer_identifier.casefold()
            removed += self.cache.remove_where(
                lambda record: (
                    str(record.get("idToken", {}).get("idToken", "")).casefold() != wanted
                )
            )
        if removed:
            self.cp.events.emit(AuthCacheChanged(len(self.cache)))
        return removed

    def group_of(self, id_token: dict[str, Any]) -> dict[str, Any] | None:
        """The groupIdToken known for ``id_token``: list, cache, last verdict (H03.FR.07)."""
        return self._groups.group_of(id_token)

    def is_master_pass(self, info: dict[str, Any]) -> bool:
        """C16: the token's group is AuthCtrlr.MasterPassGroupId (may stop, never start)."""
        master = self.cp.variable(AUTH, "MasterPassGroupId")
        group = info.get("groupIdToken")
        return bool(master) and group is not None and group.get("idToken") == master

    def at_evse(
        self, id_token: dict[str, Any], info: dict[str, Any], evse_id: int | None
    ) -> dict[str, Any]:
        """``info`` narrowed to ``evse_id``: evseId list (C01.FR.21), reservations (H03)."""
        if evse_id is None or not _accepted(info):
            return info
        if not allowed_at(info, evse_id):
            return {**info, "status": "NotAtThisLocation"}
        group = info.get("groupIdToken") or self.group_of(id_token)
        if not self._reservations.allows(evse_id, id_token, group):
            return {**info, "status": "NotAtThisTime"}
        return info

    # ------------------------------------------------------------ deciding
    async def _decide(
        self, token: dict[str, Any], extra: dict[str, Any] | None
    ) -> tuple[dict[str, Any], str]:
        cp = self.cp
        listed = self.local_list.lookup(token)
        lapsed = listed is not None and self.local_list.expired(listed)
        if lapsed:
            listed = None  # C14.FR.05: as if not in the list
        cached = None if listed is not None else self.cache.lookup(token)
        local, source = (listed, "list") if listed is not None else (cached, "cache")
        if cp.accepted and not cp.flag(AUTH, "DisableRemoteAuthorization"):
            if listed is not None and (
                _accepted(listed) or cp.flag("LocalAuthListCtrlr", "DisablePostAuthorize")
            ):
                return listed, "list"  # C14.FR.02 (C14.FR.03 unless post-authorize is off)
            if cached is not None and (
                (_accepted(cached) and cp.flag(AUTH, "LocalPreAuthorize"))
                or (not _accepted(cached) and cp.flag("AuthCacheCtrlr", "DisablePostAuthorize"))
            ):
                return cached, "cache"  # C12.FR.02 (C10.FR.03 unless post-authorize is off)
            try:
                reply = await cp.session.call("Authorize", {"idToken": token, **(extra or {})})
            except (CallTimeout, LinkClosed) as exc:
                log.info("%s: Authorize got no answer (%s); deciding offline", cp.station.id, exc)
            except (CallError, InvalidReply) as exc:
                log.warning("%s: Authorize failed: %s", cp.station.id, exc)
                return {"status": "Invalid"}, "csms"
            else:
                info = reply["idTokenInfo"]
                if self.cache.put(token, info):  # C10.FR.04, C12.FR.06
                    cp.events.emit(AuthCacheChanged(len(self.cache)))
                return info, "csms"
        elif cp.accepted:
            # DisableRemoteAuthorization: the list and the cache are all there is.
            return (local, source) if local is not None else ({"status": "Unknown"}, "local")
        # Offline (or no answer): C13, C15.
        if lapsed and local is None:
            return {"status": "Expired"}, "list"  # C13.FR.05/06: not an unknown id
        if local is not None:
            if not _accepted(local):
                return local, source
            if cp.flag(AUTH, "LocalAuthorizeOffline"):
                return local, source
            return {"status": "Unknown"}, "offline"
        if cp.flag(AUTH, "OfflineTxForUnknownIdEnabled"):
            return {"status": "Accepted"}, "offline"  # C15.FR.08; not cached (C15.FR.01)
        return {"status": "Unknown"}, "offline"

    def _verdict(
        self, token: dict[str, Any], info: dict[str, Any], source: str, evse_id: int | None
    ) -> dict[str, Any]:
        result = self.at_evse(token, info, evse_id)
        self.cp.events.emit(
            TokenAuthorized(
                # C04.FR.04: key codes never appear in logs or events.
                "***" if token["type"] == "KeyCode" else token["idToken"],
                token["type"],
                result["status"],
                source,
                evse_id,
            )
        )
        return result

    def _note_group(self, token: dict[str, Any], info: dict[str, Any]) -> None:
        self._groups.note(token, info)

    def in_group(self, id_token: dict[str, Any], group: dict[str, Any] | None) -> bool:
        """C09.FR.03: ``id_token`` belongs to ``group`` as far as the station knows."""
        return same_group(self.group_of(id_token), group)

    # ------------------------------------------------------------ handlers
    async def clear_cache(self, req: dict[str, Any]) -> dict[str, Any]:
        """C11.FR.01-05."""
        if not self.cache.enabled:
            return {"status": "Rejected", "statusInfo": {"reasonCode": "NotEnabled"}}
        self.cache.clear()
        self._groups.clear()
        self.cp.events.emit(AuthCacheChanged(0))
        return {"status": "Accepted"}

    async def send_local_list(self, req: dict[str, Any]) -> dict[str, Any]:
        """D01.FR.01-19."""
        reply = self.local_list.update(req)
        if reply["status"] == "Accepted":
            self.cp.events.emit(
                LocalListChanged(self.local_list.version, len(self.local_list.store))
            )
        return reply

    async def get_local_list_version(self, req: dict[str, Any]) -> dict[str, Any]:
        """D02.FR.01-03."""
        return {"versionNumber": self.local_list.version}
