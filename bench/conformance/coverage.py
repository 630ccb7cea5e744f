"""The README's coverage table: per version and block, how the CSMS cases run.

    python -m bench.conformance.coverage

prints a Markdown table (cases, auto, adapter, manual, not implemented per block)
judged against the built-in CSMS's adapter; a test keeps the README's copy equal
to it.
"""

from __future__ import annotations

from collections import Counter

from bench.conformance.adapter import load_adapter
from bench.conformance.catalogue import VERSIONS, cases
from bench.conformance.cli import builtin_adapter_path, how_it_runs

KINDS = ("auto", "adapter", "manual", "not implemented")


def coverage_table() -> str:
    adapter = load_adapter(builtin_adapter_path())
    lines = [
        "| OCPP | block | cases | auto | adapter | manual | not implemented |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for version in VERSIONS:
        by_block: dict[tuple[str, str], Counter[str]] = {}
        totals: Counter[str] = Counter()
        for case in cases(sut="csms", version=version):
            how = how_it_runs(case, adapter)
            by_block.setdefault((case.block, case.block_name), Counter())[how] += 1
            totals[how] += 1
        for (block, name), counts in by_block.items():
            label = f"{block} {name}".strip()
            cells = " | ".join(str(counts[k]) for k in KINDS)
            lines.append(f"| {version} | {label} | {sum(counts.values())} | {cells} |")
        cells = " | ".join(f"**{totals[k]}**" for k in KINDS)
        lines.append(f"| {version} | **all** | **{sum(totals.values())}** | {cells} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(coverage_table())
