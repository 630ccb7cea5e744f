"""OCPP 2.0.1 part 6: every test case and reusable state from its HTML tables.

A case is a table whose rows are labelled (Test case name, Test case Id, Use case
Id(s), Requirement(s), System under test, Description, Purpose, Prerequisite(s),
Before, Main, Tool validations); a reusable or memory state is a table that opens
with a "State" row. What the conversion from PDF left behind, and how it is read:

- A table broken by a page continues in a table of its own that opens with the
  "Test case name" row again and has no "Test case Id": its rows join the case
  before it. The same repeated name row may also sit inside a table; it is skipped.
- Case ids are misread in places: "TC_0_01_CSMS" (the letter O), "TC_1_01_CSMS"
  (the letter I), and a few tables whose caption and Id row disagree. Both are
  read, digits in the block position become letters, and where they still
  disagree the one whose block letter matches the section (3.10 is block I)
  wins, then the one not yet taken, then the caption. Every such repair is
  reported in ``Document.repairs``.
- Use case and requirement ids are normalised: "C09_FR_03" -> "C09.FR.03",
  "001_FR_12" (block O) -> "O01.FR.12".
- Main rows: a cell spanning both columns is a "both" step (a reusable state, a
  note); otherwise the first column is the Charging Station's, the second the
  CSMS's, with cells spanning several rows (``rowspan``) kept in their column.
  A cell without a step number continues the step above it in its column.
- The third Before row is sometimes labelled "Charging State" where the others
  say "Reusable State(s)"; it is read as the reusable state.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from bench.conformance.catalogue import Case, CaseStep, ReusableState
from bench.conformance.extraction import steps as st
from bench.conformance.extraction.tables import Cell, Table, tables

VERSION = "2.0.1"
SOURCE = "OCPP-2.0.1_edition3_part6-testcases.md"

_ID = re.compile(r"TC_([A-Z0-9])_(\d{2})_(CSMS|CS)\b")
_USE_CASE = re.compile(r"\b([A-P01])(\d{2})\b")
_REQUIREMENT = re.compile(r"\b([A-P01])(\d{2})\s*[._]\s*FR\s*[._]\s*(\d{2,3})")
_BLOCK_LIST = re.compile(r"^([A-P])\.\s+(\S.*?)\s*$", re.MULTILINE)
_SECTION = re.compile(r"^(\d+)\.\d+\.\s*([A-P])?\b")
_BEFORE_PART = re.compile(
    r"^(configuration|memory|reusable|charging)\s*states?\s*(\(s\))?\s*:?\s*", re.IGNORECASE
)
_POST = re.compile(r"^post\s*scenario\s*validations?\s*:?\s*", re.IGNORECASE)
_OWN_LINE = re.compile(r"^(notes?\s*(\(s\))?\s*:|manual|execute\b|\[)", re.IGNORECASE)
_STATION_TEXT = re.compile(r"^(the\s+)?(octt|charging station)\b", re.IGNORECASE)
_CSMS_TEXT = re.compile(r"^(the\s+)?csms\b", re.IGNORECASE)

_LABELS = (
    (re.compile(r"^testcasename$"), "name"),
    (re.compile(r"^testcaseid$"), "id"),
    (re.compile(r"^usecase[il]ds?$"), "use_cases"),  # "Use case ld(s)": a misread I
    (re.compile(r"^requirements?$"), "requirements"),
    (re.compile(r"^systemundertest$"), "sut"),
    (re.compile(r"^description$"), "description"),
    (re.compile(r"^purpose$"), "purpose"),
    (re.compile(r"^prerequisites*$"), "prerequisites"),
    (re.compile(r"^before(preparations)?$"), "before"),
    (re.compile(r"^main(a|b|part)?(test)?(scenario)?$"), "main"),
    (re.compile(r"^toolvalidations?$"), "tool"),
    (re.compile(r"^postconditions?$"), "post"),
    (re.compile(r"^state$"), "state"),
)


def _label(text: str) -> str | None:
    key = re.sub(r"[^a-z]", "", text.lower())
    if len(key) > 30:
        return None
    for pattern, label in _LABELS:
        if pattern.match(key):
            return label
    return None


@dataclass
class Document:
    """What part 6 holds: cases in document order, states, and the repairs made."""

    cases: list[Case]
    states: list[ReusableState]
    blocks: dict[str, str]
    repairs: list[str] = field(default_factory=list)


@dataclass
class _Entry:
    """One case or state being read, possibly across several tables."""

    table: Table
    kind: str  # "case" | "reusable" | "memory"
    fields: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    before: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    tool: list[str] = field(default_factory=list)
    post: list[str] = field(default_factory=list)
    steps: list[st.Step] = field(default_factory=list)
    section: str = ""
    before_part: str = "configuration"
    spans: list[int] = field(default_factory=lambda: [0, 0])  # rows a column cell still covers
    last: dict[str, st.Step | None] = field(default_factory=lambda: {"station": None, "csms": None})

    def feed(self, rows: list[list[Cell]]) -> None:
        for row in rows:
            self._row(row)

    def text(self, name: str) -> str:
        return st.clean(" ".join(self.fields.get(name, ())))

    def _row(self, cells: list[Cell]) -> None:
        if not cells:
            return
        first = st.clean(cells[0].text)
        label = _label(first)
        if label is None and len(cells) >= 3:
            # An empty cell under a label spanning rows, or an empty cell too many.
            cells = cells[1:] if not first else cells if st.clean(cells[-1].text) else cells[:-1]
        if label is None:
            self._content(cells)
            return
        content = cells[1:]
        if label in ("name", "state") and label in self.fields:
            return  # the name row repeated after a page break
        self.section = label
        if label == "main":
            self.spans = [0, 0]
            self.last = {"station": None, "csms": None}
            part = re.sub(r"\(\s*(test\s*)?scenario\s*\)", "", first, flags=re.IGNORECASE)
            if st.clean(part).lower() != "main":  # "Main A", "Main (Part 1)": say so
                st.add_step(self.steps, None, "both", st.clean(part))
        self._content(content)

    def _content(self, cells: list[Cell]) -> None:
        if not cells:
            return
        joined = st.clean(" ".join(c.text for c in cells))
        if _POST.match(joined):
            self.section = "post"
            self.post.append(_POST.sub("", joined))
            return
        if self.section == "main":
            self._main(cells)
        elif self.section == "before":
            part = _BEFORE_PART.match(joined)
            if part:
                word = part.group(1).lower()
                self.before_part = "reusable" if word == "charging" else word
                joined = joined[part.end() :]
            self.before[self.before_part].append(joined)
        elif self.section == "tool":
            self.tool.append("\n".join(c.text for c in cells))
        elif self.section == "post":
            self.post.append(joined)
        elif self.section:
            self.fields[self.section].append("\n".join(c.text for c in cells))

    def _main(self, cells: list[Cell]) -> None:
        texts = [st.clean(c.text) for c in cells]
        if [t.lower() for t in texts] == ["charging station", "csms"]:
            return  # the column headings
        covered = [i for i in (0, 1) if self.spans[i] > 0]
        if len(cells) == 1 and cells[0].colspan >= 2:
            self._tick(covered)
            if texts[0].startswith("- ") and self.steps:
                # A bullet under a step (what a reusable state's messages must hold).
                self.steps[-1][2] = f"{self.steps[-1][2]} {texts[0]}"
                return
            if re.match(r"\*\s*Step\s*\d", texts[0]):  # a tool validation that lost its label
                self.tool.append(cells[0].text)
                return
            number, text = st.numbered(texts[0])
            st.add_step(self.steps, number, st.side_of(text, "both"), text)
            self.last = {"station": None, "csms": None}
            return
        free = [i for i in (0, 1) if i not in covered]
        if len(cells) == 1 and len(free) == 2:
            free = [self._guess_column(texts[0])]
        columns = free if len(free) >= len(cells) else [0, 1]
        self._tick(covered)
        added: list[st.Step] = []
        for cell, text, column in zip(cells, texts, columns, strict=False):
            if cell.rowspan > 1:
                self.spans[column] = cell.rowspan - 1
            side = ("station", "csms")[column]
            number, rest = st.numbered(text)
            previous = self.last[side]
            if number is None and previous is not None and rest and not _OWN_LINE.match(rest):
                previous[2] = f"{previous[2]} {rest}"
                continue
            step = st.add_step(self.steps, number, st.side_of(rest, side), rest)
            if step is not None:
                added.append(step)
                self.last[side] = step
        if added:
            self.steps[len(self.steps) - len(added) :] = st.in_step_order(added)

    def _tick(self, covered: list[int]) -> None:
        for i in covered:
            self.spans[i] -= 1

    def _guess_column(self, text: str) -> int:
        """The column of a lone cell when no cell above spans into this row."""
        _, rest = st.numbered(text)
        if _CSMS_TEXT.match(rest):
            return 1
        if _STATION_TEXT.match(rest):
            return 0
        return 1 if self.last["csms"] is not None and self.last["station"] is None else 0


def read(markdown: str) -> Document:
    """Every case and state of part 6, first definition of each id kept."""
    blocks = dict(_BLOCK_LIST.findall(markdown.split("# 2.", 1)[0]))
    entries: list[_Entry] = []
    for table in tables(markdown):
        names = [_label(st.clean(row[0].text)) if row else None for row in table.rows]
        if "state" in names:
            kind = "memory" if "memory state" in table.caption.lower() else "reusable"
            entries.append(_Entry(table, kind))
        elif "id" in names:
            entries.append(_Entry(table, "case"))
        elif names[:1] == ["name"] and entries:
            pass  # a page's continuation of the entry before
        else:
            continue  # version history, not a case
        entries[-1].feed(table.rows)

    states = [_state(e) for e in entries if e.kind != "case"]
    known = {(s.sut, s.name) for s in states}
    states = [st.with_references(s, known) for s in states]
    document = Document([], states, blocks)
    taken: set[str] = set()
    for entry in (e for e in entries if e.kind == "case"):
        case_id = _case_id(entry, taken, document.repairs)
        if case_id in taken:
            document.repairs.append(
                f"{case_id}: defined again at line {entry.table.line}; kept the first"
            )
            continue
        taken.add(case_id)
        document.cases.append(_case(entry, case_id, blocks, known))
    return document


def _normal_id(raw: str) -> str | None:
    match = _ID.search(raw.replace(" ", ""))
    if match is None:
        return None
    block = {"0": "O", "1": "I"}.get(match.group(1), match.group(1))
    return f"TC_{block}_{match.group(2)}_{match.group(3)}"


def _case_id(entry: _Entry, taken: set[str], repairs: list[str]) -> str:
    row = _normal_id(entry.text("id"))
    caption = _normal_id(entry.table.caption)
    section = _SECTION.match(entry.table.heading)
    block = section.group(2) if section else None
    candidates = [c for c in (row, caption) if c]
    if not candidates:
        raise ValueError(f"part 6 line {entry.table.line}: a case table without an id")
    chosen = candidates[0]
    if row and caption and row != caption:
        fitting = [c for c in candidates if block is None or c.split("_")[1] == block]
        fresh = [c for c in fitting if c not in taken]
        chosen = fresh[-1] if fresh else (fitting or candidates)[-1]  # caption breaks ties
        repairs.append(
            f"{chosen}: Id row says {entry.text('id')!r}, caption says "
            f"{entry.table.caption!r} (line {entry.table.line}); took {chosen}"
        )
    elif chosen != entry.text("id"):
        repairs.append(f"{chosen}: Id row says {entry.text('id')!r}; read as {chosen}")
    return chosen


def _letters(match: re.Match[str]) -> str:
    return {"0": "O", "1": "I"}.get(match.group(1), match.group(1)) + match.group(2)


def _ids(text: str, pattern: re.Pattern[str]) -> tuple[str, ...]:
    found: list[str] = []
    for match in pattern.finditer(text):
        value = _letters(match) + (f".FR.{match.group(3)}" if pattern is _REQUIREMENT else "")
        if value not in found:
            found.append(value)
    return tuple(found)


def _sut(text: str, fallback: str) -> str:
    text = text.lower()
    return "csms" if "csms" in text else "cs" if "charging station" in text else fallback


def _runs_state(step: CaseStep, names: set[str]) -> bool:
    """Does the step run a state: "Execute Reusable State X", or a row naming one
    ("CertificateInstalled with certificateType CSMSRootCertificate.")?"""
    first = step.text.split(" ", 1)[0]
    return st.speaks_of_state(step.text) or (step.side == "both" and first in names)


def _case(entry: _Entry, case_id: str, blocks: dict[str, str], known: set[tuple[str, str]]) -> Case:
    sut = "csms" if case_id.endswith("_CSMS") else "cs"
    block = case_id.split("_")[1]
    steps = st.frozen(entry.steps)
    before_states = st.or_empty(" ".join(entry.before["reusable"]))
    names = {name for s, name in known if s == sut}
    state_texts = [before_states, *(s.text for s in steps if _runs_state(s, names))]
    tool = st.tidy_validations(" ".join(t for t in entry.tool if st.or_empty(t)))
    requirements_raw = entry.text("requirements")
    extra: dict[str, object] = {
        "manual_actions": st.manual_actions(steps),
        "step_validations": st.validations_by_step(tool),
        "source_line": entry.table.line,
        "csms_initiated_steps": st.csms_initiated(steps) if sut == "csms" else [],
    }
    if before_states:
        extra["reusable_state_text"] = before_states
    if not steps:
        extra["document_defect"] = "the table has no scenario rows (lost converting the PDF)"
    leftover = st.or_empty(
        re.sub(r"[,;&/]|\bAND\b|\bOR\b", " ", _REQUIREMENT.sub("", requirements_raw))
    )
    if leftover:
        extra["requirements_text"] = requirements_raw
    unknown = st.unknown_state_names(state_texts, names)
    if unknown:
        extra["undefined_states"] = unknown
    if _sut(entry.text("sut"), sut) != sut:
        extra["sut_text"] = entry.text("sut")
    return Case(
        id=case_id,
        name=entry.text("name"),
        version=VERSION,
        sut=sut,
        block=block,
        block_name=blocks.get(block, ""),
        use_cases=_ids(entry.text("use_cases"), _USE_CASE),
        requirements=_ids(requirements_raw, _REQUIREMENT),
        description=st.or_empty(entry.text("description")),
        purpose=st.or_empty(entry.text("purpose")),
        prerequisites=st.or_empty(entry.text("prerequisites")),
        configuration=st.or_empty(" ".join(entry.before["configuration"])),
        memory=st.or_empty(" ".join(entry.before["memory"])),
        reusable_states=st.state_references(state_texts, names),
        steps=steps,
        tool_validations=tool,
        post_validations=st.or_empty(" ".join(entry.post)),
        extra={k: v for k, v in extra.items() if v},
    )


def _state(entry: _Entry) -> ReusableState:
    steps = st.frozen(entry.steps)
    tool = st.tidy_validations(" ".join(t for t in entry.tool if st.or_empty(t)))
    return ReusableState(
        name=entry.text("state"),
        version=VERSION,
        sut=_sut(entry.text("sut"), "csms"),
        kind=entry.kind,
        description=st.or_empty(entry.text("description")),
        configuration=st.or_empty(" ".join(entry.before["configuration"])),
        memory=st.or_empty(" ".join(entry.before["memory"])),
        before_states=st.or_empty(" ".join(entry.before["reusable"])),
        steps=steps,
        tool_validations=tool,
        post_condition=st.or_empty(" ".join(entry.post)),
        extra={"manual_actions": st.manual_actions(steps)} if st.manual_actions(steps) else {},
    )
