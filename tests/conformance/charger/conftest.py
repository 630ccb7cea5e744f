"""Fixtures for running charging-station cases against the bench's own station.

``charger_runner`` returns ``run(case_id, *, template="ac-11kw", misbehave=None,
**settings)``: a real endpoint (the bench as CSMS) on 127.0.0.1, a fresh own
station from ``template`` as the station under test, its physical steps done
through the station API, and the case's ``CaseResult`` (verdict, reason, checks,
frames). ``settings`` are ``ChargerSettings`` fields (``features=frozenset(...)``);
``security_profile`` 1-3 has the station connect with that profile (``tls.py``);
``station_settings`` are the own station's settings (``{"additional_root_certificate_check":
"true"}``) beside ``misbehave``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bench.conformance.catalogue import case as catalogue_case
from bench.conformance.charger.run import ChargerSettings
from bench.conformance.charger.runner import run_charger_case
from bench.conformance.charger.targets import charger_bench
from bench.conformance.results import CaseResult
from tests.conformance.charger.tls import secure_bench

ChargerRunner = Callable[..., Awaitable[CaseResult]]


@pytest.fixture
def charger_runner(tmp_path: Any) -> ChargerRunner:
    async def run(
        case_id: str,
        *,
        template: str = "ac-11kw",
        misbehave: str | None = None,
        security_profile: int = 0,
        station_settings: dict[str, str] | None = None,
        **settings: Any,
    ) -> CaseResult:
        case = catalogue_case(case_id)
        values: dict[str, Any] = {"timeout": 15.0, "heartbeat_interval": 3, **settings}
        tls, extra = secure_bench(security_profile, tmp_path / "tls", "DUT-TEST")
        values["extra"] = {**extra, **values.get("extra", {})}
        config = ChargerSettings(version=case.version, station_id="DUT-TEST", **values)
        own = {**(station_settings or {}), **({"misbehave": misbehave} if misbehave else {})}
        async with charger_bench(
            config, template=template, station_settings=own or None, folder=tmp_path, **tls
        ) as bench:
            return await run_charger_case(case, config, bench.prompter, bench.endpoint, bench.dut)

    return run
