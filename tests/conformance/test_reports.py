"""The four report files of a conformance run, read as a lab engineer and a CI system read them."""

from __future__ import annotations

import json
import re
import tomllib
import xml.etree.ElementTree as ET
from fnmatch import fnmatch
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bench.conformance.reports import FILE_NAMES, load_results, render_html, write_report
from bench.conformance.reports.sequence import MAX_ARROWS
from bench.conformance.results import (
    CaseResult,
    Check,
    ManualAction,
    RunResult,
    SystemUnderTest,
    Verdict,
)
from bench.kernel.frames import FrameRecord

ROOT = Path(__file__).resolve().parents[2]
T0 = 1_750_000_000.0  # 2025-06-15T15:06:40Z
SUT_URL = "ws://127.0.0.1:9000/ocpp/csms-under-test"
HOSTILE = "<script>alert('payload')</script>"


def frame(ts, direction, type_, msg_id, action, payload, valid=True, **extra):
    return FrameRecord(
        T0 + ts, "BENCH-CS-1", direction, type_, msg_id, action, payload, valid, **extra
    ).as_json_dict()


def boot_exchange(t, status, msg_id="b1"):
    return [
        frame(
            t,
            "tx",
            "CALL",
            msg_id,
            "BootNotification",
            {
                "reason": "PowerUp",
                "chargingStation": {"model": "Bench", "vendorName": "OCPP Bench"},
            },
        ),
        frame(
            t + 0.05,
            "rx",
            "CALLRESULT",
            msg_id,
            "BootNotification",
            {"currentTime": "2025-06-15T15:06:40Z", "interval": 300, "status": status},
            latency_ms=50.0,
        ),
    ]


def sample_run() -> RunResult:
    """One case of each verdict, with a CALLERROR, an invalid frame and hostile text."""
    passed = CaseResult(
        "TC_B_01_CSMS",
        "Cold Boot Charging Station - Accepted",
        "2.0.1",
        "B",
        Verdict.PASS,
        started=T0,
        duration_s=0.4,
        checks=[Check(1, "BootNotificationResponse", "status", "Accepted", "Accepted", True)],
        frames=boot_exchange(0.0, "Accepted"),
        profiles=("Core",),
    )
    # Recorded out of order on purpose: reports put a case's frames in time order.
    fail_frames = boot_exchange(1.0, "Pending", "b2")
    fail_frames[0]["payload"]["chargingStation"]["model"] = HOSTILE
    failed = CaseResult(
        "TC_B_02_CSMS",
        "Cold Boot Charging Station - Pending",
        "2.0.1",
        "B",
        Verdict.FAIL,
        reason="step 2: BootNotificationResponse.interval: expected > 0, got 0",
        started=T0 + 1,
        duration_s=1.25,
        checks=[
            Check(2, "BootNotificationResponse", "status", "Pending", "Pending", True),
            Check(2, "BootNotificationResponse", "interval", "> 0", "0", False),
        ],
        frames=list(reversed(fail_frames)),
        profiles=("Core",),
    )
    inconclusive = CaseResult(
        "TC_F_01_CSMS",
        "Remote start transaction - Cable plugin first",
        "2.0.1",
        "F",
        Verdict.INCONCLUSIVE,
        reason="the CSMS sent no RequestStartTransactionRequest within 30 s",
        started=T0 + 3,
        duration_s=30.0,
        manual=[
            ManualAction(
                "remote_start",
                "Manually request the CSMS to start a transaction on EVSE 1",
                3,
                False,
                "operator",
                "Cannot do",
            )
        ],
        frames=boot_exchange(3.0, "Accepted", "b3"),
        profiles=("Core",),
    )
    not_applicable = CaseResult(
        "TC_H_01_CSMS",
        "Reserve an unspecified EVSE - Accepted",
        "2.0.1",
        "H",
        Verdict.NOT_APPLICABLE,
        reason="the Reservation profile was not chosen",
        profiles=("Reservation",),
    )
    error_frames = [
        *boot_exchange(40.0, "Accepted", "b5"),
        frame(41.0, "tx", "CALL", "h1", "Heartbeat", {}),
        frame(41.1, "rx", "CALLERROR", "h1", "Heartbeat", {}, None, error="NotImplemented"),
        frame(
            42.0,
            "rx",
            "CALL",
            "g1",
            "GetVariables",
            {"getVariableData": []},
            False,
            error="data.getVariableData must contain at least 1 items",
        ),
        frame(42.5, "rx", "MALFORMED", None, None, "[2,\x00 broken", False, error="not JSON"),
    ]
    errored = CaseResult(
        "TC_B_06_CSMS",
        "Get Variables - single value",
        "2.0.1",
        "B",
        Verdict.ERROR,
        reason="the bench failed: KeyError '\x00evse' in the GetVariables step",
        started=T0 + 40,
        duration_s=2.5,
        checks=[Check(1, "GetVariablesRequest", "(schema)", "valid", "invalid", False)],
        manual=[ManualAction("get_variables", "Ask for a variable", 1, True, "adapter", "exit 0")],
        frames=error_frames,
        profiles=("Core", "Advanced Device Management"),
    )
    return RunResult(
        sut=SystemUnderTest(
            "csms", SUT_URL, "2.0.1", "BENCH-CS-1", "Acme <Charging>", "Central", "4.2"
        ),
        bench_version="0.1.0",
        started=T0,
        duration_s=45.0,
        profiles=("Core",),
        adapter="adapters/acme.toml",
        cases=[passed, failed, inconclusive, not_applicable, errored],
    )


