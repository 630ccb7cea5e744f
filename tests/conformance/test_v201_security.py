"""Block A (Security) CSMS cases against the built-in CSMS with security profiles 1-3."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from bench.csms.registry import StationState
from bench.csms.server import CentralSystem
from tests.conformance.secure_csms import (
    STATION_ID,
    Material,
    SecureRun,
    config_for,
    make_material,
)
from tests.conformance.tampering import never, tamper


@pytest.fixture(scope="module")
def material(tmp_path_factory) -> Material:
    return make_material(tmp_path_factory.mktemp("pki"))


@pytest.fixture
async def secure_runner(material) -> AsyncIterator[Callable[[int], Awaitable[SecureRun]]]:
    started: list[SecureRun] = []

    async def start(profile: int) -> SecureRun:
        csms = CentralSystem(config_for(profile, material))
        await csms.start()
        run = SecureRun(csms, profile, material)
        started.append(run)
        return run

    yield start
    for run in started:
        await run.prompter.drain()
        await run.csms.stop()


BY_PROFILE = {
    1: ["TC_A_01_CSMS", "TC_A_02_CSMS", "TC_A_03_CSMS", "TC_A_09_CSMS", "TC_A_10_CSMS"],
    2: [
        "TC_A_01_CSMS",
        "TC_A_02_CSMS",
        "TC_A_03_CSMS",
        "TC_A_04_CSMS",
        "TC_A_06_CSMS",
        "TC_A_09_CSMS",
        "TC_A_10_CSMS",
        "TC_A_19_CSMS",
    ],
    3: [
        "TC_A_04_CSMS",
        "TC_A_06_CSMS",
        "TC_A_07_CSMS",
        "TC_A_08_CSMS",
        "TC_A_11_CSMS",
        "TC_A_12_CSMS",
        "TC_A_13_CSMS",
        "TC_A_14_CSMS",
    ],
}


@pytest.mark.parametrize(
    ("profile", "case_id"),
    [(p, c) for p, cases in BY_PROFILE.items() for c in cases],
)
async def test_security_case_passes_against_the_built_in_csms(
    secure_runner, profile, case_id
) -> None:
    run = await secure_runner(profile)
    result = await run(case_id, features=frozenset({"ISO-3"}))
    assert result.verdict == "pass", (result.reason, [c.describe() for c in result.checks])


async def test_without_the_credentials_of_a_profile_the_cases_of_that_profile_do_not_apply(
    csms_runner,
) -> None:
    """The bench tests the security profiles the run is configured for; a run without a
    password, TLS or client certificate (profile 0) cannot play the Basic auth cases."""
    result = await csms_runner("TC_A_01_CSMS")
    assert result.verdict == "not applicable"
    assert result.reason.startswith(
        "the case needs security profile 1 or 2 and the run uses profile 0"
    )


async def test_an_upgrade_from_profile_1_needs_the_csms_root_on_the_station(
    secure_runner,
) -> None:
    """TC_A_19 prerequisite: on profile 1 a trusted certificate must be installed."""
    run = await secure_runner(1)
    result = await run("TC_A_19_CSMS")
    assert result.verdict == "not applicable"
    assert "--ca" in result.reason


async def test_a_csms_that_keeps_the_old_password_fails_the_password_update(
    secure_runner,
) -> None:
    """TC_A_09 (A01.FR.03): the station reconnects with the new password; a CSMS that did
    not take it refuses the connection, and the case fails on the upgrade (step 4)."""
    run = await secure_runner(1)
    old = dict(run.csms.config.basic_auth or {})

    class Stubborn(dict):
        def __setitem__(self, key: str, value: str) -> None:
            pass  # the CSMS never takes a new password

    run.csms.config.basic_auth = Stubborn(old)
    result = await run("TC_A_09_CSMS")
    assert result.verdict == "fail"
    assert result.reason.startswith(
        "step 4: HTTP upgrade.(connection): expected the station's connection accepted, got "
    )
    assert "HTTP 401" in result.reason


async def test_a_csms_that_lets_the_old_profile_back_in_fails_the_upgrade(
    secure_runner,
) -> None:
    """TC_A_19 (A05.FR.07): after the station connected with profile 3, a CSMS that still
    takes its profile 2 connection fails step 11."""
    run = await secure_runner(2)

    class NoFloor(StationState):
        """What the CSMS knows of the station, minus the profile it connected with."""

        @property  # type: ignore[override]
        def security_floor(self) -> int:
            return 0

        @security_floor.setter
        def security_floor(self, _profile: int) -> None:
            pass

    run.csms._states[STATION_ID] = NoFloor(STATION_ID)
    result = await run("TC_A_19_CSMS")
    assert result.verdict == "fail"
    assert result.reason == (
        "step 11: HTTP upgrade.(security profile 2): expected the connection refused, "
        "got HTTP 101 Switching Protocols"
    )


async def test_a_csms_that_never_triggers_the_certificate_renewal_is_inconclusive(
    secure_runner,
) -> None:
    run = await secure_runner(3)
    tamper(run, "trigger_message", never)
    result = await run("TC_A_11_CSMS", timeout=1.0)
    assert result.verdict == "inconclusive"
    assert result.reason == "the CSMS's TriggerMessageRequest did not arrive within 1 s"
