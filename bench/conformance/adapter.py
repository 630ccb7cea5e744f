"""Adapter files: manual actions done by the bench itself, for unattended runs.

An adapter is a TOML file. ``[actions.KEY]`` maps a manual action (the keys
``conformance list --manual`` prints) to an HTTP request or a shell command
whose strings are templates: ``{station_id}``, the action's parameters
(``{type}``, ``{component}``, ``{variable}``, ``{value}``, ``{id_token}``, ...) and
the file's ``[vars]``. A string that is exactly one placeholder keeps the
parameter's type (a number stays a number in a JSON body); shell commands get
every value quoted. ``[sut]`` declares vendor, product and version for the
report, ``[settings]`` the values cases use (``valid_id_token`` ...),
``[features]`` the optional CSMS features (``declared = ["SummaryInventory"]``),
and ``[sut] certification_profiles`` the profiles the CSMS claims (the cases of
the others are not applicable).

    [vars]
    api = "https://csms.example/api/v1"

    [actions.reset_station]
    http = { method = "POST", url = "{api}/chargers/{station_id}/reset",
             json = { type = "{type}" }, headers = { Authorization = "Bearer {token}" } }

    [actions.clear_cache]
    shell = "csmsctl clear-cache --charger {station_id}"

An HTTP action is done when the reply status is 2xx (or ``expect_status``); a
shell action when it exits 0 within ``timeout`` seconds (default 30). Many actions
sharing one request shape name a ``[templates.NAME]`` table with ``use = "NAME"``
(the action's own keys win).
"""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bench.conformance.manual import ManualOutcome, ManualRequest

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class AdapterError(ValueError):
    """The adapter file is unreadable, or an action cannot be filled in."""


@dataclass(frozen=True, slots=True)
class Adapter:
    path: str
    actions: dict[str, dict[str, Any]]
    vars: dict[str, Any] = field(default_factory=dict)
    sut: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    features: frozenset[str] = frozenset()
    # The certification profiles the CSMS claims (``[sut] certification_profiles``);
    # None: not declared, every profile's cases apply.
    claimed_profiles: frozenset[str] | None = None

    def covers(self, key: str) -> bool:
        return key in self.actions

    def with_vars(self, **values: Any) -> Adapter:
        """The same adapter with ``[vars]`` overridden (the built-in CSMS's control URL)."""
        return Adapter(
            self.path,
            self.actions,
            {**self.vars, **values},
            self.sut,
            self.settings,
            self.features,
            self.claimed_profiles,
        )


def load_adapter(path: str | Path) -> Adapter:
    try:
        raw = tomllib.loads(Path(path).read_text("utf-8"))
    except OSError as exc:
        raise AdapterError(f"cannot read adapter {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise AdapterError(f"adapter {path} is not valid TOML: {exc}") from None
    actions = raw.get("actions", {})
    templates = raw.get("templates", {})
    if not isinstance(actions, dict) or not isinstance(templates, dict):
        raise AdapterError(f"adapter {path}: [actions] and [templates] must be tables")
    for key, spec in list(actions.items()):
        if isinstance(spec, dict) and "use" in spec:
            base = templates.get(spec["use"])
            if not isinstance(base, dict):
                raise AdapterError(
                    f"adapter {path}: action {key!r} uses unknown template {spec['use']!r}"
                )
            spec = actions[key] = {**base, **{k: v for k, v in spec.items() if k != "use"}}
        if not isinstance(spec, dict) or ("http" in spec) == ("shell" in spec):
            raise AdapterError(f"adapter {path}: action {key!r} needs exactly one of http, shell")
        http = spec.get("http")
        if http is not None and (not isinstance(http, dict) or "url" not in http):
            raise AdapterError(f"adapter {path}: action {key!r}: http needs a url")
    sut = dict(raw.get("sut", {}))
    claimed = sut.pop("certification_profiles", None)
    if claimed is not None and not (
        isinstance(claimed, list) and all(isinstance(p, str) for p in claimed)
    ):
        raise AdapterError(f"adapter {path}: [sut] certification_profiles must be a list of names")
    return Adapter(
        str(path),
        actions,
        dict(raw.get("vars", {})),
        {k: str(v) for k, v in sut.items()},
        dict(raw.get("settings", {})),
        frozenset(raw.get("features", {}).get("declared", ())),
        None if claimed is None else frozenset(claimed),
    )


def fill(template: Any, values: dict[str, Any], quote: Callable[[str], str] | None = None) -> Any:
    """``template`` with every ``{name}`` replaced from ``values`` (recursively)."""
    if isinstance(template, dict):
        return {fill(k, values, quote): fill(v, values, quote) for k, v in template.items()}
    if isinstance(template, list):
        return [fill(v, values, quote) for v in template]
    if not isinstance(template, str):
        return template
    whole = _PLACEHOLDER.fullmatch(template)
    if whole and quote is None:
        return _value(whole.group(1), values)

    def one(m: re.Match[str]) -> str:
        value = _value(m.group(1), values)
        text = value if isinstance(value, str) else _json_text(value)
        return quote(text) if quote else text

    return _PLACEHOLDER.sub(one, template)


def _value(name: str, values: dict[str, Any]) -> Any:
    if name not in values:
        raise AdapterError(f"the template needs {{{name}}}, which this action does not give")
    return values[name]


def _json_text(value: Any) -> str:
    """A non-string value inside a longer string: JSON's spelling (true, 3, {...})."""
    return json.dumps(value)


class AdapterPrompter:
    """Carries out manual actions from an adapter file; others are left to the next prompter."""

    def __init__(self, adapter: Adapter) -> None:
        self.adapter = adapter

    async def perform(self, request: ManualRequest) -> ManualOutcome:
        spec = self.adapter.actions.get(request.key)
        if spec is None:
            return ManualOutcome(False, "nobody", f"no adapter entry for {request.key!r}")
        values = {**self.adapter.vars, **request.params}
        try:
            if "http" in spec:
                return await _http(spec["http"], values, float(spec.get("timeout", 30)))
            return await _shell(spec["shell"], values, float(spec.get("timeout", 30)))
        except AdapterError as exc:
            return ManualOutcome(False, "adapter", str(exc))


async def _http(spec: dict[str, Any], values: dict[str, Any], timeout: float) -> ManualOutcome:
    method = str(spec.get("method", "POST")).upper()
    url = fill(spec["url"], values)
    body = fill(spec["json"], values) if "json" in spec else None
    headers = fill(spec.get("headers", {}), values)
    expected = spec.get("expect_status")
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as http,
            http.request(method, url, json=body, headers=headers) as reply,
        ):
            text = (await reply.text())[:500]
            ok = reply.status == expected if expected else 200 <= reply.status < 300
            return ManualOutcome(ok, "adapter", f"{method} {url} -> {reply.status} {text}".strip())
    except (aiohttp.ClientError, TimeoutError) as exc:
        return ManualOutcome(
            False, "adapter", f"{method} {url} failed: {exc or type(exc).__name__}"
        )


async def _shell(command: str, values: dict[str, Any], timeout: float) -> ManualOutcome:
    line = fill(command, values, quote=shlex.quote)
    proc = await asyncio.create_subprocess_shell(
        line, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        async with asyncio.timeout(timeout):
            out, _ = await proc.communicate()
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return ManualOutcome(False, "adapter", f"{line!r} did not finish within {timeout:g} s")
    text = out.decode("utf-8", "replace").strip()[:500]
    detail = f"{line!r} exited {proc.returncode}" + (f": {text}" if text else "")
    return ManualOutcome(proc.returncode == 0, "adapter", detail)
