"""Local Auth List Management over a real loopback link (1.6 §3.5.2, §3.5.3, §5.10, §5.15)."""

from __future__ import annotations

from bench.csms.config import TagEntry
from tests.e2e.conftest import (
    WAIT,
    ev,
    present,
    sent,
    stopped,
    wait_until,
)


async def test_supported_feature_profiles_lists_local_auth_list_management(csms, make_cp) -> None:
    """1.6 §3.5.2, §9.1.29: support is announced in SupportedFeatureProfiles."""
    cp = await make_cp(csms.url)
    reply = await csms.get_configuration("CP1", ["SupportedFeatureProfiles"])
    assert "LocalAuthListManagement" in reply["configurationKey"][0]["value"].split(",")
    assert cp.config.value("LocalAuthListEnabled") is True


async def test_a_full_then_differential_update_adds_updates_and_deletes_entries(
    csms, make_cp
) -> None:
    """1.6 §5.15, §7.1: Full replaces; Differential adds, updates and deletes; versions follow."""
    cp = await make_cp(csms.url)
    assert await csms.get_local_list_version("CP1") == {"listVersion": 0}
    full = {"A1": TagEntry("Accepted"), "B1": TagEntry("Accepted"), "C1": TagEntry("Accepted")}
    assert (await csms.send_local_list("CP1", 1, "Full", full))["status"] == "Accepted"
    assert await csms.get_local_list_version("CP1") == {"listVersion": 1}
    changes = [
        {"idTag": "A1"},  # delete
        {"idTag": "B1", "idTagInfo": {"status": "Blocked"}},  # update
        {"idTag": "D1", "idTagInfo": {"status": "Accepted", "parentIdTag": "FLEET"}},  # add
    ]
    reply = await csms.send_local_list("CP1", 2, "Differential", changes)
    assert reply == {"status": "Accepted"}
    assert await csms.get_local_list_version("CP1") == {"listVersion": 2}
    assert cp.local_list.store.entries() == {
        "B1": {"status": "Blocked"},
        "C1": {"status": "Accepted"},
        "D1": {"status": "Accepted", "parentIdTag": "FLEET"},
    }


async def test_a_differential_update_with_an_old_or_equal_version_gets_version_mismatch(
    csms, make_cp
) -> None:
    """1.6 §7.47 VersionMismatch; the list and its version stay as they were."""
    cp = await make_cp(csms.url)
    await csms.send_local_list("CP1", 5, "Full", {"A1": TagEntry("Accepted")})
    add = [{"idTag": "B1", "idTagInfo": {"status": "Accepted"}}]
    for version in (5, 4):
        reply = await csms.send_local_list("CP1", version, "Differential", add)
        assert reply == {"status": "VersionMismatch"}
    assert await csms.get_local_list_version("CP1") == {"listVersion": 5}
    assert "B1" not in cp.local_list.store
    assert (await csms.send_local_list("CP1", 6, "Differential", add))["status"] == "Accepted"


async def test_a_request_longer_than_send_local_list_max_length_fails(csms, make_cp) -> None:
    """1.6 §9.2.3 SendLocalListMaxLength; §7.47 Failed."""
    cp = await make_cp(csms.url, keys={"SendLocalListMaxLength": "2"})
    tags = {f"T{n}": TagEntry("Accepted") for n in range(3)}
    assert (await csms.send_local_list("CP1", 1, "Full", tags))["status"] == "Failed"
    assert len(cp.local_list.store) == 0
    assert await csms.get_local_list_version("CP1") == {"listVersion": 0}


async def test_a_disabled_list_is_not_supported_and_reports_version_minus_one(
    csms, make_cp
) -> None:
    """1.6 §5.10 (-1), §7.47 NotSupported, §9.2.1 LocalAuthListEnabled (RW)."""
    await make_cp(csms.url)
    reply = await csms.change_configuration("CP1", "LocalAuthListEnabled", "false")
    assert reply == {"status": "Accepted"}
    assert await csms.get_local_list_version("CP1") == {"listVersion": -1}
    reply = await csms.send_local_list("CP1", 1, "Full", {"A1": TagEntry("Accepted")})
    assert reply == {"status": "NotSupported"}


async def test_the_list_survives_a_restart_of_the_station(csms, make_cp, tmp_path) -> None:
    """1.6 §3.5.2: kept in non-volatile memory across reboots and power outages."""
    cp = await make_cp(csms.url)
    await csms.send_local_list("CP1", 3, "Full", {"A1": TagEntry("Accepted")})
    await cp.stop()
    await make_cp(csms.url, db_path=tmp_path / "CP1.db")
    assert await csms.get_local_list_version("CP1") == {"listVersion": 3}


