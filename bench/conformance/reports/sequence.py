"""The geometry of a case's sequence diagram: two lifelines, one arrow per frame.

The bench's side is on the left: ``tx`` frames (sent by the bench's own
session) go left to right, ``rx`` frames come back right to left. ``svg``
draws the diagram as inline SVG markup, escaping every text it holds; it is
written here rather than in the page template because a run of 322 cases has
some 16,000 arrows, and one formatted string per arrow draws them several
times faster than a template macro.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from bench.conformance.reports.timeline import frame_time

# Past this many frames a diagram shows the first ones and says so: a browser
# lays out thousands of SVG arrows slowly, and the frame list below has them all.
MAX_ARROWS = 200

WIDTH = 760
LEFT_X = 190
RIGHT_X = 650
HEAD_H = 44  # the lifeline name boxes
TOP = HEAD_H + 26  # the first arrow
ROW = 30
LABEL_MAX = 64


@dataclass(frozen=True, slots=True)
class Arrow:
    number: int  # 1-based, as the frame list numbers the frames
    y: int
    x1: int
    x2: int
    label: str
    offset: str  # "+1.234 s" since the case's first frame
    kinds: tuple[str, ...]  # CSS classes: call, reply, callerror, invalid, malformed
    title: str  # the tooltip: time, message id, error
    anchor: str  # the id of the frame in the frame list

    @property
    def head(self) -> str:
        """The arrowhead: a small triangle pointing where the frame went."""
        back = -9 if self.x2 > self.x1 else 9
        return f"{self.x2},{self.y} {self.x2 + back},{self.y - 4} {self.x2 + back},{self.y + 4}"


@dataclass(frozen=True, slots=True)
class Diagram:
    left: str
    right: str
    arrows: tuple[Arrow, ...]
    total: int  # frames in the case; more than len(arrows) when capped
    width: int = WIDTH
    left_x: int = LEFT_X
    right_x: int = RIGHT_X
    head_h: int = HEAD_H

    @property
    def height(self) -> int:
        return TOP + ROW * max(len(self.arrows), 1)

    @property
    def capped(self) -> bool:
        return self.total > len(self.arrows)


def lifeline_names(sut_kind: str) -> tuple[str, str]:
    """(bench side, system under test) as the diagram names them."""
    if sut_kind == "cs":
        return "CSMS (bench)", "Charging station"
    return "Charging station (bench)", "CSMS"


def frame_label(frame: dict[str, Any]) -> str:
    """``BootNotification CALL``, ``Heartbeat CALLERROR NotImplemented``, ``… — invalid``."""
    kind = frame.get("type") or "?"
    action = frame.get("action")
    if kind == "MALFORMED":
        # Garbage on the wire: there may be no action to name.
        label = f"MALFORMED {action}" if action else "MALFORMED frame"
    else:
        label = f"{action or '?'} {kind}"
    if kind == "CALLERROR" and frame.get("error"):
        label += f" {frame['error']}"
    if frame.get("valid") is False:
        label += " — invalid"
    if len(label) > LABEL_MAX:
        label = label[: LABEL_MAX - 1] + "…"
    return label


def frame_kinds(frame: dict[str, Any]) -> tuple[str, ...]:
    kind = frame.get("type")
    kinds = ["call" if kind == "CALL" else "reply"]
    if kind == "CALLERROR":
        kinds.append("callerror")
    if kind == "MALFORMED":
        kinds.append("malformed")
    if frame.get("valid") is False:
        kinds.append("invalid")
    return tuple(kinds)


def frame_anchor(case_anchor: str, number: int) -> str:
    return f"{case_anchor}-f{number}"


def build(
    frames: list[dict[str, Any]], sut_kind: str, case_anchor: str, limit: int = MAX_ARROWS
) -> Diagram:
    """The diagram of ``frames`` (already in time order), capped at ``limit`` arrows."""
    left, right = lifeline_names(sut_kind)
    arrows: list[Arrow] = []
    first = frame_time(frames[0]) if frames else None
    for i, frame in enumerate(frames[:limit]):
        number = i + 1
        when = frame_time(frame)
        offset = (when - first).total_seconds() if first is not None else 0.0
        outgoing = frame.get("direction") == "tx"
        title = [frame["ts"], f"message id {frame.get('id')}"]
        if frame.get("error"):
            title.append(f"error: {frame['error']}")
        if frame.get("latency_ms") is not None:
            title.append(f"answered in {frame['latency_ms']} ms")
        arrows.append(
            Arrow(
                number=number,
                y=TOP + ROW * i,
                x1=LEFT_X if outgoing else RIGHT_X,
                x2=RIGHT_X if outgoing else LEFT_X,
                label=frame_label(frame),
                offset=f"+{offset:.3f} s",
                kinds=frame_kinds(frame),
                title=" · ".join(title),
                anchor=frame_anchor(case_anchor, number),
            )
        )
    return Diagram(left=left, right=right, arrows=tuple(arrows), total=len(frames))


def svg(d: Diagram) -> Markup:
    """The diagram as an inline ``<svg>`` element; each arrow links to its frame."""
    half = d.head_h // 2 + 4
    parts = [
        f'<svg class="seq" viewBox="0 0 {d.width} {d.height}" width="{d.width}"'
        f' height="{d.height}" role="img" aria-label="Sequence of {len(d.arrows)} frames'
        f' between {escape(d.left)} and {escape(d.right)}">',
    ]
    for x, name in ((d.left_x, d.left), (d.right_x, d.right)):
        parts.append(
            f'<rect class="lifehead" x="{x - 110}" y="4" width="220" height="{d.head_h - 10}"'
            f' rx="4"/><text class="lifename" x="{x}" y="{half}">{escape(name)}</text>'
            f'<line class="lifeline" x1="{x}" y1="{d.head_h - 6}" x2="{x}" y2="{d.height}"/>'
        )
    for a in d.arrows:
        parts.append(
            f'\n<a href="#{escape(a.anchor)}"><g class="arrow {" ".join(a.kinds)}">'
            f"<title>#{a.number} {escape(a.title)}</title>"
            f'<text class="offset" x="4" y="{a.y + 4}">{a.offset}</text>'
            f'<text class="label" x="{(a.x1 + a.x2) // 2}" y="{a.y - 6}">{escape(a.label)}</text>'
            f'<line x1="{a.x1}" y1="{a.y}" x2="{a.x2}" y2="{a.y}"/>'
            f'<polygon points="{a.head}"/></g></a>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
