"""OCPP 2.0.1 part 5: which test cases each certification profile selects.

Section 4 lists, per certification profile ("4.2. Test Cases Core" ...), one table
row per OCTT scenario: its id without the side ("TC_B_01"), its title under a
group row ("Cold Boot Charging Station" / "Accepted"), whether it is Mandatory or
Conditional for a charging station and for a CSMS, the condition and the related
optional features. A case belongs to a profile when its side's column is marked.

Ids are misread here as in part 6 ("TC_0_02" for TC_O_02), and one row names the
wrong block ("TC_L_01" titled "Show EV Driver running total cost during charging",
the Tariff and Cost case TC_I_01): where the id's case in part 6 does not carry
the row's title but a case with the same number in another block does, the
title wins. Every such repair is reported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from bench.conformance.extraction import steps as st
from bench.conformance.extraction.tables import tables

SOURCE = "OCPP-2.0.1_edition3_part5_certification_profiles.md"

_PROFILE_HEADING = re.compile(r"^4\.\d+\.\s*Test Cases\s+(.+?)\.?\s*$")
_ID = re.compile(r"^TC_([A-Z0-9])_(\d{2})$")


@dataclass(frozen=True, slots=True)
class Selection:
    """One profile's row for one case: M(andatory) or C(onditional), and why."""

    profile: str
    level: str  # "M" | "C"
    condition: str = ""
    features: str = ""  # "C-44 or NOT AQ-6"
    feature_names: str = ""


@dataclass
class Profiles:
    names: list[str]  # in the document's order
    selections: dict[str, list[Selection]]  # by full case id ("TC_B_01_CSMS")
    repairs: list[str] = field(default_factory=list)


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def read(markdown: str, names: Mapping[str, str]) -> Profiles:
    """The profiles of part 5, matched to the cases of part 6 (``names``: id -> name)."""
    out = Profiles([], {})
    for table in tables(markdown):
        heading = _PROFILE_HEADING.match(table.heading)
        if heading is None or not table.rows or len(table.rows[-1]) < 4:
            continue
        profile = st.clean(heading.group(1))
        if profile not in out.names:
            out.names.append(profile)
        for row in table.rows:
            cells = [st.clean(c.text) for c in row] + [""] * 7
            raw_id, title, cs_mark, csms_mark, condition, feature, feature_name = cells[:7]
            if raw_id.lower().startswith("octt id") or (not raw_id and not title):
                continue
            if not raw_id:
                continue  # a group row ("Cold Boot Charging Station") above its cases
            for suffix, mark in (("CS", cs_mark), ("CSMS", csms_mark)):
                level = mark[:1].upper()
                if level not in ("M", "C"):
                    continue
                case_id = _resolve(raw_id, suffix, title, names, out.repairs)
                if case_id is None:
                    out.repairs.append(
                        f"{profile}: row {raw_id} {title!r} ({suffix}) names no case of part 6"
                    )
                    continue
                selection = Selection(profile, level, condition, feature, feature_name)
                out.selections.setdefault(case_id, []).append(selection)
    return out


def _resolve(
    raw_id: str, suffix: str, title: str, names: Mapping[str, str], repairs: list[str]
) -> str | None:
    match = _ID.match(raw_id.replace(" ", ""))
    if match is None:
        return None
    block = {"0": "O", "1": "I"}.get(match.group(1), match.group(1))
    case_id = f"TC_{block}_{match.group(2)}_{suffix}"
    wanted = _key(title)
    if case_id in names and wanted in _key(names[case_id]):
        return case_id
    # The id's case does not carry the title: another block's case with this number may.
    others = [
        other
        for other, name in names.items()
        if other.endswith(f"_{match.group(2)}_{suffix}") and wanted and wanted in _key(name)
    ]
    if len(others) == 1 and others[0] != case_id:
        repairs.append(f"part 5 row {raw_id} {title!r}: read as {others[0]} (its title)")
        return others[0]
    if case_id in names:
        return case_id
    return None
