"""OCTT's OCPP 1.6 test case document: cases and reusable states from its PDF text.

Chapter 2 holds the cases for a Charge Point under test (``TC_nnn_CS``), chapter
3 those for a Central System (``TC_nnn_CSMS``); each chapter ends with its
reusable (and memory) states. A case opens with its caption ("Table 117. Test
Case Id: TC_001_CSMS") and has labelled rows: a label in the first 22 or so
characters of a line, its text after it. Scenario details, tool validations and
expected results have two columns (Charge Point | Central System), told apart by
``columns.split``. What else the conversion from PDF left behind:

- A page break repeats the "Test case name" (or "State") row, sometimes in the
  middle of a field; the repeat is skipped and the field goes on.
- Manual actions and actions of external actors are "[in square brackets]"
  (document section 1.2) or "Manual Action: ...". In the column of the system
  under test they are a person's action on it (side "manual"); in the tool's
  column they are something the simulated side does, so they keep that side.
- A step numbered "3 The Charge Point ..." (no dot) is step 3.
- Unnumbered lines (bracketed actions, notes) go before the next numbered step
  of their column; numbered steps are put in number order across the columns.

The document assigns no case to a feature or certification profile. A case's
profile is derived from its section, after OCPP 1.6's feature profiles:
"Local Authorization List" -> Local Auth List Management, "FirmwareManagement"
and "Diagnostics" -> Firmware Management (GetDiagnostics belongs to that profile
in 1.6), "Reservation", "RemoteTrigger" -> Remote Trigger, "SmartCharging" ->
Smart Charging, "Security" (the 1.6 security whitepaper) -> Security, and every
other section (Cold Boot, Start/Stop Charging Session, Cache, Meter values,
DataTransfer, "Core Profile - ...") -> Core.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from bench.conformance.catalogue import Case, CaseStep, ReusableState
from bench.conformance.extraction import steps as st
from bench.conformance.extraction.columns import split

VERSION = "1.6"
SOURCE = "octt-1.6-test-case-document-2024-04.txt"
PROFILES = (
    "Core",
    "Firmware Management",
    "Local Auth List Management",
    "Reservation",
    "Smart Charging",
    "Remote Trigger",
    "Security",
)
_SECTION_PROFILES = (
    ("localauthorizationlist", "Local Auth List Management"),
    ("firmwaremanagement", "Firmware Management"),
    ("diagnostics", "Firmware Management"),
    ("reservation", "Reservation"),
    ("remotetrigger", "Remote Trigger"),
    ("smartcharging", "Smart Charging"),
    ("security", "Security"),
)

_CHAPTER = re.compile(r"^(\d)\.\s+System Under Test \(SUT\) (\S.*?)\s*$")
_SECTION = re.compile(r"^(\d\.\d{1,2})\.\s+(\S.*?)\s*$")
_SUBSECTION = re.compile(r"^(\d\.\d{1,2}\.\d{1,2})\.\s+(\S.*?)\s*$")
_CAPTION = re.compile(
    r"^Table \d+\.\s*(Test Case Id|Reusable state|Memory state)\s*:\s*(\S+)", re.IGNORECASE
)
_ID = re.compile(r"TC_\d{3}(?:_\d{1,2})?_(?:CSMS|CS)\b")
_LABELS = (
    ("Test case name", "name"),
    ("Test case Id", "id"),
    ("Description", "description"),
    ("Purpose", "purpose"),
    ("Prerequisite(s)", "prerequisites"),
    ("Before", "before"),
    ("Scenario Detail(s)", "scenario"),
    ("Main", "scenario"),
    ("Tool validation(s)", "tool"),
    ("Tool validations", "tool"),
    ("Expected result(s) /", "expected"),
    ("State", "state"),
    ("(Preparations)", ""),  # second lines of a label: the field goes on
    ("(Test scenario)", ""),
    ("behaviour", ""),
)
_BEFORE_PART = re.compile(r"^(Configuration|Memory|Reusable)\s*States?\s*(\(s\))?\s*:\s*", re.I)
_COLUMN_HEAD = re.compile(r"Central System \((SUT|Tool)\)")
_POST = re.compile(r"Post scenario validations?\s*:", re.IGNORECASE)
_ITEM_START = re.compile(r"^(\[|manual action|notes?\s*(\(s\))?\s*:)", re.IGNORECASE)
# A bracketed line that is a person's action (not a condition such as "[This step is
# optional.]" or an actor inside the system such as "[Certificate Authority Server ...]").
_PERSON = re.compile(
    r"^\[\s*(the\s+)?(ev driver|cpo|operator|remove|restore|disconnect|reconnect|power cycle|"
    r"set the charge point|unplug|plug)\b",
    re.IGNORECASE,
)


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def profile_of(section_name: str) -> str:
    """The 1.6 feature profile a document section's cases test (see module docstring)."""
    key = _key(section_name)
    return next((p for needle, p in _SECTION_PROFILES if needle in key), "Core")


