"""What a lab hands over after a conformance run: four files written into one folder.

``write_report(run, folder)`` writes
- ``report.html``: one self-contained page for a person (no network fetch),
- ``junit.xml``: one testcase per case, for a CI system,
- ``results.json``: ``RunResult.to_json()``, what ``load_results`` reads back,
- ``frames.jsonl``: every frame of the run in the ``--log`` shape, tagged with its case.
"""

from __future__ import annotations

from bench.conformance.reports.files import FILE_NAMES, load_results, write_report
from bench.conformance.reports.html import render_html
from bench.conformance.reports.junit import render_junit

__all__ = ["FILE_NAMES", "load_results", "render_html", "render_junit", "write_report"]
