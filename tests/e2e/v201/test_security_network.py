"""Network connection profiles and security profiles of 2.0.1 (B09, B10, A05) over loopback CSMSs.

The station's own link is configuration slot 1; the CSMS stores others with
SetNetworkProfile, orders them with NetworkConfigurationPriority and has the
station use them after a Reset.
"""

from __future__ import annotations

import pytest

from bench.ocpp.v201.sec_network import NetworkProfileChanged
from tests.e2e.conftest import WAIT, wait_until
from tests.e2e.v201.sec_support import (
    PASSWORD,
    boots,
    network_profile,
    security_event,
    set_variable,
    stored,
)


async def set_profile(csms, slot: int, data: dict) -> dict:
    return await csms.call(
        "CS1", "SetNetworkProfile", {"configurationSlot": slot, "connectionData": data}
    )


async def test_set_network_profile_validates_and_stores_the_profile(csms, make_cp201) -> None:
    """B09.FR.01 Accepted and stored; B09.FR.05 an unknown slot and B09.FR.02 invalid content
    (another OCPP version, SOAP, profile 2 without TLS) are Rejected."""
    cp = await make_cp201(csms.url)
    good = network_profile("ws://127.0.0.1:1/ocpp")
    assert (await set_profile(csms, 7, good))["status"] == "Rejected"
    assert (await set_profile(csms, 2, {**good, "ocppVersion": "OCPP16"}))["status"] == "Rejected"
    assert (await set_profile(csms, 2, {**good, "ocppTransport": "SOAP"}))["status"] == "Rejected"
    plain_tls = network_profile("ws://127.0.0.1:1/ocpp", 2)
    reply = await set_profile(csms, 2, plain_tls)
    assert reply["status"] == "Rejected" and "wss" in reply["statusInfo"]["additionalInfo"]
    assert (await set_profile(csms, 2, good))["status"] == "Accepted"
    assert cp.security.network.profiles()[2]["ocppCsmsUrl"] == "ws://127.0.0.1:1/ocpp"
    # Stored, not used: the station stays on its connection until a reboot (B09 remarks).
    assert cp.online and cp.variable("OCPPCommCtrlr", "ActiveNetworkProfile") == "1"


@pytest.mark.parametrize(
    ("priority", "outcome"),
    [("2", "fell back"), ("2,1", "trying")],
    ids=["B10.FR.07 back to the last good slot", "B10.FR.03 the next slot in the priority"],
)
async def test_set_network_profile_falling_back_when_the_new_endpoint_refuses(
    csms, make_csms, make_cp201, tmp_path, priority: str, outcome: str
) -> None:
    """B09 + B10: slot 2 names a CSMS that refuses the station's credentials; after the Reset
    the station tries slot 2 NetworkProfileConnectionAttempts times (B10.FR.03), then goes
    on with the next slot of NetworkConfigurationPriority or, with none left, falls back to
    the slot of its last successful connection (B10.FR.07), and boots there again.
    The refusal is a FailedToAuthenticationAtCsms security event, queued until it got in;
    the profiles, the priority and the last good slot are persisted."""
    refusing = await make_csms(
        basic_auth={"CS1": "not-the-station-password"}, db_path=tmp_path / "refusing.db"
    )
    db_path = tmp_path / "station.db"
    cp = await make_cp201(csms.url, db_path=db_path)
    seen: list[NetworkProfileChanged] = []
    cp.events.subscribe(lambda e: seen.append(e) if isinstance(e, NetworkProfileChanged) else None)
    assert await set_variable(csms, "SecurityCtrlr", "BasicAuthPassword", PASSWORD) == "Accepted"
    reply = await set_profile(csms, 2, network_profile(refusing.url, 1))
    assert reply["status"] == "Accepted"
    status = await set_variable(csms, "OCPPCommCtrlr", "NetworkConfigurationPriority", priority)
    assert status == "RebootRequired"
    before = boots(csms)
    assert (await csms.call("CS1", "Reset", {"type": "Immediate"}))["status"] == "Accepted"

    await wait_until(
        lambda: boots(csms) > before and cp.accepted, WAIT, "a boot after falling back"
    )
    outcomes = [(e.slot, e.outcome) for e in seen]
    assert (1, outcome) in outcomes and outcomes[-1] == (1, "connected")
    assert outcomes.index((1, outcome)) > outcomes.index((2, "stored"))
    assert boots(refusing) == 0
    assert cp.variable("OCPPCommCtrlr", "ActiveNetworkProfile") == "1"
    event = await security_event(csms, "FailedToAuthenticationAtCsms")
    assert "401" in event["techInfo"] or "refused" in event["techInfo"].lower()

    # Persisted: a fresh station object on the same database knows all of it.
    again = await make_cp201(csms.url, "CS1", db_path=db_path, start=False)
    assert again.security.network.profiles()[2]["ocppCsmsUrl"] == refusing.url
    assert again.security.network.priority() == [int(s) for s in priority.split(",")]
    assert again.security.get("network_last_good") == 1


