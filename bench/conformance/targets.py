"""Where a conformance run goes, and how its manual actions get done.

Shared by the command line (``ocpp-bench conformance csms``) and the desktop app's
Conformance window, so both assemble a run the same way:

- ``builtin_csms``: a built-in CSMS started for the run, in this process, with its
  HTTP control API and (unless told otherwise) the shipped adapter pointed at it;
- ``external_csms``: a CSMS the operator names by URL, with an adapter if one is given;
- ``reachable``: can a TCP connection to the CSMS be opened at all (exit code 3);
- ``adapter_settings``: an adapter's ``[settings]``/``[features]`` as ``CaseSettings``
  fields;
- ``prompter_for``: the adapter first, then the operator (terminal or dialog).
"""

from __future__ import annotations

import asyncio
import contextlib
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.conformance.adapter import Adapter, AdapterError, AdapterPrompter, load_adapter
from bench.conformance.manual import ChainPrompter, NoPrompter, Prompter
from bench.conformance.results import SystemUnderTest

if TYPE_CHECKING:
    from bench.csms.server import CentralSystem

# The [settings] keys an adapter may set (each is a CaseSettings field).
ADAPTER_SETTINGS = frozenset(
    {"valid_id_token", "valid_id_token_type", "invalid_id_token", "station_template"}
)


def builtin_adapter_path() -> Path:
    """The shipped adapter that lets the built-in CSMS run every case unattended."""
    return Path(str(resources.files("bench.conformance.adapters").joinpath("builtin.toml")))


@dataclass
class Target:
    """The CSMS a run plays against, its adapter and how the report names it."""

    url: str
    adapter: Adapter | None
    sut: SystemUnderTest
    # The built-in CSMS started for the run and its control API (None/"" otherwise):
    # the desktop app shows the API's address, tests drive the CSMS directly.
    csms: CentralSystem | None = None
    control_url: str = ""


@contextlib.asynccontextmanager
async def builtin_csms(
    ocpp: str,
    station_id: str,
    *,
    adapter: str | Path | None = None,
    shipped_adapter: bool = True,
) -> AsyncIterator[Target]:
    """A built-in CSMS and its control API for the length of the ``async with``.

    The adapter is ``adapter`` when given, else the shipped one (``shipped_adapter``),
    else none (every manual action goes to the operator); its ``{control}`` is the
    control API's address either way.
    """
    from bench.csms.config import CsmsConfig, TagEntry
    from bench.csms.control import ControlServer
    from bench.csms.server import CentralSystem

    path = adapter if adapter is not None else builtin_adapter_path() if shipped_adapter else None
    loaded = load_adapter(path) if path is not None else None  # a bad file: before any server
    config = CsmsConfig(boot_retry_interval=1, tags={"TAG1": TagEntry("Accepted")})
    async with CentralSystem(config) as csms:
        control = ControlServer(csms)
        control_url = (await control.start()).rstrip("/")
        try:
            if loaded is not None:
                loaded = loaded.with_vars(control=control_url)
            declared = loaded.sut if loaded is not None else {}
            sut = SystemUnderTest(
                "csms",
                csms.url,
                ocpp,
                station_id,
                declared.get("vendor", "OCPP Bench"),
                declared.get("product", "built-in CSMS"),
                declared.get("version", ""),
            )
            yield Target(csms.url, loaded, sut, csms, control_url)
        finally:
            await control.stop()


@contextlib.asynccontextmanager
async def external_csms(
    url: str,
    ocpp: str,
    station_id: str,
    *,
    adapter: str | Path | None = None,
    adapter_vars: dict[str, str] | None = None,
    vendor: str = "",
    product: str = "",
    sut_version: str = "",
) -> AsyncIterator[Target]:
    """A CSMS the operator runs; what they type for the report wins over the adapter's.

    ``adapter_vars`` override the adapter's ``[vars]`` (a token, the API's address).
    """
    loaded = load_adapter(adapter) if adapter else None
    if loaded is not None and adapter_vars:
        loaded = loaded.with_vars(**adapter_vars)
    declared = loaded.sut if loaded is not None else {}
    sut = SystemUnderTest(
        "csms",
        url,
        ocpp,
        station_id,
        vendor or declared.get("vendor", ""),
        product or declared.get("product", ""),
        sut_version or declared.get("version", ""),
    )
    yield Target(url, loaded, sut)


async def reachable(url: str, timeout: float) -> str | None:
    """None when a TCP connection to the CSMS opens; else why not."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        return f"{url!r} is not a ws:// or wss:// URL"
    port = parts.port or (443 if parts.scheme == "wss" else 80)
    try:
        async with asyncio.timeout(timeout):
            _reader, writer = await asyncio.open_connection(parts.hostname, port)
    except (OSError, TimeoutError) as exc:
        return f"cannot reach the CSMS at {parts.hostname}:{port}: {exc or 'timed out'}"
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return None


def adapter_settings(adapter: Adapter | None) -> dict[str, Any]:
    """``[settings]`` and ``[features]`` of the adapter, as CaseSettings fields."""
    if adapter is None:
        return {}
    unknown = sorted(set(adapter.settings) - ADAPTER_SETTINGS)
    if unknown:
        raise AdapterError(
            f"adapter {adapter.path}: unknown [settings] {', '.join(unknown)} "
            f"(known: {', '.join(sorted(ADAPTER_SETTINGS))})"
        )
    values: dict[str, Any] = dict(adapter.settings)
    if adapter.features:
        values["features"] = adapter.features
    if adapter.claimed_profiles is not None:
        values["claimed_profiles"] = adapter.claimed_profiles
    return values


def prompter_for(adapter: Adapter | None, operator: Prompter | None) -> Prompter:
    """The adapter takes each manual action it has; the operator (if any) the rest."""
    prompters: list[Prompter] = []
    if adapter is not None:
        prompters.append(AdapterPrompter(adapter))
    if operator is not None:
        prompters.append(operator)
    return ChainPrompter(*prompters) if prompters else NoPrompter()
