"""2.0.1 block L, Firmware management: every charging-station case against the own station."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from bench.conformance.catalogue import cases
from bench.conformance.material_lm import firmware_file, issue
from bench.conformance.results import Verdict
from tests.conformance.charger.conftest import ChargerRunner

CASES = [c.id for c in cases(sut="cs", version="2.0.1") if c.block == "L"]

# What the bench's own station does (part 5): it cancels an ongoing update for a new
# one (C-60), downloads while a transaction runs (AQ-7) and has
# AllowNewSessionsPendingFirmwareUpdate (C-20); it installs only once the
# transactions have ended (no C-43).
OWN_FEATURES = frozenset({"C-60", "AQ-7", "C-20"})
NOT_APPLICABLE = {
    "TC_L_11_CS": "declares C-60",
    "TC_L_12_CS": "declares AQ-7",
    "TC_L_13_CS": "declares AQ-7",
    "TC_L_14_CS": "needs a second EVSE",
    "TC_L_16_CS": "does not declare the optional feature C-43",
}


@pytest.mark.parametrize("case_id", CASES)
async def test_a_firmware_case_passes_against_the_benchs_own_station(
    charger_runner: ChargerRunner, case_id: str
) -> None:
    result = await charger_runner(case_id, features=OWN_FEATURES)
    failed = [c.describe() for c in result.checks if not c.ok]
    if case_id in NOT_APPLICABLE:
        assert result.verdict is Verdict.NOT_APPLICABLE, f"{result.verdict}: {result.reason}"
        assert NOT_APPLICABLE[case_id] in result.reason
        return
    assert result.verdict is Verdict.PASS, f"{result.verdict}: {result.reason} {failed}"


async def test_the_install_after_two_transactions_case_passes_on_a_two_evse_station(
    charger_runner: ChargerRunner,
) -> None:
    """TC_L_14_CS needs a second EVSE (HFS-8 > 1): the dual AC station has one."""
    result = await charger_runner("TC_L_14_CS", template="ac-22kw-dual", features=OWN_FEATURES)
    failed = [c.describe() for c in result.checks if not c.ok]
    assert result.verdict is Verdict.PASS, f"{result.verdict}: {result.reason} {failed}"


async def test_the_unable_to_cancel_case_reads_c60_from_the_stations_answer(
    charger_runner: ChargerRunner,
) -> None:
    """TC_L_11_CS is for a station without C-60: one that answers AcceptedCanceled has it."""
    result = await charger_runner("TC_L_11_CS")
    assert result.verdict is Verdict.NOT_APPLICABLE, result.reason
    assert "AcceptedCanceled): it has C-60" in result.reason


async def test_an_operators_firmware_file_and_signing_certificate_are_the_ones_sent(
    charger_runner: ChargerRunner, tmp_path: Path
) -> None:
    """For a real charger the operator names the image and the maker's signing key: the
    bench serves that file and signs it with that key (L01.FR.04)."""
    signing = issue("Maker firmware signing", dt.datetime.now(dt.UTC), ca=False)
    (tmp_path / "signing.pem").write_text(signing.pem)
    key = signing.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (tmp_path / "signing.key").write_bytes(key)
    (tmp_path / "maker-fw.json").write_bytes(firmware_file("9.9.9"))
    extra = {
        "firmware_file": str(tmp_path / "maker-fw.json"),
        "firmware_signing_cert": str(tmp_path / "signing.pem"),
        "firmware_signing_key": str(tmp_path / "signing.key"),
    }
    result = await charger_runner("TC_L_01_CS", extra=extra)
    assert result.verdict is Verdict.PASS, result.reason
    sent = next(f for f in result.frames if f["action"] == "UpdateFirmware")
    assert sent["payload"]["firmware"]["signingCertificate"] == signing.pem
    assert sent["payload"]["firmware"]["location"].endswith("/firmware/maker-fw.json")
    boots = [f for f in result.frames if f["action"] == "BootNotification" and f["type"] == "CALL"]
    assert boots[-1]["payload"]["chargingStation"]["firmwareVersion"] == "9.9.9"
