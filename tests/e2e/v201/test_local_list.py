"""2.0.1 Local Authorization List over a loopback CSMS: SendLocalList, GetLocalListVersion
(D01, D02)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench.csms.server import CentralSystem
from bench.ocpp.errors import CallError
from tests.e2e.v201.conftest import Cp201Factory, request


def tok(value: str) -> dict[str, Any]:
    return {"idToken": value, "type": "ISO14443"}


def entry(value: str, status: str | None = "Accepted") -> dict[str, Any]:
    item: dict[str, Any] = {"idToken": tok(value)}
    if status is not None:
        item["idTokenInfo"] = {"status": status}
    return item


async def send(csms: CentralSystem, version: int, kind: str, *items: dict[str, Any]) -> dict:
    payload: dict[str, Any] = {"versionNumber": version, "updateType": kind}
    if items:
        payload["localAuthorizationList"] = list(items)
    return await csms.call("CS1", "SendLocalList", payload)


async def version(csms: CentralSystem) -> int:
    return (await csms.call("CS1", "GetLocalListVersion", {}))["versionNumber"]


async def test_a_full_list_replaces_the_list_and_sets_its_version(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """D02.FR.02: 0 before any update; D01.FR.15: Full replaces; D01.FR.12: Entries follows."""
    cp = await make_cp201(csms.url, "CS1")
    assert await version(csms) == 0
    assert await send(csms, 3, "Full", entry("TAG1"), entry("TAG2", "Blocked")) == {
        "status": "Accepted"
    }
    assert await version(csms) == 3
    assert cp.variable("LocalAuthListCtrlr", "Entries") == "2"
    assert int(cp.variable("LocalAuthListCtrlr", "Storage")) > 0
    assert await send(csms, 4, "Full", entry("TAG3")) == {"status": "Accepted"}
    assert cp.auth.local_list.lookup(tok("TAG1")) is None
    assert cp.auth.local_list.lookup(tok("TAG3")) == {"status": "Accepted"}
    assert cp.variable("LocalAuthListCtrlr", "Entries") == "1"


async def test_an_empty_full_update_empties_the_list_but_keeps_the_version(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """D01.FR.04 and the D02 remark: an emptied list still has a version > 0."""
    cp = await make_cp201(csms.url, "CS1")
    await send(csms, 1, "Full", entry("TAG1"))
    assert await send(csms, 2, "Full") == {"status": "Accepted"}
    assert len(cp.auth.local_list.store) == 0
    assert await version(csms) == 2
    assert cp.variable("LocalAuthListCtrlr", "Entries") == "0"


async def test_a_differential_update_adds_updates_and_removes(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """D01.FR.16: with idTokenInfo add/update; D01.FR.17: without, remove; D01.FR.05: empty."""
    cp = await make_cp201(csms.url, "CS1")
    await send(csms, 1, "Full", entry("TAG1"), entry("TAG2"))
    reply = await send(csms, 2, "Differential", entry("TAG2", "Blocked"), entry("TAG1", None))
    assert reply == {"status": "Accepted"}
    assert cp.auth.local_list.lookup(tok("TAG1")) is None
    assert cp.auth.local_list.lookup(tok("TAG2")) == {"status": "Blocked"}
    assert await send(csms, 5, "Differential") == {"status": "Accepted"}
    assert await version(csms) == 5
    assert cp.variable("LocalAuthListCtrlr", "Entries") == "1"


async def test_a_differential_update_not_newer_than_the_list_is_a_version_mismatch(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """D01.FR.19: VersionMismatch, and the list stays as it was."""
    cp = await make_cp201(csms.url, "CS1")
    await send(csms, 4, "Full", entry("TAG1"))
    assert await send(csms, 4, "Differential", entry("TAG2")) == {"status": "VersionMismatch"}
    assert await send(csms, 3, "Differential", entry("TAG2")) == {"status": "VersionMismatch"}
    assert cp.auth.local_list.lookup(tok("TAG2")) is None
    assert await version(csms) == 4


async def test_version_zero_duplicates_and_full_entries_without_info_fail(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """D01.FR.18 (versionNumber > 0), D01.FR.06 (unique tokens); the list is untouched."""
    cp = await make_cp201(csms.url, "CS1")
    await send(csms, 1, "Full", entry("TAG1"))
    assert (await send(csms, 0, "Full", entry("TAG2")))["status"] == "Failed"
    assert (await send(csms, 2, "Full", entry("TAG2"), entry("tag2")))["status"] == "Failed"
    assert (await send(csms, 2, "Full", entry("TAG2", None)))["status"] == "Failed"
    assert cp.auth.local_list.entries() == [
        {"idToken": tok("TAG1"), "idTokenInfo": {"status": "Accepted"}}
    ]
    assert await version(csms) == 1


async def test_more_entries_than_items_per_message_is_a_call_error(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """D01.FR.11: ItemsPerMessageSendLocalList bounds a request (as B06.FR.16)."""
    await make_cp201(csms.url, "CS1", variables={"LocalAuthListCtrlr.ItemsPerMessage": "2"})
    with pytest.raises(CallError) as caught:
        await send(csms, 1, "Full", entry("A"), entry("B"), entry("C"))
    assert caught.value.code == "OccurrenceConstraintViolation"
    assert await send(csms, 1, "Full", entry("A"), entry("B")) == {"status": "Accepted"}


async def test_a_request_longer_than_bytes_per_message_is_a_call_error(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """D01.FR.11: BytesPerMessageSendLocalList bounds a request (as B06.FR.17)."""
    await make_cp201(csms.url, "CS1", variables={"LocalAuthListCtrlr.BytesPerMessage": "200"})
    many = [entry(f"TOKEN-{n:04d}") for n in range(10)]
    with pytest.raises(CallError) as caught:
        await send(csms, 1, "Full", *many)
    assert caught.value.code == "FormatViolation"
    assert await version(csms) == 0


async def test_a_disabled_list_reports_version_zero_and_takes_no_updates(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """D02.FR.03: version 0 while LocalAuthListCtrlr.Enabled is false; D01 prerequisite."""
    cp = await make_cp201(csms.url, "CS1")
    await send(csms, 7, "Full", entry("TAG1"))
    cp.set_own_variable("LocalAuthListCtrlr", "Enabled", "false")
    assert await version(csms) == 0
    reply = await send(csms, 8, "Full", entry("TAG2"))
    assert reply["status"] == "Failed"
    assert reply["statusInfo"]["reasonCode"] == "NotEnabled"
    assert cp.auth.local_list.lookup(tok("TAG1")) is None  # a disabled list authorizes nothing


async def test_an_accepted_listed_token_is_authorized_without_asking_the_csms(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """C14.FR.02: listed Accepted -> no AuthorizeRequest; C14.FR.03: listed Blocked -> ask."""
    cp = await make_cp201(csms.url, "CS1")
    await send(csms, 1, "Full", entry("LISTED"), entry("TAG1", "Blocked"))
    assert (await cp.auth.authorize(tok("LISTED")))["status"] == "Accepted"
    assert request(cp, "Authorize") == []
    assert (await cp.auth.authorize(tok("TAG1")))["status"] == "Accepted"  # the CSMS says so
    assert len(request(cp, "Authorize")) == 1


async def test_the_list_has_priority_over_the_cache(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """C13.FR.01, C14.FR.01: the list's entry wins, online and offline."""
    cp = await make_cp201(
        csms.url, "CS1", variables={"LocalAuthListCtrlr.DisablePostAuthorize": "true"}
    )
    cp.auth.remember(tok("TAG1"), {"status": "Accepted"})
    await send(csms, 1, "Full", entry("TAG1", "Blocked"))
    assert (await cp.auth.authorize(tok("TAG1")))["status"] == "Blocked"
    cp.cut_network()
    assert (await cp.auth.authorize(tok("TAG1")))["status"] == "Blocked"
    assert request(cp, "Authorize") == []


async def test_the_list_survives_a_restart(
    csms: CentralSystem, make_cp201: Cp201Factory, tmp_path: Path
) -> None:
    """D01.FR.10: the list and its version persist across reboots and power outages."""
    db = tmp_path / "keep.db"
    cp = await make_cp201(csms.url, "CS1", db_path=db)
    await send(csms, 9, "Full", entry("TAG1"))
    await cp.stop(drain_timeout=1.0)
    await csms.wait_for_disconnect("CS1")
    again = await make_cp201(csms.url, "CS1", db_path=db)
    assert await version(csms) == 9
    assert again.auth.local_list.lookup(tok("TAG1")) == {"status": "Accepted"}
    assert again.variable("LocalAuthListCtrlr", "Entries") == "1"
