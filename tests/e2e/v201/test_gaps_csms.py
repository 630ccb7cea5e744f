"""Gaps closed: DeleteCertificate of the V2GCertificate (M04.FR.02/06) and the built-in CSMS's
optional price, which puts totalCost in TransactionEvent replies (I02, I03)."""

from __future__ import annotations

from typing import Any

from bench.csms.server import CentralSystem
from bench.ocpp.v201.charge_point import ChargePoint201
from tests.e2e.conftest import WAIT, FrameList, ev, wait_until
from tests.e2e.v201.conftest import Cp201Factory
from tests.e2e.v201.sec_support import stored
from tests.e2e.v201.test_certificates import install, installed, trigger


def tx_replies(cp: ChargePoint201) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(TransactionEventRequest, its response) pairs the station exchanged, in order."""
    frames = cp.session.sink
    assert isinstance(frames, FrameList)
    calls = {r.id: r.payload for r in frames.sent("CALL", "TransactionEvent")}
    return [
        (calls[r.id], r.payload)
        for r in frames.records
        if r.direction == "rx" and r.type == "CALLRESULT" and r.id in calls
    ]


async def test_the_v2g_certificate_can_be_deleted_but_not_the_station_certificate(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """M04.FR.06 refuses only the ChargingStationCertificate; M04.FR.02: a V2GCertificate found
    by its hash data is deleted (Accepted), M03.FR.02/M04.FR.04: afterwards it is gone."""
    cp = await make_cp201(csms.url)
    ca = csms.config.certificate_authority
    assert await install(csms, "V2GRootCertificate", ca.root_pem) == "Accepted"
    assert await trigger(csms, "SignV2GCertificate") == "Accepted"
    await wait_until(lambda: stored(csms, "CertificateSigned"), WAIT, "CertificateSigned")
    [chain] = (await installed(csms, "V2GCertificateChain"))["certificateHashDataChain"]
    leaf = {"certificateHashData": chain["certificateHashData"]}
    assert (await csms.call("CS1", "DeleteCertificate", leaf))["status"] == "Accepted"
    assert cp.security.certificates.store.client_chains("V2GCertificate") == []
    assert (await installed(csms, "V2GCertificateChain"))["status"] == "NotFound"
    assert (await csms.call("CS1", "DeleteCertificate", leaf))["status"] == "NotFound"
    # The V2G root stays: only the own certificate went.
    assert (await installed(csms, "V2GRootCertificate"))["status"] == "Accepted"


async def test_a_priced_csms_shows_the_running_and_final_cost_on_the_display(
    make_csms, make_cp201: Cp201Factory
) -> None:
    """I02.FR.01/03: TransactionEventResponse(Updated) with totalCost -> the running cost on
    the EVSE's display; I03.FR.01/03: the Ended reply's totalCost is shown as the total."""
    csms: CentralSystem = await make_csms(price_per_kwh=0.5)
    cp = await make_cp201(csms.url, "CS1", variables={"SampledDataCtrlr.TxUpdatedInterval": "60"})
    connector = cp.station.connector(1)
    connector.plug_in(ev())
    cp.present_id("TAG1", 1)
    await wait_until(lambda: connector.transaction is not None, what="charging")

    def shown(prefix: str) -> str | None:
        text = cp.display.current(1)
        return text.content if text is not None and text.content.startswith(prefix) else None

    running = await wait_until(
        lambda: shown("Cost so far:") if connector.energy_wh > 100 else None,
        timeout=WAIT,
        what="the running cost on the display",
    )
    assert running.endswith("EUR")
    cp.present_id("TAG1", 1)  # the driver stops: Ended
    await wait_until(
        lambda: any(req["eventType"] == "Ended" for req, _r in tx_replies(cp)),
        what="the Ended event answered",
    )
    # The total replaces the running cost on that EVSE's display, the EV still plugged in.
    final = await wait_until(lambda: shown("Total cost:"), timeout=WAIT, what="the final cost")
    pairs = tx_replies(cp)
    assert all("totalCost" not in reply for req, reply in pairs if req["eventType"] == "Started")
    assert any("totalCost" in reply for req, reply in pairs if req["eventType"] == "Updated")
    [total] = [reply["totalCost"] for req, reply in pairs if req["eventType"] == "Ended"]
    assert total > 0
    assert final == f"Total cost: {total:.2f} EUR"


async def test_without_a_price_no_cost_is_sent(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """I02/I03 are optional for the CSMS: with no price_per_kwh the replies carry no totalCost."""
    cp = await make_cp201(csms.url, "CS1")
    connector = cp.station.connector(1)
    connector.plug_in(ev())
    cp.present_id("TAG1", 1)
    await wait_until(lambda: connector.transaction is not None, what="charging")
    cp.present_id("TAG1", 1)
    await wait_until(
        lambda: any(req["eventType"] == "Ended" for req, _r in tx_replies(cp)),
        what="the Ended event answered",
    )
    assert all("totalCost" not in reply for _req, reply in tx_replies(cp))
