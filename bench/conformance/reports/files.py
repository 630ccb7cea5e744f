"""The report folder: which files it holds, writing all four, reading the results back."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import orjson

from bench.conformance.reports.html import render_html
from bench.conformance.reports.junit import render_junit
from bench.conformance.reports.timeline import in_time_order
from bench.conformance.results import RunResult

# The keys write_report answers with, and the file each names inside the folder.
FILE_NAMES = {
    "html": "report.html",
    "junit": "junit.xml",
    "results": "results.json",
    "frames": "frames.jsonl",
}


def results_json(run: RunResult) -> str:
    """``results.json``: the run's own JSON shape, indented for a person reading it."""
    data = run.to_json()
    try:
        # Several times faster than json's indenting encoder on a run of 16,000 frames.
        return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n"
    except TypeError:
        # orjson refuses integers past 64 bits, which a hostile peer may have sent.
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def frame_lines(run: RunResult) -> Iterator[str]:
    """``frames.jsonl``: one frame a line, tagged with its case; cases in run order."""
    for case in run.cases:
        for frame in in_time_order(case.frames):
            yield json.dumps({"case": case.case_id, **frame}, ensure_ascii=False) + "\n"


def write_report(run: RunResult, folder: Path) -> dict[str, Path]:
    """Write the run's four report files into ``folder`` (made if missing).

    Every file is rendered before any is written, and each is written whole
    under a temporary name first: a run that cannot be rendered leaves the
    folder's previous report as it was instead of half of a new one.
    """
    texts = {
        "html": render_html(run),
        "junit": render_junit(run),
        "results": results_json(run),
        "frames": "".join(frame_lines(run)),
    }
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for key, text in texts.items():
        path = folder / FILE_NAMES[key]
        partial = path.with_name(path.name + ".partial")
        partial.write_text(text, encoding="utf-8", newline="\n")
        os.replace(partial, path)
        written[key] = path
    return written


def load_results(folder: Path) -> RunResult:
    """The run whose report ``folder`` holds, read from its ``results.json``."""
    text = (folder / FILE_NAMES["results"]).read_text(encoding="utf-8")
    return RunResult.from_json(json.loads(text))
