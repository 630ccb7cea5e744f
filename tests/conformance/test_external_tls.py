"""A certification profile run against an external CSMS over TLS with Basic auth.

The external CSMS is the built-in one in its own process (`ocpp-bench csms --cert
--key --password --control-port`), reached only through its URL, its CA, the
station's password and the adapter file with the control API's address — as a
lab engineer would run the bench against any CSMS (security profile 2: TLS with
Basic auth, OCPP security whitepaper / 2.0.1 A00.FR.201-205).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from bench.conformance.cli import builtin_adapter_path
from tests.core.certs import make_pki
from tests.e2e.test_cli import ROOT, _env, bench

PROFILE = "Local Authorization List Management"


def _read_urls(proc: subprocess.Popen[str], timeout: float = 30.0) -> tuple[str, str]:
    """The CSMS's wss:// URL and its control API's URL, from its first lines."""
    assert proc.stdout is not None
    csms = control = ""
    deadline = time.monotonic() + timeout
    for _ in range(20):
        if (csms and control) or time.monotonic() > deadline:
            break
        words = proc.stdout.readline().split()
        if words and words[-1].startswith("wss://"):
            csms = words[-1]
        elif words and words[-1].startswith("http://127.0.0.1:"):
            control = words[-1].rstrip("/")
    assert csms and control, "the CSMS did not print its URLs"
    return csms, control


def test_a_profile_runs_against_a_tls_csms_with_basic_auth_through_its_adapter(
    tmp_path: Path,
) -> None:
    pki = make_pki(tmp_path)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.cli",
            "csms",
            "--port",
            "0",
            "--quiet",
            "--boot-retry",
            "1",
            "--cert",
            str(pki.server.cert_file),
            "--key",
            str(pki.server.key_file),
            "--password",
            "LAB-CP1=s3cret-pass-word",
            "--control-port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=_env(),
        cwd=ROOT,
    )
    try:
        csms_url, control_url = _read_urls(proc)
        report = tmp_path / "report"
        result = bench(
            "conformance",
            "csms",
            "--csms",
            csms_url,
            "--ocpp",
            "2.0.1",
            "--id",
            "LAB-CP1",
            "--password",
            "s3cret-pass-word",
            "--ca",
            str(pki.ca.cert_file),
            "--profile",
            PROFILE,
            "--adapter",
            str(builtin_adapter_path()),
            "--adapter-var",
            f"control={control_url}",
            "--timeout",
            "15",
            "--report",
            str(report),
            timeout=300,
        )
    finally:
        proc.terminate()
        proc.wait(10)
    assert result.returncode == 0, result.stdout + result.stderr
    results = json.loads((report / "results.json").read_text())
    assert results["sut"]["url"] == csms_url and results["profiles"] == [PROFILE]
    verdicts = {c["case_id"]: c["verdict"] for c in results["cases"]}
    assert verdicts and set(verdicts.values()) <= {"pass", "not applicable"}, verdicts
    # Every frame went over the TLS link the station opened with its password.
    boot = next(
        f for c in results["cases"] for f in c["frames"] if f["action"] == "BootNotification"
    )
    assert boot["direction"] == "tx"
