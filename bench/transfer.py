"""File transfers a station makes for real: firmware downloads, diagnostics and log uploads.

1.6 §8 lets the CSMS pick the protocol with the URL's scheme: ``http``,
``https``, ``ftp`` or ``ftps``, with optional credentials in the URL
(``ftp://user:password@host:port/path``). HTTP(S) goes through aiohttp; FTP(S)
through the standard library's ``ftplib`` in a worker thread, always passive
(security whitepaper L01/N01: "FTP needs to be able to use Passive FTP").

Uploads go to a *location* (1.6 §6.25: "the location (directory) where the
diagnostics file shall be uploaded to"):

- ``ftp(s)://host/dir/``: the file is stored as ``dir/<name>`` (``STOR``).
- ``http(s)://host/path/`` (path ends with ``/``): ``PUT`` to ``path/<name>``.
- ``http(s)://host/path`` (anything else): ``POST`` of ``multipart/form-data``
  with the file in the field ``file`` under its name.

``method`` overrides the HTTP choice. Every failure raises ``TransferError``
whose ``reason`` says why in the words of the security whitepaper's
UploadLogStatusEnumType (``PermissionDenied``, ``NotSupportedOperation``,
``BadMessage``) or ``Failed`` for everything else (network, timeout, 404...).
"""

from __future__ import annotations

import asyncio
import ftplib
import io
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import unquote

import aiohttp
from yarl import URL

SCHEMES = ("http", "https", "ftp", "ftps")
# The names SupportedFileTransferProtocols uses for them (1.6 errata §9.5.1).
PROTOCOL_NAMES = {"http": "HTTP", "https": "HTTPS", "ftp": "FTP", "ftps": "FTPS"}

DEFAULT_TIMEOUT = 30.0  # real seconds for one whole transfer
DEFAULT_MAX_BYTES = 64 * 1024 * 1024  # a firmware image bigger than this is refused

FAILED = "Failed"
PERMISSION_DENIED = "PermissionDenied"
NOT_SUPPORTED = "NotSupportedOperation"
BAD_MESSAGE = "BadMessage"


class TransferError(Exception):
    """A transfer failed; ``reason`` is one of the module's reason constants."""

    def __init__(self, message: str, reason: str = FAILED) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Options:
    """How to transfer: time limit, size limit and trust for HTTPS/FTPS."""

    timeout: float = DEFAULT_TIMEOUT
    max_bytes: int = DEFAULT_MAX_BYTES
    ca_file: str | None = None  # extra CA for https/ftps servers (the CSMS's own CA)

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file)


def scheme_of(url: str) -> str:
    """The URL's scheme, lower case; raises TransferError for one we cannot speak."""
    try:
        scheme = URL(url).scheme.lower()
    except (ValueError, TypeError) as exc:
        raise TransferError(f"{url!r} is not a URL: {exc}", BAD_MESSAGE) from None
    if scheme not in SCHEMES:
        raise TransferError(f"unsupported transfer protocol {scheme!r} in {url}", NOT_SUPPORTED)
    return scheme


def redact(url: str) -> str:
    """The URL without its password, for logs and events."""
    try:
        parsed = URL(url)
    except (ValueError, TypeError):
        return url
    return str(parsed.with_password(None)) if parsed.password else url


# --------------------------------------------------------------------------- download
async def download(url: str, options: Options | None = None) -> bytes:
    """Fetch ``url`` (http, https, ftp, ftps) and return its bytes."""
    opts = options or Options()
    scheme = scheme_of(url)
    if scheme in ("http", "https"):
        return await _http_download(URL(url), opts)
    return await asyncio.to_thread(_ftp_download, URL(url), scheme == "ftps", opts)


async def _http_download(url: URL, opts: Options) -> bytes:
    auth, bare = _split_auth(url)
    timeout = aiohttp.ClientTimeout(total=opts.timeout)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as http,
            http.get(bare, auth=auth, ssl=_ssl_for(bare, opts)) as resp,
        ):
            _check_status(resp.status, "GET", bare)
            chunks: list[bytes] = []
            size = 0
            async for chunk in resp.content.iter_chunked(64 * 1024):
                size += len(chunk)
                if size > opts.max_bytes:
                    raise TransferError(f"{bare} is larger than {opts.max_bytes} bytes")
                chunks.append(chunk)
            return b"".join(chunks)
    except TransferError:
        raise
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        raise TransferError(f"GET {bare} failed: {_describe(exc)}") from exc


def _ftp_download(url: URL, secure: bool, opts: Options) -> bytes:
    path = unquote(url.raw_path)
    if not path or path.endswith("/"):
        raise TransferError(f"{redact(str(url))} names no file to download", BAD_MESSAGE)
    out = io.BytesIO()

    def sink(block: bytes) -> None:
        if out.tell() + len(block) > opts.max_bytes:
            raise TransferError(f"{redact(str(url))} is larger than {opts.max_bytes} bytes")
        out.write(block)

    with _FtpSession(url, secure, opts) as ftp:
        _ftp_do(lambda: ftp.retrbinary(f"RETR {path}", sink), "RETR", url)
    return out.getvalue()


