"""The README's coverage tables: per version and block, how the cases run.

    python -m bench.conformance.coverage            # CSMS cases
    python -m bench.conformance.coverage --sut cs   # charging-station cases

prints a Markdown table. CSMS cases: auto, adapter, manual, not implemented, judged
against the built-in CSMS's adapter. Charging-station cases: auto (no physical
step), physical (a person does one on a real charger; the bench's own stations do
it themselves), not implemented. A test keeps the README's copies equal to them.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Callable

from bench.conformance.adapter import load_adapter
from bench.conformance.catalogue import VERSIONS, Case, cases
from bench.conformance.cli import builtin_adapter_path, how_it_runs

KINDS = {
    "csms": ("auto", "adapter", "manual", "not implemented"),
    "cs": ("auto", "physical", "not implemented"),
}


def coverage_table(sut: str = "csms") -> str:
    adapter = load_adapter(builtin_adapter_path()) if sut == "csms" else None
    how: Callable[[Case], str] = lambda case: how_it_runs(case, adapter)  # noqa: E731
    kinds = KINDS[sut]
    lines = [
        "| OCPP | block | cases | " + " | ".join(kinds) + " |",
        "|---|---|---:|" + "---:|" * len(kinds),
    ]
    for version in VERSIONS:
        by_block: dict[tuple[str, str], Counter[str]] = {}
        totals: Counter[str] = Counter()
        for case in cases(sut=sut, version=version):
            kind = how(case)
            by_block.setdefault((case.block, case.block_name), Counter())[kind] += 1
            totals[kind] += 1
        for (block, name), counts in by_block.items():
            label = f"{block} {name}".strip()
            cells = " | ".join(str(counts[k]) for k in kinds)
            lines.append(f"| {version} | {label} | {sum(counts.values())} | {cells} |")
        cells = " | ".join(f"**{totals[k]}**" for k in kinds)
        lines.append(f"| {version} | **all** | **{sum(totals.values())}** | {cells} |")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.conformance.coverage")
    parser.add_argument("--sut", choices=sorted(KINDS), default="csms")
    print(coverage_table(parser.parse_args().sut))
