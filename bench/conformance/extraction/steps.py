"""What both document readers share: clean text, the steps of a scenario, references.

A step is kept as ``[number, side, text]`` while a reader assembles it (a later
line of the document may still add to its text) and becomes a ``CaseStep`` at the
end. Sides: ``station`` (the Charging Station / Charge Point column), ``csms``
(the CSMS / Central System column), ``both`` (a row across both columns: a
reusable state, a note) and ``manual`` (an action a person takes on the system
under test: "Manual Action: ...", "Manually request CSMS ...").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from itertools import pairwise

from bench.conformance.catalogue import CaseStep, ReusableState

Step = list  # [number: int | None, side: str, text: str], mutable while being read

_SPACE = re.compile(r"\s+")
# "N/a", "n/a", "N/A", "- N/a", "-N/a", "none": the documents' ways to say "nothing".
_NOTHING = re.compile(r"^[-\s]*(n\s*/\s*a|none)\s*\.?$", re.IGNORECASE)
# A step number opens a cell or a line: "3. The OCTT ...", "3 The OCTT ...",
# "12.The CSMS" - but not a value such as "1.5 kW" or "10 seconds".
_NUMBER = re.compile(r"^(\d{1,2})(?:\s*\.\s*(?=\D)|\s+(?=(?:The|OCTT|Execute|Manual)\b))")
# A person's action on the system under test: "Manual Action: ...", "Manually request
# CSMS ...", "Instruct CSMS to ...", a note "Request the CSMS to ...", and 1.6's
# "The OCTT requests the Central System to ..." (the tool prompts its operator).
_MANUAL = re.compile(
    r"^(notes?\s*(\(s\))?\s*:\s*-?\s*)?(\[?\s*manual(ly)?\b"
    r"|(request|trigger|instruct)\s+(the\s+)?(csms|central system)\b"
    r"|the octt requests the (central system|csms) to\b)",
    re.IGNORECASE,
)
_MANUAL_LABEL = re.compile(r"^((notes?\s*(\(s\))?|manual\s+action)\s*:\s*)+(-\s*)?", re.IGNORECASE)
# "type _OnIdle", "_<Configured ...>", "the CSMS._": italic marks left by the conversion.
_ITALIC = re.compile(r"(?<!\S)_(?=[A-Za-z<])|(?<=[.>])_(?!\S)")
_SENDS = re.compile(r"\bsends?\b", re.IGNORECASE)
_UNREADABLE = re.compile(r"[\u3000-\u9fff]+")  # CJK: characters the PDF conversion misread
_VALIDATION = re.compile(r"\*\s*Steps?\s*(\d+(?:\s*(?:/|,|-|&|and)\s*\d+)*)\s*:?", re.IGNORECASE)
# A step that runs a state: "Execute Reusable State Booted", "1. State is StopAuthorized".
# ("If State is Authorized then eventType is Updated" is a condition, not a state run.)
_STATE_WORDS = re.compile(r"reusable\s*state|^\s*state is\b", re.IGNORECASE)
_STATE_NAME = re.compile(r"Reusable\s*State\s+([A-Z][A-Za-z0-9]+)")


def clean(text: str) -> str:
    """One line of plain text: whitespace runs (line breaks too) become one space."""
    return _ITALIC.sub("", _SPACE.sub(" ", text)).strip()


def or_empty(text: str) -> str:
    """The text, or "" where the document says there is nothing (N/a and its spellings)."""
    text = clean(text)
    return "" if _NOTHING.match(text) else text


def numbered(text: str) -> tuple[int | None, str]:
    """The step number a text opens with (None if it has none) and the rest."""
    match = _NUMBER.match(text)
    if match is None:
        return None, text
    return int(match.group(1)), text[match.end() :].strip()


def side_of(text: str, column: str) -> str:
    """A step's side: "manual" for a person's action on the SUT, else its column's."""
    return "manual" if _MANUAL.match(text) else column


def action_text(text: str) -> str:
    """A manual step's instruction without its "Manual Action:" or "Note(s):" label."""
    return _MANUAL_LABEL.sub("", text)


def add_step(steps: list[Step], number: int | None, side: str, text: str) -> Step | None:
    """Append a step unless it is the same step again (a cell spanning rows, a page repeat)."""
    text = clean(action_text(text) if side == "manual" else text)
    if not text:
        return None
    step: Step = [number, side, text]
    if number is not None and step in steps:
        return None
    steps.append(step)
    return step


