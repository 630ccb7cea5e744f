"""The README's coverage tables say what the bench really runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.conformance.coverage import coverage_table

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.parametrize("sut", ["csms", "cs"])
def test_the_readme_coverage_table_is_the_one_the_catalogue_and_scenarios_give(sut: str) -> None:
    assert coverage_table(sut) in README.read_text(encoding="utf-8"), (
        f"README.md's {sut} coverage table is stale: paste "
        f"`python -m bench.conformance.coverage --sut {sut}`"
    )
