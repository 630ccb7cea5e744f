"""Compiled JSON-schema validators for OCPP payloads.

The schemas are the OCA ones shipped with the ``ocpp`` library. They are
compiled once per process with fastjsonschema (an order of magnitude faster
than interpreting them with jsonschema, see PERFORMANCE.md) and shared by every
station and session.
"""

from __future__ import annotations

import importlib.resources
import json
from collections.abc import Callable
from functools import cache
from typing import Any

import fastjsonschema
import jsonschema_rs

from bench.ocpp.errors import ErrorKind

Validator = Callable[[Any], Any]

_PACKAGE = {"1.6": "ocpp.v16", "2.0.1": "ocpp.v201"}

# fastjsonschema names the violated keyword in ``rule``; map it to the OCPP-J kind.
_RULE_KIND = {
    "type": ErrorKind.TYPE_CONSTRAINT_VIOLATION,
    "maxLength": ErrorKind.TYPE_CONSTRAINT_VIOLATION,  # CiStringNType is a data type
    "minLength": ErrorKind.TYPE_CONSTRAINT_VIOLATION,
    "format": ErrorKind.TYPE_CONSTRAINT_VIOLATION,  # dateTime / anyURI
    "enum": ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
    "minimum": ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
    "maximum": ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
    "exclusiveMinimum": ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
    "exclusiveMaximum": ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
    "multipleOf": ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
    "pattern": ErrorKind.PROPERTY_CONSTRAINT_VIOLATION,
    "required": ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION,
    "minItems": ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION,
    "maxItems": ErrorKind.OCCURRENCE_CONSTRAINT_VIOLATION,
    "additionalProperties": ErrorKind.FORMAT_VIOLATION,
}


class SchemaViolation(Exception):
    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def _schema_name(version: str, action: str, response: bool) -> str:
    if version == "1.6":
        return f"{action}Response.json" if response else f"{action}.json"
    return f"{action}Response.json" if response else f"{action}Request.json"


@cache
def _schema_texts(version: str) -> dict[str, str]:
    """Every schema file of ``version``, read once.

    Read in one go (``preload``) before a server accepts connections: reading a
    schema lazily on a station's first CALL failed once descriptors ran out
    (issue 11: 2,000 stations against a 1,024-file limit booted none).
    """
    folder = importlib.resources.files(_PACKAGE[version]) / "schemas"
    return {
        entry.name: entry.read_text(encoding="utf-8")
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    }


# Compiled at preload: fastjsonschema imports modules (an encoding among them) on its
# first compile, which needs free descriptors too. These two exercise its keywords.
_WARM_UP = {"1.6": "MeterValues.json", "2.0.1": "TransactionEventRequest.json"}


def preload(*versions: str) -> None:
    """Read every schema of ``versions`` now, so no CALL needs a file later.

    Compiling each schema stays lazy (all of them take seconds); one compile per
    version loads everything the compiler itself needs from disk.
    """
    for version in versions:
        _schema_texts(version)
        _load(version, _WARM_UP[version])


@cache
def _load(version: str, name: str) -> Validator | None:
    text = _schema_texts(version).get(name)
    if text is None:
        return None
    schema = json.loads(text)
    # The 2.0.1 schemas carry a "$id" with a urn the compiler would try to resolve.
    schema.pop("$id", None)
    return fastjsonschema.compile(schema)


@cache
def _load_fast(version: str, name: str) -> Callable[[Any], bool] | None:
    """A compiled (Rust) yes/no check of the same schema: a dozen times faster."""
    text = _schema_texts(version).get(name)
    if text is None:
        return None
    schema = json.loads(text)
    schema.pop("$id", None)
    return jsonschema_rs.validator_for(schema, validate_formats=True).is_valid


@cache
def actions(version: str) -> frozenset[str]:
    """Every action that has a request schema for ``version``."""
    suffix = ".json" if version == "1.6" else "Request.json"
    return frozenset(
        name[: -len(suffix)]
        for name in _schema_texts(version)
        if name.endswith(suffix) and not name.endswith("Response.json")
    )


def validate(version: str, action: str, payload: Any, *, response: bool) -> None:
    """Raise ``SchemaViolation`` unless ``payload`` is valid for ``action``.

    An action without a schema is unknown to this OCPP version: NotImplemented.
    """
    validator = _load(version, _schema_name(version, action, response))
    if validator is None:
        raise SchemaViolation(ErrorKind.NOT_IMPLEMENTED, f"unknown action {action!r}")
    if not isinstance(payload, dict):
        raise SchemaViolation(ErrorKind.FORMAT_VIOLATION, "payload must be a JSON object")
    try:
        validator(payload)
    except fastjsonschema.JsonSchemaValueException as exc:
        kind = _RULE_KIND.get(exc.rule or "", ErrorKind.FORMAT_VIOLATION)
        raise SchemaViolation(kind, exc.message) from None


def validate_own(version: str, action: str, payload: Any, *, response: bool) -> None:
    """``validate`` for a frame this side built (a request it sends, a reply it gives).

    Every frame a fleet sends is checked, so the common case, a valid one, goes through
    the faster compiled check; anything it does not pass goes through ``validate``,
    whose verdict and error stand (issue 15). A peer's frames always go through
    ``validate``: the CALLERROR code a malformed one gets depends on its exact rule.
    """
    if isinstance(payload, dict):
        fast = _load_fast(version, _schema_name(version, action, response))
        if fast is not None and fast(payload):
            return
    validate(version, action, payload, response=response)
