"""2.0.1 authorization against the built-in CSMS: Authorize, the cache, offline rules (C01-C16)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bench.csms.server import CentralSystem
from bench.ocpp.common.timestamps import iso
from bench.ocpp.v201.auth_cache import AuthCache201
from bench.ocpp.v201.authorization import TokenAuthorized
from bench.ocpp.v201.charge_point import ChargePoint201
from tests.e2e.conftest import wait_until
from tests.e2e.v201.conftest import Cp201Factory, request


def tok(value: str, kind: str = "ISO14443", **extra: Any) -> dict[str, Any]:
    return {"idToken": value, "type": kind, **extra}


async def go_offline(cp: ChargePoint201) -> None:
    cp.cut_network()
    await wait_until(lambda: not cp.accepted, what="the station offline")


async def test_an_unknown_token_is_authorized_by_the_csms_and_cached(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """C01.FR.02: AuthorizeRequest for a token the station does not know; C10.FR.04: cached."""
    cp = await make_cp201(csms.url, "CS1")
    info = await cp.auth.authorize(tok("TAG1"))
    assert info["status"] == "Accepted"
    sent = request(cp, "Authorize")
    assert sent == [{"idToken": tok("TAG1")}]
    assert cp.auth.cache.lookup(tok("TAG1")) == info
    assert cp.variable("AuthCacheCtrlr", "Storage") != "0"


async def test_additional_info_travels_with_the_token_and_is_cached(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """C §1.1.1: additionalInfo is sent as presented and cached with the token."""
    cp = await make_cp201(csms.url, "CS1")
    extra = [{"additionalIdToken": "ABC", "type": "PlateNumber"}]
    await cp.auth.authorize(tok("TAG1", additionalInfo=extra))
    assert request(cp, "Authorize")[0]["idToken"]["additionalInfo"] == extra
    record = cp.auth.cache.entries()[0].id_tag_info
    assert record["idToken"]["additionalInfo"] == extra


async def test_local_pre_authorize_uses_an_accepted_cache_entry_without_asking(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """C12.FR.02: an Accepted cache entry starts charging at once when LocalPreAuthorize."""
    cp = await make_cp201(csms.url, "CS1", variables={"AuthCtrlr.LocalPreAuthorize": "true"})
    await cp.auth.authorize(tok("TAG1"))
    assert (await cp.auth.authorize(tok("tag1")))["status"] == "Accepted"  # case-insensitive
    assert len(request(cp, "Authorize")) == 1


async def test_without_local_pre_authorize_a_cached_token_is_checked_again(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """AuthCtrlr.LocalPreAuthorize false: the CSMS is asked every time while online."""
    cp = await make_cp201(csms.url, "CS1")
    await cp.auth.authorize(tok("TAG1"))
    await cp.auth.authorize(tok("TAG1"))
    assert len(request(cp, "Authorize")) == 2


async def test_a_not_accepted_cache_entry_is_checked_with_the_csms(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """C10.FR.03, C12.FR.05: a cached Blocked token is authorized again while online."""
    cp = await make_cp201(csms.url, "CS1", variables={"AuthCtrlr.LocalPreAuthorize": "true"})
    cp.auth.remember(tok("TAG1"), {"status": "Blocked"})
    info = await cp.auth.authorize(tok("TAG1"))
    assert info["status"] == "Accepted"  # the CSMS knows better
    assert len(request(cp, "Authorize")) == 1
    assert cp.auth.cache.lookup(tok("TAG1"))["status"] == "Accepted"  # C12.FR.06


async def test_disable_post_authorize_keeps_a_cached_rejection_local(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """AuthCacheCtrlr.DisablePostAuthorize: no AuthorizeRequest for a not-Accepted entry."""
    cp = await make_cp201(
        csms.url, "CS1", variables={"AuthCacheCtrlr.DisablePostAuthorize": "true"}
    )
    cp.auth.remember(tok("TAG1"), {"status": "Blocked"})
    assert (await cp.auth.authorize(tok("TAG1")))["status"] == "Blocked"
    assert request(cp, "Authorize") == []


async def test_no_authorization_and_central_tokens_are_accepted_without_a_request(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """C02.FR.01/03, C03.FR.01/02, C05.FR.01/02: accepted, never sent, never cached."""
    cp = await make_cp201(csms.url, "CS1")
    assert (await cp.auth.authorize(tok("", "NoAuthorization")))["status"] == "Accepted"
    assert (await cp.auth.authorize(tok("REMOTE-1", "Central")))["status"] == "Accepted"
    cp.auth.remember(tok("REMOTE-1", "Central"), {"status": "Accepted"})
    assert request(cp, "Authorize") == []
    assert len(cp.auth.cache) == 0


async def test_auth_disabled_accepts_every_token_without_asking(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """AuthCtrlr.Enabled false: no authorization is done when reading an idToken."""
    cp = await make_cp201(csms.url, "CS1", variables={"AuthCtrlr.Enabled": "false"})
    assert (await cp.auth.authorize(tok("NOBODY")))["status"] == "Accepted"
    assert request(cp, "Authorize") == []


async def test_remote_start_is_authorized_only_when_authorize_remote_start_is_true(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """AuthCtrlr.AuthorizeRemoteStart decides whether F01 asks the CSMS first."""
    cp = await make_cp201(csms.url, "CS1", variables={"AuthCtrlr.AuthorizeRemoteStart": "false"})
    assert (await cp.auth.authorize_remote_start(tok("NOBODY")))["status"] == "Accepted"
    assert request(cp, "Authorize") == []
    cp.set_own_variable("AuthCtrlr", "AuthorizeRemoteStart", "true")
    assert (await cp.auth.authorize_remote_start(tok("NOBODY")))["status"] == "Invalid"
    assert len(request(cp, "Authorize")) == 1


async def test_disable_remote_authorization_decides_from_cache_and_list_only(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """AuthCtrlr.DisableRemoteAuthorization: no AuthorizeRequest at all."""
    cp = await make_cp201(
        csms.url, "CS1", variables={"AuthCtrlr.DisableRemoteAuthorization": "true"}
    )
    cp.auth.remember(tok("TAG1"), {"status": "Accepted"})
    assert (await cp.auth.authorize(tok("TAG1")))["status"] == "Accepted"
    assert (await cp.auth.authorize(tok("TAG2")))["status"] == "Unknown"
    assert request(cp, "Authorize") == []


async def test_offline_a_cached_token_is_accepted_when_local_authorize_offline(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """LocalAuthorizeOffline: an Accepted cache entry authorizes while offline (C12)."""
    cp = await make_cp201(csms.url, "CS1")
    await cp.auth.authorize(tok("TAG1"))
    await go_offline(cp)
    assert (await cp.auth.authorize(tok("TAG1")))["status"] == "Accepted"
    cp.set_own_variable("AuthCtrlr", "LocalAuthorizeOffline", "false")
    assert (await cp.auth.authorize(tok("TAG1")))["status"] != "Accepted"


async def test_offline_an_unknown_token_needs_offline_tx_for_unknown_id(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """C15.FR.08: accepted when OfflineTxForUnknownIdEnabled; C15.FR.01: not cached."""
    cp = await make_cp201(csms.url, "CS1")
    await go_offline(cp)
    assert (await cp.auth.authorize(tok("STRANGER")))["status"] == "Unknown"
    cp.set_own_variable("AuthCtrlr", "OfflineTxForUnknownIdEnabled", "true")
    assert (await cp.auth.authorize(tok("STRANGER")))["status"] == "Accepted"
    assert len(cp.auth.cache) == 0
    # C13.FR.06 note: a token known as not valid is not "unknown".
    cp.auth.remember(tok("BAD"), {"status": "Blocked"})
    assert (await cp.auth.authorize(tok("BAD")))["status"] == "Blocked"


async def test_a_cache_entry_expires_after_its_lifetime(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """C10.FR.08, C10.FR.10 (errata): LifeTime seconds after the last update it reads Expired."""
    cp = await make_cp201(csms.url, "CS1", variables={"AuthCacheCtrlr.LifeTime": "60"})
    cp.auth.remember(tok("TAG1"), {"status": "Accepted"})
    assert cp.auth.cache.lookup(tok("TAG1"))["status"] == "Accepted"
    # 60 virtual seconds are half a real second at SPEED.
    await wait_until(
        lambda: cp.auth.cache.lookup(tok("TAG1"))["status"] == "Expired", what="the entry expired"
    )


async def test_cache_expiry_date_time_is_honoured(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """C10.FR.13: cacheExpiryDateTime ends the entry; one already past is never cached."""
    cp = await make_cp201(csms.url, "CS1")
    soon = iso(cp.clock.now() + timedelta(seconds=60))
    cp.auth.remember(tok("TAG1"), {"status": "Accepted", "cacheExpiryDateTime": soon})
    await wait_until(
        lambda: cp.auth.cache.lookup(tok("TAG1"))["status"] == "Expired", what="the entry expired"
    )
    info = await cp.auth.authorize(tok("EXPIRED"))  # the CSMS's tag expired in 2020
    assert info["status"] == "Expired"
    assert cp.auth.cache.lookup(tok("EXPIRED")) is None


async def test_a_full_cache_evicts_rejected_entries_first_then_the_least_recently_used(
    csms: CentralSystem, make_cp201: Cp201Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """C10.FR.07 with AuthCacheCtrlr.Policy LRU: room is made within Storage's maxLimit."""
    cp = await make_cp201(csms.url, "CS1")
    cache = cp.auth.cache
    cache.put(tok("A"), {"status": "Accepted"})
    one = cache.used_bytes()
    monkeypatch.setattr(AuthCache201, "capacity", lambda self: 3 * one + 5)
    cache.put(tok("B"), {"status": "Blocked"})
    cache.put(tok("C"), {"status": "Accepted"})
    cache.put(tok("D"), {"status": "Accepted"})  # B (not Accepted) goes first
    assert cache.lookup(tok("B")) is None
    cache.lookup(tok("A"))  # A is used: C is now the least recently used
    cache.put(tok("E"), {"status": "Accepted"})
    assert cache.lookup(tok("C"), use=False) is None
    assert cache.lookup(tok("A"), use=False) is not None
    assert int(cp.variable("AuthCacheCtrlr", "Storage")) <= 3 * one + 5


