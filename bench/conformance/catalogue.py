"""Every OCTT test case as data: what the documents say, not how the bench runs it.

The cases come from OCTT's OCPP 1.6 test case document and part 6 of OCPP 2.0.1
(edition 3), the certification profiles from 2.0.1 part 5. They are extracted once
(``python -m bench.conformance.extract SPEC_DIR``) into JSON files shipped with the
package; a test counts them against the documents so no case goes missing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

VERSIONS = ("1.6", "2.0.1")
SUTS = ("csms", "cs")  # the system under test: a central system, or a charging station


@dataclass(frozen=True, slots=True)
class CaseStep:
    """One numbered step of a case's main scenario, with the side that takes it."""

    number: int | None  # None for an unnumbered line (a note, most manual actions)
    # "station", "csms", "both" (a reusable state, a note) or "manual": a person's action
    # on the system under test. A manual step keeps the number the document gives it
    # ("1. Manually request CSMS to ..."): the tool validations of that step then apply
    # to the message the CSMS sends because of it.
    side: str
    text: str


@dataclass(frozen=True, slots=True)
class Case:
    id: str  # "TC_B_01_CSMS", "TC_003_CSMS"
    name: str
    version: str  # "1.6" | "2.0.1"
    sut: str  # "csms" | "cs"
    block: str  # 2.0.1: the functional block letter ("B"); 1.6: the document's section ("3.4")
    block_name: str  # "Provisioning"; 1.6: "Core Profile - Remote actions Happy flow"
    use_cases: tuple[str, ...] = ()
    requirements: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()  # certification profiles that select it (2.0.1 part 5;
    # 1.6: the feature profile of its section, see bench.conformance.extraction.octt16)
    description: str = ""
    purpose: str = ""
    prerequisites: str = ""
    configuration: str = ""
    memory: str = ""
    reusable_states: tuple[str, ...] = ()
    steps: tuple[CaseStep, ...] = ()
    tool_validations: str = ""
    post_validations: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ReusableState:
    """A state a case builds on ("Booted", "EnergyTransferStarted"): steps run before or
    within a case. 2.0.1 part 6 and the 1.6 document define them per system under test;
    memory states ("CertificateInstalled") are kept here too, with ``kind`` "memory".
    """

    name: str
    version: str
    sut: str  # "csms" | "cs": the side whose cases use it
    kind: str  # "reusable" | "memory"
    description: str = ""
    configuration: str = ""
    memory: str = ""
    before_states: str = ""  # the document's text: "If State is NOT Authorized then ..."
    reusable_states: tuple[str, ...] = ()  # the states that text and the steps name
    steps: tuple[CaseStep, ...] = ()
    tool_validations: str = ""
    post_condition: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _steps_from_json(raw: list[dict[str, Any]]) -> tuple[CaseStep, ...]:
    return tuple(CaseStep(s.get("number"), s["side"], s["text"]) for s in raw)


def _case_from_json(raw: dict[str, Any]) -> Case:
    steps = _steps_from_json(raw.get("steps", []))
    tuples = ("use_cases", "requirements", "profiles", "reusable_states")
    values: dict[str, Any] = {k: tuple(raw[k]) if k in tuples else raw[k] for k in raw}
    values["steps"] = steps
    return Case(**{k: v for k, v in values.items() if v is not None})  # type: ignore[arg-type]


@cache
def _document(version: str) -> dict[str, Any]:
    if version not in VERSIONS:
        raise ValueError(f"unknown OCPP version {version!r}; use 1.6 or 2.0.1")
    name = f"cases-{version}.json"
    text = resources.files("bench.conformance.data").joinpath(name).read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


@cache
def _load(version: str) -> tuple[Case, ...]:
    return tuple(_case_from_json(c) for c in _document(version)["cases"])


def cases(
    *, sut: str | None = None, version: str | None = None, profiles: tuple[str, ...] = ()
) -> list[Case]:
    """The catalogue's cases, in document order, filtered by what is given."""
    out: list[Case] = []
    for v in VERSIONS if version is None else (version,):
        if v not in VERSIONS:
            raise ValueError(f"unknown OCPP version {v!r}; use 1.6 or 2.0.1")
        out += [c for c in _load(v) if sut is None or c.sut == sut]
    if profiles:
        wanted = {p.lower() for p in profiles}
        out = [c for c in out if wanted & {p.lower() for p in c.profiles}]
    return out


def case(case_id: str) -> Case:
    """One case by id (KeyError names it when the catalogue has no such case)."""
    for v in VERSIONS:
        for c in _load(v):
            if c.id == case_id:
                return c
    raise KeyError(f"no test case {case_id!r} in the catalogue")


@cache
def certification_profiles(version: str) -> tuple[str, ...]:
    """The certification profile names a run may select (2.0.1 part 5; 1.6: see extract)."""
    return tuple(_document(version).get("profiles", ()))


@cache
def reusable_states(version: str, sut: str = "csms") -> Mapping[str, ReusableState]:
    """The reusable and memory states of one version for one system under test, by name."""
    if sut not in SUTS:
        raise ValueError(f"unknown system under test {sut!r}; use csms or cs")
    out: dict[str, ReusableState] = {}
    for name, raw in _document(version).get("reusable_states", {}).get(sut, {}).items():
        values = dict(raw, name=name, version=version, sut=sut)
        values["steps"] = _steps_from_json(raw.get("steps", []))
        values["reusable_states"] = tuple(raw.get("reusable_states", ()))
        out[name] = ReusableState(**values)
    return MappingProxyType(out)  # cached: shared by every caller, so read-only
