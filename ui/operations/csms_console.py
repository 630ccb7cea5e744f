"""What the CSMS console does: send a typed request to a station, change the tag list.

The console is the one place where the UI sends an OCPP payload it did not get
from the core (ARCHITECTURE rule 1 exception): what the user typed, checked
against the 1.6 request schema here and once more by the session before it
leaves. The outcome of a send is returned as a ``SendOutcome`` for the view
to show, CALLERROR included, because in a console a refusal is an answer.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from bench.csms.config import TagEntry
from bench.csms.registry import NotAllowed, UnknownStation
from bench.csms.server import CentralSystem
from bench.csms.tag_store import TagStore
from bench.ocpp.errors import CallError, CallTimeout, InvalidOutgoing, InvalidReply, LinkClosed
from bench.ocpp.schemas import SchemaViolation, validate
from ui.operations import OperationError

VERSION = "1.6"


class PayloadError(ValueError):
    """The text in the editor is not a valid request; the message says where."""


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """What came back: a reply payload, a CALLERROR, or why nothing came back."""

    station: str
    action: str
    kind: str  # "CALLRESULT" | "CALLERROR" | "INVALID REPLY" | "NOT SENT" | "NO REPLY"
    payload: Any = None  # the reply, or the CALLERROR's details
    code: str | None = None  # CALLERROR code
    message: str | None = None  # human explanation for everything but a CALLRESULT
    elapsed_ms: float | None = None

    @property
    def ok(self) -> bool:
        return self.kind == "CALLRESULT"


def parse_payload(action: str, text: str) -> dict[str, Any]:
    """The editor's text as a request payload, or ``PayloadError`` with the first problem."""
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PayloadError(f"JSON, line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    try:
        validate(VERSION, action, payload, response=False)
    except SchemaViolation as exc:
        raise PayloadError(f"{exc.kind.value}: {exc.message}") from None
    return payload


async def send(
    csms: CentralSystem,
    station_id: str,
    action: str,
    payload: dict[str, Any],
    *,
    force: bool = False,
    timeout: float = 30.0,
) -> SendOutcome:
    """Send ``action`` to ``station_id`` through the built-in CSMS and describe the result."""
    started = time.perf_counter()  # real latency, as the user waits for it

    def outcome(kind: str, **fields: Any) -> SendOutcome:
        elapsed = (time.perf_counter() - started) * 1000
        return SendOutcome(station_id, action, kind, elapsed_ms=elapsed, **fields)

    try:
        reply = await csms.call(station_id, action, payload, timeout, force=force)
    except CallError as exc:  # OCPP-J 1.6 §4.2.3: the station refused with a CALLERROR
        return outcome(
            "CALLERROR", payload=exc.details, code=exc.code, message=exc.description or exc.code
        )
    except InvalidReply as exc:
        return outcome("INVALID REPLY", payload=exc.payload, message=exc.reason)
    except (UnknownStation, NotAllowed, InvalidOutgoing) as exc:
        return outcome("NOT SENT", message=str(exc))
    except (CallTimeout, LinkClosed) as exc:
        return outcome("NO REPLY", message=str(exc) or type(exc).__name__)
    return outcome("CALLRESULT", payload=reply)


def apply_tags(csms: CentralSystem, store: TagStore | None, tags: dict[str, TagEntry]) -> None:
    """Make ``tags`` the running CSMS's list (the next Authorize uses it) and save it."""
    # The handlers read config.tags on every request, so a new dict takes effect at once.
    csms.config.tags = dict(tags)
    if store is not None:
        try:
            store.save(tags)
        except OSError as exc:
            raise OperationError(
                f"the tag list is in force but could not be saved to {store.path}: "
                f"{exc.strerror or exc}"
            ) from exc


def restore_tags(csms: CentralSystem, store: TagStore) -> bool:
    """Load the saved list into the running CSMS; False when none was saved yet."""
    saved = store.load()
    if saved is None:
        return False
    csms.config.tags = saved
    return True
