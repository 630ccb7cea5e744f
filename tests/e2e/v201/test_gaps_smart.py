"""Gaps closed in block K: external limits set or released offline are announced once the
station is accepted again (K12.FR.02, K13.FR.02), and an external limit on an idle EVSE is
in force in the model at once (K11.FR.01, K12.FR.01)."""

from __future__ import annotations

from bench.csms.server import CentralSystem
from bench.ocpp.v201.smart_charging import ChargingLimitChanged
from tests.e2e.conftest import WAIT, ev, wait_until
from tests.e2e.v201.conftest import Cp201Factory, request


async def test_limits_changed_offline_are_notified_after_reconnecting(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """K12.FR.02: NotifyChargingLimit for a limit set while offline; K13.FR.02:
    ClearedChargingLimit for one released while offline; both sent once accepted again,
    the newest word per EVSE and source only."""
    cp = await make_cp201(csms.url, "XL1", template="ac-22kw-dual")
    cp.cut_network()
    await wait_until(lambda: not cp.accepted, what="offline")
    cp.smart.set_external_limit(1, 16.0)
    cp.smart.set_external_limit(1, 8.0)  # supersedes the 16 A not yet announced
    assert cp.station.connector(1).limit_a == 8.0  # in force while offline
    cp.smart.set_external_limit(2, 10.0)
    cp.smart.set_external_limit(2, None)
    assert cp.smart.external.pending == 2
    assert request(cp, "NotifyChargingLimit") == []
    cp.restore_network()
    notified = await csms.wait_for_message("XL1", "NotifyChargingLimit", timeout=WAIT)
    assert notified == {"chargingLimit": {"chargingLimitSource": "EMS"}, "evseId": 1}
    cleared = await csms.wait_for_message("XL1", "ClearedChargingLimit", timeout=WAIT)
    assert cleared == {"chargingLimitSource": "EMS", "evseId": 2}
    await wait_until(lambda: cp.smart.external.pending == 0, what="outbox empty")
    assert len(request(cp, "NotifyChargingLimit")) == 1


async def test_an_external_limit_on_an_idle_evse_is_on_the_connector_at_once(
    csms: CentralSystem, make_cp201: Cp201Factory
) -> None:
    """K11.FR.01, K12.FR.01: the external limit applies immediately: the idle connector's
    limit (what the GUI shows) is set before any transaction and the EV charges under it;
    releasing it (K13.FR.01) lifts it at once."""
    cp = await make_cp201(csms.url, "XL2")
    seen: list[ChargingLimitChanged] = []
    cp.events.subscribe(lambda e: seen.append(e) if isinstance(e, ChargingLimitChanged) else None)
    connector = cp.station.connector(1)
    cp.smart.set_external_limit(1, 6.0)
    assert connector.transaction is None
    assert connector.limit_a == 6.0
    assert ChargingLimitChanged(1, 6.0) in seen
    assert cp.smart.limit_a(1) == 6.0
    connector.plug_in(ev())
    cp.present_id("TAG1", 1)
    await wait_until(lambda: connector.transaction is not None, what="charging")
    assert connector.limit_a == 6.0
    assert connector.offered_current_a <= 6.0
    cp.present_id("TAG1", 1)  # the driver stops
    await wait_until(lambda: connector.transaction is None, what="stopped")
    assert connector.limit_a == 6.0  # still in force on the idle EVSE
    cp.smart.set_external_limit(1, None)
    assert connector.limit_a is None