async def test_a_reset_migrates_the_station_to_the_new_csms(csms, make_csms, make_cp201, tmp_path):
    """B10: NetworkConfigurationPriority puts slot 2 first; after the Reset the station
    disconnects from the old CSMS (B10.FR.06) and boots at the new one (B10.FR.04)."""
    new = await make_csms(db_path=tmp_path / "new.db")
    cp = await make_cp201(csms.url)
    assert (await set_profile(csms, 2, network_profile(new.url)))["status"] == "Accepted"
    assert await set_variable(csms, "OCPPCommCtrlr", "NetworkConfigurationPriority", "2,1") in (
        "Accepted",
        "RebootRequired",
    )
    await csms.call("CS1", "Reset", {"type": "Immediate"})
    await wait_until(lambda: boots(new) == 1 and cp.accepted, WAIT, "a boot at the new CSMS")
    assert cp.variable("OCPPCommCtrlr", "ActiveNetworkProfile") == "2"
    assert "CS1" not in csms.connected_stations()


async def test_upgrading_the_security_profile_through_a_network_profile(
    csms, make_csms, make_cp201, tmp_path
) -> None:
    """A05: slot 2 uses security profile 1 at a CSMS with Basic auth; once connected the
    station raises SecurityProfile and removes the lower profile's slot (A05.FR.06), logs
    ReconfigurationOfSecurityParameters, and then refuses lower profiles (B09.FR.04)."""
    secure = await make_csms(basic_auth={"CS1": PASSWORD}, db_path=tmp_path / "secure.db")
    cp = await make_cp201(csms.url)
    assert cp.variable("SecurityCtrlr", "SecurityProfile") == "0"
    assert await set_variable(csms, "SecurityCtrlr", "BasicAuthPassword", PASSWORD) == "Accepted"
    assert (await set_profile(csms, 2, network_profile(secure.url, 1)))["status"] == "Accepted"
    assert cp.security.check_network_priority("2,1") is None
    assert cp.security.check_network_priority("0") is not None  # slot 0 is empty (B10.FR.02)
    await set_variable(csms, "OCPPCommCtrlr", "NetworkConfigurationPriority", "2,1")
    await csms.call("CS1", "Reset", {"type": "Immediate"})
    await wait_until(lambda: boots(secure) == 1 and cp.accepted, WAIT, "a boot on profile 1")
    assert cp.variable("SecurityCtrlr", "SecurityProfile") == "1"
    assert cp.variable("OCPPCommCtrlr", "NetworkConfigurationPriority") == "2"
    assert 1 not in cp.security.network.profiles()
    await security_event(secure, "ReconfigurationOfSecurityParameters")
    changes = [
        e["techInfo"] for e in stored(secure, "SecurityEventNotification") if "techInfo" in e
    ]
    assert "SecurityProfile 0 -> 1" in changes
    reply = await secure.call(
        "CS1",
        "SetNetworkProfile",
        {"configurationSlot": 0, "connectionData": network_profile(csms.url, 0)},
    )
    assert reply["status"] == "Rejected"  # B09.FR.04


async def test_a_higher_profile_without_its_prerequisites_is_refused(csms, make_cp201) -> None:
    """A05.FR.02/03: profile 2 needs a CSMS root certificate, profile 3 a station certificate."""
    cp = await make_cp201(csms.url)
    tls = network_profile("wss://127.0.0.1:1/ocpp", 3)
    assert (await set_profile(csms, 2, tls))["status"] == "Accepted"
    why = cp.security.check_network_priority("2,1")
    assert why is not None and ("BasicAuthPassword" in why or "Certificate" in why)


async def test_a_priority_naming_an_empty_slot_is_rejected(csms, make_cp201) -> None:
    """B10.FR.02: NetworkConfigurationPriority may only name slots that hold a profile."""
    cp = await make_cp201(csms.url)
    assert await set_variable(csms, "OCPPCommCtrlr", "NetworkConfigurationPriority", "2") == (
        "Rejected"
    )
    assert cp.variable("OCPPCommCtrlr", "NetworkConfigurationPriority") == "1"
    good = network_profile("ws://127.0.0.1:1/ocpp")
    assert (await set_profile(csms, 2, good))["status"] == "Accepted"
    status = await set_variable(csms, "OCPPCommCtrlr", "NetworkConfigurationPriority", "2,1")
    assert status == "RebootRequired"
