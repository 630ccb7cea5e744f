"""A small HTTP file server for the built-in CSMS: firmware out, diagnostics and logs in.

Stations download firmware from it (1.6 §5.19 ``location``) and upload
diagnostics and logs to it (1.6 §5.9, whitepaper N01), so firmware management
runs end to end without leaving the machine. It serves one folder:

- ``GET /<path>`` (and ``HEAD``) returns the file ``<folder>/<path>``.
- ``PUT /<path>`` stores the request body as ``<folder>/<path>``.
- ``POST /<path>`` with ``multipart/form-data`` stores each file part as
  ``<folder>/<path>/<part filename>``; any other body is stored as ``<folder>/<path>``.

Every request is recorded (``requests``), so tests can count download attempts;
``fail_next`` makes the next requests for a path fail with a chosen HTTP
status. Paths cannot leave the folder. Files are written to a temporary name
and renamed, so a reader never sees half an upload.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

log = logging.getLogger(__name__)

MAX_UPLOAD = 256 * 1024 * 1024  # bytes per request


@dataclass(frozen=True, slots=True)
class FileRequest:
    """One request the server answered."""

    method: str
    path: str  # URL path without the leading slash
    status: int
    size: int = 0  # bytes stored or sent


class FileServer:
    """Serves and receives files in ``root`` over HTTP(S) on ``host`` (127.0.0.1 by default)."""

    def __init__(
        self,
        root: str | Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.root = Path(root)
        self.host = host
        self.port = port
        self.ssl_context = ssl_context
        self.requests: list[FileRequest] = []
        self.uploads: list[Path] = []
        self._failures: dict[str, list[int]] = {}
        self._runner: web.AppRunner | None = None
        self._changed = asyncio.Event()

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> str:
        """Create the folder, start listening; returns the base URL (ending in ``/``)."""
        if self._runner is not None:
            raise RuntimeError("the file server is already running")
        self.root.mkdir(parents=True, exist_ok=True)
        app = web.Application(client_max_size=MAX_UPLOAD)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, ssl_context=self.ssl_context)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        # The port the OS assigned when asked for 0: the one site's listening address.
        self.port = int(runner.addresses[0][1])
        log.info("file server on %s serving %s", self.url, self.root)
        return self.url

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> FileServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://{self.host}:{self.port}/"

    def url_for(self, path: str) -> str:
        return self.url + path.lstrip("/")

    # ------------------------------------------------------------------ test and console helpers
    def publish(self, path: str, data: bytes) -> str:
        """Put a file in the folder (e.g. a firmware image); returns its URL."""
        target = self._resolve(path)
        if target is None:
            raise ValueError(f"{path!r} is outside the served folder")
        _write_atomically(target, data)
        return self.url_for(path)

    def fail_next(self, path: str, times: int = 1, status: int = 503) -> None:
        """Answer the next ``times`` requests for ``path`` with HTTP ``status``."""
        self._failures.setdefault(path.lstrip("/"), []).extend([status] * times)

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """How many requests (of ``method``, for ``path``) were answered so far."""
        wanted = path.lstrip("/") if path is not None else None
        return sum(
            1
            for r in self.requests
            if (method is None or r.method == method) and (wanted is None or r.path == wanted)
        )

    async def wait_for_upload(self, count: int = 1, timeout: float = 10.0) -> list[Path]:
        """Wait until at least ``count`` files have been uploaded; returns them all."""
        async with asyncio.timeout(timeout):
            while len(self.uploads) < count:  # each pass waits for a change; bounded by timeout
                self._changed.clear()
                await self._changed.wait()
        return list(self.uploads)

    async def wait_for_requests(
        self, count: int, method: str | None = None, path: str | None = None, timeout: float = 10.0
    ) -> None:
        """Wait until ``count`` matching requests were answered."""
        async with asyncio.timeout(timeout):
            while self.count(method, path) < count:
                self._changed.clear()
                await self._changed.wait()

    # ------------------------------------------------------------------ HTTP
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["tail"]
        method = request.method
        injected = self._failures.get(path)
        if injected:
            status = injected.pop(0)
            self._record(FileRequest(method, path, status))
            return web.Response(status=status, text=f"injected failure {status}\n")
        try:
            response, size = await self._serve(request, method, path)
        except web.HTTPException as exc:
            self._record(FileRequest(method, path, exc.status))
            raise
        self._record(FileRequest(method, path, response.status, size))
        return response

    async def _serve(
        self, request: web.Request, method: str, path: str
    ) -> tuple[web.StreamResponse, int]:
        target = self._resolve(path)
        if target is None:
            raise web.HTTPForbidden(text="path outside the served folder\n")
        if method in ("GET", "HEAD"):
            if not target.is_file():
                raise web.HTTPNotFound(text=f"{path} not found\n")
            return web.FileResponse(target), target.stat().st_size
        if method == "PUT":
            size = self._store(target, await request.read())
            return web.Response(status=201, text=f"stored {path}\n"), size
        if method == "POST":
            size, names = await self._store_post(request, target, path)
            return web.Response(status=201, text="".join(f"stored {n}\n" for n in names)), size
        raise web.HTTPMethodNotAllowed(method, ["GET", "HEAD", "PUT", "POST"])

    async def _store_post(
        self, request: web.Request, target: Path, path: str
    ) -> tuple[int, list[str]]:
        if not request.content_type.startswith("multipart/"):
            data = await request.read()
            return self._store(target, data), [path]
        reader = await request.multipart()
        size = 0
        names: list[str] = []
        for _ in range(1000):  # bounded: a form with more parts is refused below
            part = await reader.next()
            if part is None:
                break
            filename = getattr(part, "filename", None)
            if not filename:
                continue  # a plain form field: nothing to store
            safe = Path(filename).name
            dest = self._resolve(f"{path.rstrip('/')}/{safe}" if path else safe)
            if dest is None or not safe:
                raise web.HTTPBadRequest(text=f"bad file name {filename!r}\n")
            data = await part.read(decode=False)  # type: ignore[union-attr]
            size += self._store(dest, bytes(data))
            names.append(safe)
        else:
            raise web.HTTPRequestEntityTooLarge(max_size=1000, actual_size=1001)
        if not names:
            raise web.HTTPBadRequest(text="the form holds no file\n")
        return size, names

    def _store(self, target: Path, data: bytes) -> int:
        if target == self.root or target.is_dir():
            raise web.HTTPBadRequest(text="cannot store over a folder\n")
        _write_atomically(target, data)
        self.uploads.append(target)
        return len(data)

    def _resolve(self, path: str) -> Path | None:
        root = self.root.resolve()
        target = (root / path).resolve()
        if target != root and root not in target.parents:
            return None
        return target

    def _record(self, entry: FileRequest) -> None:
        self.requests.append(entry)
        self._changed.set()


def _write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.part")
    temp.write_bytes(data)
    temp.replace(target)