async def test_clear_cache_empties_it_and_is_rejected_while_disabled(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """C11.FR.01-04: ClearCache Accepted when cleared, Rejected when AuthCacheCtrlr is off."""
    cp = await make_cp201(csms.url, "CS1")
    await cp.auth.authorize(tok("TAG1"))
    assert await csms.call("CS1", "ClearCache", {}) == {"status": "Accepted"}
    assert len(cp.auth.cache) == 0
    assert cp.variable("AuthCacheCtrlr", "Storage") == "0"
    cp.set_own_variable("AuthCacheCtrlr", "Enabled", "false")
    reply = await csms.call("CS1", "ClearCache", {})
    assert reply["status"] == "Rejected"


async def test_tokens_of_one_group_are_recognised_through_the_group_id_token(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """C09.FR.02/03: the CSMS's groupIdToken groups CHILD-A and CHILD-B."""
    cp = await make_cp201(csms.url, "CS1")
    info = await cp.auth.authorize(tok("CHILD-A"))
    group = info["groupIdToken"]
    assert group["idToken"] == "FLEET"
    await cp.auth.authorize(tok("CHILD-B"))
    assert cp.auth.in_group(tok("CHILD-B"), group)
    assert not cp.auth.in_group(tok("TAG1"), group)


async def test_an_evse_list_restricts_where_the_token_may_charge(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """C01.FR.21: only the EVSEs in idTokenInfo.evseId."""
    cp = await make_cp201(
        csms.url,
        "CS1",
        template="ac-22kw-dual",
        variables={"AuthCtrlr.LocalPreAuthorize": "true"},
    )
    cp.auth.remember(tok("TAG1"), {"status": "Accepted", "evseId": [1]})
    assert (await cp.auth.authorize(tok("TAG1"), 1))["status"] == "Accepted"
    assert (await cp.auth.authorize(tok("TAG1"), 2))["status"] == "NotAtThisLocation"


async def test_a_master_pass_token_is_recognised_by_its_group(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """C16.FR.03: a groupIdToken equal to MasterPassGroupId marks a Master Pass."""
    cp = await make_cp201(csms.url, "CS1", variables={"AuthCtrlr.MasterPassGroupId": "MASTER"})
    master = {"status": "Accepted", "groupIdToken": tok("MASTER", "Central")}
    assert cp.auth.is_master_pass(master)
    assert not cp.auth.is_master_pass({"status": "Accepted"})


async def test_a_transaction_reply_updates_the_cache_and_a_customer_can_be_forgotten(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """C10.FR.05 (remember); N10.FR.03 (forget_customer clears the cache, not the list)."""
    cp = await make_cp201(csms.url, "CS1")
    cp.auth.remember(tok("TAG1"), {"status": "Accepted"})
    cp.auth.remember(tok("TAG2"), {"status": "Accepted"})
    await csms.call(
        "CS1",
        "SendLocalList",
        {
            "versionNumber": 1,
            "updateType": "Full",
            "localAuthorizationList": [
                {"idToken": tok("TAG1"), "idTokenInfo": {"status": "Accepted"}}
            ],
        },
    )
    assert cp.auth.forget_customer(tok("TAG1"), None) == 1
    assert cp.auth.forget_customer(None, "TAG2") == 1
    assert len(cp.auth.cache) == 0
    assert cp.auth.local_list.lookup(tok("TAG1")) is not None


async def test_every_verdict_is_reported_as_an_event_without_key_codes(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """C04.FR.04: key codes never appear in logs; the GUI sees TokenAuthorized events."""
    cp = await make_cp201(csms.url, "CS1")
    seen: list[TokenAuthorized] = []
    unsubscribe = cp.events.subscribe(
        lambda e: seen.append(e) if isinstance(e, TokenAuthorized) else None
    )
    try:
        await cp.auth.authorize(tok("1234", "KeyCode"))
        await cp.auth.authorize(tok("TAG1"), 1)
    finally:
        unsubscribe()
    assert [(e.id_token, e.status, e.source) for e in seen] == [
        ("***", "Invalid", "csms"),
        ("TAG1", "Accepted", "csms"),
    ]
