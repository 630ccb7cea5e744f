"""The 2.0.1 device-model catalogue (part 2 appendices, ``dm_components_vars.csv``).

The appendix CSV lists, per standardized component, the variables it may have with
their data type, unit and whether they are required. It is converted once into
``dm_catalogue.json`` (shipped as package data, because the spec folder is not part
of the installed bench) by ``python -m bench.ocpp.v201.dm_catalogue CSV``. The
device model reads types and units from here rather than restating them.

Generic rows (component ``<generic>``: Problem, Temperature, ...) are kept too: any
component may have those variables (part 2 appendices §1), so ``entry`` falls back to
them. A few variables part 2 defines but the CSV lacks are listed in ``SPEC_ONLY``.
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
GENERIC = "<generic>"


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
    """Rows of ``dm_components_vars.csv`` (``;``-separated, header first), generic rows too."""
    entries = []
    lines = text.splitlines()
    for line in lines[1:]:
        if not line.strip():
            continue
        # Seven fields; only the last (description) could ever hold a stray separator.
        fields = [f.strip() for f in line.split(";", 6)]
        component, variable, instance, required, data_type, unit, description = fields
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


# Variables part 2 (edition 3) defines that the appendix CSV does not list.
SPEC_ONLY = (
    CatalogueEntry(
        "LocalAuthListCtrlr",
        "SupportsExpiryDateTime",
        None,
        False,
        "boolean",
        None,
        # Part 2 §2.5.8 LocalAuthListSupportsExpiryDateTime (C13.FR.05/06, C14.FR.04/05).
        "When set to true Charging Station will disregard idTokens for authorization as if not"
        " present in the Local Authorization List when current date/time is past the value of"
        " cacheExpiryDateTime.",
    ),
)


@cache
def catalogue() -> dict[tuple[str, str, str | None], CatalogueEntry]:
    """The shipped catalogue keyed by (component, variable, instance); loaded once per process.

    Generic variables are keyed under the component ``GENERIC``.
    """
    text = (importlib.resources.files(__package__) / "dm_catalogue.json").read_text("utf-8")
    out = {}
    for entry in [*(CatalogueEntry(*row) for row in json.loads(text)), *SPEC_ONLY]:
        out[(entry.component, entry.variable, entry.instance)] = entry
    return out


def entry(component: str, variable: str, instance: str | None = None) -> CatalogueEntry:
    """The catalogue row for a variable of ``component``; a generic variable if it has none.

    Raises KeyError when neither the component nor the generic list has the variable.
    """
    table = catalogue()
    found = table.get((component, variable, instance))
    if found is None:
        found = table.get((GENERIC, variable, None))
    if found is None:
        raise KeyError((component, variable, instance))
    return found


def main(argv: list[str]) -> int:
    source = Path(argv[0])
    target = Path(__file__).with_name("dm_catalogue.json")
    target.write_text(to_json(parse_csv(source.read_text("utf-8"))), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
