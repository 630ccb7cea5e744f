"""The conformance catalogue: every OCTT case of both versions, as the documents say.

The counts were taken from the documents by hand. 2.0.1 part 6 has 250 CSMS case
tables, not the 247 a grep of ``TC_<letter>_<nn>_CSMS`` finds: the conversion from
PDF wrote four ids with a digit for the block letter (TC_0_01_CSMS, TC_0_25_CSMS,
TC_0_26_CSMS for block O; TC_1_01_CSMS for block I, its caption saying TC_L_01_CSMS),
and the grep counts TC_N_21_CSMS, which only a note of TC_N_24_CSMS mentions.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from importlib import resources
from pathlib import Path

import pytest

from bench.conformance import catalogue
from bench.conformance.catalogue import CaseStep

ROOT = Path(__file__).resolve().parents[2]
SPEC = Path(__file__).resolve().parents[2].parent / "shared" / "spec"
needs_spec = pytest.mark.skipif(
    not SPEC.is_dir(), reason=f"the specification documents are not beside the checkout ({SPEC})"
)


def by_id(version: str) -> dict[str, catalogue.Case]:
    return {c.id: c for c in catalogue.cases(version=version)}


@pytest.fixture(scope="module")
def extracted() -> dict[str, dict]:
    """The catalogue extracted afresh from the documents (a few seconds: once per module)."""
    if not SPEC.is_dir():
        pytest.skip(f"the specification documents are not beside the checkout ({SPEC})")
    from bench.conformance.extract import build

    return build(SPEC)


@pytest.mark.parametrize(
    ("version", "sut", "count"),
    [("2.0.1", "csms", 250), ("2.0.1", "cs", 424), ("1.6", "csms", 75), ("1.6", "cs", 102)],
)
def test_the_shipped_catalogue_holds_every_case_of_the_documents(version, sut, count):
    found = catalogue.cases(version=version, sut=sut)
    assert len(found) == count
    assert len({c.id for c in found}) == count
    pattern = r"TC_[A-P]_\d{2}_" if version == "2.0.1" else r"TC_\d{3}(_\d{1,2})?_"
    assert all(re.fullmatch(pattern + sut.upper(), c.id) for c in found)


@needs_spec
@pytest.mark.parametrize("version", ["2.0.1", "1.6"])
def test_extracting_the_documents_again_gives_the_shipped_catalogue(extracted, version):
    shipped = json.loads(
        resources.files("bench.conformance.data").joinpath(f"cases-{version}.json").read_text()
    )
    fresh = json.loads(json.dumps(extracted[version]))  # tuples to lists, as in the file
    assert [c["id"] for c in fresh["cases"]] == [c["id"] for c in shipped["cases"]]
    assert fresh == shipped, "the catalogue is stale: run python -m bench.conformance.extract"


@needs_spec
@pytest.mark.parametrize(
    ("version", "document", "pattern"),
    [
        ("2.0.1", "ocpp201/OCPP-2.0.1_edition3_part6-testcases.md", r"TC_[A-Z]_\d+_CSMS"),
        ("2.0.1", "ocpp201/OCPP-2.0.1_edition3_part6-testcases.md", r"TC_[A-Z]_\d+_CS\b"),
        ("1.6", "ocpp16/octt-1.6-test-case-document-2024-04.txt", r"TC_\d+(?:_\d+)?_CSMS"),
        ("1.6", "ocpp16/octt-1.6-test-case-document-2024-04.txt", r"TC_\d+(?:_\d+)?_CS\b"),
    ],
)
def test_every_id_the_documents_mention_is_a_case_of_the_catalogue(version, document, pattern):
    mentioned = set(re.findall(pattern, (SPEC / document).read_text("utf-8")))
    # Mentioned in a note of TC_N_24_CSMS ("identical to TC_N_21_CSMS"), never defined.
    missing = mentioned - set(by_id(version)) - {"TC_N_21_CSMS"}
    assert not missing


def test_every_case_has_a_name_and_a_scenario_unless_the_document_lost_it():
    without_steps = set()
    for case in catalogue.cases():
        assert case.name, case.id
        assert case.block and case.block_name, case.id
        assert all(s.side in ("station", "csms", "both", "manual") and s.text for s in case.steps)
        if not case.steps:
            assert "document_defect" in case.extra, case.id
            without_steps.add(case.id)
    # Two 2.0.1 charging station tables lost their Main rows converting the PDF.
    assert without_steps == {"TC_C_50_CS", "TC_N_01_CS"}


def test_each_case_lists_the_manual_actions_of_its_steps_and_of_the_states_it_runs():
    for case in catalogue.cases():
        actions = case.extra.get("manual_actions", [])
        own = [s.text for s in case.steps if s.side == "manual"]
        assert actions[: len(set(own))] == list(dict.fromkeys(own)), case.id
        states = catalogue.reusable_states(case.version, case.sut)
        for name in case.reusable_states:
            for step in states[name].steps if name in states else ():
                if step.side == "manual":
                    assert step.text in actions, (case.id, name)


@needs_spec
def test_every_csms_case_part_5_selects_belongs_to_that_profile():
    part5 = (SPEC / "ocpp201/OCPP-2.0.1_edition3_part5_certification_profiles.md").read_text()
    cases = by_id("2.0.1")
    checked = 0
    for section in re.split(r"\n(?:# )?4\.\d+\. Test Cases ", part5)[1:]:
        profile = section.split("\n", 1)[0].strip().rstrip(".")
        rows = re.findall(r"<tr><td>(TC_\w+)</td><td>([^<]*)</td><td>[^<]*</td><td>([MC])", section)
        for raw_id, title, _ in rows:
            case_id = re.sub(r"^TC_0_", "TC_O_", raw_id) + "_CSMS"
            if raw_id == "TC_N_21":
                continue  # part 6 has no TC_N_21_CSMS
            tariff = case_id.replace("TC_L_", "TC_I_")
            if tariff in cases and title.lower() in cases[tariff].name.lower():
                case_id = tariff  # "TC_L_01" titled as a Tariff and Cost case: TC_I_01

            assert profile in cases[case_id].profiles, (raw_id, title, profile)
            checked += 1
    assert checked > 200


def test_certification_profiles_name_the_profiles_the_cases_belong_to():
    assert catalogue.certification_profiles("2.0.1") == (
        "Core",
        "Advanced Security",
        "Local Authorization List Management",
        "Smart Charging",
        "Advanced Device Management",
        "Reservation",
        "Advanced User Interface",
        "ISO 15118 Support",
    )
    assert catalogue.certification_profiles("1.6") == (
        "Core",
        "Firmware Management",
        "Local Auth List Management",
        "Reservation",
        "Smart Charging",
        "Remote Trigger",
        "Security",
    )
    for version in catalogue.VERSIONS:
        names = set(catalogue.certification_profiles(version))
        for case in catalogue.cases(version=version):
            assert set(case.profiles) <= names, case.id
    core = catalogue.cases(version="2.0.1", sut="csms", profiles=("core",))
    assert "TC_B_01_CSMS" in {c.id for c in core}
    assert all(c.version == "2.0.1" and c.sut == "csms" for c in core)


def test_tc_b_01_csms_is_the_accepted_cold_boot_that_runs_reusable_state_booted():
    case = catalogue.case("TC_B_01_CSMS")
    assert case.name == "Cold Boot Charging Station - Accepted"
    assert (case.version, case.sut, case.block, case.block_name) == (
        "2.0.1",
        "csms",
        "B",
        "Provisioning",
    )
    assert case.use_cases == ("B01",)
    assert case.requirements == ("B01.FR.02",)
    assert case.reusable_states == ("Booted",)
    assert case.steps == (CaseStep(1, "both", "Execute Reusable State Booted"),)
    assert "Core" in case.profiles
    assert case.extra["certification"][0] == {"profile": "Core", "level": "M"}


def test_tc_b_02_csms_expects_pending_then_accepted_from_the_csms():
    case = catalogue.case("TC_B_02_CSMS")
    assert case.name == "Cold Boot Charging Station - Pending"
    assert case.requirements == ("B02.FR.01", "B02.FR.06")
    assert case.prerequisites.startswith("The CSMS is configured to first respond")
    numbered = [(s.number, s.side) for s in case.steps if s.number is not None]
    sides = ["station", "csms"] * 3
    assert numbered == list(zip(range(1, 7), sides, strict=True))
    assert case.extra["step_validations"]["2"].endswith("status Pending")
    # Part 5: Conditional for a CSMS, on the optional feature C-44.
    assert case.extra["certification"][0]["level"] == "C"
    assert "C-44" in case.extra["certification"][0]["features"]


def test_a_manual_action_of_2_0_1_is_a_manual_step_before_the_message_it_causes():
    case = catalogue.case("TC_B_20_CSMS")
    assert case.steps[0] == CaseStep(
        None, "manual", "Request the CSMS to reboot the Charging Station with type OnIdle"
    )
    assert case.steps[1] == CaseStep(1, "csms", "The CSMS sends a ResetRequest")
    assert case.extra["manual_actions"] == [case.steps[0].text]
    assert case.extra["csms_initiated_steps"] == [1]
    get = catalogue.case("TC_B_06_CSMS")
    assert get.steps[0].number == 1 and get.steps[0].side == "manual"
    assert get.steps[0].text.startswith("Manually request CSMS to get data for")


def test_misread_ids_of_2_0_1_are_read_as_the_cases_they_are():
    assert catalogue.case("TC_O_01_CSMS").name == "Set Display Message - Success"
    assert catalogue.case("TC_O_01_CSMS").use_cases == ("O01",)
    tariff = catalogue.case("TC_I_01_CSMS")
    assert tariff.name.startswith("Show EV Driver running total cost during charging")
    assert (tariff.block, tariff.block_name) == ("I", "Tariff and Cost")
    assert tariff.profiles == ("Advanced User Interface",)  # part 5 row "TC_L_01"
    firmware = catalogue.case("TC_L_01_CSMS")
    assert firmware.name == "Secure Firmware Update - Installation successful"


def test_tc_003_csms_of_1_6_plays_a_plug_in_first_session_from_the_charge_point():
    case = catalogue.case("TC_003_CSMS")
    assert case.name == "Regular Charging Session - Plugin First"
    assert (case.version, case.sut, case.block, case.block_name) == (
        "1.6",
        "csms",
        "3.2",
        "Start Charging Session",
    )
    assert case.profiles == ("Core",)
    assert case.steps[:4] == (
        CaseStep(None, "station", "[EV driver plugs in the cable.]"),
        CaseStep(1, "station", "The Charge Point sends a StatusNotification.req"),
        CaseStep(2, "csms", "The Central System responds with a StatusNotification.conf"),
        CaseStep(None, "station", "[EV driver presents identification.]"),
    )
    assert [s.number for s in case.steps if s.number] == list(range(1, 9))
    assert case.extra["step_validations"] == {
        "1": "(Message: StatusNotification.req) status is Preparing",
        "4": "(Message: Authorize.conf) idTagInfo.status is Accepted",
        "6": "(Message: StartTransaction.conf) idTagInfo.status is Accepted",
        "7": "(Message: StatusNotification.req) status is Charging",
    }


def test_a_1_6_case_takes_its_profile_from_its_section_and_its_manual_action_from_the_text():
    case = catalogue.case("TC_073_CSMS")
    assert (case.block, case.block_name, case.profiles) == ("3.21", "Security", ("Security",))
    assert case.steps[0] == CaseStep(None, "manual", "Change the basic authentication password.")
    assert case.steps[1] == CaseStep(
        1, "csms", "The Central System sends a ChangeConfiguration.req"
    )
    local_list = catalogue.case("TC_043_1_CSMS")
    assert local_list.profiles == ("Local Auth List Management",)
    assert local_list.post_validations == (
        "Central System: The Central System is able to send a local list and is able to "
        "receive a NotSupported response."
    )
    charging = catalogue.case("TC_005_1_CSMS")
    assert charging.reusable_states == ("Charging",)


def test_reusable_states_are_kept_per_version_and_system_under_test():
    booted = catalogue.reusable_states("2.0.1")["Booted"]
    assert (booted.sut, booted.kind, booted.post_condition) == (
        "csms",
        "reusable",
        "State is Booted",
    )
    assert [(s.number, s.side) for s in booted.steps] == [
        (1, "station"),
        (2, "csms"),
        (3, "station"),
        (4, "csms"),
    ]
    started = catalogue.reusable_states("2.0.1")["EnergyTransferStarted"]
    assert started.reusable_states == ("Authorized",)
    reserved = catalogue.reusable_states("2.0.1")["Reserved"]
    assert reserved.steps[0].side == "manual"
    assert catalogue.reusable_states("2.0.1", "cs")["Booted"].sut == "cs"
    assert catalogue.reusable_states("2.0.1")["RenewChargingStationCertificate"].kind == "memory"
    charging = catalogue.reusable_states("1.6")["Charging"]
    assert charging.reusable_states == ("Authorized",)
    assert set(catalogue.reusable_states("1.6")) == {
        "Booted",
        "Authorized",
        "Charging",
        "InstalledCertificatesReceived",
    }
    with pytest.raises(ValueError, match="system under test"):
        catalogue.reusable_states("1.6", "station")


def test_every_state_a_case_runs_is_defined_for_its_side():
    for case in catalogue.cases():
        states = catalogue.reusable_states(case.version, case.sut)
        assert set(case.reusable_states) <= set(states), case.id


@pytest.mark.timeout(300)
def test_the_wheel_ships_the_catalogue(tmp_path: Path):
    """A clean install has the JSON files (package data, found by importlib.resources)."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, project / name)
    shutil.copytree(ROOT / "bench", project / "bench", ignore=shutil.ignore_patterns("__pycache__"))
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp_path / "dist"), "."],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=project,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    wheel = next((tmp_path / "dist").glob("ocpp_bench-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert {
        "bench/conformance/data/__init__.py",
        "bench/conformance/data/cases-2.0.1.json",
        "bench/conformance/data/cases-1.6.json",
    } <= names
