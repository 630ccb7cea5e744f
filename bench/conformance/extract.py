"""Extract OCTT's test cases from the specification documents into the shipped catalogue.

    python -m bench.conformance.extract SPEC_DIR [--out DIR]

SPEC_DIR is the folder with ``ocpp201/`` and ``ocpp16/`` (the project's
``../shared/spec``). It reads

- ``ocpp201/OCPP-2.0.1_edition3_part6-testcases.md``: the 2.0.1 cases of both
  sides and their reusable states (``extraction.part6``);
- ``ocpp201/OCPP-2.0.1_edition3_part5_certification_profiles.md``: the
  certification profiles that select each 2.0.1 case (``extraction.part5``);
- ``ocpp16/octt-1.6-test-case-document-2024-04.txt``: the 1.6 cases and states
  (``extraction.octt16``). That document assigns no case to a profile: a 1.6
  case's profile is derived from its section (``octt16.profile_of``).

and writes ``cases-2.0.1.json`` and ``cases-1.6.json`` into
``bench/conformance/data`` (or DIR): the document's version and file name, the
profile names, every case (both systems under test) with its steps, and the
reusable states by system under test. Each case's ``extra`` holds
``manual_actions`` (the texts of the manual steps it and the states it runs take,
in order), ``step_validations`` (its tool validations by step number) and, for
2.0.1, ``certification`` (per profile: Mandatory or Conditional, the condition
and the related optional features). ``repairs`` lists what was read differently
from the letter of the documents (misread ids) so a reader can check it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from bench.conformance.catalogue import Case, ReusableState
from bench.conformance.extraction import octt16, part5, part6
from bench.conformance.extraction import steps as st

DATA_DIR = Path(__file__).parent / "data"


def build(spec_dir: Path) -> dict[str, dict[str, Any]]:
    """The catalogue documents by version, as written to ``cases-<version>.json``."""
    folder201 = spec_dir / "ocpp201"
    doc201 = part6.read((folder201 / part6.SOURCE).read_text("utf-8"))
    names = {c.id: c.name for c in doc201.cases}
    profiles = part5.read((folder201 / part5.SOURCE).read_text("utf-8"), names)
    cases201 = [_with_profiles(c, profiles) for c in doc201.cases]

    doc16 = octt16.read((spec_dir / "ocpp16" / octt16.SOURCE).read_text("utf-8"))
    return {
        part6.VERSION: _document(
            part6.VERSION,
            part6.SOURCE,
            profiles.names,
            cases201,
            doc201.states,
            [*doc201.repairs, *profiles.repairs],
            profile_source=part5.SOURCE,
        ),
        octt16.VERSION: _document(
            octt16.VERSION,
            octt16.SOURCE,
            list(octt16.PROFILES),
            doc16.cases,
            doc16.states,
            doc16.repairs,
            profile_source="derived from the document's sections (extraction.octt16)",
        ),
    }


def _with_profiles(case: Case, profiles: part5.Profiles) -> Case:
    selections = profiles.selections.get(case.id, [])
    names = tuple(dict.fromkeys(s.profile for s in selections))
    certification = [{k: v for k, v in asdict(s).items() if v} for s in dict.fromkeys(selections)]
    extra = dict(case.extra, certification=certification) if certification else case.extra
    return replace(case, profiles=names, extra=extra)


def _document(
    version: str,
    source: str,
    profile_names: list[str],
    cases: list[Case],
    states: list[ReusableState],
    repairs: list[str],
    *,
    profile_source: str,
) -> dict[str, Any]:
    by_side: dict[str, dict[str, ReusableState]] = {"csms": {}, "cs": {}}
    for state in states:
        by_side[state.sut].setdefault(state.name, state)
    cases = [_with_state_actions(c, by_side[c.sut]) for c in cases]
    return {
        "version": version,
        "source": source,
        "profile_source": profile_source,
        "profiles": profile_names,
        "counts": {sut: sum(c.sut == sut for c in cases) for sut in ("csms", "cs")},
        "cases": [_json(asdict(c)) for c in cases],
        "reusable_states": {
            sut: {name: _json(_state_json(s)) for name, s in named.items()}
            for sut, named in by_side.items()
        },
        "repairs": [*repairs, *_unreadable_notes([*cases, *states])],
    }


def _unreadable_notes(entries: Iterable[Case | ReusableState]) -> list[str]:
    """Name the cases and states whose text holds characters the PDF conversion misread
    (left as found: guessing the word they stand for would put words in OCA's mouth)."""
    notes = []
    for entry in entries:
        runs = list(dict.fromkeys(st.unreadable([json.dumps(asdict(entry), ensure_ascii=False)])))
        if runs:
            name = entry.id if isinstance(entry, Case) else f"{entry.sut} state {entry.name}"
            notes.append(f"{name}: misread characters left as found: {' '.join(runs)}")
    return notes


def _with_state_actions(case: Case, states: dict[str, ReusableState]) -> Case:
    """The case with the manual actions of the reusable states it runs added to its own."""
    actions = list(case.extra.get("manual_actions", []))
    for action in _state_actions(case.reusable_states, states, set()):
        if action not in actions:
            actions.append(action)
    if not actions:
        return case
    return replace(case, extra=dict(case.extra, manual_actions=actions))


def _state_actions(
    names: Iterable[str], states: dict[str, ReusableState], seen: set[str]
) -> list[str]:
    out: list[str] = []
    for name in names:
        state = states.get(name)
        if state is None or name in seen:
            continue
        seen.add(name)
        out += _state_actions(state.reusable_states, states, seen)  # run before it
        out += [s.text for s in state.steps if s.side == "manual"]
    return out


def _state_json(state: ReusableState) -> dict[str, Any]:
    raw = asdict(state)
    del raw["name"], raw["version"]
    return raw


def _json(value: Any) -> Any:
    """Tuples as lists and empty values left out, so the files stay small and diffable."""
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items() if v not in ("", (), [], {}, None)}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


def write(documents: dict[str, dict[str, Any]], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    (out / "__init__.py").touch()  # importlib.resources finds the files as package data
    written = []
    for version, document in documents.items():
        path = out / f"cases-{version}.json"
        path.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", "utf-8")
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.conformance.extract", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("spec_dir", type=Path, help="folder with ocpp201/ and ocpp16/")
    parser.add_argument("--out", type=Path, default=DATA_DIR, help="where to write the JSON")
    args = parser.parse_args(argv)
    if not args.spec_dir.is_dir():
        parser.error(f"no such folder: {args.spec_dir}")
    documents = build(args.spec_dir)
    for path in write(documents, args.out):
        document = documents[path.stem.removeprefix("cases-")]
        counts = document["counts"]
        print(
            f"{path}: {counts['csms']} CSMS and {counts['cs']} CS cases, "
            f"{sum(map(len, document['reusable_states'].values()))} states, "
            f"{len(document['repairs'])} repairs"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