class Articles(HTMLParser):
    """Each case's <article>: its text, the words of its verdict badges, its SVG arrows."""

    def __init__(self) -> None:
        super().__init__()
        self.text: dict[str, str] = {}
        self.badges: dict[str, list[str]] = {}
        self.arrows: dict[str, list[str]] = {}
        self.current: str | None = None
        self.depth = 0
        self.badge_depth: int | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "article":
            self.current = a["id"]
            self.text[self.current] = ""
            self.badges[self.current] = []
            self.arrows[self.current] = []
            self.depth = 0
        if self.current is None:
            return
        self.depth += 1
        classes = (a.get("class") or "").split()
        if "verdict" in classes and self.badge_depth is None:
            self.badge_depth = self.depth
            self.badges[self.current].append("")
        if tag == "g" and "arrow" in classes:
            self.arrows[self.current].append(a["class"])

    def handle_endtag(self, tag):
        if self.current is None:
            return
        if self.badge_depth == self.depth:
            self.badge_depth = None
        self.depth -= 1
        if tag == "article":
            self.current = None

    def handle_data(self, data):
        if self.current is None:
            return
        self.text[self.current] += data
        if self.badge_depth is not None:
            self.badges[self.current][-1] += data


@pytest.fixture
def report(tmp_path):
    run = sample_run()
    files = write_report(run, tmp_path / "report")
    return run, files


def read_articles(html: str) -> Articles:
    parser = Articles()
    parser.feed(html)
    return parser


def test_writing_a_report_makes_the_four_files_in_the_folder(report):
    files = report[1]
    folder = files["html"].parent
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILE_NAMES.values())
    assert {k: p.name for k, p in files.items()} == FILE_NAMES
    assert all(p.stat().st_size > 0 for p in files.values())


def test_report_page_fetches_nothing_from_the_network(report):
    html = report[1]["html"].read_text("utf-8")
    assert "http://" not in html and "https://" not in html
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:[a-z]+:)?//""", html, re.I)
    assert not re.search(r"<script[^>]*\bsrc\b", html, re.I)
    assert not re.search(r"<link\b|@import|url\(", html, re.I)
    assert html.count("<script") == 1  # the inline one


def test_report_page_names_the_system_under_test_and_the_run(report):
    html = report[1]["html"].read_text("utf-8")
    for text in (SUT_URL, "BENCH-CS-1", "Acme &lt;Charging&gt;", "Central", "4.2"):
        assert text in html
    assert "OCPP Bench 0.1.0" in html
    assert "2025-06-15T15:06:40Z" in html  # the date, UTC
    assert "45.0 s" in html
    assert "adapters/acme.toml" in html


