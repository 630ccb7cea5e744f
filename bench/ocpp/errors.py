"""OCPP-J error codes and the exceptions that carry them.

The spelling of the 1.6 codes follows the OCPP-J 1.6 specification §4.2.3 as
amended by its errata sheet: §5.1 and §5.2 of the errata keep the misspelt
``OccurenceConstraintViolation`` and ``FormationViolation`` on the wire ("do
not fix, this is a message level change"). OCPP 2.0.1 (part 4 §4.3) uses the
corrected ``OccurrenceConstraintViolation`` and ``FormatViolation``. The
``ocpp`` library sends the 2.0.1 spellings on 1.6 links; we don't.
"""

from __future__ import annotations

from enum import Enum

# The link's own error, raised by every transport; the session's callers catch it
# beside the errors below, so it is part of this module's vocabulary too.
from bench.kernel.link_errors import LinkClosed as LinkClosed


class ErrorKind(Enum):
    """Version-neutral error kinds; ``code_for`` spells them per version."""

    NOT_IMPLEMENTED = "NotImplemented"
    NOT_SUPPORTED = "NotSupported"
    INTERNAL_ERROR = "InternalError"
    PROTOCOL_ERROR = "ProtocolError"
    SECURITY_ERROR = "SecurityError"
    FORMAT_VIOLATION = "FormatViolation"
    PROPERTY_CONSTRAINT_VIOLATION = "PropertyConstraintViolation"
    OCCURRENCE_CONSTRAINT_VIOLATION = "OccurrenceConstraintViolation"
    TYPE_CONSTRAINT_VIOLATION = "TypeConstraintViolation"
    GENERIC_ERROR = "GenericError"
    # 2.0.1 only (part 4 §4.3)
    MESSAGE_TYPE_NOT_SUPPORTED = "MessageTypeNotSupported"
    RPC_FRAMEWORK_ERROR = "RpcFrameworkError"


_V16_SPELLING = {
    ErrorKind.FORMAT_VIOLATION: "FormationViolation",
    ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION: "OccurenceConstraintViolation",
    # 1.6 has no MessageTypeNotSupported/RpcFrameworkError: ProtocolError is closest.
    ErrorKind.MESSAGE_TYPE_NOT_SUPPORTED: "ProtocolError",
    ErrorKind.RPC_FRAMEWORK_ERROR: "ProtocolError",
}


def code_for(kind: ErrorKind, version: str) -> str:
    """The error code string for ``kind`` on an OCPP ``version`` link."""
    if version == "1.6":
        return _V16_SPELLING.get(kind, kind.value)
    return kind.value


class OcppError(Exception):
    """Raised by a handler to answer a CALL with a CALLERROR."""

    def __init__(self, kind: ErrorKind, description: str = "", details: dict | None = None):
        super().__init__(description or kind.value)
        self.kind = kind
        self.description = description
        self.details = details or {}


class CallError(Exception):
    """The peer answered our CALL with a CALLERROR."""

    def __init__(self, action: str, code: str, description: str, details: dict | None = None):
        super().__init__(f"{action}: {code} {description}".strip())
        self.action = action
        self.code = code
        self.description = description
        self.details = details or {}


class CallTimeout(Exception):
    """The peer did not answer our CALL in time."""


class InvalidReply(Exception):
    """The peer's CALLRESULT did not validate against the response schema."""

    def __init__(self, action: str, reason: str, payload: object):
        super().__init__(f"{action} reply is invalid: {reason}")
        self.action = action
        self.reason = reason
        self.payload = payload


class InvalidOutgoing(Exception):
    """We were about to send a payload that fails its schema (a bench bug or a deliberate test)."""