@dataclass
class Document:
    cases: list[Case]
    states: list[ReusableState]
    repairs: list[str] = field(default_factory=list)


@dataclass
class _Entry:
    kind: str  # "case" | "reusable" | "memory"
    caption: str  # the id or state name of the caption
    chapter: str  # "2" (Charge Point under test) | "3" (Central System under test)
    section: tuple[str, str]
    subsection: str
    line: int
    lines: list[str] = field(default_factory=list)
    fields: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    column: int = 0  # where the Central System column starts

    @property
    def sut(self) -> str:
        return "cs" if self.chapter == "2" else "csms"

    def read(self) -> None:
        current = ""
        repeat = ""  # what is left of a repeated name row to skip
        for line in self.lines:
            if line[:1] not in ("", " "):
                label, rest = _label(line)
                if label is None:
                    continue  # a heading between cases ("Send Local Authorization List - Full")
                if label in ("name", "state") and self.fields.get(label):
                    repeat = _key(" ".join(self.fields[label]))[len(_key(rest)) :]
                    continue
                repeat = ""
                if label:
                    current = label
                line = " " * (len(line) - len(rest)) + rest
            elif repeat and line.strip():
                repeat = repeat[len(_key(line)) :] if repeat.startswith(_key(line)) else ""
                continue
            if current:
                self.fields[current].append(line)
        head = next((ln for ln in self.fields.get("scenario", ()) if _COLUMN_HEAD.search(ln)), "")
        found = _COLUMN_HEAD.search(head)
        self.column = found.start() if found else 78

    def text(self, name: str) -> str:
        return st.clean(" ".join(self.fields.get(name, ())))

    def columns(self, name: str) -> list[tuple[str, str, bool]]:
        """The field's lines split into (Charge Point, Central System) text, and whether
        the line runs across both columns (a left text past the right column's start)."""
        out = []
        for line in self.fields.get(name, ()):
            left, right = split(line, self.column)
            out.append((left, right, bool(left) and not right and len(line.rstrip()) > self.column))
        return out

    def before(self) -> dict[str, str]:
        parts: dict[str, list[str]] = defaultdict(list)
        part = "configuration"
        for line in self.fields.get("before", ()):
            text = line.strip()
            match = _BEFORE_PART.match(text)
            if match:
                part = match.group(1).lower()
                text = text[match.end() :]
            parts[part].append(text)
        return {k: st.or_empty(" ".join(v)) for k, v in parts.items()}


def _label(line: str) -> tuple[str | None, str]:
    """The field a first-column label names ("" for a label's second line), and the rest."""
    for text, name in _LABELS:
        if line.startswith(text) and (len(line) == len(text) or line[len(text)] == " "):
            return name, line[len(text) :].lstrip()
    return None, line


def read(text: str) -> Document:
    """Every case and state of the document, in document order."""
    entries = _entries(text.splitlines())
    for entry in entries:
        entry.read()
    states = [_state(e) for e in entries if e.kind != "case"]
    known = {(s.sut, s.name) for s in states}
    document = Document([], [st.with_references(s, known) for s in states])
    taken: set[str] = set()
    for entry in (e for e in entries if e.kind == "case"):
        case = _case(entry, known, document.repairs)
        if case.id in taken:
            document.repairs.append(
                f"{case.id}: defined again at line {entry.line}; kept the first"
            )
            continue
        taken.add(case.id)
        document.cases.append(case)
    return document


