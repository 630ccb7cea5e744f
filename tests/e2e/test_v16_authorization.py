"""Authorize, the Authorization Cache and offline authorization (1.6 §3.5, §4.1, §5.4)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bench.ocpp.common.timestamps import iso
from tests.e2e.conftest import (
    WAIT,
    ev,
    present,
    sent,
    start_charging,
    status_sent,
    stopped,
    wait_until,
)


@pytest.mark.parametrize(
    ("tag", "verdict"),
    [("TAG1", "Accepted"), ("BLOCKED", "Blocked"), ("EXPIRED", "Expired"), ("NOBODY", "Invalid")],
)
async def test_authorize_reports_the_csms_verdict_and_only_accepted_tags_charge(
    csms, make_cp, tag: str, verdict: str
) -> None:
    """1.6 §4.1, §7.2: Authorize.conf status decides; a refused tag starts nothing."""
    cp = await make_cp(csms.url)
    cp.station.connector(1).plug_in(ev())
    assert await present(cp, tag) == verdict
    exchange = await csms.wait_for_exchange("CP1", "Authorize", timeout=WAIT)
    assert exchange.payload == {"idTag": tag}
    assert exchange.reply["idTagInfo"]["status"] == verdict
    started = cp.station.connector(1).transaction is not None
    assert started == (verdict == "Accepted")


async def test_a_cached_tag_with_local_pre_authorize_starts_without_an_authorize(
    csms, make_cp
) -> None:
    """1.6 §3.5.1, §9.1.19 LocalPreAuthorize: a valid cached idTag starts at once."""
    cp = await make_cp(csms.url, keys={"LocalPreAuthorize": "true"})
    assert await cp.authorizer.authorize("TAG1") == {"status": "Accepted"}
    assert len(sent(cp, "CALL", "Authorize")) == 1
    cp.station.connector(1).plug_in(ev())
    assert await present(cp, "TAG1") == "Accepted"
    await csms.wait_for_message("CP1", "StartTransaction", timeout=WAIT)
    assert len(sent(cp, "CALL", "Authorize")) == 1


async def test_without_local_pre_authorize_a_cached_tag_is_still_authorized_online(
    csms, make_cp
) -> None:
    """1.6 §9.1.19 LocalPreAuthorize=false: online, the CSMS is asked every time."""
    cp = await make_cp(csms.url, keys={"LocalPreAuthorize": "false"})
    await cp.authorizer.authorize("TAG1")
    cp.station.connector(1).plug_in(ev())
    assert await present(cp, "TAG1") == "Accepted"
    assert len(sent(cp, "CALL", "Authorize")) == 2


@pytest.mark.parametrize("allowed", [True, False])
async def test_local_authorize_offline_decides_whether_a_cached_tag_charges_offline(
    csms, make_cp, allowed: bool
) -> None:
    """1.6 §3.5.1, §9.1.18 LocalAuthorizeOffline: a valid cached idTag while offline."""
    cp = await make_cp(csms.url, keys={"LocalAuthorizeOffline": str(allowed).lower()})
    await cp.authorizer.authorize("TAG1")
    cp.cut_network()
    await wait_until(lambda: not cp.online, what="offline")
    cp.station.connector(1).plug_in(ev())
    verdict = await present(cp, "TAG1")
    assert (verdict == "Accepted") is allowed
    assert (cp.station.connector(1).transaction is not None) is allowed
    assert len(sent(cp, "CALL", "Authorize")) == 1


@pytest.mark.parametrize("allowed", [True, False])
async def test_allow_offline_tx_for_unknown_id_decides_for_an_unknown_tag_offline(
    csms, make_cp, allowed: bool
) -> None:
    """1.6 §3.5.4, §9.1.1 AllowOfflineTxForUnknownId: an identifier the cache does not know."""
    cp = await make_cp(csms.url, keys={"AllowOfflineTxForUnknownId": str(allowed).lower()})
    cp.cut_network()
    await wait_until(lambda: not cp.online, what="offline")
    cp.station.connector(1).plug_in(ev())
    assert (await present(cp, "STRANGER") == "Accepted") is allowed
    assert (cp.station.connector(1).transaction is not None) is allowed


async def test_a_tag_cached_as_blocked_is_refused_offline_even_when_unknown_ids_are_allowed(
    csms, make_cp
) -> None:
    """1.6 §3.5.4: unknown-id rules never admit an identifier the cache holds as not valid."""
    cp = await make_cp(csms.url, keys={"AllowOfflineTxForUnknownId": "true"})
    assert (await cp.authorizer.authorize("BLOCKED"))["status"] == "Blocked"
    cp.cut_network()
    await wait_until(lambda: not cp.online, what="offline")
    cp.station.connector(1).plug_in(ev())
    assert await present(cp, "BLOCKED") == "Blocked"
    assert cp.station.connector(1).transaction is None


async def test_a_cached_entry_past_its_expiry_date_reads_as_expired_offline(csms, make_cp) -> None:
    """1.6 §3.5.1: an expired cache entry is changed to Expired and not used."""
    cp = await make_cp(csms.url)
    past = iso(cp.clock.now() - timedelta(hours=1))
    cp.authorizer.remember("TAG2", {"status": "Accepted", "expiryDate": past})
    cp.cut_network()
    await wait_until(lambda: not cp.online, what="offline")
    cp.station.connector(1).plug_in(ev())
    assert await present(cp, "TAG2") == "Expired"
    assert cp.authorizer.cache.get("TAG2")["status"] == "Expired"


async def test_with_the_cache_disabled_nothing_is_cached_and_clear_cache_is_rejected(
    csms, make_cp
) -> None:
    """1.6 §9.1.2 AuthorizationCacheEnabled=false: no cache; §5.4 ClearCache -> Rejected."""
    cp = await make_cp(
        csms.url,
        keys={"AuthorizationCacheEnabled": "false", "LocalPreAuthorize": "true"},
    )
    await cp.authorizer.authorize("TAG1")
    assert cp.authorizer.cache.get("TAG1") is None
    cp.station.connector(1).plug_in(ev())
    assert await present(cp, "TAG1") == "Accepted"
    assert len(sent(cp, "CALL", "Authorize")) == 2  # pre-authorize had nothing to use
    assert await csms.clear_cache("CP1") == {"status": "Rejected"}


async def test_clear_cache_empties_the_cache_so_an_offline_tag_is_no_longer_known(
    csms, make_cp
) -> None:
    """1.6 §5.4: ClearCache -> Accepted and the cache is empty."""
    cp = await make_cp(csms.url)
    await cp.authorizer.authorize("TAG1")
    assert cp.authorizer.cache.get("TAG1") is not None
    assert await csms.clear_cache("CP1") == {"status": "Accepted"}
    assert cp.authorizer.cache.get("TAG1") is None
    cp.cut_network()
    await wait_until(lambda: not cp.online, what="offline")
    cp.station.connector(1).plug_in(ev())
    assert await present(cp, "TAG1") == "Invalid"


async def test_the_cache_learns_from_start_transaction_replies_too(csms, make_cp) -> None:
    """1.6 §3.5.1: the cache is updated with every IdTagInfo received (Start, Stop too)."""
    cp = await make_cp(csms.url, keys={"LocalPreAuthorize": "true"})
    await start_charging(cp, csms)
    cp.authorizer.clear()
    cp.present_id("TAG1")
    await stopped(csms)
    await wait_until(lambda: cp.authorizer.cache.get("TAG1"), what="the cache entry")
    assert cp.authorizer.cache.get("TAG1")["status"] == "Accepted"


async def test_another_tag_with_the_same_parent_id_stops_the_transaction(csms, make_cp) -> None:
    """1.6 §3.10: a different idTag with the same parentIdTag may stop the transaction."""
    cp = await make_cp(csms.url)
    await start_charging(cp, csms, "CHILD-A")
    assert await present(cp, "CHILD-B") == "Accepted"
    stop = await stopped(csms)
    assert (stop["reason"], stop["idTag"]) == ("Local", "CHILD-B")
    await status_sent(csms, "Finishing")


async def test_another_tag_on_a_busy_station_without_a_group_sends_no_authorize(
    csms, make_cp
) -> None:
    """1.6 §3.10 (OCTT TC_068_CS): with every connector busy and the transaction in no
    group, another idTag can start or stop nothing: no Authorize.req, no stop."""
    cp = await make_cp(csms.url)
    await start_charging(cp, csms)
    authorizes = len(sent(cp, "CALL", "Authorize"))
    assert await present(cp, "SOMEONE-ELSE") == "Ignored"
    assert len(sent(cp, "CALL", "Authorize")) == authorizes
    assert cp.station.connector(1).transaction is not None
