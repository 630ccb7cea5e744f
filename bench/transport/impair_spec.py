"""Network faults as words: ``Impairment`` and the parser of its spec strings.

One spec string is a sequence of clauses, separated by spaces or commas::

    latency 800ms jitter 200ms      every frame arrives 800 ms late, give or take 200 ms
    loss 5%                         5 % of frames vanish (each direction)
    duplicate 2%                    2 % of frames arrive twice
    reorder 10%                     10 % of frames are overtaken by the next one
    bandwidth 64kbit                the link carries at most 64 kbit/s each way
    halfopen                        TCP stays up, nothing passes, pings get no pongs
    flap 30s                        every connection drops 30 s after it opened
    tlsfail                         every TLS handshake fails
    dnsfail                         the CSMS host name stops resolving
    off                             no fault at all

A clause changes only what it names, so ``parse_impairment("loss 5%", current)``
adds loss to whatever ``current`` has; ``loss 0%`` or ``flap off`` remove one.
The parser knows nothing of links: ``bench.transport.impair`` applies the result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

__all__ = ["NO_IMPAIRMENT", "Impairment", "ImpairmentError", "JitterTooWide", "parse_impairment"]

# A jitter wider than the latency would make negative delays; cap what a typo can ask.
MAX_DELAY_S = 600.0

USAGE = (
    "latency DURATION [jitter DURATION] | jitter DURATION | loss PCT% | duplicate PCT% | "
    "reorder PCT% | bandwidth RATE | halfopen | flap DURATION|off | tlsfail | dnsfail | off"
)

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m)$")
_PERCENT = re.compile(r"^(\d+(?:\.\d+)?)%$")
_RATE = re.compile(r"^(\d+(?:\.\d+)?)(bit|kbit|mbit|bps|kbps|mbps)$")
_SCALE = {"ms": 0.001, "s": 1.0, "m": 60.0}
_RATE_SCALE = {"bit": 1, "bps": 1, "kbit": 1_000, "kbps": 1_000, "mbit": 1e6, "mbps": 1e6}


class ImpairmentError(ValueError):
    """A spec string that does not parse; the message says which clause and why."""


class JitterTooWide(ImpairmentError):
    """The jitter would be wider than the latency in force (the words themselves are fine)."""


@dataclass(frozen=True, slots=True)
class Impairment:
    """What the network does to one station's link. The default is a perfect network."""

    latency_s: float = 0.0  # added to every frame, each direction
    jitter_s: float = 0.0  # latency varies uniformly within ± this
    loss: float = 0.0  # fraction of frames dropped, 0..1
    duplicate: float = 0.0  # fraction of frames delivered twice
    reorder: float = 0.0  # fraction of frames held back until the next one passed
    bandwidth_bps: float = 0.0  # bits per second each way; 0: unlimited
    halfopen: bool = False  # TCP held, no data and no pongs
    flap_s: float = 0.0  # each connection drops this long after it opened; 0: never
    tls_fail: bool = False  # every TLS handshake fails
    dns_fail: bool = False  # the CSMS host name does not resolve

    @property
    def active(self) -> bool:
        return self != NO_IMPAIRMENT

    @property
    def shapes_frames(self) -> bool:
        """Whether frames on an open link are delayed, lost, copied or reordered."""
        return bool(
            self.latency_s
            or self.jitter_s
            or self.loss
            or self.duplicate
            or self.reorder
            or self.bandwidth_bps
        )

    def describe(self) -> str:
        """The spec string that gives this impairment ("off" for none): what a user reads."""
        parts: list[str] = []
        if self.latency_s or self.jitter_s:
            text = f"latency {_ms(self.latency_s)}"
            if self.jitter_s:
                text += f" jitter {_ms(self.jitter_s)}"
            parts.append(text)
        for name in ("loss", "duplicate", "reorder"):
            value = getattr(self, name)
            if value:
                parts.append(f"{name} {value * 100:g}%")
        if self.bandwidth_bps:
            parts.append(f"bandwidth {_rate(self.bandwidth_bps)}")
        if self.halfopen:
            parts.append("halfopen")
        if self.flap_s:
            parts.append(f"flap {self.flap_s:g}s")
        if self.tls_fail:
            parts.append("tlsfail")
        if self.dns_fail:
            parts.append("dnsfail")
        return ", ".join(parts) or "off"