def test_report_page_shows_each_case_with_its_verdict_as_a_word(report):
    run, files = report
    pages = read_articles(files["html"].read_text("utf-8"))
    assert len(pages.text) == len(run.cases)
    for case, (anchor, text) in zip(run.cases, pages.text.items(), strict=True):
        assert case.case_id in anchor and case.case_id in text
        badge_words = [b.strip("✓✗?–! ") for b in pages.badges[anchor]]
        assert badge_words[0] == case.verdict.value
        if case.reason:
            assert case.reason in text


def test_report_page_names_the_failing_checks_field_expected_and_actual(report):
    html = report[1]["html"].read_text("utf-8")
    failing = read_articles(html).text["case-TC_B_02_CSMS"]
    assert "Failing check" in failing
    row = re.search(r'<tr class="bad">(.*?)</tr>', html, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
    assert cells == ["2", "BootNotificationResponse", "interval", "&gt; 0", "0", "✗ failed"]


def test_report_page_escapes_markup_found_in_payloads(report):
    html = report[1]["html"].read_text("utf-8")
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(" in html


def test_sequence_diagram_draws_one_arrow_per_frame_and_marks_errors(report):
    run, files = report
    pages = read_articles(files["html"].read_text("utf-8"))
    for case in run.cases:
        assert len(pages.arrows[f"case-{case.case_id}"]) == len(case.frames), case.case_id
    kinds = pages.arrows["case-TC_B_06_CSMS"]
    assert sum("callerror" in k for k in kinds) == 1
    assert sum("invalid" in k.split() for k in kinds) == 2  # the bad GetVariables, the garbage
    text = pages.text["case-TC_B_06_CSMS"]
    assert "Heartbeat CALLERROR NotImplemented" in text
    assert "GetVariables CALL — invalid" in text
    # The bench's side is the charging station when a CSMS is under test.
    assert "Charging station (bench)" in text and "CSMS" in text


def test_sequence_diagram_names_the_bench_as_csms_when_a_station_is_under_test():
    run = sample_run()
    run.sut.kind = "cs"
    html = render_html(run)
    assert "CSMS (bench)" in html and "Charging station (bench)" not in html


def test_a_long_case_draws_its_first_arrows_and_lists_every_frame():
    run = sample_run()
    many = [frame(i * 0.01, "tx", "CALL", f"m{i}", "Heartbeat", {}) for i in range(MAX_ARROWS + 50)]
    run.cases = [run.cases[0]]
    run.cases[0].frames = many
    pages = read_articles(render_html(run))
    assert len(pages.arrows["case-TC_B_01_CSMS"]) == MAX_ARROWS
    assert f"first {MAX_ARROWS} of {MAX_ARROWS + 50} frames" in pages.text["case-TC_B_01_CSMS"]
    assert f"Frames ({MAX_ARROWS + 50})" in pages.text["case-TC_B_01_CSMS"]


def test_report_page_counts_verdicts_per_profile_and_per_block(report):
    html = report[1]["html"].read_text("utf-8")
    rows = {
        re.sub(r"<[^>]+>", "", r[0]): [int(n) for n in r[1:]]
        for r in (
            re.findall(r"<td[^>]*>(.*?)</td>", tr)
            for tr in re.findall(
                r"<tr>(<td>[^<]*</td>(?:<td class=\"num[^\"]*\">\d+</td>)+)</tr>", html
            )
        )
    }
    # pass, fail, inconclusive, not applicable, error, total
    assert rows["Core"] == [1, 1, 1, 0, 1, 4]
    assert rows["Reservation"] == [0, 0, 0, 1, 0, 1]
    assert rows["Advanced Device Management"] == [0, 0, 0, 0, 1, 1]
    assert rows["OCPP 2.0.1 · B"] == [1, 1, 0, 0, 1, 3]
    assert rows["OCPP 2.0.1 · F"] == [0, 0, 1, 0, 0, 1]


def test_report_page_carries_its_own_dark_and_print_styles_and_says_when_a_run_was_stopped():
    run = sample_run()
    run.stopped = True
    html = render_html(run)
    assert "prefers-color-scheme: dark" in html
    print_rules = html[html.index("@media print") :]
    assert "details" in print_rules
    assert "The operator stopped this run" in html


def test_junit_file_has_one_testcase_per_case_in_the_states_ci_reads(report):
    run, files = report
    root = ET.parse(files["junit"]).getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == (
        "5",
        "1",
        "1",
        "2",
    )
    cases = root.findall("testsuite/testcase")
    # Grouped by block: B's three cases, then F's, then H's.
    names = [c.get("name") for c in cases]
    assert sorted(names) == sorted(f"{c.case_id} {c.name}" for c in run.cases)
    assert all(float(c.get("time")) >= 0 and c.get("classname") for c in cases)
    assert len(root.findall(".//failure")) == 1
    assert len(root.findall(".//error")) == 1
    skipped = [s.get("message") for s in root.findall(".//skipped")]
    assert sorted(skipped) == [
        "inconclusive: the CSMS sent no RequestStartTransactionRequest within 30 s",
        "the Reservation profile was not chosen",
    ]
    failure = root.find(".//failure")
    assert failure.get("message") == run.cases[1].reason
    assert "BootNotificationResponse.interval: expected > 0, got 0" in failure.text
    # XML 1.0 cannot hold a NUL: it is spelt out, so the file still parses.
    assert (
        root.find(".//error").get("message")
        == "the bench failed: KeyError '\\x00evse' in the GetVariables step"
    )


def test_junit_suites_are_per_block_with_the_sut_as_properties(report):
    root = ET.parse(report[1]["junit"]).getroot()
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["OCPP 2.0.1 B", "OCPP 2.0.1 F", "OCPP 2.0.1 H"]
    for suite in suites:
        children = [c.tag for c in suite]
        assert children[0] == "properties" and set(children[1:]) == {"testcase"}
        assert int(suite.get("tests")) == len(children) - 1
        props = {p.get("name"): p.get("value") for p in suite.find("properties")}
        assert props["sut.url"] == SUT_URL and props["sut.vendor"] == "Acme <Charging>"
        for name in ("failures", "errors", "skipped", "time", "timestamp"):
            assert suite.get(name) is not None


def test_results_json_reads_back_as_the_same_run(report):
    run, files = report
    assert RunResult.from_json(json.loads(files["results"].read_text("utf-8"))) == run
    assert load_results(files["results"].parent) == run


def test_frames_file_has_every_frame_once_tagged_with_its_case_in_time_order(report):
    run, files = report
    lines = [json.loads(line) for line in files["frames"].read_text("utf-8").splitlines()]
    assert len(lines) == sum(len(c.frames) for c in run.cases)
    order = [c.case_id for c in run.cases if c.frames]
    seen = list(dict.fromkeys(line["case"] for line in lines))
    assert seen == order
    for case_id in order:
        stamps = [line["ts"] for line in lines if line["case"] == case_id]
        assert stamps == sorted(stamps)
    first_failed = next(line for line in lines if line["case"] == "TC_B_02_CSMS")
    assert first_failed["type"] == "CALL" and first_failed["direction"] == "tx"


def test_templates_ship_with_the_package():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]
    patterns = declared["package-data"]["bench.conformance.reports"]
    folder = ROOT / "bench" / "conformance" / "reports"
    templates = [p.relative_to(folder).as_posix() for p in (folder / "templates").iterdir()]
    assert templates
    assert all(any(fnmatch(t, pat) for pat in patterns) for t in templates)


def test_cases_no_certification_profile_selects_are_counted_in_a_row_of_their_own():
    # 2.0.1 part 5 selects cases per profile; OCPP 1.6 cases belong to none.
    run = sample_run()
    run.cases.append(
        CaseResult("TC_003_CSMS", "Regular Charging Session", "1.6", "Core", Verdict.PASS)
    )
    html = render_html(run)
    row = re.search(r"<tr><td>\(no certification profile\)</td>(.*?)</tr>", html).group(1)
    assert [int(n) for n in re.findall(r">(\d+)<", row)] == [1, 0, 0, 0, 0, 1]
    assert "OCPP 1.6 · Core" in html
