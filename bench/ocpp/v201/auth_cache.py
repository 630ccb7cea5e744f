"""The 2.0.1 Authorization Cache (C10-C12) on the version-neutral ``bench.store.authcache``.

Each entry is kept as ``{"status", "idToken", "idTokenInfo", "updated", "uses"}``
under the token's key (``auth_tokens.token_key``), so the token's additionalInfo
is cached with it (part 2 C §1.1.1) and the store's status column still holds
the verdict.

- Entries come from every AuthorizeResponse and TransactionEventResponse
  (C10.FR.01/04/05, C12.FR.06), never for NoAuthorization or Central tokens
  (C02.FR.03, C03.FR.02) nor with a cacheExpiryDateTime already past (C10.FR.10
  errata note: such an entry is removed).
- An entry reads as Expired once its cacheExpiryDateTime has passed (C10.FR.13),
  or, without one, once ``AuthCacheCtrlr.LifeTime`` seconds went by since it was
  last updated (C10.FR.08/10 errata); the stored entry is changed to Expired.
- ``AuthCacheCtrlr.Storage`` reports the bytes in use; its maxLimit is the
  capacity. A new entry that does not fit evicts entries that are not Accepted
  first, then by ``Policy``: LRU (least recently used), LFU (least often used),
  FIFO or CUSTOM (oldest update first) (C10.FR.07).
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any, Protocol

from bench.ocpp.common.timestamps import iso, parse_iso
from bench.ocpp.v201.auth_tokens import NOT_CACHED, bare_token, cache_expired, token_key
from bench.ocpp.v201.block import Persistence, Services, Variables
from bench.ocpp.v201.device_model import ComponentKey, VariableKey
from bench.store.authcache import AuthCache, AuthCacheEntry

log = logging.getLogger(__name__)

COMPONENT = "AuthCacheCtrlr"
_size_of = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _bytes(record: dict[str, Any]) -> int:
    return len(_size_of(record).encode())


class CacheHost(Services, Variables, Persistence, Protocol):
    """What the cache uses of the station: its database, AuthCacheCtrlr, the clock."""


class AuthCache201:
    __slots__ = ("_store", "cp")

    def __init__(self, cp: CacheHost) -> None:
        self.cp = cp
        self._store: AuthCache | None = None

    @property
    def store(self) -> AuthCache:
        # Opened on first use, so idle stations cost no query.
        if self._store is None:
            self._store = AuthCache(self.cp.db, f"{self.cp.station.id}#2.0.1", self.cp.storage)
        return self._store

    @property
    def enabled(self) -> bool:
        """C10.FR.11: AuthCacheCtrlr.Enabled (and Available) switch the cache."""
        cp = self.cp
        return cp.flag(COMPONENT, "Available") and cp.flag(COMPONENT, "Enabled")

    # ------------------------------------------------------------ reading
    def lookup(self, id_token: dict[str, Any], *, use: bool = True) -> dict[str, Any] | None:
        """The cached IdTokenInfo as it reads now (None when absent or the cache is off).

        ``use`` counts a use for the LRU and LFU policies.
        """
        if not self.enabled:
            return None
        key = token_key(id_token)
        record = self.store.get(key)
        if record is None:
            return None
        info = record["idTokenInfo"]
        if info.get("status") == "Accepted" and self._stale(record):
            info = {**info, "status": "Expired"}  # C10.FR.10: changed to Expired
            record = {**record, "status": "Expired", "idTokenInfo": info}
            self.store.put(key, record)
        elif use and self._policy() in ("LRU", "LFU"):
            # Re-putting moves the entry to the back of the eviction order.
            self.store.put(key, {**record, "uses": int(record.get("uses", 0)) + 1})
        return info

    def _stale(self, record: dict[str, Any]) -> bool:
        now = self.cp.clock.now()
        info = record["idTokenInfo"]
        if info.get("cacheExpiryDateTime"):
            return cache_expired(info, now)  # C10.FR.13
        lifetime = self.cp.number(COMPONENT, "LifeTime")
        updated = parse_iso(record.get("updated", ""))
        return lifetime > 0 and updated is not None and now - updated > timedelta(seconds=lifetime)

    def entries(self) -> list[AuthCacheEntry]:
        return self.store.entries()

    def __len__(self) -> int:
        return len(self.store)

    # ------------------------------------------------------------ writing
    def put(self, id_token: dict[str, Any], info: dict[str, Any]) -> bool:
        """Cache ``info`` for ``id_token`` (C10.FR.04/05); False when it may not be cached."""
        if not self.enabled or id_token.get("type") in NOT_CACHED:
            return False
        key = token_key(id_token)
        if cache_expired(info, self.cp.clock.now()):
            # C10.FR.10 (errata): a past cacheExpiryDateTime keeps the token out of the cache.
            if self.store.remove(key):
                self._publish()
            return False
        old = self.store.get(key)
        record = {
            "status": info.get("status"),
            "idToken": bare_token(id_token),
            "idTokenInfo": {k: v for k, v in info.items() if k != "customData"},
            "updated": iso(self.cp.clock.now()),
            "uses": int(old.get("uses", 0)) if old else 0,
        }
        self._make_room(key, _bytes(record))
        self.store.put(key, record)
        self._publish()
        return True

    def remove(self, id_token: dict[str, Any]) -> bool:
        gone = self.store.remove(token_key(id_token))
        if gone:
            self._publish()
        return gone

    def remove_where(self, keep: Any) -> int:
        """Remove every entry whose record ``keep(record)`` is false; returns how many."""
        removed = 0
        for entry in self.store.entries():
            if not keep(entry.id_tag_info):
                removed += int(self.store.remove(entry.id_tag))
        if removed:
            self._publish()
        return removed

    def clear(self) -> int:
        """C11.FR.01: empty the cache; how many entries went."""
        removed = self.store.clear()
        self._publish()
        return removed

    # ------------------------------------------------------------ capacity
    def capacity(self) -> int:
        vdef = self.cp.device_model.definition.lookup(
            ComponentKey(COMPONENT), VariableKey("Storage")
        )
        limit = vdef.characteristics.max_limit if vdef is not None else None
        return int(limit) if limit else 0

    def used_bytes(self) -> int:
        return sum(_bytes(e.id_tag_info) for e in self.store.entries())

    def _policy(self) -> str:
        return self.cp.variable(COMPONENT, "Policy") or "LRU"

    def _make_room(self, key: str, size: int) -> None:
        """C10.FR.07: evict not-Accepted entries first, then by Policy, until ``size`` fits."""
        capacity = self.capacity()
        if not capacity:
            return
        entries = [e for e in self.store.entries() if e.id_tag.casefold() != key.casefold()]
        used = sum(_bytes(e.id_tag_info) for e in entries)
        if used + size <= capacity:
            return
        order = list(enumerate(entries))  # least recently updated first
        if self._policy() == "LFU":
            order.sort(key=lambda p: (int(p[1].id_tag_info.get("uses", 0)), p[0]))
        order.sort(key=lambda p: p[1].status == "Accepted")  # stable: not-Accepted go first
        for _, entry in order:
            if used + size <= capacity:
                break
            self.store.remove(entry.id_tag)
            used -= _bytes(entry.id_tag_info)
            log.info("%s: cache full, evicted %s", self.cp.station.id, entry.status)

    def _publish(self) -> None:
        """Keep AuthCacheCtrlr.Storage (bytes in use) current."""
        text = str(self.used_bytes())
        if self.cp.variable(COMPONENT, "Storage") != text:
            self.cp.set_own_variable(COMPONENT, "Storage", text)
