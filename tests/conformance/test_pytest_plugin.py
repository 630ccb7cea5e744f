"""The conformance cases under pytest, as a CSMS team runs them in its own CI."""

from __future__ import annotations

import asyncio
import os
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from bench.conformance.targets import builtin_adapter_path
from bench.csms.config import CsmsConfig, TagEntry
from bench.csms.control import ControlServer
from bench.csms.server import CentralSystem

ROOT = Path(__file__).resolve().parents[2]


async def test_the_plugin_runs_the_chosen_cases_as_tests_with_junit_verdicts(
    tmp_path: Path,
) -> None:
    config = CsmsConfig(tags={"TAG1": TagEntry("Accepted")})
    async with CentralSystem(config) as csms, ControlServer(csms) as control:
        adapter = tmp_path / "csms.toml"
        text = builtin_adapter_path().read_text(encoding="utf-8")
        adapter.write_text(
            text.replace(
                'control = "http://127.0.0.1:8180"', f'control = "{control.url.rstrip("/")}"'
            )
        )
        junit = tmp_path / "conformance.xml"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        # In a folder of its own, as a CSMS team's repository would be: none of this
        # project's pytest settings or plugins (pytest-qt) take part.
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "pytest",
            "-c",
            os.devnull,
            "-p",
            "no:cacheprovider",
            "-p",
            "no:pytestqt",
            "-p",
            "bench.conformance.pytest_plugin",
            "--pyargs",
            "bench.conformance.pytest_cases",
            "--csms-url",
            csms.url,
            "--csms-ocpp",
            "2.0.1",
            "--csms-cases",
            "TC_B_01_CSMS,TC_B_06_CSMS,TC_C_50_CSMS",
            "--csms-adapter",
            str(adapter),
            "--csms-timeout",
            "15",
            f"--junitxml={junit}",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await asyncio.wait_for(proc.communicate(), 240)
    text = out.decode()
    assert proc.returncode == 0, text
    assert "2 passed, 1 skipped" in text
    cases = ET.parse(junit).getroot().iter("testcase")
    names = {c.get("name"): c for c in cases}
    assert set(names) == {
        "test_csms_conformance_case[TC_B_01_CSMS]",
        "test_csms_conformance_case[TC_B_06_CSMS]",
        "test_csms_conformance_case[TC_C_50_CSMS]",
    }
    skipped = names["test_csms_conformance_case[TC_C_50_CSMS]"].find("skipped")
    assert skipped is not None and "ISO 15118 Support" in (skipped.get("message") or "")
