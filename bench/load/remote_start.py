"""Sessions the CSMS starts: the mix's remote-start share (issue 16).

A station cannot start a remote start itself: the CSMS sends it
(RemoteStartTransaction, 1.6 §5.11; RequestStartTransaction, 2.0.1 F01/F02),
usually because a driver asked an app. In a load run the load side plays that
driver, so it needs a way to ask the CSMS. The built-in CSMS has one: its HTTP
control API (``ocpp-bench csms --control-port``, ``bench.csms.control``), whose
``POST /stations/{id}/call`` makes it send any CSMS-initiated request and answers
with the station's reply. ``ControlApiStarter`` uses exactly that; a CSMS under
test that offers the same endpoint works the same way. Without such an endpoint
a remote-start share cannot be honoured, and ``ocpp-bench load`` refuses the mix
rather than quietly starting those sessions locally.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import aiohttp

# The id token a remote start carries in 2.0.1: issued by the CSMS (IdTokenEnumType).
_TOKEN_TYPE = "Central"


class RemoteStartError(RuntimeError):
    """The CSMS did not start the session; the message says why."""


def remote_start_request(ocpp: str, connector: int, tag: str, remote_id: int) -> tuple[str, Any]:
    """The CSMS-initiated request that starts a session on ``connector`` for ``tag``."""
    if ocpp == "1.6":
        return "RemoteStartTransaction", {"connectorId": connector, "idTag": tag}  # 1.6 §5.11
    # 2.0.1 F01: evseId optional, remoteStartId the CSMS's own number for the request.
    return "RequestStartTransaction", {
        "evseId": connector,
        "remoteStartId": remote_id,
        "idToken": {"idToken": tag, "type": _TOKEN_TYPE},
    }


class ControlApiStarter:
    """Asks a CSMS's control API to send the remote start; one HTTP session per fleet."""

    def __init__(self, control_url: str, timeout: float) -> None:
        self.base = control_url.rstrip("/")
        self.timeout = timeout
        self._http: aiohttp.ClientSession | None = None

    async def start(self, station_id: str, ocpp: str, connector: int, tag: str, n: int) -> None:
        """Returns once the station accepted; ``RemoteStartError`` with the reason otherwise."""
        if self._http is None:
            # Far more stations than the default pool; the CSMS serves them all anyway.
            connector_pool = aiohttp.TCPConnector(limit=100)
            self._http = aiohttp.ClientSession(connector=connector_pool)
        action, payload = remote_start_request(ocpp, connector, tag, n)
        body = {"action": action, "payload": payload, "timeout": self.timeout, "wait": True}
        url = f"{self.base}/stations/{quote(station_id, safe='')}/call"
        try:
            async with self._http.post(
                url, json=body, timeout=aiohttp.ClientTimeout(total=self.timeout + 10)
            ) as response:
                answer = await response.json(content_type=None)
                status = response.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise RemoteStartError(f"control API: {exc!r}") from exc
        if status != 200 or not isinstance(answer, dict):
            raise RemoteStartError(f"control API answered {status}: {answer}")
        if "callerror" in answer:
            raise RemoteStartError(f"{action}: CALLERROR {answer['callerror'].get('code')}")
        reply = answer.get("reply") or {}
        if reply.get("status") != "Accepted":
            raise RemoteStartError(f"{action}: the station answered {reply.get('status')!r}")

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None
