"""What a conformance run found: a verdict per case, the checks behind it, the frames.

The report writers (``bench.conformance.reports``), the command line and the
desktop app read these; ``to_json``/``from_json`` are the shape of ``results.json``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Verdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"  # a tool validation failed
    INCONCLUSIVE = "inconclusive"  # the SUT did not act in time, or a manual step "Cannot do"
    NOT_APPLICABLE = "not applicable"  # excluded by the profile or declared features
    ERROR = "error"  # the bench itself failed: a bug to fix, never hidden

    @property
    def bad(self) -> bool:
        """Does this verdict make the run fail (exit code 1)?"""
        return self in (Verdict.FAIL, Verdict.ERROR)


@dataclass(slots=True)
class Check:
    """One tool validation applied to one message."""

    step: int | None  # the case's step number the message belongs to
    message: str  # "BootNotificationResponse", "GetVariablesRequest"
    field: str  # "status", "getVariableData[0].variable.name", "(order)", "(time)"
    expected: str  # readable: "Accepted", "one of Pending, Rejected", "within 30 s"
    actual: str  # readable: the value found, "(absent)", "(no message)"
    ok: bool

    def describe(self) -> str:
        where = f"step {self.step}: " if self.step is not None else ""
        return f"{where}{self.message}.{self.field}: expected {self.expected}, got {self.actual}"


@dataclass(slots=True)
class ManualAction:
    """A step the operator (or an adapter) carried out on the system under test."""

    key: str  # the catalogue-wide name of the action: "reset_station"
    instruction: str  # what a person is asked to do
    step: int | None
    done: bool
    by: str  # "adapter", "operator", "automatic"
    detail: str = ""  # the adapter's command and its outcome, or the operator's answer


@dataclass(slots=True)
class CaseResult:
    case_id: str
    name: str
    version: str
    block: str
    verdict: Verdict
    reason: str = ""  # the failing check, the timeout, the error; "" for a pass
    started: float = 0.0  # epoch seconds
    duration_s: float = 0.0
    checks: list[Check] = field(default_factory=list)
    manual: list[ManualAction] = field(default_factory=list)
    frames: list[dict[str, Any]] = field(default_factory=list)  # FrameRecord.as_json_dict()
    profiles: tuple[str, ...] = ()
    block_name: str = ""  # "Provisioning", "Core Profile"

    @property
    def block_label(self) -> str:
        """ "B Provisioning": the block and its name, as reports show it."""
        return f"{self.block} {self.block_name}".strip()

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["verdict"] = self.verdict.value
        out["profiles"] = list(self.profiles)
        return out

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> CaseResult:
        values = dict(raw)
        values["verdict"] = Verdict(raw["verdict"])
        values["checks"] = [Check(**c) for c in raw.get("checks", ())]
        values["manual"] = [ManualAction(**m) for m in raw.get("manual", ())]
        values["profiles"] = tuple(raw.get("profiles", ()))
        return cls(**values)


@dataclass(slots=True)
class SystemUnderTest:
    kind: str  # "csms" | "cs"
    url: str  # the CSMS's URL, or where the bench listened for the station
    ocpp: str  # "1.6" | "2.0.1"
    station_id: str = ""
    vendor: str = ""
    product: str = ""
    sut_version: str = ""
    serial: str = ""  # a charging station's serial number, from its BootNotification
    # A charging station's optional features, and where they came from ("declared"
    # by the operator, "read from the station" by the bench).
    features: tuple[str, ...] = ()
    features_source: str = ""


@dataclass(slots=True)
class RunResult:
    sut: SystemUnderTest
    bench_version: str
    started: float  # epoch seconds
    duration_s: float = 0.0
    profiles: tuple[str, ...] = ()
    adapter: str = ""  # the adapter file used, if any
    stopped: bool = False  # the operator stopped the run; what finished is kept
    cases: list[CaseResult] = field(default_factory=list)

    def counts(self) -> dict[Verdict, int]:
        out = dict.fromkeys(Verdict, 0)
        for c in self.cases:
            out[c.verdict] += 1
        return out

    @property
    def failed(self) -> bool:
        return any(c.verdict.bad for c in self.cases)

    def to_json(self) -> dict[str, Any]:
        return {
            "sut": asdict(self.sut),
            "bench_version": self.bench_version,
            "started": self.started,
            "duration_s": self.duration_s,
            "profiles": list(self.profiles),
            "adapter": self.adapter,
            "stopped": self.stopped,
            "summary": {v.value: n for v, n in self.counts().items()},
            "cases": [c.to_json() for c in self.cases],
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> RunResult:
        return cls(
            sut=SystemUnderTest(
                **{**raw["sut"], "features": tuple(raw["sut"].get("features", ()))}
            ),
            bench_version=raw["bench_version"],
            started=raw["started"],
            duration_s=raw.get("duration_s", 0.0),
            profiles=tuple(raw.get("profiles", ())),
            adapter=raw.get("adapter", ""),
            stopped=raw.get("stopped", False),
            cases=[CaseResult.from_json(c) for c in raw.get("cases", ())],
        )