NO_IMPAIRMENT = Impairment()


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:g}ms"


def _rate(bps: float) -> str:
    if bps >= 1e6 and bps % 1e6 == 0:
        return f"{bps / 1e6:g}mbit"
    if bps >= 1000 and bps % 1000 == 0:
        return f"{bps / 1000:g}kbit"
    return f"{bps:g}bit"


def _duration(word: str, clause: str) -> float:
    match = _DURATION.match(word.lower())
    if match is None:
        raise ImpairmentError(f"{clause}: expected a duration such as 800ms or 30s, got {word!r}")
    seconds = float(match.group(1)) * _SCALE[match.group(2)]
    if seconds > MAX_DELAY_S:
        raise ImpairmentError(f"{clause}: at most {MAX_DELAY_S:g}s, got {word!r}")
    return seconds


def _fraction(word: str, clause: str) -> float:
    match = _PERCENT.match(word)
    if match is None:
        raise ImpairmentError(f"{clause}: expected a percentage such as 5%, got {word!r}")
    value = float(match.group(1))
    if value > 100:
        raise ImpairmentError(f"{clause}: at most 100%, got {word!r}")
    return value / 100


def _bandwidth(word: str) -> float:
    match = _RATE.match(word.lower())
    if match is None or float(match.group(1)) <= 0:
        raise ImpairmentError(
            f"bandwidth: expected a positive rate such as 64kbit or 1mbit, got {word!r}"
        )
    return float(match.group(1)) * _RATE_SCALE[match.group(2)]


def parse_impairment(text: str, base: Impairment = NO_IMPAIRMENT) -> Impairment:
    """``base`` changed by the clauses of ``text``; raises ``ImpairmentError`` on a bad one."""
    words = [w for w in re.split(r"[\s,]+", text.strip()) if w]
    if not words:
        raise ImpairmentError(f"no fault given; expected {USAGE}")
    result = base
    i = 0
    for _ in range(len(words)):  # each pass consumes at least one word
        if i >= len(words):
            break
        word = words[i].lower()
        arg = words[i + 1] if i + 1 < len(words) else None
        if word == "off":
            result, i = NO_IMPAIRMENT, i + 1
        elif word in ("halfopen", "tlsfail", "dnsfail"):
            flag = {"halfopen": "halfopen", "tlsfail": "tls_fail", "dnsfail": "dns_fail"}[word]
            result, i = replace(result, **{flag: True}), i + 1
        elif arg is None:
            raise ImpairmentError(f"{word}: missing its value; expected {USAGE}")
        elif word == "latency":
            result, i = replace(result, latency_s=_duration(arg, word)), i + 2
        elif word == "jitter":
            result, i = replace(result, jitter_s=_duration(arg, word)), i + 2
        elif word == "loss":
            result, i = replace(result, loss=_fraction(arg, word)), i + 2
        elif word == "duplicate":
            result, i = replace(result, duplicate=_fraction(arg, word)), i + 2
        elif word == "reorder":
            result, i = replace(result, reorder=_fraction(arg, word)), i + 2
        elif word == "bandwidth":
            value = 0.0 if arg.lower() == "off" else _bandwidth(arg)
            result, i = replace(result, bandwidth_bps=value), i + 2
        elif word == "flap":
            value = 0.0 if arg.lower() == "off" else _duration(arg, word)
            if arg.lower() != "off" and value < 1.0:
                raise ImpairmentError(f"flap: at least 1s between drops, got {arg!r}")
            result, i = replace(result, flap_s=value), i + 2
        else:
            raise ImpairmentError(f"unknown fault {words[i]!r}; expected {USAGE}")
    if result.jitter_s > result.latency_s:
        raise JitterTooWide(
            f"jitter {_ms(result.jitter_s)} is wider than latency {_ms(result.latency_s)}: "
            "a frame cannot arrive before it was sent"
        )
    return result
