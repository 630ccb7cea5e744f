"""The README's coverage table says what the bench really runs."""

from __future__ import annotations

from pathlib import Path

from bench.conformance.coverage import coverage_table

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_coverage_table_is_the_one_the_catalogue_and_scenarios_give() -> None:
    assert coverage_table() in README.read_text(encoding="utf-8"), (
        "README.md's coverage table is stale: paste `python -m bench.conformance.coverage`"
    )
