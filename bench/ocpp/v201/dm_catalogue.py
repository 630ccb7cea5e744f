"""The 2.0.1 device-model catalogue (part 2 appendices, ``dm_components_vars.csv``).

The appendix CSV lists, per standardized component, the variables it may have with
their data type, unit and whether they are required. It is converted once into
``dm_catalogue.json`` (shipped as package data, because the spec folder is not part
of the installed bench) by ``python -m bench.ocpp.v201.dm_catalogue CSV``. The
device model reads types and units from here rather than restating them.
"""

from __future__ import annotations

import importlib.resources
import json
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

# The CSV uses two spec-only string flavours; on the wire they are plain strings.
_DATA_TYPE_ALIASES = {"passwordString": "string", "identifierString": "string"}


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    component: str
    variable: str
    instance: str | None  # None, a fixed name ("GetReport") or a placeholder ("<n>")
    required: bool
    data_type: str
    unit: str | None
    description: str


def parse_csv(text: str) -> list[CatalogueEntry]:
    """Rows of ``dm_components_vars.csv`` (``;``-separated, header first), generic rows skipped."""
    entries = []
    lines = text.splitlines()
    for line in lines[1:]:
        if not line.strip():
            continue
        # Seven fields; only the last (description) could ever hold a stray separator.
        fields = [f.strip() for f in line.split(";", 6)]
        component, variable, instance, required, data_type, unit, description = fields
        if component == "<generic>":
            continue
        entries.append(
            CatalogueEntry(
                component=component,
                variable=variable,
                instance=instance or None,
                required=required.lower() == "yes",
                data_type=_DATA_TYPE_ALIASES.get(data_type, data_type),
                # "W, kW": the first unit is the one the bench reports in.
                unit=unit.split(",")[0].strip() or None,
                description=description,
            )
        )
    return entries


def to_json(entries: list[CatalogueEntry]) -> str:
    rows = [
        [e.component, e.variable, e.instance, e.required, e.data_type, e.unit, e.description]
        for e in entries
    ]
    # One row per line keeps diffs of a regenerated catalogue readable.
    body = ",\n".join(json.dumps(row, ensure_ascii=False) for row in rows)
    return "[\n" + body + "\n]\n"


@cache
def catalogue() -> dict[tuple[str, str, str | None], CatalogueEntry]:
    """The shipped catalogue keyed by (component, variable, instance); loaded once per process."""
    text = (importlib.resources.files(__package__) / "dm_catalogue.json").read_text("utf-8")
    out = {}
    for row in json.loads(text):
        entry = CatalogueEntry(*row)
        out[(entry.component, entry.variable, entry.instance)] = entry
    return out


def main(argv: list[str]) -> int:
    source = Path(argv[0])
    target = Path(__file__).with_name("dm_catalogue.json")
    target.write_text(to_json(parse_csv(source.read_text("utf-8"))), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
