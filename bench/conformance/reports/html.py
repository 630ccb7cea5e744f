"""``report.html``: the run for a person, in one self-contained page.

Jinja2 renders the page with autoescaping on, so a payload, a reason or a SUT
name holding markup shows as text. The style, the little script and the
diagrams are inline: the page fetches nothing, and reads and prints without
the script (it only opens the frame lists for printing and on a link).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import jinja2
import orjson
from markupsafe import Markup

from bench.conformance.reports import sequence, summary
from bench.conformance.reports.timeline import in_time_order, readable_duration, utc_iso
from bench.conformance.results import CaseResult, Check, RunResult, Verdict

# The CSS class and the glyph shown beside each verdict's word (never colour alone).
VERDICT_STYLE = {
    Verdict.PASS: ("pass", "✓"),
    Verdict.FAIL: ("fail", "✗"),
    Verdict.INCONCLUSIVE: ("inconclusive", "?"),
    Verdict.NOT_APPLICABLE: ("na", "–"),
    Verdict.ERROR: ("error", "!"),
}


@dataclass(frozen=True, slots=True)
class FrameView:
    """One frame's line in a case's frame list, its values read out once.

    A run holds thousands of frames: the template only reads attributes here,
    which keeps the page's rendering time small.
    """

    number: int
    anchor: str
    ts: str
    arrow: str  # "bench → SUT" or "SUT → bench", named
    type: str
    action: str
    msg_id: str
    error_code: str  # a CALLERROR's code, else ""
    invalid: str  # "" when the frame passed its schema or had none; else why it failed
    schema: str  # "schema ok", "no schema", or "" for an invalid frame
    latency: str  # "answered in 12.5 ms" for a reply, else ""
    body: Markup  # the payload as pretty JSON (or a malformed frame's raw text), escaped


@dataclass(frozen=True, slots=True)
class CaseView:
    case: CaseResult
    anchor: str
    verdict_class: str
    glyph: str
    reason: str
    failing: tuple[Check, ...]
    started: str
    duration: str
    diagram: sequence.Diagram
    svg: Markup
    frames: tuple[FrameView, ...]


def anchor_for(case_id: str, taken: set[str]) -> str:
    """An HTML id for a case: its id made safe, unique within the page."""
    base = "case-" + (re.sub(r"[^A-Za-z0-9_.-]+", "-", case_id) or "x")
    anchor, n = base, 1
    while anchor in taken:
        n += 1
        anchor = f"{base}-{n}"
    taken.add(anchor)
    return anchor


def pretty(payload: Any) -> str:
    """A payload as indented JSON; a malformed frame's raw text as it came."""
    if isinstance(payload, str):
        return payload
    try:
        return orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode()
    except TypeError:
        # orjson refuses integers past 64 bits, which a hostile peer may send.
        return json.dumps(payload, indent=2, ensure_ascii=False)


def pre_text(text: str) -> Markup:
    """Text for a ``<pre>`` element, escaped for element content only.

    Quotes need no escaping there; leaving them as they are keeps the JSON of
    thousands of frames readable in the page source and a third smaller than
    ``escape`` (which writes every quote as ``&#34;``).
    """
    return Markup(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def frame_view(f: dict[str, Any], number: int, anchor: str, names: tuple[str, str]) -> FrameView:
    bench_name, sut_name = names
    valid = f.get("valid")
    error = f.get("error") or ""
    latency = f.get("latency_ms")
    return FrameView(
        number=number,
        anchor=sequence.frame_anchor(anchor, number),
        ts=f["ts"],
        arrow=(
            f"{bench_name} → {sut_name}"
            if f.get("direction") == "tx"
            else f"{sut_name} → {bench_name}"
        ),
        type=f.get("type") or "?",
        action=f.get("action") or "",
        msg_id="(none)" if f.get("id") is None else str(f["id"]),
        error_code=error if f.get("type") == "CALLERROR" else "",
        invalid=(error or "no reason given") if valid is False else "",
        schema="" if valid is False else ("schema ok" if valid else "no schema"),
        latency=f"answered in {latency} ms" if latency is not None else "",
        body=pre_text(pretty(f.get("payload"))),
    )


def reason_of(case: CaseResult, failing: tuple[Check, ...]) -> str:
    """The case's reason, or the first failing check when the runner gave none."""
    if case.reason:
        return case.reason
    return failing[0].describe() if failing else ""


def case_view(case: CaseResult, sut_kind: str, taken: set[str]) -> CaseView:
    anchor = anchor_for(case.case_id, taken)
    frames = in_time_order(case.frames)
    failing = tuple(c for c in case.checks if not c.ok)
    css, glyph = VERDICT_STYLE[case.verdict]
    names = sequence.lifeline_names(sut_kind)
    views = tuple(frame_view(f, i + 1, anchor, names) for i, f in enumerate(frames))
    diagram = sequence.build(frames, sut_kind, anchor)
    return CaseView(
        case=case,
        anchor=anchor,
        verdict_class=css,
        glyph=glyph,
        reason=reason_of(case, failing),
        failing=failing,
        started=utc_iso(case.started) if case.started else "",
        duration=readable_duration(case.duration_s),
        diagram=diagram,
        svg=sequence.svg(diagram),
        frames=views,
    )


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("bench.conformance.reports", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,  # a misspelt name fails the render, never blanks
    )
    env.globals["VERDICT_STYLE"] = VERDICT_STYLE
    env.globals["Verdict"] = Verdict
    return env


def render_html(run: RunResult) -> str:
    """The whole report page as text."""
    taken: set[str] = set()
    cases = [case_view(c, run.sut.kind, taken) for c in run.cases]
    word, line = summary.overall(run)
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            run=run,
            sut=run.sut,
            sut_label="Charging station" if run.sut.kind == "cs" else "CSMS",
            date=utc_iso(run.started),
            duration=readable_duration(run.duration_s),
            counts=run.counts(),
            overall_word=word,
            overall_line=line,
            profiles=summary.per_profile(run),
            blocks=summary.per_block(run),
            cases=cases,
            max_arrows=sequence.MAX_ARROWS,
        )
    )
