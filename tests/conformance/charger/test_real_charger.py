"""A charger the bench does not control: it connects by itself, a person does the
physical steps when asked (issue 14: "a run prompts correctly for a station the
bench does not control").

Real parts: the endpoint listens on 127.0.0.1; the "real charger" is a bench station
the test starts from outside against the endpoint's URL, the way a lab charger is
pointed at the bench; the prompter plays the person at the charger, doing what
each prompt says on that station before answering.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from bench.conformance.catalogue import case
from bench.conformance.charger.run import ChargerSettings
from bench.conformance.charger.runner import run_charger_cases
from bench.conformance.charger.targets import charger_bench
from bench.conformance.manual import ManualOutcome, ManualRequest
from bench.conformance.results import Verdict
from bench.ocpp.api import ChargePointApi
from bench.runtime import StationOptions, StationRun

DUT = "LAB-CHARGER-7"


class PersonAtTheCharger:
    """Reads each prompt and does it on the charger, or says it cannot."""

    def __init__(self, refuse: frozenset[str] = frozenset()) -> None:
        self.station: ChargePointApi | None = None
        self.prompts: list[ManualRequest] = []
        self.refuse = refuse

    async def perform(self, request: ManualRequest) -> ManualOutcome:
        self.prompts.append(request)
        if request.key in self.refuse or self.station is None:
            return ManualOutcome(False, "operator", "cannot do")
        if request.key == "power_cycle":
            await self.station.power_cut()
            await self.station.power_restore()
            return ManualOutcome(True, "operator", "done")
        return ManualOutcome(False, "operator", f"no idea how to {request.key}")


@contextlib.asynccontextmanager
async def lab_charger(url: str, folder: Path) -> AsyncIterator[StationRun]:
    run = StationRun(
        StationOptions(
            csms_url=url,
            station_id=DUT,
            ocpp="2.0.1",
            db=str(folder / "charger.db"),
            settings={"boot_seconds": "0"},
        )
    )
    await run.start()
    try:
        yield run
    finally:
        await run.stop()


async def test_the_run_waits_for_the_charger_and_asks_the_person_for_the_power_cycle(
    tmp_path: Path,
) -> None:
    settings = ChargerSettings(version="2.0.1", station_id=DUT, timeout=15.0)
    person = PersonAtTheCharger()
    async with charger_bench(settings, operator=person) as bench:
        assert not bench.own
        async with lab_charger(bench.endpoint.url, tmp_path) as charger:
            person.station = charger.cp
            run = await run_charger_cases(
                [case("TC_B_01_CS")],
                settings,
                bench.prompter,
                bench.endpoint,
                bench.dut,
                sut=bench.sut,
            )
    result = run.cases[0]
    assert result.verdict is Verdict.PASS, result.reason
    assert [p.key for p in person.prompts] == ["power_cycle"]
    assert "Power cycle the charging station" in person.prompts[0].instruction
    assert [(m.key, m.by, m.done) for m in result.manual] == [("power_cycle", "operator", True)]
    # The report names the station from its BootNotification.
    assert run.sut.vendor == "OCPPBench" and run.sut.serial.endswith(DUT)


async def test_cannot_do_at_the_charger_makes_the_case_inconclusive_not_failed(
    tmp_path: Path,
) -> None:
    settings = ChargerSettings(version="2.0.1", station_id=DUT, timeout=15.0)
    person = PersonAtTheCharger(refuse=frozenset({"power_cycle"}))
    async with (
        charger_bench(settings, operator=person) as bench,
        lab_charger(bench.endpoint.url, tmp_path) as charger,
    ):
        person.station = charger.cp
        run = await run_charger_cases(
            [case("TC_B_01_CS")],
            settings,
            bench.prompter,
            bench.endpoint,
            bench.dut,
            sut=bench.sut,
        )
    result = run.cases[0]
    assert result.verdict is Verdict.INCONCLUSIVE
    assert "Power cycle" in result.reason and "cannot do" in result.reason


async def test_a_charger_that_never_connects_is_inconclusive_saying_where_to_connect() -> None:
    settings = ChargerSettings(version="2.0.1", station_id=DUT, timeout=1.0)
    async with charger_bench(settings, operator=PersonAtTheCharger()) as bench:
        run = await run_charger_cases(
            [case("TC_B_01_CS")], settings, bench.prompter, bench.endpoint, bench.dut, sut=bench.sut
        )
        url = bench.endpoint.station_url
    assert run.cases[0].verdict is Verdict.INCONCLUSIVE
    assert f"not connected to {url}" in run.cases[0].reason
