"""An HTTP control API for a running built-in CSMS: what an operator would click, as REST.

Conformance runs (issue 13) turn a test case's manual actions ("Request the
CSMS to reboot the Charging Station") into requests to this API through an
adapter file. It listens on 127.0.0.1 only (no authentication: it can do
anything the CSMS can), port 0 by default (the OS picks one). JSON in, JSON out;
every error is a 4xx/5xx status with ``{"error": "<what is wrong>"}``.

``GET /``
    ``{"csms": "ws://...", "stations": N, "faults": N}``.
``GET /stations``
    ``{"stations": [{"id", "ocpp": "1.6"|"2.0.1", "registration"}]}``, the
    connected ones.
``GET /stations/{id}``
    ``{"id", "connected", "ocpp", "registration", "bootCount", "lastBoot",
    "lastHeartbeat"}``; 404 when the CSMS never saw the station.
``POST /stations/{id}/call``
    body ``{"action": "Reset", "payload": {...}, "timeout": 30, "wait": true,
    "force": false}`` (only ``action`` is required; payload defaults to ``{}``,
    timeout is seconds, over 0 and at most 600). Sends that CSMS-initiated
    request. 200 ``{"reply": {...}}`` or 200 ``{"callerror": {"code",
    "description", "details"}}``; 400 for an action the station's version does
    not have or a payload that fails its schema; 404 when the station is not
    connected; 409 when 1.6 §4.2 / B02 forbid the request in the station's
    registration state (``"force": true`` sends it anyway); 502 when the reply
    is invalid (``{"error", "reply"}``) or the link closed; 504 on timeout.
    With ``"wait": false`` the request is checked (400/404 as above), sent in
    the background, and the answer is 202 ``{"call": N, "href": "/calls/N"}``.
``GET /calls/{n}``
    a background call: ``{"call", "station", "action", "state": "pending"}``,
    then ``"state": "done"`` with ``"status"`` (the HTTP status the call would
    have had) and the body fields above (``reply``, ``callerror`` or ``error``).
    The last 200 calls are kept.
``PUT /stations/{id}/boot-responses``
    body ``{"statuses": ["Pending", "Accepted"]}``: the answers to that
    station's next BootNotifications, the last one repeating (the station need
    not be connected). 200 ``{"station", "statuses"}``.
``GET /tags``
    ``{"tags": {"<idTag>": {"status", "group"?, "expiryDate"?}}}``.
``GET /tags/{idTag}``
    one entry ``{"idTag", "status", "group"?, "expiryDate"?}``; 404 if not listed.
``PUT /tags/{idTag}``
    body ``{"status": "Accepted"|"Blocked"|"Expired"|"Invalid", "group":
    "<parent/group id>"?, "expiryDate": "<ISO 8601 with zone>"?}``: adds or
    replaces the tag (ids compare case-insensitively, 1.6 §7.26). ``group`` is
    the 1.6 parentIdTag and the 2.0.1 groupIdToken. 200 with the entry.
``DELETE /tags/{idTag}``
    removes it; 200 ``{"idTag", "deleted": true}``, 404 if not listed.
``GET /settings`` / ``PATCH /settings``
    ``{"heartbeatInterval", "bootRetryInterval", "bootResponses",
    "acceptUnknownTags", "rejectConcurrentTx", "preAcceptPolicy",
    "pricePerKwh", "currency"}``; PATCH any subset, all-or-nothing, answered
    with the whole set. They act from the next message on.
``GET /faults`` / ``PUT /faults`` / ``DELETE /faults``
    ``{"faults": ["reply:BootNotification:status=Rejected", ...]}``; PUT
    replaces the list (all-or-nothing, 400 naming a bad spec), DELETE empties
    it. Spec syntax: ``bench.csms.faults``.

Programmatic use: ``url = await ControlServer(csms).start()`` ... ``await stop()``.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bench.csms.config import (
    PRE_ACCEPT_POLICIES,
    REGISTRATION_STATUSES,
    TAG_STATUSES,
    ConfigError,
    TagEntry,
    _parse_datetime,
)
from bench.csms.faults import parse_faults
from bench.csms.registry import NotAllowed, UnknownStation
from bench.csms.server import CentralSystem
from bench.ocpp import schemas
from bench.ocpp.errors import CallError, CallTimeout, InvalidOutgoing, InvalidReply, LinkClosed
from bench.printable import printable

log = logging.getLogger(__name__)

MAX_TIMEOUT = 600.0  # s a call may be given
MAX_TAG = 36  # characters: 2.0.1 IdTokenType.idToken (1.6 allows 20)
KEPT_CALLS = 200  # background call results kept for GET /calls/{n}
_CALL_FIELDS = {"action", "payload", "timeout", "wait", "force"}
_TAG_FIELDS = {"status", "group", "expiryDate"}

Body = dict[str, Any]


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(slots=True)
class _BackgroundCall:
    number: int
    station: str
    action: str
    status: int | None = None  # None while pending
    body: Body = field(default_factory=dict)

    def view(self) -> Body:
        out: Body = {"call": self.number, "station": self.station, "action": self.action}
        if self.status is None:
            return {**out, "state": "pending"}
        return {**out, "state": "done", "status": self.status, **self.body}


def _json(body: Body, status: int = 200) -> web.Response:
    return web.json_response(body, status=status)


@web.middleware
async def _errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Every error as JSON: ours (4xx with a sentence), aiohttp's (404/405), and bugs (500)."""
    try:
        return await handler(request)
    except _BadRequest as exc:
        return _json({"error": str(exc)}, exc.status)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _json({"error": exc.reason}, exc.status)
    except Exception as exc:  # a bench bug: logged with its traceback, answered 500
        log.exception("control API: %s %s failed", request.method, request.path)
        return _json({"error": f"internal error: {type(exc).__name__}: {exc}"}, 500)


