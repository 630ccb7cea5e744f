"""``junit.xml``: the run as CI systems read test results (GitLab, Jenkins, …).

One ``<testsuite>`` per OCPP version and block inside one ``<testsuites>``: CI
pages group and count per suite, and a block ("B Provisioning", "E
Transactions") is how a CSMS team reads OCTT results. Each case is one
``<testcase>`` whose ``classname`` is ``ocpp<version>.<sut>.<block>`` (Jenkins
splits it at the dots into a package tree) and whose ``name`` is the case id
and name. The verdicts map onto JUnit's four states:

- fail → ``<failure>``, the failing checks in its text;
- error → ``<error>``: the bench itself failed;
- not applicable → ``<skipped>``;
- inconclusive → ``<skipped message="inconclusive: …">``. JUnit has no such
  state. The case proved neither conformance nor a fault (the SUT did not act
  in time, or a manual step could not be done), so a ``<failure>`` would claim
  a fault the run did not see and break a CI job the command itself exits 0
  for (only fail and error make it exit 1); counting it passed would hide it.
  Skipped keeps it visible, and the message prefix tells it from not applicable.

The SUT is given as ``<properties>`` of each suite (the only place the common
schemas allow them); a non-passing case carries its frames in ``<system-out>``.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from bench.conformance.reports.timeline import in_time_order
from bench.conformance.results import CaseResult, RunResult, Verdict

# XML 1.0 allows no control character but tab, newline and carriage return, and no
# lone surrogate; a malformed frame may hold any of them. ElementTree writes them
# as they are, which makes the file unreadable, so they are spelt out instead.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# The frames of one case shown in its <system-out>; the rest are in frames.jsonl.
MAX_OUTPUT_FRAMES = 200


def _xml_text(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _seconds(value: float) -> str:
    return f"{max(value, 0.0):.3f}"


def _timestamp(epoch_s: float) -> str:
    # The schemas' timestamp has no zone designator: UTC, to the second.
    return datetime.fromtimestamp(epoch_s, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _suite_name(case: CaseResult) -> str:
    return f"OCPP {case.version} {case.block_label}"


def _classname(case: CaseResult, sut_kind: str) -> str:
    block = re.sub(r"[^A-Za-z0-9_]+", "_", case.block).strip("_") or "cases"
    version = case.version.replace(".", "")
    return f"ocpp{version}.{sut_kind}.{block}"


def _frames_text(case: CaseResult) -> str:
    lines = []
    frames = in_time_order(case.frames)
    for f in frames[:MAX_OUTPUT_FRAMES]:
        verdict = "" if f.get("valid") is not False else f" INVALID({f.get('error') or ''})"
        error = f" {f['error']}" if f.get("type") == "CALLERROR" and f.get("error") else ""
        lines.append(
            f"{f['ts']} {f['direction']} {f['type']} {f.get('action') or '?'}"
            f" id={f.get('id')}{error}{verdict} {json.dumps(f.get('payload'), ensure_ascii=False)}"
        )
    if len(frames) > MAX_OUTPUT_FRAMES:
        lines.append(f"… {len(frames) - MAX_OUTPUT_FRAMES} more frames in frames.jsonl")
    return "\n".join(lines)


def _testcase(case: CaseResult, sut_kind: str) -> ET.Element:
    el = ET.Element(
        "testcase",
        {
            "classname": _classname(case, sut_kind),
            "name": _xml_text(f"{case.case_id} {case.name}".strip()),
            "time": _seconds(case.duration_s),
        },
    )
    reason = _xml_text(case.reason)
    failing = [c.describe() for c in case.checks if not c.ok]
    if case.verdict is Verdict.FAIL:
        message = reason or (failing[0] if failing else "a tool validation failed")
        child = ET.SubElement(el, "failure", {"message": message, "type": "conformance"})
        child.text = _xml_text("\n".join(failing) or message)
    elif case.verdict is Verdict.ERROR:
        message = reason or "the bench failed"
        child = ET.SubElement(el, "error", {"message": message, "type": "bench"})
        child.text = message
    elif case.verdict is Verdict.NOT_APPLICABLE:
        ET.SubElement(el, "skipped", {"message": reason or "not applicable"})
    elif case.verdict is Verdict.INCONCLUSIVE:
        message = f"inconclusive: {reason}" if reason else "inconclusive"
        ET.SubElement(el, "skipped", {"message": message})
    if case.verdict is not Verdict.PASS and case.frames:
        ET.SubElement(el, "system-out").text = _xml_text(_frames_text(case))
    return el


def _properties(run: RunResult) -> ET.Element:
    props = ET.Element("properties")
    sut = run.sut
    values = {
        "sut.kind": sut.kind,
        "sut.url": sut.url,
        "sut.ocpp": sut.ocpp,
        "sut.station_id": sut.station_id,
        "sut.vendor": sut.vendor,
        "sut.product": sut.product,
        "sut.version": sut.sut_version,
        "sut.serial": sut.serial,
        "sut.features": ",".join(sut.features),
        "sut.features_source": sut.features_source,
        "bench.version": run.bench_version,
        "profiles": ",".join(run.profiles),
        "adapter": run.adapter,
        "stopped": "true" if run.stopped else "false",
    }
    for name, value in values.items():
        if value:
            ET.SubElement(props, "property", {"name": name, "value": _xml_text(value)})
    return props


def _tally(el: ET.Element, cases: list[CaseResult], started: float) -> None:
    counts = dict.fromkeys(Verdict, 0)
    for c in cases:
        counts[c.verdict] += 1
    el.set("tests", str(len(cases)))
    el.set("failures", str(counts[Verdict.FAIL]))
    el.set("errors", str(counts[Verdict.ERROR]))
    el.set("skipped", str(counts[Verdict.NOT_APPLICABLE] + counts[Verdict.INCONCLUSIVE]))
    el.set("time", _seconds(sum(c.duration_s for c in cases)))
    el.set("timestamp", _timestamp(started))


def junit_tree(run: RunResult) -> ET.ElementTree[ET.Element]:
    suites: dict[str, list[CaseResult]] = {}
    for case in run.cases:
        suites.setdefault(_suite_name(case), []).append(case)
    root = ET.Element("testsuites", {"name": _xml_text(f"OCPP conformance of {run.sut.url}")})
    _tally(root, run.cases, run.started)
    # The run's own duration (set-up, waits between cases) rather than the cases' sum.
    root.set("time", _seconds(run.duration_s))
    for index, (name, cases) in enumerate(suites.items()):
        suite = ET.SubElement(root, "testsuite", {"name": _xml_text(name), "id": str(index)})
        _tally(suite, cases, min((c.started for c in cases if c.started), default=run.started))
        suite.set("package", _classname(cases[0], run.sut.kind).rsplit(".", 1)[0])
        suite.append(_properties(run))
        for case in cases:
            suite.append(_testcase(case, run.sut.kind))
    ET.indent(root, space="  ")
    return ET.ElementTree(root)


def render_junit(run: RunResult) -> str:
    """``junit.xml`` as text, with its XML declaration."""
    body = ET.tostring(junit_tree(run).getroot(), encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
