"""Block A of 2.0.1 over a loopback CSMS: security events and Basic authentication (A01, A04).

Security profiles and network connection profiles (B09, B10, A05) are in
``test_security_network.py``.
"""

from __future__ import annotations

from bench.model.faults import Fault
from bench.ocpp.common.security_events import SecurityEventRaised
from tests.e2e.conftest import WAIT, wait_until
from tests.e2e.v201.sec_support import PASSWORD, boots, security_event, set_variable, stored


async def test_the_station_reports_its_startup_as_a_security_event(csms, make_cp201) -> None:
    """A04.FR.01, appendix 1 StartupOfTheDevice: sent once the station is accepted."""
    cp = await make_cp201(csms.url)
    event = await security_event(csms, "StartupOfTheDevice")
    assert event["timestamp"].endswith("Z")
    assert cp.security.security_log()[0]["type"] == "StartupOfTheDevice"


async def test_security_events_raised_offline_are_queued_and_delivered_on_reconnect(
    csms, make_cp201
) -> None:
    """A04.FR.02: a security event while disconnected is queued and delivered later;
    A04.FR.04: it is in the security log at once."""
    cp = await make_cp201(csms.url)
    await security_event(csms, "StartupOfTheDevice")
    cp.cut_network()
    await wait_until(lambda: not cp.online, WAIT, "the link to drop")
    cp.security.notify("MemoryExhaustion", "flash 95% full")
    assert [p["type"] for p in cp.security.pending_notifications()] == ["MemoryExhaustion"]
    assert "MemoryExhaustion" not in [e["type"] for e in stored(csms, "SecurityEventNotification")]
    cp.restore_network()
    event = await security_event(csms, "MemoryExhaustion")
    assert event["techInfo"] == "flash 95% full"
    await wait_until(lambda: not cp.security.pending_notifications(), WAIT, "an empty queue")


async def test_a_tamper_fault_raises_tamper_detection_activated(csms, make_cp201) -> None:
    """Appendix 1 TamperDetectionActivated: raised when a fault of a tamper kind is injected,
    once per fault, as a critical event."""
    cp = await make_cp201(csms.url)
    raised: list[SecurityEventRaised] = []
    cp.events.subscribe(lambda e: raised.append(e) if isinstance(e, SecurityEventRaised) else None)
    tamper = Fault(
        "enclosure_tamper", "OtherError", "TAMPER-01", False, "Enclosure opened", "station"
    )
    cp.station.raise_fault(tamper)
    event = await security_event(csms, "TamperDetectionActivated")
    assert "enclosure_tamper" in event["techInfo"]
    cp.station.connector(1).raise_fault("high_temperature")  # not a tamper kind
    assert [e.type for e in raised if e.type == "TamperDetectionActivated"] == [
        "TamperDetectionActivated"
    ]
    assert raised[-1].critical


async def test_basic_auth_password_is_the_link_password_and_its_change_is_logged_without_it(
    make_csms, make_cp201
) -> None:
    """Security profile 1 (A00.FR.201-204): the station authenticates with Basic auth;
    A01.FR.02: SetVariables(BasicAuthPassword); A01.FR.11/12: the change is a security event
    without the password; the new password is used for the next connection."""
    csms = await make_csms(basic_auth={"CS1": "first-password-0123"})
    cp = await make_cp201(csms.url, password="first-password-0123")
    assert cp.variable("SecurityCtrlr", "SecurityProfile") == "1"
    assert await set_variable(csms, "SecurityCtrlr", "BasicAuthPassword", PASSWORD) == "Accepted"
    event = await security_event(csms, "ReconfigurationOfSecurityParameters")
    assert PASSWORD not in str(event) and PASSWORD not in str(cp.security.security_log())
    reply = await csms.call(
        "CS1",
        "GetVariables",
        {
            "getVariableData": [
                {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "BasicAuthPassword"}}
            ]
        },
    )
    assert reply["getVariableResult"][0]["attributeStatus"] == "Rejected"  # write-only
    csms.config.basic_auth = {"CS1": PASSWORD}  # A01.FR.03: the CSMS takes the new one
    before = boots(csms)
    assert (await csms.call("CS1", "Reset", {"type": "Immediate"}))["status"] == "Accepted"
    await wait_until(
        lambda: boots(csms) > before and cp.accepted, WAIT, "a boot with the new password"
    )
    assert cp.link_state == "connected"


async def test_a_refused_password_raises_failed_to_authentication_at_csms_once(
    make_csms, make_cp201
) -> None:
    """Appendix 1 FailedToAuthenticationAtCsms: the CSMS refused the credentials; one event
    for repeated attempts (A00.FR.316 note), delivered once the station gets in."""
    csms = await make_csms(basic_auth={"CS1": "the-right-password-1"})
    cp = await make_cp201(csms.url, password="a-wrong-password-123", wait_accepted=False)
    await wait_until(
        lambda: (
            sum(e["type"] == "FailedToAuthenticationAtCsms" for e in cp.security.security_log())
            and cp.last_link_error
        ),
        WAIT,
        "a refused connection",
    )
    csms.config.basic_auth = {"CS1": "a-wrong-password-123"}
    await cp.wait_accepted(WAIT)
    await security_event(csms, "FailedToAuthenticationAtCsms")
    events = stored(csms, "SecurityEventNotification")
    assert sum(e["type"] == "FailedToAuthenticationAtCsms" for e in events) == 1


async def test_a_basic_auth_password_too_short_too_long_or_with_other_symbols_is_rejected(
    make_csms, make_cp201
) -> None:
    """A00.FR.304 (TC_A_10_CS): a BasicAuthPassword is 16 to 40 passwordString characters;
    SetVariables with another one is Rejected and the station keeps the old password
    (A01.FR.04), so it still gets in with it after a reset."""
    csms = await make_csms(basic_auth={"CS1": "first-password-0123"})
    cp = await make_cp201(csms.url, password="first-password-0123")
    for wrong in ("Short1Password", "x" * 41, "sixteen chars #1!"):
        assert await set_variable(csms, "SecurityCtrlr", "BasicAuthPassword", wrong) == "Rejected"
    assert await set_variable(csms, "SecurityCtrlr", "BasicAuthPassword", "x" * 40) == "Accepted"
    assert await set_variable(csms, "SecurityCtrlr", "BasicAuthPassword", "y" * 15) == "Rejected"
    csms.config.basic_auth = {"CS1": "x" * 40}
    before = boots(csms)
    assert (await csms.call("CS1", "Reset", {"type": "Immediate"}))["status"] == "Accepted"
    await wait_until(lambda: boots(csms) > before and cp.accepted, WAIT, "a boot, old password")
