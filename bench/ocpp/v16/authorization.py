"""Authorization of idTags for 1.6: Authorize.req, the cache and offline rules (1.6 §3.5, §4.1).

Policy, in the order the spec gives it:
- the Local Authorization List, when it holds the identifier, takes priority over the
  cache (§3.5.3); "the local entry" below is the list's entry, else the cache's;
- online and ``LocalPreAuthorize`` with a valid local entry: accepted at once, no request;
- online otherwise: Authorize.req, and the reply updates the cache (§3.5.1) unless the
  identifier is in the list (§3.5.3: listed identifiers never enter the cache); a reply
  contradicting the list is reported as LocalListConflict (§3.5.2);
- offline (or the CSMS does not answer): ``LocalAuthorizeOffline`` allows a valid local
  entry; ``AllowOfflineTxForUnknownId`` allows an identifier neither list nor cache
  knows, but never one they hold as not valid or expired (§3.5.4).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bench.ocpp.common.timestamps import parse_iso
from bench.ocpp.errors import CallError, CallTimeout, InvalidReply, LinkClosed
from bench.store.authcache import AuthCache

if TYPE_CHECKING:
    import sqlite3

    from bench.model.clock import Clock
    from bench.model.station import Station
    from bench.ocpp.session import OcppSession
    from bench.ocpp.v16.config import Configuration
    from bench.ocpp.v16.local_list import LocalAuthList
    from bench.ocpp.v16.ports import LinkState
    from bench.store.faults import StoreHealth

log = logging.getLogger(__name__)


def with_expiry(info: dict[str, Any], now: datetime) -> dict[str, Any]:
    """``info`` as it reads at ``now``: an Accepted entry past its expiryDate is Expired.

    Returns ``info`` itself when nothing changed (1.6 §3.5.1, §3.5.4).
    """
    expiry = info.get("expiryDate")
    if info.get("status") == "Accepted" and expiry:
        when = parse_iso(expiry)
        if when is not None and when <= now:
            return {**info, "status": "Expired"}
    return info


class Authorizer:
    __slots__ = ("_clock", "_config", "_link", "_local_list", "_session", "_station", "cache")

    def __init__(
        self,
        station: Station,
        *,
        db: sqlite3.Connection,
        storage: StoreHealth,
        clock: Clock,
        config: Configuration,
        session: OcppSession,
        link: LinkState,
        local_list: LocalAuthList,
    ) -> None:
        self._station = station
        self._clock = clock
        self._config = config
        self._session = session
        self._link = link  # Authorize.req only while accepted
        self._local_list = local_list  # takes priority over the cache (§3.5.3)
        self.cache = AuthCache(db, station.id, storage)

    def cached(self, id_tag: str) -> dict[str, Any] | None:
        """The cached idTagInfo, with expiry applied (an expired entry reads as Expired)."""
        if not self._config.get_bool("AuthorizationCacheEnabled"):
            return None
        info = self.cache.get(id_tag)
        if info is None:
            return None
        current = with_expiry(info, self._clock.now())
        if current is not info:
            self.cache.put(id_tag, current)  # §3.5.1: expired entries are changed to Expired
        return current

    def remember(self, id_tag: str, info: dict[str, Any]) -> None:
        """Update the cache from any received IdTagInfo (§3.5.1), except for listed tags."""
        if self._config.get_bool("AuthorizationCacheEnabled") and not self._local_list.knows(
            id_tag
        ):
            self.cache.put(id_tag, info)

    def local(self, id_tag: str) -> dict[str, Any] | None:
        """The local verdict: the list's entry first, else the cache's (§3.5.3)."""
        listed = self._local_list.lookup(id_tag)
        return listed if listed is not None else self.cached(id_tag)

    async def authorize(self, id_tag: str) -> dict[str, Any]:
        config = self._config
        cached = self.local(id_tag)
        cached_ok = cached is not None and cached.get("status") == "Accepted"
        if self._link.accepted:
            if cached_ok and config.get_bool("LocalPreAuthorize"):
                return cached  # type: ignore[return-value]
            try:
                conf = await self._session.call("Authorize", {"idTag": id_tag})
            except (CallTimeout, LinkClosed) as exc:
                log.info(
                    "%s: Authorize got no answer (%s); deciding offline", self._station.id, exc
                )
            except (CallError, InvalidReply) as exc:
                log.warning("%s: Authorize failed: %s", self._station.id, exc)
                return {"status": "Invalid"}
            else:
                info = conf["idTagInfo"]
                self._local_list.check_conflict(id_tag, info)
                self.remember(id_tag, info)
                return info
        if cached is not None:
            if cached_ok and config.get_bool("LocalAuthorizeOffline"):
                return cached
            if not cached_ok:
                return cached  # §3.5.4: a known not-valid identifier is rejected offline
        if cached is None and config.get_bool("AllowOfflineTxForUnknownId"):
            return {"status": "Accepted"}
        return {"status": "Invalid"}

    def clear(self) -> None:
        self.cache.clear()
