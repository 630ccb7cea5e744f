"""The 2.0.1 Local Authorization List (D01, D02; used by C13, C14).

Kept in the version-neutral ``bench.store.locallist`` under the token's key
(``auth_tokens.token_key``), each entry as ``{"idToken", "idTokenInfo"}``; a
full or differential update is one SQLite transaction, so a failed or
interrupted update leaves the list as it was (D01 failure postcondition) and the
list survives reboots (D01.FR.10).

- SendLocalList (D01): more entries than ``LocalAuthListCtrlr.ItemsPerMessage``
  is a CALLERROR OccurrenceConstraintViolation, a request longer than
  ``BytesPerMessage`` a CALLERROR FormatViolation (D01.FR.11, as B06.FR.16/17 do
  for GetVariables). ``Failed`` for a versionNumber <= 0 (D01.FR.18), duplicate
  tokens (D01.FR.06), a Full entry without idTokenInfo, a list that would outgrow
  ``Entries``' maxSet, or while the list is disabled; ``VersionMismatch`` for a
  Differential update not newer than the list (D01.FR.19). Full replaces
  (D01.FR.04/15), Differential adds/updates entries with idTokenInfo and removes
  those without (D01.FR.05/16/17); the version is set either way.
- GetLocalListVersion (D02): the version; 0 when the list is disabled or was
  never sent (D02.FR.02/03).
- ``LocalAuthListCtrlr.Entries`` and ``Storage`` are kept current (D01.FR.12).
- ``LocalAuthListCtrlr.SupportsExpiryDateTime`` (part 2 §2.5.8): when true, an
  entry whose idTokenInfo.cacheExpiryDateTime has passed is ``expired`` and the
  authorization block treats the token as not in the list (C13.FR.05/06,
  C14.FR.04/05); when false or absent the date is not checked (C13.FR.02/04,
  C14.FR.02). It never affects SendLocalList or GetLocalListVersion.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

import orjson

from bench.ocpp.common.timestamps import parse_iso
from bench.ocpp.errors import ErrorKind, OcppError
from bench.ocpp.v201.auth_tokens import bare_token, token_key
from bench.ocpp.v201.block import Persistence, Services, Variables
from bench.ocpp.v201.device_model import AttributeType
from bench.store.locallist import LocalListStore

COMPONENT = "LocalAuthListCtrlr"
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class ListHost(Services, Variables, Persistence, Protocol):
    """What the local list uses of the station: its database, LocalAuthListCtrlr, the clock."""


class LocalList201:
    __slots__ = ("_store", "cp")

    def __init__(self, cp: ListHost) -> None:
        self.cp = cp
        self._store: LocalListStore | None = None

    @property
    def store(self) -> LocalListStore:
        if self._store is None:
            self._store = LocalListStore(self.cp.db, f"{self.cp.station.id}#2.0.1")
        return self._store

    @property
    def enabled(self) -> bool:
        """D01.FR.13: LocalAuthListCtrlr.Enabled (and Available)."""
        cp = self.cp
        return cp.flag(COMPONENT, "Available") and cp.flag(COMPONENT, "Enabled")

    @property
    def version(self) -> int:
        """What GetLocalListVersion reports (D02.FR.01-03)."""
        return self.store.version if self.enabled else 0

    def lookup(self, id_token: dict[str, Any]) -> dict[str, Any] | None:
        """The list's IdTokenInfo for ``id_token`` (None when absent or the list is disabled)."""
        if not self.enabled:
            return None
        entry = self.store.get(token_key(id_token))
        return None if entry is None else entry["idTokenInfo"]

    @property
    def honours_expiry(self) -> bool:
        """LocalAuthListCtrlr.SupportsExpiryDateTime (part 2 §2.5.8)."""
        return self.cp.flag(COMPONENT, "SupportsExpiryDateTime")

    def expired(self, info: dict[str, Any]) -> bool:
        """Whether a list entry's cacheExpiryDateTime has passed and that counts (C14.FR.05).

        Without the date the entry never expires (C13.FR.05, C14.FR.04 notes).
        """
        text = info.get("cacheExpiryDateTime")
        if not text or not self.honours_expiry:
            return False
        when = parse_iso(text)
        return when is not None and when <= self.cp.clock.now()

    def entries(self) -> list[dict[str, Any]]:
        """Every entry as AuthorizationData ({"idToken", "idTokenInfo"})."""
        return list(self.store.entries().values())

    # ------------------------------------------------------------ D01
    def update(self, req: dict[str, Any]) -> dict[str, Any]:
        """Apply a SendLocalListRequest; the SendLocalListResponse payload."""
        items = req.get("localAuthorizationList") or []
        self._check_size(req, items)
        if not self.enabled:
            return _failed("NotEnabled", "LocalAuthListCtrlr.Enabled is false")
        version = req["versionNumber"]
        if version <= 0:
            return _failed("InvalidValue", "versionNumber must be > 0 (D01.FR.18)")
        keys = [token_key(item["idToken"]).casefold() for item in items]
        if len(set(keys)) != len(keys):
            return _failed("InvalidValue", "duplicate idTokens (D01.FR.06)")
        changes = [
            (
                token_key(item["idToken"]),
                None
                if item.get("idTokenInfo") is None
                else {"idToken": bare_token(item["idToken"]), "idTokenInfo": item["idTokenInfo"]},
            )
            for item in items
        ]
        store = self.store
        maximum = self._max_entries()
        if req["updateType"] == "Full":
            if any(entry is None for _, entry in changes):
                return _failed("MissingParam", "a Full update needs idTokenInfo for every entry")
            if maximum and len(changes) > maximum:
                return _failed("TooManyElements", f"the list holds at most {maximum} entries")
            store.replace(version, {key: entry for key, entry in changes if entry is not None})
        else:
            if version <= store.version:
                return {"status": "VersionMismatch"}  # D01.FR.19
            if maximum and store.count_after(changes) > maximum:
                return _failed("TooManyElements", f"the list holds at most {maximum} entries")
            store.apply(version, changes)
        self._publish()
        return {"status": "Accepted"}

    def _check_size(self, req: dict[str, Any], items: list[Any]) -> None:
        most = int(self.cp.number(COMPONENT, "ItemsPerMessage"))
        if most and len(items) > most:
            raise OcppError(
                ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION,
                f"{len(items)} entries; ItemsPerMessageSendLocalList is {most} (D01.FR.11)",
            )
        size = int(self.cp.number(COMPONENT, "BytesPerMessage"))
        if size and len(orjson.dumps(req)) > size:
            raise OcppError(
                ErrorKind.FORMAT_VIOLATION,
                f"request longer than BytesPerMessageSendLocalList {size} (D01.FR.11)",
            )

    def _max_entries(self) -> int:
        text = self.cp.variable(COMPONENT, "Entries", attribute=AttributeType.MAX_SET)
        return int(text) if text else 0

    def _publish(self) -> None:
        """D01.FR.12: Entries (and Storage, in bytes) follow the list."""
        entries = self.store.entries()
        values = {
            "Entries": str(len(entries)),
            "Storage": str(sum(len(_encode(e).encode()) for e in entries.values())),
        }
        for name, text in values.items():
            if self.cp.variable(COMPONENT, name) != text:
                self.cp.set_own_variable(COMPONENT, name, text)


def _failed(reason: str, detail: str) -> dict[str, Any]:
    return {"status": "Failed", "statusInfo": {"reasonCode": reason, "additionalInfo": detail}}