async def _body(request: web.Request) -> Body:
    try:
        data = await request.json()
    except ValueError:
        raise _BadRequest(400, "the body must be a JSON object") from None
    if not isinstance(data, dict):
        raise _BadRequest(400, "the body must be a JSON object")
    return data


def _no_extra(body: Body, allowed: set[str]) -> None:
    extra = sorted(set(body) - allowed)
    if extra:
        raise _BadRequest(400, f"unknown field(s): {', '.join(extra)} (allowed: {sorted(allowed)})")


def _interval(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _BadRequest(400, f"{name} must be a whole number of seconds >= 0")
    return value


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise _BadRequest(400, f"{name} must be true or false")
    return value


def _tag_json(entry: TagEntry) -> Body:
    out: Body = {"status": entry.status}
    if entry.parent_id_tag is not None:
        out["group"] = entry.parent_id_tag
    if entry.expiry_date is not None:
        out["expiryDate"] = entry.expiry_date.isoformat()
    return out


class ControlServer:
    """The control API of one ``CentralSystem`` (which must be started first)."""

    def __init__(self, csms: CentralSystem, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.csms = csms
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None
        self._calls: OrderedDict[int, _BackgroundCall] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()
        self._numbers = 0

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> str:
        """Start listening; returns the base URL (``http://127.0.0.1:PORT/``)."""
        if self._runner is not None:
            raise RuntimeError("the control API is already running")
        app = web.Application(middlewares=[_errors])
        routes = [
            web.get("/", self._index),
            web.get("/stations", self._stations),
            web.get("/stations/{id}", self._station),
            web.post("/stations/{id}/call", self._call),
            web.put("/stations/{id}/boot-responses", self._boot_responses),
            web.get("/calls/{n}", self._call_result),
            web.get("/tags", self._tags),
            web.get("/tags/{tag}", self._tag),
            web.put("/tags/{tag}", self._put_tag),
            web.delete("/tags/{tag}", self._delete_tag),
            web.get("/settings", self._settings),
            web.patch("/settings", self._patch_settings),
            web.get("/faults", self._faults),
            web.put("/faults", self._put_faults),
            web.delete("/faults", self._delete_faults),
        ]
        app.add_routes(routes)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])  # the OS's choice when asked for 0
        log.info("CSMS control API on %s", self.url)
        return self.url

    async def stop(self) -> None:
        """Stop listening; background calls still running are cancelled."""
        runner, self._runner = self._runner, None
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> ControlServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    # ------------------------------------------------------------------ stations
    async def _index(self, request: web.Request) -> web.Response:
        csms = self.csms
        return _json(
            {
                "csms": csms.url,
                "stations": len(csms.connected_stations()),
                "faults": len(csms.config.faults),
            }
        )

    async def _stations(self, request: web.Request) -> web.Response:
        listing = []
        for sid in self.csms.connected_stations():
            info = self.csms.station(sid)
            listing.append({"id": sid, "ocpp": info.version, "registration": info.registration})
        return _json({"stations": listing})

    async def _station(self, request: web.Request) -> web.Response:
        sid = request.match_info["id"]
        try:
            info = self.csms.station(sid)
        except UnknownStation as exc:
            raise _BadRequest(404, str(exc)) from None
        return _json(
            {
                "id": info.id,
                "connected": info.connected,
                "ocpp": info.version,
                "registration": info.registration,
                "bootCount": info.boot_count,
                "lastBoot": info.last_boot.isoformat() if info.last_boot else None,
                "lastHeartbeat": info.last_heartbeat.isoformat() if info.last_heartbeat else None,
            }
        )

    async def _boot_responses(self, request: web.Request) -> web.Response:
        sid = request.match_info["id"]
        body = await _body(request)
        _no_extra(body, {"statuses"})
        statuses = body.get("statuses")
        if not isinstance(statuses, list) or not all(isinstance(s, str) for s in statuses):
            raise _BadRequest(400, f"statuses must be a list of {', '.join(REGISTRATION_STATUSES)}")
        try:
            self.csms.set_boot_responses(sid, statuses)
        except ConfigError as exc:
            raise _BadRequest(400, str(exc)) from None
        log.info("control API: boot responses for %s: %s", printable(sid), statuses)
        return _json({"station": sid, "statuses": statuses})

    # ------------------------------------------------------------------ calls
    async def _call(self, request: web.Request) -> web.Response:
        sid = request.match_info["id"]
        body = await _body(request)
        _no_extra(body, _CALL_FIELDS)
        action = body.get("action")
        payload = body.get("payload", {})
        timeout = body.get("timeout", 30)
        wait = _flag(body.get("wait", True), "wait")
        force = _flag(body.get("force", False), "force")
        if not isinstance(action, str) or not action:
            raise _BadRequest(400, "action must be the name of a CSMS-initiated request")
        if not isinstance(payload, dict):
            raise _BadRequest(400, "payload must be a JSON object")
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, int | float)
            or not 0 < timeout <= MAX_TIMEOUT
        ):
            raise _BadRequest(
                400, f"timeout must be a number of seconds over 0, at most {MAX_TIMEOUT:g}"
            )
        version = self.csms.protocol_version(sid)
        if version is None:
            raise _BadRequest(404, f"station {sid!r} is not connected")
        if action not in schemas.actions(version):
            raise _BadRequest(400, f"{action} is not an OCPP {version} action")
        try:
            schemas.validate(version, action, payload, response=False)
        except schemas.SchemaViolation as exc:
            raise _BadRequest(400, f"{action}: {exc.message}") from None
        if wait:
            status, answer = await self._send(sid, action, payload, float(timeout), force)
            return _json(answer, status)
        return self._send_later(sid, action, payload, float(timeout), force)

    async def _send(
        self, sid: str, action: str, payload: Body, timeout: float, force: bool
    ) -> tuple[int, Body]:
        """One call to the station: (HTTP status, body)."""
        try:
            reply = await self.csms.call(sid, action, payload, timeout, force=force)
        except CallError as exc:
            code = {"code": exc.code, "description": exc.description, "details": exc.details}
            return 200, {"callerror": code}
        except UnknownStation as exc:
            return 404, {"error": str(exc)}
        except NotAllowed as exc:
            return 409, {"error": f'{exc} (send with "force": true to send it anyway)'}
        except InvalidOutgoing as exc:
            return 400, {"error": str(exc)}
        except InvalidReply as exc:
            return 502, {"error": str(exc), "reply": exc.payload}
        except CallTimeout as exc:
            return 504, {"error": str(exc)}
        except LinkClosed as exc:
            return 502, {"error": f"the station's link closed: {exc}"}
        return 200, {"reply": reply}

    def _send_later(
        self, sid: str, action: str, payload: Body, timeout: float, force: bool
    ) -> web.Response:
        self._numbers += 1
        record = _BackgroundCall(self._numbers, sid, action)
        self._calls[record.number] = record
        while len(self._calls) > KEPT_CALLS:
            self._calls.popitem(last=False)

        async def run() -> None:
            try:
                record.status, record.body = await self._send(sid, action, payload, timeout, force)
            except Exception as exc:  # a bench bug: logged, and the call says so
                log.exception("control API: background %s to %s failed", action, printable(sid))
                record.status, record.body = 500, {"error": f"{type(exc).__name__}: {exc}"}

        task = asyncio.create_task(run(), name=f"control call {record.number}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        href = f"/calls/{record.number}"
        return web.json_response(
            {"call": record.number, "href": href}, status=202, headers={"Location": href}
        )

    async def _call_result(self, request: web.Request) -> web.Response:
        text = request.match_info["n"]
        record = self._calls.get(int(text)) if text.isdigit() else None
        if record is None:
            raise _BadRequest(404, f"no background call {text} (the last {KEPT_CALLS} are kept)")
        return _json(record.view())

    # ------------------------------------------------------------------ tags
    def _find_tag(self, tag: str) -> str | None:
        """The listed spelling of ``tag`` (IdToken is case-insensitive, 1.6 §7.26)."""
        folded = tag.casefold()
        return next((t for t in self.csms.config.tags if t.casefold() == folded), None)

    async def _tags(self, request: web.Request) -> web.Response:
        tags = self.csms.config.tags
        return _json({"tags": {tag: _tag_json(entry) for tag, entry in tags.items()}})

    async def _tag(self, request: web.Request) -> web.Response:
        tag = request.match_info["tag"]
        listed = self._find_tag(tag)
        if listed is None:
            raise _BadRequest(404, f"id tag {tag!r} is not in the tag list")
        return _json({"idTag": listed, **_tag_json(self.csms.config.tags[listed])})

    async def _put_tag(self, request: web.Request) -> web.Response:
        tag = request.match_info["tag"]
        if not 0 < len(tag) <= MAX_TAG:
            raise _BadRequest(400, f"an id tag is 1 to {MAX_TAG} characters")
        body = await _body(request)
        _no_extra(body, _TAG_FIELDS)
        status = body.get("status", "Accepted")
        group = body.get("group")
        expiry = body.get("expiryDate")
        if status not in TAG_STATUSES:
            raise _BadRequest(400, f"status must be one of {', '.join(TAG_STATUSES)}")
        if group is not None and (not isinstance(group, str) or not 0 < len(group) <= MAX_TAG):
            raise _BadRequest(400, f"group must be an id of 1 to {MAX_TAG} characters")
        if expiry is not None and not isinstance(expiry, str):
            raise _BadRequest(400, "expiryDate must be an ISO 8601 date-time string")
        try:
            expiry_date = _parse_datetime(expiry, "expiryDate") if expiry else None
            entry = TagEntry(status=status, expiry_date=expiry_date, parent_id_tag=group)
        except ConfigError as exc:
            raise _BadRequest(400, str(exc)) from None
        tags = self.csms.config.tags
        listed = self._find_tag(tag)
        if listed is not None:
            del tags[listed]
        tags[tag] = entry
        log.info("control API: tag %s is now %s", printable(tag), status)
        return _json({"idTag": tag, **_tag_json(entry)})

    async def _delete_tag(self, request: web.Request) -> web.Response:
        tag = request.match_info["tag"]
        listed = self._find_tag(tag)
        if listed is None:
            raise _BadRequest(404, f"id tag {tag!r} is not in the tag list")
        del self.csms.config.tags[listed]
        log.info("control API: tag %s removed", printable(listed))
        return _json({"idTag": listed, "deleted": True})

    # ------------------------------------------------------------------ settings
    async def _settings(self, request: web.Request) -> web.Response:
        return _json(self._settings_json())

    def _settings_json(self) -> Body:
        c = self.csms.config
        return {
            "heartbeatInterval": c.heartbeat_interval,
            "bootRetryInterval": c.boot_retry_interval,
            "bootResponses": list(c.boot_responses),
            "acceptUnknownTags": c.accept_unknown_tags,
            "rejectConcurrentTx": c.reject_concurrent_tx,
            "preAcceptPolicy": c.pre_accept_policy,
            "pricePerKwh": c.price_per_kwh,
            "currency": c.currency,
        }

    async def _patch_settings(self, request: web.Request) -> web.Response:
        body = await _body(request)
        _no_extra(body, set(self._settings_json()))
        changes: dict[str, Any] = {}  # CsmsConfig attribute -> value, applied only if all pass
        for name, value in body.items():
            changes.update(_setting(name, value))
        for attr, value in changes.items():
            setattr(self.csms.config, attr, value)
        log.info("control API: settings changed: %s", body)
        return _json(self._settings_json())

    # ------------------------------------------------------------------ faults
    async def _faults(self, request: web.Request) -> web.Response:
        return _json({"faults": [str(f) for f in self.csms.config.faults]})

    async def _put_faults(self, request: web.Request) -> web.Response:
        body = await _body(request)
        _no_extra(body, {"faults"})
        specs = body.get("faults")
        if not isinstance(specs, list):
            raise _BadRequest(400, "faults must be a list of fault specs")
        try:
            faults = parse_faults(specs)
        except ConfigError as exc:
            raise _BadRequest(400, str(exc)) from None
        self._set_faults(faults)
        return _json({"faults": [str(f) for f in faults]})

    async def _delete_faults(self, request: web.Request) -> web.Response:
        self._set_faults([])
        return _json({"faults": []})

    def _set_faults(self, faults: list[Any]) -> None:
        self.csms.config.faults = faults
        self.csms.faults.notify()  # requests held by an order fault that is gone go now
        if faults:
            log.warning("fault injection set: %s", ", ".join(map(str, faults)))
        else:
            log.warning("fault injection off")


def _setting(name: str, value: Any) -> dict[str, Any]:
    """One ``PATCH /settings`` field as CsmsConfig attributes; raises ``_BadRequest``."""
    if name in ("heartbeatInterval", "bootRetryInterval"):
        attr = "heartbeat_interval" if name == "heartbeatInterval" else "boot_retry_interval"
        return {attr: _interval(value, name)}
    if name == "bootResponses":
        if (
            not isinstance(value, list)
            or not value
            or any(s not in REGISTRATION_STATUSES for s in value)
        ):
            raise _BadRequest(400, f"bootResponses must list {', '.join(REGISTRATION_STATUSES)}")
        return {"boot_responses": list(value)}
    if name == "acceptUnknownTags":
        return {"accept_unknown_tags": _flag(value, name)}
    if name == "rejectConcurrentTx":
        return {"reject_concurrent_tx": _flag(value, name)}
    if name == "preAcceptPolicy":
        if value not in PRE_ACCEPT_POLICIES:
            raise _BadRequest(
                400, f"preAcceptPolicy must be one of {', '.join(PRE_ACCEPT_POLICIES)}"
            )
        return {"pre_accept_policy": value}
    if name == "pricePerKwh":
        ok = value is None or (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and value >= 0
        )
        if not ok:
            raise _BadRequest(400, "pricePerKwh must be a number >= 0, or null for no price")
        return {"price_per_kwh": None if value is None else float(value)}
    if name == "currency":
        if value is not None and (not isinstance(value, str) or not 0 < len(value) <= 3):
            raise _BadRequest(400, "currency must be an ISO 4217 code (e.g. EUR), or null")
        return {"currency": value}
    raise _BadRequest(400, f"unknown setting {name!r}")