def _entries(lines: list[str]) -> list[_Entry]:
    entries: list[_Entry] = []
    chapter = ""
    section = ("", "")
    subsection = ""
    heading_open = False  # a subsection title may wrap onto the next line
    current: _Entry | None = None
    for number, line in enumerate(lines, 1):
        if (match := _CHAPTER.match(line)) and "..." not in line and ". ." not in line:
            chapter, current = match.group(1), None
        elif not chapter:
            continue  # the table of contents and introduction
        elif match := _SUBSECTION.match(line):
            subsection, current, heading_open = f"{match.group(1)} {match.group(2)}", None, True
        elif match := _SECTION.match(line):
            section, current, heading_open = (match.group(1), match.group(2)), None, False
        elif match := _CAPTION.match(line):
            kind = match.group(1).lower().split()[0]
            kind = {"test": "case"}.get(kind, kind)
            current = _Entry(kind, match.group(2), chapter, section, subsection, number)
            entries.append(current)
            heading_open = False
        elif current is not None:
            current.lines.append(line)
        elif heading_open and line.strip() and not line.startswith(" "):
            subsection = f"{subsection} {line.strip()}"
        else:
            heading_open = False
    return entries


def _items(rows: list[tuple[str, str, bool]], sut: str) -> list[st.Step]:
    """The steps of a two-column scenario, in order (see module docstring)."""
    tool_side = "csms" if sut == "cs" else "station"
    placed: list[tuple[int, int, st.Step]] = []  # (row, column, step); column 2: both columns
    for column, side in ((0, "station"), (1, "csms")):
        item: st.Step | None = None
        bracket = False
        for row, (left, right, wide) in enumerate(rows):
            text = (left, right)[column]
            if not text:
                continue
            number, rest = st.numbered(text)
            if item is not None and (bracket or (number is None and not _ITEM_START.match(text))):
                item[2] = f"{item[2]} {text}"
                bracket = bracket and "]" not in text
                continue
            kind = st.side_of(rest, side)
            if number is None and _PERSON.match(text) and side != tool_side:
                kind = "manual"
            item = [number, kind, rest]
            bracket = text.startswith("[") and "]" not in text
            across = number is None and (kind == "manual" or (wide and column == 0))
            placed.append((row, 2 if across else column, item))
    return _ordered(placed)


def _ordered(placed: list[tuple[int, int, st.Step]]) -> list[st.Step]:
    """Numbered steps in number order; an unnumbered line just before the numbered step
    that follows it in its column (in either column for a line across both)."""
    placed.sort(key=lambda p: (p[0], p[1]))
    numbers = [p[2][0] for p in placed if p[2][0] is not None]
    if len(numbers) != len(set(numbers)):  # numbering restarts or repeats: keep the layout
        return [p[2] for p in placed]
    keyed: list[tuple[float, int, st.Step]] = []
    for index, (row, column, item) in enumerate(placed):
        if item[0] is not None:
            keyed.append((float(item[0]), index, item))
            continue
        later = [
            p[2][0]
            for p in placed[index + 1 :]
            if p[2][0] is not None and (column == 2 or p[1] == column) and p[0] >= row
        ]
        earlier = [p[2][0] for p in placed[:index] if p[2][0] is not None]
        anchor = min(later) - 0.5 if later else max(earlier, default=0) + 0.25
        keyed.append((anchor, index, item))
    keyed.sort(key=lambda k: (k[0], k[1]))
    return [item for _, _, item in keyed]


def _validations(entry: _Entry) -> tuple[str, str]:
    """Tool validations in step order, and any post scenario validations among them."""
    rows = entry.columns("tool")
    left = "\n".join(r[0] for r in rows)
    right = "\n".join(r[1] for r in rows)
    post = ""
    for found in (_POST.search(left), _POST.search(right)):
        if found is not None:
            text = left if found.string is left else right
            post = f"{post} {text[found.end() :]}"
    left, right = st.or_empty(_POST.split(left)[0]), st.or_empty(_POST.split(right)[0])
    by_step: dict[str, str] = {}
    for text in (left, right):
        for key, value in st.validations_by_step(text).items():
            by_step[key] = f"{by_step[key]} {value}" if key in by_step else value
    order = sorted(by_step, key=lambda k: (k != "", int(k) if k.isdigit() else 0))
    lines = [by_step[k] if k == "" else f"* Step {k}: {by_step[k]}" for k in order]
    text = "\n".join(lines)
    return (text if st.or_empty(text) else ""), st.or_empty(post)


