"""IdTokenType helpers for 2.0.1 authorization (part 2 C, §1.1-1.2).

Two IdTokens are equal when idToken (case-insensitive) and type match;
additionalInfo does not count (C01.FR.25, errata). Stores key a token as
``"<type>:<idToken>"`` (types never hold a colon; the stores compare keys
case-insensitively). Group ids compare the same way (C09: "GroupIdTokens match
and they are not empty").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bench.ocpp.common.timestamps import parse_iso

# Token types whose IdTokenInfo never enters the cache (C02.FR.03, C03.FR.02, C05.FR.02).
NOT_CACHED = frozenset({"NoAuthorization", "Central"})
# Types accepted without asking the CSMS: a start button (C02) and CSMS-issued ids (C03.FR.01).
NO_REQUEST = frozenset({"NoAuthorization", "Central"})


def token_key(id_token: dict[str, Any]) -> str:
    return f"{id_token['type']}:{id_token['idToken']}"


def same_token(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    """C01.FR.25: equal idToken (ignoring case) and type; None never matches."""
    if not a or not b:
        return False
    return a.get("type") == b.get("type") and (
        str(a.get("idToken", "")).casefold() == str(b.get("idToken", "")).casefold()
    )


def same_group(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    """C09: two groups match when both are present and not empty."""
    if not a or not b or not a.get("idToken") or not b.get("idToken"):
        return False
    return same_token(a, b)


def bare_token(id_token: dict[str, Any]) -> dict[str, Any]:
    """The token without customData (what the station keeps and compares)."""
    return {k: v for k, v in id_token.items() if k != "customData"}


def cache_expired(info: dict[str, Any], now: datetime) -> bool:
    """True when ``info.cacheExpiryDateTime`` has passed (C10.FR.13 errata)."""
    text = info.get("cacheExpiryDateTime")
    if not text:
        return False
    when = parse_iso(text)
    return when is not None and when <= now


def allowed_at(info: dict[str, Any], evse_id: int | None) -> bool:
    """C01.FR.21: an evseId list restricts charging to those EVSEs."""
    evses = info.get("evseId")
    return evse_id is None or not evses or evse_id in evses