# --------------------------------------------------------------------------- upload
async def upload(
    location: str, name: str, data: bytes, options: Options | None = None, method: str = "auto"
) -> str:
    """Store ``data`` as ``name`` at ``location``; returns where it went (redacted URL)."""
    opts = options or Options()
    if "/" in name or "\\" in name or name in ("", ".", ".."):
        raise TransferError(f"{name!r} is not a plain file name", BAD_MESSAGE)
    scheme = scheme_of(location)
    if scheme in ("http", "https"):
        return await _http_upload(URL(location), name, data, opts, method)
    return await asyncio.to_thread(_ftp_upload, URL(location), scheme == "ftps", name, data, opts)


async def _http_upload(url: URL, name: str, data: bytes, opts: Options, method: str) -> str:
    auth, bare = _split_auth(url)
    if method == "auto":
        method = "PUT" if bare.path.endswith("/") else "POST"
    if method not in ("PUT", "POST"):
        raise ValueError(f"method must be auto, PUT or POST, not {method!r}")
    timeout = aiohttp.ClientTimeout(total=opts.timeout)
    target = bare
    if method == "PUT":  # the location is a folder: the file goes inside it
        folder = bare if bare.path.endswith("/") else bare.with_path(bare.path + "/")
        target = folder / name
    try:
        async with aiohttp.ClientSession(timeout=timeout) as http:
            if method == "PUT":
                headers = {"Content-Type": "application/octet-stream"}
                request = http.put(
                    target, data=data, auth=auth, headers=headers, ssl=_ssl_for(target, opts)
                )
            else:
                form = aiohttp.FormData()
                form.add_field("file", data, filename=name, content_type="application/octet-stream")
                request = http.post(target, data=form, auth=auth, ssl=_ssl_for(target, opts))
            async with request as resp:
                _check_status(resp.status, method, target)
    except TransferError:
        raise
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        raise TransferError(f"{method} {target} failed: {_describe(exc)}") from exc
    return str(target)


def _ftp_upload(url: URL, secure: bool, name: str, data: bytes, opts: Options) -> str:
    folder = unquote(url.raw_path) or "/"
    target = str(PurePosixPath(folder) / name)
    with _FtpSession(url, secure, opts) as ftp:
        _ftp_do(lambda: ftp.storbinary(f"STOR {target}", io.BytesIO(data)), "STOR", url)
    return redact(str(url.with_path(target)))


# --------------------------------------------------------------------------- helpers
def _split_auth(url: URL) -> tuple[aiohttp.BasicAuth | None, URL]:
    if url.user is None:
        return None, url
    auth = aiohttp.BasicAuth(unquote(url.user), unquote(url.password or ""))
    return auth, url.with_user(None)


def _ssl_for(url: URL, opts: Options) -> ssl.SSLContext | bool:
    return opts.ssl_context() if url.scheme == "https" else False


def _check_status(status: int, method: str, url: URL) -> None:
    if 200 <= status < 300:
        return
    if status in (401, 403):
        reason = PERMISSION_DENIED
    elif status in (405, 501):
        reason = NOT_SUPPORTED
    elif status == 400:
        reason = BAD_MESSAGE
    else:
        reason = FAILED
    raise TransferError(f"{method} {url} answered HTTP {status}", reason)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__


class _FtpSession:
    """Connect, log in (anonymous without credentials), passive mode; always closes."""

    def __init__(self, url: URL, secure: bool, opts: Options) -> None:
        self.url = url
        self.secure = secure
        self.opts = opts
        self.ftp: ftplib.FTP | None = None

    def __enter__(self) -> ftplib.FTP:
        url = self.url
        ftp: ftplib.FTP = (
            ftplib.FTP_TLS(context=self.opts.ssl_context(), timeout=self.opts.timeout)
            if self.secure
            else ftplib.FTP(timeout=self.opts.timeout)
        )
        self.ftp = ftp
        try:
            ftp.connect(url.host or "", url.port or 21)
            user = unquote(url.user) if url.user else "anonymous"
            password = unquote(url.password) if url.password else "anonymous@"
            ftp.login(user, password)
            if isinstance(ftp, ftplib.FTP_TLS):
                ftp.prot_p()  # encrypt the data channel too
            ftp.set_pasv(True)
        except ftplib.error_perm as exc:
            self._close()
            raise TransferError(
                f"FTP login to {url.host} refused: {exc}", PERMISSION_DENIED
            ) from exc
        except (ftplib.Error, OSError, EOFError) as exc:
            self._close()
            raise TransferError(f"FTP connect to {url.host} failed: {_describe(exc)}") from exc
        return ftp

    def __exit__(self, *exc_info: object) -> None:
        self._close()

    def _close(self) -> None:
        ftp = self.ftp
        if ftp is None:
            return
        if ftp.sock is None:  # the connection was never made: nothing to say QUIT on
            ftp.close()
            return
        try:
            ftp.quit()
        except (ftplib.Error, OSError, EOFError):
            ftp.close()


def _ftp_do(action: Callable[[], object], verb: str, url: URL) -> None:
    try:
        action()
    except TransferError:
        raise
    except ftplib.error_perm as exc:
        text = str(exc)
        reason = PERMISSION_DENIED if text.startswith(("530", "550", "553")) else NOT_SUPPORTED
        if text.startswith("550") and verb == "RETR":
            reason = FAILED  # no such file: a plain failure for a download
        raise TransferError(f"FTP {verb} at {redact(str(url))}: {text}", reason) from exc
    except (ftplib.Error, OSError, EOFError) as exc:
        raise TransferError(f"FTP {verb} at {redact(str(url))} failed: {_describe(exc)}") from exc
