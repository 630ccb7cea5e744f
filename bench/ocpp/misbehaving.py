"""A session that breaks one behaviour on purpose (station setting ``misbehave``).

For testing the tester: a conformance run against a station that misbehaves in one
known way must show the cases that catch it failing, with a reason that names the
broken behaviour (issue 14). Off by default; each mode touches one thing only:

- ``missing-status``: StatusNotification is never sent (the station carries on as
  if the CSMS had confirmed it);
- ``wrong-stop-reason``: a transaction ends with another reason than the real one
  (1.6 StopTransaction ``reason``, 2.0.1 TransactionEvent ``stoppedReason``);
- ``unanswered-request``: requests from the CSMS get no reply at all;
- ``invalid-field``: every request but BootNotification carries a field its schema
  forbids (so the station still registers);
- ``late-reply``: replies to the CSMS's requests leave ``LATE_REPLY_S`` (12 s) late.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from typing import Any

from bench.ocpp.session import OcppSession

log = logging.getLogger(__name__)

LATE_REPLY_S = 12.0  # past the conformance runner's default reply limit (10 s)
INVALID_FIELD = "misbehaviourField"  # no OCPP schema allows it

# A wrong reason for each real one (any other valid value is wrong).
_WRONG_REASON_16 = {"Local": "Other"}
_WRONG_REASON_201 = {"Local": "Other"}
_CALLRESULT, _CALLERROR = "[3,", "[4,"


class MisbehavingSession(OcppSession):
    """An ``OcppSession`` with one deliberate fault (see the module docstring)."""

    __slots__ = ("_late", "misbehaviour")

    def __init__(self, *args: Any, misbehaviour: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.misbehaviour = misbehaviour
        self._late: set[asyncio.Task[None]] = set()

    async def call(
        self,
        action: str,
        payload: dict[str, Any],
        *,
        timeout: float | None = None,
        validate: bool | None = None,
    ) -> dict[str, Any]:
        mode = self.misbehaviour
        if mode == "missing-status" and action == "StatusNotification":
            log.info("%s: StatusNotification left out on purpose (misbehave)", self.station_id)
            return {}
        if mode == "wrong-stop-reason":
            payload = _wrong_reason(self.version, action, payload)
        if mode == "invalid-field" and action != "BootNotification":
            payload = {**payload, INVALID_FIELD: True}
            validate = False
        return await super().call(action, payload, timeout=timeout, validate=validate)

    async def _send(self, raw: str) -> None:
        mode = self.misbehaviour
        if raw.startswith((_CALLRESULT, _CALLERROR)):
            if mode == "unanswered-request":
                log.info("%s: reply withheld on purpose (misbehave)", self.station_id)
                return
            if mode == "late-reply":
                task = asyncio.get_running_loop().create_task(self._send_late(raw))
                self._late.add(task)
                task.add_done_callback(self._late.discard)
                return
        await super()._send(raw)

    async def _send_late(self, raw: str) -> None:
        await asyncio.sleep(LATE_REPLY_S)  # real seconds: the peer's reply timeout is real
        try:
            await super()._send(raw)
        except Exception as exc:  # the link may be gone by then; that is the point
            log.info("%s: late reply not delivered: %s", self.station_id, exc)


def _wrong_reason(version: str, action: str, payload: dict[str, Any]) -> dict[str, Any]:
    if version == "1.6" and action == "StopTransaction":
        real = payload.get("reason", "Local")  # absent means Local (1.6 §7.35)
        return {**payload, "reason": _WRONG_REASON_16.get(real, "Local")}
    if version == "2.0.1" and action == "TransactionEvent" and payload.get("eventType") == "Ended":
        out = copy.deepcopy(payload)
        info = out.setdefault("transactionInfo", {})
        real = info.get("stoppedReason", "Local")
        info["stoppedReason"] = _WRONG_REASON_201.get(real, "Local")
        return out
    return payload