async def test_the_list_authorizes_offline_a_tag_the_csms_does_not_know(csms, make_cp) -> None:
    """1.6 §3.5, §9.1.18 LocalAuthorizeOffline: a listed valid tag charges while offline."""
    cp = await make_cp(csms.url)
    await csms.send_local_list("CP1", 1, "Full", {"LOCAL1": TagEntry("Accepted")})
    cp.cut_network()
    await wait_until(lambda: not cp.online, what="offline")
    cp.station.connector(1).plug_in(ev())
    assert await present(cp, "LOCAL1", 1) == "Accepted"
    assert cp.station.connector(1).transaction is not None
    assert sent(cp, "CALL", "Authorize") == []


async def test_a_listed_tag_that_is_not_valid_is_refused_offline_even_for_unknown_ids(
    csms, make_cp
) -> None:
    """1.6 §3.5.4: listed identifiers with a status other than Accepted MUST be rejected."""
    cp = await make_cp(csms.url, keys={"AllowOfflineTxForUnknownId": "true"})
    await csms.send_local_list("CP1", 1, "Full", {"BAD1": TagEntry("Blocked")})
    cp.cut_network()
    await wait_until(lambda: not cp.online, what="offline")
    cp.station.connector(1).plug_in(ev())
    assert await present(cp, "BAD1", 1) == "Blocked"
    assert await present(cp, "NOBODY", 1) == "Accepted"  # the unknown-id rule still applies


async def test_the_list_has_priority_over_the_cache_and_listed_tags_stay_out_of_it(
    csms, make_cp
) -> None:
    """1.6 §3.5.3: list entries win over cache entries; listed tags never enter the cache."""
    cp = await make_cp(csms.url)
    assert (await cp.authorizer.authorize("TAG1"))["status"] == "Accepted"
    assert "TAG1" in cp.authorizer.cache  # the CSMS's verdict, cached
    await csms.send_local_list("CP1", 1, "Full", {"TAG1": TagEntry("Blocked")})
    cp.authorizer.cache.remove("TAG1")
    await cp.authorizer.authorize("TAG1")  # online: the CSMS is still asked...
    assert "TAG1" not in cp.authorizer.cache  # ...but a listed tag is not cached
    cp.authorizer.cache.put("TAG1", {"status": "Accepted"})
    cp.cut_network()
    await wait_until(lambda: not cp.online, what="offline")
    cp.station.connector(1).plug_in(ev())
    assert await present(cp, "TAG1", 1) == "Blocked"  # the list, not the cache
    assert cp.station.connector(1).transaction is None


async def test_local_pre_authorize_starts_a_listed_tag_without_an_authorize(csms, make_cp) -> None:
    """1.6 §3.5, §9.1.19 LocalPreAuthorize applies to the list too."""
    cp = await make_cp(csms.url, keys={"LocalPreAuthorize": "true"})
    await csms.send_local_list("CP1", 1, "Full", {"TAG2": TagEntry("Accepted")})
    cp.station.connector(1).plug_in(ev())
    assert await present(cp, "TAG2", 1) == "Accepted"
    await csms.wait_for_message("CP1", "StartTransaction", timeout=WAIT)
    assert sent(cp, "CALL", "Authorize") == []


async def test_a_start_transaction_conf_contradicting_the_list_reports_local_list_conflict(
    csms, make_cp
) -> None:
    """1.6 §3.5.2: StatusNotification on connector 0 with errorCode LocalListConflict."""
    cp = await make_cp(csms.url, keys={"LocalPreAuthorize": "true"})
    # The list says Accepted; the CSMS does not know the tag and answers Invalid.
    await csms.send_local_list("CP1", 1, "Full", {"GHOST": TagEntry("Accepted")})
    cp.station.connector(1).plug_in(ev())
    assert await present(cp, "GHOST", 1) == "Accepted"
    conflict = await csms.wait_for_message(
        "CP1",
        "StatusNotification",
        lambda p: p["connectorId"] == 0 and p["errorCode"] == "LocalListConflict",
        timeout=WAIT,
    )
    assert conflict["status"] == "Available"
    assert (await stopped(csms))["reason"] == "DeAuthorized"
    assert "GHOST" not in cp.authorizer.cache
