"""The 1.6 security extension against plain 1.6 CSMSs, and as a station setting (issue 10).

A CSMS that does not know the whitepaper's messages answers them with CALLERROR
NotImplemented or NotSupported (OCPP-J 1.6 §4.2.3). The station then stops
sending them on that connection and does not retry the refused one. A station
whose template turns the extension off is a plain 1.6 charge point: it sends
none of them and answers the extension's requests NotImplemented.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from bench.model.templates import resources_dir
from bench.ocpp.errors import CallError
from tests.e2e.conftest import WAIT, CpFactory, RawCsms, sent, status_sent, wait_until
from tests.e2e.firmware_support import make_signer

SEN = "SecurityEventNotification"


def not_implemented(msg_id: str, _payload: dict[str, Any]) -> str:
    return orjson.dumps([4, msg_id, "NotImplemented", "unknown action", {}]).decode()


def plain_template(tmp_path: Path) -> str:
    """The bundled wallbox with the security extension switched off."""
    data = json.loads((resources_dir() / "stations" / "ac-11kw.json").read_text())
    data["security_extension"] = False
    path = tmp_path / "plain-16.json"
    path.write_text(json.dumps(data))
    return str(path)


def refusals(cp: Any, action: str = SEN) -> list[Any]:
    """The CALLERRORs the station received for its ``action`` requests."""
    return [r for r in cp.session.sink.records if r.type == "CALLERROR" and r.action == action]


async def test_after_not_implemented_no_more_security_events_go_out_on_that_connection(
    raw_csms: RawCsms, make_cp: CpFactory, caplog: pytest.LogCaptureFixture
):
    """OCPP-J 1.6 §4.2.3 NotImplemented: the refused notification is not retried and the
    queued ones wait; a new connection asks once more; the refusal is logged once."""
    raw_csms.override[SEN] = not_implemented
    cp = await make_cp(raw_csms.url, start=False)
    cp.security.notify("ReconfigurationOfSecurityParameters", "queued before the boot")
    cp.security.notify("SettingSystemTime", "queued before the boot")
    await cp.start()
    await cp.wait_accepted(WAIT)
    await raw_csms.wait_call(SEN)
    # The first one is refused and dropped; the two behind it stay queued, unsent.
    await wait_until(lambda: refusals(cp), WAIT, "the CALLERROR")
    await wait_until(lambda: len(cp.security.pending_notifications()) == 2, WAIT, "two queued")
    cp.security.notify("ReconfigurationOfSecurityParameters", "raised while refused")
    await cp.session.call("Heartbeat", {})  # a round trip after the new event
    assert len(sent(cp, "CALL", SEN)) == 1
    assert len(cp.security.pending_notifications()) == 3
    # Whitepaper A04.FR.04: refused or not, every event is in the station's own log.
    assert len(cp.security.security_log()) == 4

    first_link = raw_csms.link
    await first_link.close()
    await wait_until(lambda: raw_csms.link is not first_link, WAIT, "the reconnection")
    await raw_csms.wait_call(SEN, count=2)
    await wait_until(lambda: len(refusals(cp)) == 2, WAIT, "the second CALLERROR")
    await wait_until(lambda: len(cp.security.pending_notifications()) == 2, WAIT, "two left")
    assert len(sent(cp, "CALL", SEN)) == 2  # one per connection
    told = [r for r in caplog.records if "does not implement" in r.getMessage()]
    assert len(told) == 1


async def test_a_trigger_for_a_refused_message_is_rejected_instead_of_sent(
    raw_csms: RawCsms, make_cp: CpFactory
):
    """Whitepaper §6.17 ExtendedTriggerMessage: Rejected = the message will not be sent;
    after NotSupported for SignCertificate it would not be, on this connection."""
    raw_csms.override["SignCertificate"] = lambda msg_id, _p: orjson.dumps(
        [4, msg_id, "NotSupported", "", {}]
    ).decode()
    cp = await make_cp(raw_csms.url, keys={"CpoName": "Bench CPO"})
    trigger = {"requestedMessage": "SignChargePointCertificate"}
    await raw_csms.send_raw(orjson.dumps([2, "t1", "ExtendedTriggerMessage", trigger]).decode())
    assert (await raw_csms.reply_to("t1"))[2] == {"status": "Accepted"}
    await raw_csms.wait_call("SignCertificate")
    await wait_until(lambda: refusals(cp, "SignCertificate"), WAIT, "the refusal")
    await raw_csms.send_raw(orjson.dumps([2, "t2", "ExtendedTriggerMessage", trigger]).decode())
    assert (await raw_csms.reply_to("t2"))[2] == {"status": "Rejected"}
    assert len(sent(cp, "CALL", "SignCertificate")) == 1


async def test_a_station_without_the_extension_sends_none_of_its_messages(
    csms, make_cp: CpFactory, tmp_path: Path
):
    """A plain 1.6 station: no SecurityEventNotification at start-up or on a reset,
    though its own security log keeps them."""
    cp = await make_cp(csms.url, template=plain_template(tmp_path))
    await status_sent(csms, "Available", 1)
    assert (await csms.reset("CP1", "Soft"))["status"] == "Accepted"
    await wait_until(lambda: len(sent(cp, "CALL", "BootNotification")) == 2, WAIT, "the reboot")
    await cp.wait_accepted(WAIT)
    await status_sent(csms, "Available", 1)
    assert sent(cp, "CALL", SEN) == []
    assert cp.security.pending_notifications() == []
    types = [e["type"] for e in cp.security.security_log()]
    assert types == ["StartupOfTheDevice", "ResetOrReboot"]


@pytest.mark.parametrize(
    ("action", "payload"),
    [
        ("ExtendedTriggerMessage", {"requestedMessage": "Heartbeat"}),
        ("GetInstalledCertificateIds", {"certificateType": "CentralSystemRootCertificate"}),
        (
            "GetLog",
            {
                "logType": "SecurityLog",
                "requestId": 1,
                "log": {"remoteLocation": "http://127.0.0.1:9/x"},
            },
        ),
        ("CertificateSigned", {"certificateChain": "-----BEGIN CERTIFICATE-----"}),
        (
            "DeleteCertificate",
            {
                "certificateHashData": {
                    "hashAlgorithm": "SHA256",
                    "issuerNameHash": "00",
                    "issuerKeyHash": "00",
                    "serialNumber": "01",
                }
            },
        ),
    ],
)
async def test_a_station_without_the_extension_answers_its_requests_not_implemented(
    csms, make_cp: CpFactory, tmp_path: Path, action: str, payload: dict[str, Any]
):
    """OCPP-J 1.6 §4.2.3: NotImplemented, "Requested Action is not known by receiver"."""
    await make_cp(csms.url, template=plain_template(tmp_path))
    with pytest.raises(CallError) as refused:
        await csms.call("CP1", action, payload)
    assert refused.value.code == "NotImplemented"


async def test_without_the_extension_certificates_and_signed_firmware_are_not_implemented(
    csms, make_cp: CpFactory, tmp_path: Path
):
    await make_cp(csms.url, template=plain_template(tmp_path))
    signer = make_signer()
    install = {"certificateType": "ManufacturerRootCertificate", "certificate": signer.root_pem}
    signed = {
        "requestId": 1,
        "firmware": {
            "location": "http://127.0.0.1:9/fw.bin",
            "retrieveDateTime": "2030-01-01T00:00:00Z",
            "signingCertificate": signer.cert_pem,
            "signature": "AAAA",
        },
    }
    for action, payload in (("InstallCertificate", install), ("SignedUpdateFirmware", signed)):
        with pytest.raises(CallError) as refused:
            await csms.call("CP1", action, payload)
        assert refused.value.code == "NotImplemented", action


async def test_with_the_extension_on_the_bundled_templates_send_security_events(
    csms, make_cp: CpFactory
):
    """The bundled templates claim the extension: the default is unchanged."""
    cp = await make_cp(csms.url)
    await csms.wait_for_message("CP1", SEN, lambda p: p["type"] == "StartupOfTheDevice", WAIT)
    assert cp.security.gate.enabled


def test_the_setting_must_be_a_boolean(tmp_path: Path):
    from bench.model.templates import TemplateError, load_station_template

    data = json.loads((resources_dir() / "stations" / "ac-11kw.json").read_text())
    data["security_extension"] = "yes"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(TemplateError, match="security_extension"):
        load_station_template(str(path))
