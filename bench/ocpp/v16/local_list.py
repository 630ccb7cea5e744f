"""The local authorization list (1.6 §3.5.2, §5.10, §5.15).

- SendLocalList (§5.15): a Full update replaces the list, a Differential one
  adds/updates (entry with ``idTagInfo``) or deletes (entry without) identifiers
  and must carry a version newer than the list's (``VersionMismatch``, §7.47).
  Requests longer than ``SendLocalListMaxLength``, lists that would outgrow
  ``LocalAuthListMaxLength``, duplicate idTags and Full entries without
  ``idTagInfo`` get ``Failed`` and leave the list untouched (§6.41, §7.1).
  ``NotSupported`` while ``LocalAuthListEnabled`` is false.
- GetLocalListVersion (§5.10): 0 for an empty list, -1 while the list is disabled.
- ``lookup`` serves the Authorizer: list entries take priority over the cache
  (§3.5.3) and authorize offline per ``LocalAuthorizeOffline``.
- ``check_conflict``: a StartTransaction.conf (or Authorize.conf) whose status
  contradicts the list makes the station send StatusNotification on connector 0
  with errorCode ``LocalListConflict`` (§3.5.2).

The list lives in SQLite (``bench.store.locallist``), opened lazily so 10,000
idle stations cost nothing but a slot.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bench.ocpp.common.timestamps import iso
from bench.ocpp.errors import CallError, CallTimeout, InvalidReply, LinkClosed
from bench.ocpp.v16.authorization import with_expiry
from bench.ocpp.v16.config import KeyDef, _key, parse_int
from bench.store.locallist import LocalListStore

if TYPE_CHECKING:
    import sqlite3

    from bench.kernel.supervisor import Supervisor
    from bench.model.clock import Clock
    from bench.model.station import Station
    from bench.ocpp.session import OcppSession
    from bench.ocpp.v16.config import Configuration
    from bench.ocpp.v16.ports import LinkState, StatusSource

log = logging.getLogger(__name__)

PROFILE = "LocalAuthListManagement"  # its SupportedFeatureProfiles name
SUPPORTED = True  # listed in SupportedFeatureProfiles once its messages work


def _positive(text: str, _config: Any) -> int:
    return parse_int(1)(text)


KEYS: tuple[KeyDef, ...] = (
    # 1.6 §9.2.1-§9.2.3
    _key("LocalAuthListEnabled", "boolean", "RW", "true", profile=PROFILE),
    _key("LocalAuthListMaxLength", "integer", "R", "1000", _positive, profile=PROFILE),
    _key("SendLocalListMaxLength", "integer", "R", "250", _positive, profile=PROFILE),
)


class LocalAuthList:
    __slots__ = (
        "_clock",
        "_config",
        "_db",
        "_link",
        "_session",
        "_station",
        "_statuses",
        "_store",
        "_tasks",
    )

    def __init__(
        self,
        station: Station,
        *,
        db: sqlite3.Connection,
        clock: Clock,
        config: Configuration,
        tasks: Supervisor,
        session: OcppSession,
        link: LinkState,
        statuses: StatusSource,
    ) -> None:
        self._station = station
        self._db = db
        self._clock = clock
        self._config = config
        self._tasks = tasks
        self._session = session  # the LocalListConflict StatusNotification
        self._link = link
        self._statuses = statuses  # connector 0's status for that notification
        self._store: LocalListStore | None = None

    # ------------------------------------------------------------ state
    @property
    def store(self) -> LocalListStore:
        if self._store is None:
            self._store = LocalListStore(self._db, self._station.id)
        return self._store

    @property
    def enabled(self) -> bool:
        config = self._config
        profiles = config.value("SupportedFeatureProfiles")
        return PROFILE in profiles and config.get_bool("LocalAuthListEnabled")

    @property
    def version(self) -> int:
        """The version GetLocalListVersion reports (1.6 §5.10)."""
        if not self.enabled:
            return -1
        store = self.store
        return store.version if len(store) else 0

    def knows(self, id_tag: str) -> bool:
        """True when the enabled list holds ``id_tag`` (such tags never enter the cache, §3.5.3)."""
        return self.enabled and id_tag in self.store

    def lookup(self, id_tag: str) -> dict[str, Any] | None:
        """The list's idTagInfo for ``id_tag`` (None when absent or the list is disabled).

        An Accepted entry whose expiryDate has passed reads as Expired (§3.5.4); the
        stored entry itself is left alone, as only SendLocalList may change the list.
        """
        if not self.enabled:
            return None
        info = self.store.get(id_tag)
        return None if info is None else with_expiry(info, self._clock.now())

    # ------------------------------------------------------------ conflicts
    def check_conflict(self, id_tag: str, info: dict[str, Any]) -> bool:
        """Report a CSMS verdict that contradicts the list (1.6 §3.5.2); True on a conflict."""
        listed = self.lookup(id_tag)
        if listed is None or listed.get("status") == info.get("status"):
            return False
        log.info(
            "%s: %s is %s in the local list but %s at the CSMS",
            self._station.id,
            id_tag,
            listed.get("status"),
            info.get("status"),
        )
        if self._link.accepted:
            self._tasks.spawn(self._notify_conflict(), name="local-list-conflict")
        return True

    async def _notify_conflict(self) -> None:
        payload = {
            "connectorId": 0,
            "errorCode": "LocalListConflict",
            "status": self._statuses.status_of(0).status,
            "timestamp": iso(self._clock.now()),
        }
        try:
            await self._session.call("StatusNotification", payload)
        except (CallError, CallTimeout, InvalidReply, LinkClosed) as exc:
            log.warning("%s: LocalListConflict not delivered: %s", self._station.id, exc)

    # ------------------------------------------------------------ handlers
    def handlers(self) -> dict[str, Any]:
        """CSMS-initiated actions this block answers."""
        return {
            "GetLocalListVersion": self.get_local_list_version,
            "SendLocalList": self.send_local_list,
        }

    async def get_local_list_version(self, req: dict[str, Any]) -> dict[str, Any]:
        # 1.6 §5.10
        return {"listVersion": self.version}

    async def send_local_list(self, req: dict[str, Any]) -> dict[str, Any]:
        # 1.6 §5.15, §6.41, §7.47
        return {"status": self.update(req)}

    def update(self, req: dict[str, Any]) -> str:
        """Apply a SendLocalList.req; returns its UpdateStatus."""
        if not self.enabled:
            return "NotSupported"
        config = self._config
        version = req["listVersion"]
        full = req["updateType"] == "Full"
        items = req.get("localAuthorizationList") or []
        if len(items) > config.value("SendLocalListMaxLength"):
            return "Failed"
        tags = [item["idTag"] for item in items]
        if len({tag.lower() for tag in tags}) != len(tags):
            return "Failed"  # §6.41: idTags MUST be unique
        changes = [(item["idTag"], item.get("idTagInfo")) for item in items]
        store = self.store
        if full:
            if version <= 0:
                return "Failed"  # errata 3.52: 0 and -1 have a special meaning
            if any(info is None for _, info in changes):
                return "Failed"  # §7.1: idTagInfo is required in a Full update
            if len(changes) > config.value("LocalAuthListMaxLength"):
                return "Failed"
            store.replace(version, {tag: info for tag, info in changes if info is not None})
            return "Accepted"
        if version <= self.version:
            return "VersionMismatch"  # §7.47: not newer than the current list
        if store.count_after(changes) > config.value("LocalAuthListMaxLength"):
            return "Failed"
        store.apply(version, changes)
        return "Accepted"
