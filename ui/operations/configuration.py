"""Operations on a station's configuration keys (1.6 §9).

A change typed in the configuration panel goes through ``Configuration.change``,
the very path a CSMS's ChangeConfiguration.req takes (1.6 §5.3), so the panel
accepts and refuses exactly what the station would. ``change`` only returns a
status; for a refusal this module adds the reason the key's parser gives, so the
status bar can say *why*. A write-only key's value never appears in a message.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.ocpp.v16.config import Configuration, InvalidValue

MASK = "••••••••"


@dataclass(frozen=True, slots=True)
class ChangeOutcome:
    key: str
    status: (
        str  # ConfigurationStatus, 1.6 §7.17: Accepted | Rejected | RebootRequired | NotSupported
    )
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("Accepted", "RebootRequired")

    def message(self, shown_value: str) -> str:
        """One status-bar line; ``shown_value`` is the value as the user may see it."""
        if self.status == "Accepted":
            return f"{self.key} = {shown_value}: Accepted"
        if self.status == "RebootRequired":
            return f"{self.key} = {shown_value}: RebootRequired (applies after the next reboot)"
        if self.status == "NotSupported":
            return f"{self.key}: NotSupported (the station does not know this key)"
        return f"{self.key}: Rejected — {self.reason}" if self.reason else f"{self.key}: Rejected"


def write_only(config: Configuration, key: str) -> bool:
    definition = config.definitions.get(key)
    return definition is not None and definition.access == "W"


def shown(config: Configuration, key: str, text: str) -> str:
    """``text`` as it may appear on screen: masked for a write-only key."""
    return MASK if write_only(config, key) else text


def why_rejected(config: Configuration, key: str, text: str) -> str:
    """The reason ``Configuration.change`` refuses ``text`` for ``key`` (for the user)."""
    definition = config.definitions.get(key)
    if definition is None:
        return "unknown key"
    if definition.access == "R":
        return "the key is read-only"
    try:
        definition.parse(text, config)
    except InvalidValue as exc:
        reason = str(exc)
        if definition.access == "W" and text:
            reason = reason.replace(text, MASK)  # never echo a secret
        return reason
    return ""


def change_key(config: Configuration, key: str, text: str) -> ChangeOutcome:
    """Change ``key`` as a ChangeConfiguration.req would (1.6 §5.3); never raises."""
    status = config.change(key, text)
    reason = why_rejected(config, key, text) if status == "Rejected" else ""
    return ChangeOutcome(key, status, reason)
