"""Both OCPP versions driven through the one charge point API (bench.ocpp.api, issue 12).

Each test runs once per version against the built-in CSMS on 127.0.0.1 and reads
only the typed views: no version check, no private member, no limit label parsed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bench.csms.server import CentralSystem
from bench.kernel.frames import FrameRecord
from bench.ocpp.api import (
    ChargePointApi,
    LimitOrigin,
    LinkState,
    Power,
    RebootKind,
    Registration,
    UnsavedQueue,
)
from bench.ocpp.v16.config import Configuration
from bench.ocpp.v201.device_model import ComponentKey, VariableKey
from bench.ocpp.v201.facets import (
    DeviceModelAccess,
    DisplayScreens,
    MonitorList,
    TransactionEvents,
)
from bench.smart.composite import ProfileSource
from tests.e2e.conftest import WAIT, CpFactory, wait_until
from tests.e2e.smart_support import profile as profile16
from tests.e2e.v201.conftest import Cp201Factory, make_cp201  # noqa: F401 - fixture
from tests.e2e.v201.test_smart_support import profile201

VERSIONS = ["1.6", "2.0.1"]
Make = Callable[[str, str], Awaitable[Any]]


@pytest.fixture(params=VERSIONS)
def make_station(request: pytest.FixtureRequest) -> Make:
    factory: CpFactory | Cp201Factory = request.getfixturevalue(
        "make_cp" if request.param == "1.6" else "make_cp201"
    )
    return factory


async def charging(cp: ChargePointApi, tag: str = "TAG1") -> None:
    """Plug an EV into connector 1 and badge ``tag``; wait for energy to flow."""
    cp.plug_in(1, "family-ev")
    assert cp.present_id(tag, 1)
    await wait_until(
        lambda: (tx := cp.connector(1).transaction) is not None and tx.id is not None,
        WAIT,
        "a transaction with its id",
    )


async def test_both_charge_points_implement_the_api_and_report_registration_and_network(
    csms: CentralSystem, make_station: Make
) -> None:
    cp = await make_station(csms.url, "API1")
    assert isinstance(cp, ChargePointApi)
    assert cp.registration_state() is Registration.ACCEPTED
    network = cp.network()
    assert (network.enabled, network.link, network.url) == (True, LinkState.CONNECTED, csms.url)
    cp.cut_network()
    await wait_until(lambda: cp.network().link is LinkState.OFFLINE, WAIT, "offline")
    assert not cp.network().enabled
    cp.restore_network()
    await wait_until(lambda: cp.network().link is LinkState.CONNECTED, WAIT, "back online")
    assert cp.network().enabled


async def test_a_running_transaction_is_one_typed_view_with_id_tag_and_energy(
    csms: CentralSystem, make_station: Make
) -> None:
    """1.6 §5.x StartTransaction / 2.0.1 E02: the view shows the id the station reported."""
    cp = await make_station(csms.url, "API2")
    assert cp.connector(1).transaction is None
    await charging(cp)
    view = cp.connector(1)
    tx = view.transaction
    assert tx is not None
    assert tx.tag == "TAG1"
    assert view.plugged
    await wait_until(lambda: cp.connector(1).transaction.energy_wh > 0, WAIT, "energy")
    if cp.version == "1.6":  # where each version's CSMS learns the id
        exchange = await csms.wait_for_exchange("API2", "StartTransaction", timeout=WAIT)
        wire_id = str(exchange.reply["transactionId"])
    else:
        started = await csms.wait_for_message(
            "API2", "TransactionEvent", lambda p: p["eventType"] == "Started", timeout=WAIT
        )
        wire_id = started["transactionInfo"]["transactionId"]
    assert tx.id == wire_id


async def test_a_profile_limit_names_its_profile_id_purpose_and_stack_level(
    csms: CentralSystem, make_station: Make
) -> None:
    """1.6 §3.13 / 2.0.1 K01: the limit in force carries the leading profile, structured."""
    cp = await make_station(csms.url, "API3")
    await charging(cp)
    if cp.version == "1.6":  # the payload differs by version; the view does not
        reply = await csms.call(
            "API3",
            "SetChargingProfile",
            {"connectorId": 1, "csChargingProfiles": profile16(7, "TxDefaultProfile", [(0, 8)])},
        )
    else:
        reply = await csms.call(
            "API3",
            "SetChargingProfile",
            {"evseId": 1, "chargingProfile": profile201(7, limits=[(0, 8.0)], level=2)},
        )
    assert reply["status"] == "Accepted"
    await wait_until(lambda: cp.connector(1).smart_limit is not None, WAIT, "a profile limit")
    limit = cp.connector(1).limit
    assert limit.amps == 8.0
    assert limit.source.origin is LimitOrigin.PROFILE
    assert limit.source.profile_id == 7
    assert limit.source.purpose == "TxDefaultProfile"
    assert [(p.id, p.place, p.purpose) for p in cp.profiles()] == [(7, 1, "TxDefaultProfile")]
    assert [(e.profile.id, e.connector_id) for e in cp.profile_entries()] == [(7, 1)]
    supply = cp.supply()  # ac-11kw: three phases at 230 V, for converting A and W
    assert (supply.voltage, supply.phases) == (230.0, 3)
    schedule = cp.composite_schedule(1, 600, "A")
    assert schedule.periods[0].limit == 8.0


async def test_a_shared_station_maximum_names_its_profile_and_how_many_share_it(
    csms: CentralSystem, make_station: Make
) -> None:
    """1.6 §3.13.3 ChargePointMaxProfile / 2.0.1 K12.FR.01 ChargingStationMaxProfile: the
    station maximum split between two charging connectors; the engine hands the deciding
    profile as data (ProfileSource), the API never matches its label."""
    cp = await make_station(csms.url, "API7", template="ac-22kw-dual")
    for connector_id, tag in ((1, "TAG1"), (2, "TAG2")):
        cp.plug_in(connector_id, "family-ev")
        assert cp.present_id(tag, connector_id)
        await wait_until(
            lambda c=connector_id: cp.connector(c).transaction is not None, WAIT, "a transaction"
        )
    if cp.version == "1.6":
        payload = {
            "connectorId": 0,
            "csChargingProfiles": profile16(9, "ChargePointMaxProfile", [(0, 16)], level=3),
        }
        purpose = "ChargePointMaxProfile"
    else:
        payload = {
            "evseId": 0,
            "chargingProfile": profile201(
                9,
                "ChargingStationMaxProfile",
                [(0, 16.0)],
                level=3,
                kind="Absolute",
                startSchedule="2020-01-01T00:00:00Z",
            ),
        }
        purpose = "ChargingStationMaxProfile"
    reply = await csms.call("API7", "SetChargingProfile", payload)
    assert reply["status"] == "Accepted"
    await wait_until(
        lambda: (s := cp.connector(1).smart_limit) is not None and s.source.shared_by == 2,
        WAIT,
        "the station maximum shared by both connectors",
    )
    source = cp.connector(1).limit.source
    assert (source.origin, source.profile_id, source.purpose, source.stack_level, source.place) == (
        LimitOrigin.PROFILE,
        9,
        purpose,
        3,
        0,
    )
    assert cp.connector(1).limit.amps == 8.0
    # The model keeps the text people read; the data rides with it, not inside it.
    assert isinstance(cp.station.connector(1).limit_source, ProfileSource)


async def test_a_local_limit_is_the_limit_in_force_with_a_local_source(
    csms: CentralSystem, make_station: Make
) -> None:
    cp = await make_station(csms.url, "API4")
    assert cp.connector(1).limit.source.origin is LimitOrigin.HARDWARE
    cp.set_local_limit(1, 10.0)
    limit = cp.connector(1).limit
    assert (limit.amps, limit.source.origin) == (10.0, LimitOrigin.LOCAL)


async def test_settings_read_list_and_write_through_the_versions_own_path(
    csms: CentralSystem, make_station: Make
) -> None:
    """1.6 §5.3 ChangeConfiguration / 2.0.1 B05 SetVariables, behind one interface."""
    cp = await make_station(csms.url, "API5")
    settings = cp.settings
    name = next(s.name for s in settings.list() if s.name.endswith("HeartbeatInterval"))
    outcome = await settings.write(name, "120")
    assert outcome.ok
    assert settings.read(name) == "120"
    assert cp.heartbeat().interval_s == 120
    refused = await settings.write(name, "not a number")
    assert not refused.ok


async def test_a_local_reboot_ends_the_transaction_with_each_versions_reason(
    csms: CentralSystem, make_station: Make
) -> None:
    """1.6 §7.36 stop reason Reboot; 2.0.1 stoppedReason Reboot and boot reason LocalReset."""
    cp = await make_station(csms.url, "API6")
    await charging(cp)
    await cp.reboot(RebootKind.LOCAL)
    await cp.wait_accepted(WAIT)
    assert cp.connector(1).transaction is None
    if cp.version == "1.6":
        stop = await csms.wait_for_message("API6", "StopTransaction", timeout=WAIT)
        assert stop["reason"] == "Reboot"
    else:
        ended = await csms.wait_for_message(
            "API6", "TransactionEvent", lambda p: p["eventType"] == "Ended", timeout=WAIT
        )
        assert ended["transactionInfo"]["stoppedReason"] == "Reboot"
        boot = await csms.wait_for_message(
            "API6", "BootNotification", lambda p: p["reason"] == "LocalReset", timeout=WAIT
        )
        assert boot["reason"] == "LocalReset"
    assert cp.queue_length() == 0
    assert list(cp.queued_actions()) == []


async def test_plug_in_and_unplug_through_the_api_change_what_the_connector_shows(
    csms: CentralSystem, make_station: Make
) -> None:
    """1.6 §4.9 Preparing / 2.0.1 G01 Occupied once a cable is in; Available once it is out."""
    cp = await make_station(csms.url, "API9")
    cp.plug_in(1, "family-ev", soc=40.0)
    view = cp.connector(1)
    assert view.plugged
    assert view.status in ("Preparing", "Occupied")
    assert cp.station.connector(1).ev is not None and cp.station.connector(1).ev.soc == 40.0
    cp.unplug(1)
    assert not cp.connector(1).plugged
    assert await cp.wait_status(1, "Available", 60.0)


async def test_a_power_cut_drops_the_link_and_the_restore_boots_afresh_with_power_loss(
    csms: CentralSystem, make_station: Make
) -> None:
    """A real power failure: the link drops at once and the running transaction ends with
    reason PowerLoss (1.6 §7.36; 2.0.1 ReasonEnumType), told to the CSMS only after the
    station has booted again (2.0.1: BootNotification reason PowerUp, B01)."""
    cp = await make_station(csms.url, "APIA")
    await charging(cp)
    await cp.drained()  # what the session sent so far is delivered: the queue is empty
    await cp.power_cut()
    assert cp.power() == Power(on=False, cut=True, back_at=None)
    assert cp.network().link is LinkState.OFFLINE
    assert cp.registration_state() is Registration.NONE
    assert cp.connector(1).transaction is None
    assert cp.station.connector(1).power_w == 0.0  # contactors open: no energy flows
    assert cp.queue_length() == 1  # the stop waits: there is no power to send it
    before_restore = csms.mark()
    await cp.power_restore()
    await cp.wait_accepted(WAIT)
    assert cp.power() == Power(on=True, cut=False, back_at=None)
    assert cp.network().link is LinkState.CONNECTED
    boot = await csms.wait_for_exchange("APIA", "BootNotification", since=before_restore)
    if cp.version == "1.6":
        stop = await csms.wait_for_exchange(
            "APIA", "StopTransaction", timeout=WAIT, since=before_restore
        )
        assert stop.payload["reason"] == "PowerLoss"
    else:
        assert boot.payload["reason"] == "PowerUp"
        stop = await csms.wait_for_exchange(
            "APIA",
            "TransactionEvent",
            lambda p: p["eventType"] == "Ended",
            timeout=WAIT,
            since=before_restore,
        )
        assert stop.payload["transactionInfo"]["stoppedReason"] == "PowerLoss"
    assert stop.seq > boot.seq  # sent once registered again, never while dark
    await cp.drained()
    assert cp.queue_length() == 0


async def test_power_cannot_be_cut_twice_nor_restored_while_on(
    csms: CentralSystem, make_station: Make
) -> None:
    cp = await make_station(csms.url, "APIB")
    with pytest.raises(RuntimeError, match="has power already"):
        await cp.power_restore()
    await cp.power_cut()
    with pytest.raises(RuntimeError, match="no power to cut"):
        await cp.power_cut()
    await cp.power_restore()
    await cp.wait_accepted(WAIT)


async def test_only_the_parts_a_station_has_are_offered_as_facets(
    csms: CentralSystem, make_station: Make
) -> None:
    """1.6 has configuration keys (§9); 2.0.1 a device model (B05-B07), monitors (N02),
    display messages (O01) and TransactionEvents (E01): a view asks for what it shows."""
    cp = await make_station(csms.url, "APIC")
    only_201 = (DeviceModelAccess, MonitorList, DisplayScreens, TransactionEvents)
    offered = {kind: cp.facet(kind) is not None for kind in (Configuration, *only_201)}
    if cp.version == "1.6":
        assert offered == {Configuration: True, **dict.fromkeys(only_201, False)}
        config = cp.facet(Configuration)
        assert config is not None
        assert config.change("HeartbeatInterval", "90") == "Accepted"
    else:
        assert offered == {Configuration: False, **dict.fromkeys(only_201, True)}
        model = cp.facet(DeviceModelAccess)
        assert model is not None
        where = (ComponentKey("OCPPCommCtrlr"), VariableKey("HeartbeatInterval"))
        result = await model.write(*where, "Actual", "90")
        assert result.status == "Accepted"
        assert model.value(*where) == "90"
        monitors = cp.facet(MonitorList)
        assert monitors is not None and monitors.monitors()  # at least the hard-wired one
        display = cp.facet(DisplayScreens)
        assert display is not None and display.screen(1).content
    assert cp.heartbeat().interval_s == 90
    assert cp.storage_state().failing is False
    assert cp.unsaved_queue() == UnsavedQueue((), 0)


async def test_a_boot_reply_that_arrives_as_the_power_goes_does_not_spare_the_next_boot(
    csms: CentralSystem, make_station: Make
) -> None:
    """1.6 §4.2, B01.FR.01: after power returns the station sends BootNotification. The
    power can go between the boot reply's arrival and the moment the boot reads it (a
    person pulls the plug just then): that reply belongs to a power-on that is over."""
    cutter = _CutOnBootReply()
    cp = await make_station(csms.url, "APIBOOT", start=False, log=cutter)
    cutter.cp = cp
    await cp.start()
    await wait_until(lambda: cutter.cut is not None and cutter.cut.done(), WAIT)
    assert cutter.cut is not None
    await cutter.cut  # the cut ran before the boot saw its reply
    assert cp.power().cut
    assert cp.registration_state() is Registration.NONE
    before_restore = csms.mark()
    await cp.power_restore()
    boot = await csms.wait_for_message(
        "APIBOOT", "BootNotification", timeout=WAIT, since=before_restore
    )
    assert boot["reason" if cp.version == "2.0.1" else "chargePointModel"]
    await cp.wait_accepted(WAIT)


class _CutOnBootReply:
    """A frame sink that cuts the power as the BootNotification reply is logged, which
    is before the session hands the reply to the waiting boot."""

    def __init__(self) -> None:
        self.cp: Any = None
        self.cut: asyncio.Task[None] | None = None

    def record(self, rec: FrameRecord) -> None:
        if (
            self.cut is None
            and rec.direction == "rx"
            and rec.type == "CALLRESULT"
            and rec.action == "BootNotification"
        ):
            self.cut = asyncio.get_running_loop().create_task(self.cp.power_cut())