def _expected(entry: _Entry) -> str:
    rows = entry.columns("expected")
    parts = []
    for who, lines in (
        ("Charge Point", [r[0] for r in rows]),
        ("Central System", [r[1] for r in rows]),
    ):
        text = st.or_empty(" ".join(lines))
        if text:
            parts.append(f"{who}: {text}")
    return "\n".join(parts)


def _steps(entry: _Entry) -> tuple[CaseStep, ...]:
    rows = [
        r
        for r in entry.columns("scenario")
        if not (r[0].startswith("Charge Point (") or _COLUMN_HEAD.match(r[1]))
    ]
    return st.frozen(_items(rows, entry.sut))


def _case(entry: _Entry, known: set[tuple[str, str]], repairs: list[str]) -> Case:
    written = _ID.search(entry.text("id"))
    case_id = written.group(0) if written else entry.caption
    if written is None or case_id != entry.caption:
        repairs.append(f"{case_id}: Id row {entry.text('id')!r}, caption {entry.caption!r}")
    sut = "csms" if case_id.endswith("_CSMS") else "cs"
    steps = _steps(entry)
    before = entry.before()
    names = {name for s, name in known if s == sut}
    state_texts = [before.get("reusable", "")]
    state_texts += [s.text for s in steps if st.speaks_of_state(s.text)]
    extra: dict[str, object] = {}
    bare = [s.text.lstrip("- ").strip() for s in steps]
    if steps and all(name in names for name in bare):
        # TC_004_1_CSMS: the scenario is only "- Charging", the reusable state it runs.
        steps = tuple(CaseStep(None, "both", s.text) for s in steps)
        state_texts += bare
        extra["document_note"] = "the scenario names only the reusable state it runs"
    reusable = st.state_references(state_texts, names)
    tool, post = _validations(entry)
    expected = _expected(entry)
    section_number, section_name = entry.section
    extra.update(
        manual_actions=st.manual_actions(steps),
        step_validations=st.validations_by_step(tool),
        subsection=entry.subsection,
        source_line=entry.line,
    )
    if sut == "csms":
        extra["csms_initiated_steps"] = st.csms_initiated(steps)
    unknown = st.unknown_state_names(state_texts, names)
    if unknown:
        extra["undefined_states"] = unknown
    return Case(
        id=case_id,
        name=entry.text("name"),
        version=VERSION,
        sut=sut,
        block=section_number,
        block_name=section_name,
        profiles=(profile_of(section_name),),
        description=st.or_empty(entry.text("description")),
        purpose=st.or_empty(entry.text("purpose")),
        prerequisites=st.or_empty(entry.text("prerequisites")),
        configuration=before.get("configuration", ""),
        memory=before.get("memory", ""),
        reusable_states=reusable,
        steps=steps,
        tool_validations=tool,
        post_validations="\n".join(p for p in (post, expected) if p),
        extra={k: v for k, v in extra.items() if v},
    )


def _state(entry: _Entry) -> ReusableState:
    steps = _steps(entry)
    before = entry.before()
    tool, _ = _validations(entry)
    return ReusableState(
        name=entry.text("state") or entry.caption,
        version=VERSION,
        sut=entry.sut,
        kind=entry.kind,
        description=st.or_empty(entry.text("description")),
        configuration=before.get("configuration", ""),
        memory=before.get("memory", ""),
        before_states=before.get("reusable", ""),
        steps=steps,
        tool_validations=tool,
        post_condition=st.or_empty(" ".join(r[0] for r in entry.columns("expected"))),
        extra={"manual_actions": st.manual_actions(steps)} if st.manual_actions(steps) else {},
    )
