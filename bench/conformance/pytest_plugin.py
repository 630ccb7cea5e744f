"""The conformance cases as pytest tests, for a CSMS team's own CI.

    pytest -p bench.conformance.pytest_plugin --pyargs bench.conformance.pytest_cases \\
        --csms-url wss://csms.example/ocpp --csms-ocpp 2.0.1 --csms-profile Core \\
        --csms-adapter my-csms.toml [--csms-id CP1] [--csms-password PW] [--csms-timeout 30]

One test per case: *fail* and *error* verdicts fail the test with the case's
reason; *not applicable* and *inconclusive* skip it with theirs (JUnit XML from
``--junitxml`` then reads like the bench's own junit.xml).
"""

from __future__ import annotations

from typing import Any

import pytest

from bench.conformance.catalogue import VERSIONS, cases


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ocpp-bench conformance")
    group.addoption("--csms-url", help="the CSMS to test (ws:// or wss://)")
    group.addoption("--csms-ocpp", choices=VERSIONS, help="the OCPP version to test")
    group.addoption("--csms-profile", default="", help="certification profiles (comma list)")
    group.addoption("--csms-cases", default="", help="only these case ids (comma list)")
    group.addoption("--csms-adapter", help="adapter file for the manual actions")
    group.addoption("--csms-id", default="BENCH-CONFORMANCE", help="the station identity")
    group.addoption("--csms-password", help="HTTP Basic auth password")
    group.addoption("--csms-ca", help="CA file to verify the CSMS's certificate")
    group.addoption("--csms-timeout", type=float, default=30.0, help="seconds per step")


def _split(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in text.split(",") if t.strip())


def selected_case_ids(config: pytest.Config) -> list[str]:
    version = config.getoption("--csms-ocpp")
    if not config.getoption("--csms-url") or not version:
        return []
    chosen = cases(sut="csms", version=version, profiles=_split(config.getoption("--csms-profile")))
    wanted = _split(config.getoption("--csms-cases"))
    return [c.id for c in chosen if not wanted or c.id in wanted]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "conformance_case_id" in metafunc.fixturenames:
        ids = selected_case_ids(metafunc.config)
        if not ids:
            raise pytest.UsageError("give --csms-url and --csms-ocpp to run conformance cases")
        metafunc.parametrize("conformance_case_id", ids)


@pytest.fixture(scope="session")
def conformance_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    get = request.config.getoption
    return {
        "url": get("--csms-url"),
        "ocpp": get("--csms-ocpp"),
        "adapter": get("--csms-adapter"),
        "id": get("--csms-id"),
        "password": get("--csms-password"),
        "ca": get("--csms-ca"),
        "timeout": get("--csms-timeout"),
    }