def frozen(steps: Iterable[Step]) -> tuple[CaseStep, ...]:
    return tuple(
        CaseStep(n, side, clean(action_text(text) if side == "manual" else text))
        for n, side, text in steps
    )


def csms_initiated(steps: Iterable[CaseStep]) -> list[int]:
    """Numbers of the steps where the CSMS sends a request of its own accord (something,
    a manual action or an adapter, has to make it do so when it is the system under test)."""
    return [
        s.number
        for s in steps
        if s.number is not None and s.side in ("csms", "manual") and _SENDS.search(s.text)
    ]


def unreadable(texts: Iterable[str]) -> list[str]:
    """Runs of characters the PDF conversion misread (CJK in an English document)."""
    return [run for text in texts for run in _UNREADABLE.findall(text)]


def manual_actions(steps: Iterable[CaseStep]) -> list[str]:
    """The texts of the steps a person takes, without their number, in order, once each."""
    out: list[str] = []
    for step in steps:
        if step.side == "manual" and step.text not in out:
            out.append(step.text)
    return out


def tidy_validations(text: str) -> str:
    """Tool validations as clean lines, one per "* Step N:" block."""
    text = clean(text)
    starts = [m.start() for m in _VALIDATION.finditer(text) if m.start() > 0]
    cuts = [0, *starts, len(text)]
    return "\n".join(clean(text[a:b]) for a, b in pairwise(cuts) if text[a:b].strip())


def validations_by_step(text: str) -> dict[str, str]:
    """Tool validations split at their "* Step N:" markers, keyed by step number.

    "* Step 3/5/7:" gives the same text to 3, 5 and 7; "* Steps 3-5:" to 3, 4 and 5.
    Text before the first marker (a general remark) is kept under "".
    """
    out: dict[str, str] = {}
    marks = list(_VALIDATION.finditer(text))
    head = clean(text[: marks[0].start()] if marks else text)
    if head:
        out[""] = head
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        body = clean(text[mark.end() : end])
        for number in _step_numbers(mark.group(1)):
            out[str(number)] = f"{out[str(number)]} {body}" if str(number) in out else body
    return out


def _step_numbers(spec: str) -> list[int]:
    if "-" in spec:
        first, last = (int(x) for x in re.findall(r"\d+", spec)[:2])
        return list(range(first, last + 1)) if first <= last <= first + 20 else [first, last]
    return [int(x) for x in re.findall(r"\d+", spec)]


def state_references(texts: Iterable[str], known: Iterable[str]) -> tuple[str, ...]:
    """The known reusable states the texts name, in order of first mention.

    Only texts that speak of a state ("Reusable State X", "State is X", a "- X"
    line of a Reusable State(s) field) are read, so the word "Charging" in a step
    is not taken for the 1.6 state of that name.
    """
    names = sorted(set(known), key=len, reverse=True)
    if not names:
        return ()
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b")
    found: list[str] = []
    for text in texts:
        for match in pattern.finditer(text):
            if match.group(1) not in found:
                found.append(match.group(1))
    return tuple(found)


def speaks_of_state(text: str) -> bool:
    return bool(_STATE_WORDS.search(text))


def unknown_state_names(texts: Iterable[str], known: Iterable[str]) -> list[str]:
    """Names after "Reusable State" that no reusable state of the document defines."""
    known = set(known)
    out: list[str] = []
    for text in texts:
        for name in _STATE_NAME.findall(text):
            if name not in known and name not in out:
                out.append(name)
    return out


def with_references(state: ReusableState, known: set[tuple[str, str]]) -> ReusableState:
    """The state with the other states its Before text and steps run."""
    names = {name for sut, name in known if sut == state.sut and name != state.name}
    texts = [state.before_states, *(s.text for s in state.steps if speaks_of_state(s.text))]
    return replace(state, reusable_states=state_references(texts, names))


def in_step_order(row: list[Step]) -> list[Step]:
    """The steps of one table row in number order ("2. OCTT responds" | "1. CSMS sends").

    Only a row whose steps all carry numbers is sorted; a row with notes keeps the
    document's order.
    """
    if len(row) > 1 and all(step[0] is not None for step in row):
        return sorted(row, key=lambda step: step[0])
    return row
