"""Which group an idToken belongs to, as far as the station knows (C09, H03.FR.07).

The local list and the authorization cache name a token's groupIdToken; a token
known to neither keeps the group of its last verdict (a small memo). The
authorization block (C) and the reservation block (H) share one ``TokenGroupMemo``:
H checks a group against a reservation, C decides and notes what it learnt.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from bench.ocpp.v201.auth_cache import AuthCache201
from bench.ocpp.v201.auth_tokens import token_key
from bench.ocpp.v201.local_list import LocalList201

MEMO_SIZE = 256  # tokens whose last verdict's groupIdToken is remembered (H03.FR.07)


class TokenGroupMemo:
    __slots__ = ("_groups", "cache", "local_list")

    def __init__(self, cache: AuthCache201, local_list: LocalList201) -> None:
        self.cache = cache
        self.local_list = local_list
        self._groups: OrderedDict[str, dict[str, Any] | None] = OrderedDict()

    def group_of(self, id_token: dict[str, Any]) -> dict[str, Any] | None:
        """The groupIdToken known for ``id_token``: list, cache, last verdict (H03.FR.07)."""
        for info in (self.local_list.lookup(id_token), self.cache.lookup(id_token, use=False)):
            if info is not None:
                return info.get("groupIdToken")
        return self._groups.get(token_key(id_token).casefold())

    def note(self, token: dict[str, Any], info: dict[str, Any]) -> None:
        """Remember the group of ``token``'s latest verdict ``info``."""
        key = token_key(token).casefold()
        self._groups[key] = info.get("groupIdToken")
        self._groups.move_to_end(key)
        while len(self._groups) > MEMO_SIZE:
            self._groups.popitem(last=False)

    def forget(self, id_token: dict[str, Any]) -> None:
        self._groups.pop(token_key(id_token).casefold(), None)

    def clear(self) -> None:
        self._groups.clear()
