"""Real file transfers (bench.transfer) against the CSMS file server and a real FTP server.

1.6 §8: the URL's scheme picks the protocol; FTP URLs may carry
``user:password@host:port``. Uploads go to a location (directory), §6.25.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bench import transfer
from bench.csms.files import FileServer
from bench.transfer import Options, TransferError
from tests.e2e.firmware_support import FtpServer


@pytest.fixture
async def files(tmp_path: Path) -> AsyncIterator[FileServer]:
    server = FileServer(tmp_path / "served")
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def ftp(tmp_path: Path) -> Iterator[FtpServer]:
    server = FtpServer(tmp_path / "ftp").start()
    yield server
    server.stop()


# --------------------------------------------------------------------------- HTTP
async def test_http_download_returns_the_served_file_and_is_counted(files: FileServer):
    url = files.publish("fw/image.bin", b"\x00firmware\xff" * 1000)
    data = await transfer.download(url)
    assert data == b"\x00firmware\xff" * 1000
    assert files.count("GET", "fw/image.bin") == 1


async def test_http_download_of_a_missing_file_fails_as_a_plain_failure(files: FileServer):
    with pytest.raises(TransferError) as caught:
        await transfer.download(files.url_for("nope.bin"))
    assert caught.value.reason == transfer.FAILED
    assert "404" in str(caught.value)


async def test_http_download_refuses_a_file_over_the_size_limit(files: FileServer):
    url = files.publish("big.bin", b"x" * 5000)
    with pytest.raises(TransferError, match="larger than"):
        await transfer.download(url, Options(max_bytes=1000))


async def test_http_put_to_a_folder_location_stores_the_file_under_its_name(files: FileServer):
    where = await transfer.upload(files.url_for("uploads/"), "diag.zip", b"PK-data")
    assert where.endswith("/uploads/diag.zip")
    assert (files.root / "uploads" / "diag.zip").read_bytes() == b"PK-data"
    assert files.count("PUT", "uploads/diag.zip") == 1


async def test_http_post_sends_multipart_and_the_server_stores_the_part(files: FileServer):
    await transfer.upload(files.url_for("incoming"), "log.tar.gz", b"\x1f\x8bdata")
    assert (files.root / "incoming" / "log.tar.gz").read_bytes() == b"\x1f\x8bdata"
    assert files.count("POST", "incoming") == 1


async def test_http_method_can_be_forced(files: FileServer):
    await transfer.upload(files.url_for("forced"), "a.zip", b"1", method="PUT")
    assert (files.root / "forced" / "a.zip").read_bytes() == b"1"


async def test_http_status_codes_map_to_log_upload_reasons(files: FileServer):
    """Whitepaper N01.FR.10: report the failure as precisely as possible."""
    for status, reason in (
        (403, transfer.PERMISSION_DENIED),
        (401, transfer.PERMISSION_DENIED),
        (405, transfer.NOT_SUPPORTED),
        (400, transfer.BAD_MESSAGE),
        (500, transfer.FAILED),
    ):
        files.fail_next("up", status=status)
        with pytest.raises(TransferError) as caught:
            await transfer.upload(files.url_for("up"), "x.zip", b"x")
        assert caught.value.reason == reason, status


async def test_injected_server_failures_are_used_up_then_the_file_is_served(files: FileServer):
    url = files.publish("fw.bin", b"ok")
    files.fail_next("fw.bin", times=2, status=503)
    for _ in range(2):
        with pytest.raises(TransferError):
            await transfer.download(url)
    assert await transfer.download(url) == b"ok"
    assert files.count("GET", "fw.bin") == 3


async def test_a_server_that_never_answers_times_out():
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(100_000)  # holds the connection, never answers

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(TransferError, match="timed out"):
            await transfer.download(f"http://127.0.0.1:{port}/fw.bin", Options(timeout=0.3))
    finally:
        server.close()
        await server.wait_closed()


async def test_a_closed_port_fails_without_hanging():
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    with pytest.raises(TransferError):
        await transfer.download(f"http://127.0.0.1:{port}/x", Options(timeout=2))


async def test_an_ftp_server_that_is_not_there_fails_as_a_transfer_error():
    # 1.6 §4.5 DownloadFailed / §4.4 UploadFailed (OCTT TC_044_2_CS, TC_045_2_CS send
    # ftp://127.0.0.1:21/...): a refused connection is a failed transfer, not a crash.
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    with pytest.raises(TransferError):
        await transfer.download(f"ftp://127.0.0.1:{port}/fw.bin", Options(timeout=2))
    with pytest.raises(TransferError):
        await transfer.upload(f"ftp://127.0.0.1:{port}/logs/", "d.zip", b"x", Options(timeout=2))


async def test_unknown_schemes_and_bad_names_are_refused_before_any_connection():
    with pytest.raises(TransferError) as caught:
        await transfer.download("gopher://127.0.0.1/fw.bin")
    assert caught.value.reason == transfer.NOT_SUPPORTED
    with pytest.raises(TransferError) as caught:
        await transfer.upload("http://127.0.0.1:9/", "../escape.zip", b"")
    assert caught.value.reason == transfer.BAD_MESSAGE


def test_redact_hides_the_password_only():
    assert transfer.redact("ftp://u:pw@h:2121/x") == "ftp://u@h:2121/x"
    assert transfer.redact("http://h/x") == "http://h/x"


# --------------------------------------------------------------------------- FTP
async def test_ftp_download_with_credentials_in_the_url(ftp: FtpServer):
    """1.6 §8.1: ftp://user:password@host:port/path."""
    (ftp.root / "fw").mkdir()
    (ftp.root / "fw" / "image-1.2.3.bin").write_bytes(b"binary image")
    data = await transfer.download(ftp.url("fw/image-1.2.3.bin"))
    assert data == b"binary image"
    assert len(ftp.sent) == 1


async def test_ftp_upload_stores_the_file_in_the_location_folder(ftp: FtpServer):
    """1.6 §8.2 / §6.25: the location is a directory."""
    (ftp.root / "diag").mkdir()
    where = await transfer.upload(ftp.url("diag/"), "cp1.zip", b"PK\x03\x04zip")
    assert (ftp.root / "diag" / "cp1.zip").read_bytes() == b"PK\x03\x04zip"
    assert "s3cret" not in where
    assert len(ftp.received) == 1


async def test_ftp_wrong_password_is_permission_denied(ftp: FtpServer):
    with pytest.raises(TransferError) as caught:
        await transfer.upload(ftp.url("", password="wrong"), "x.zip", b"x")
    assert caught.value.reason == transfer.PERMISSION_DENIED


async def test_ftp_download_of_a_missing_file_is_a_plain_failure(ftp: FtpServer):
    with pytest.raises(TransferError) as caught:
        await transfer.download(ftp.url("missing.bin"))
    assert caught.value.reason == transfer.FAILED


async def test_ftp_download_needs_a_file_name(ftp: FtpServer):
    with pytest.raises(TransferError) as caught:
        await transfer.download(ftp.url("folder/"))
    assert caught.value.reason == transfer.BAD_MESSAGE


# --------------------------------------------------------------------------- the file server itself
async def test_file_server_keeps_paths_inside_its_folder(files: FileServer, tmp_path: Path):
    (tmp_path / "secret.txt").write_text("not for you")
    assert files._resolve("../secret.txt") is None
    assert files._resolve("a/../../secret.txt") is None
    assert files._resolve("a/b.txt") == (files.root / "a" / "b.txt").resolve()
    with pytest.raises(ValueError):
        files.publish("../outside.bin", b"x")


async def test_file_server_refuses_a_form_without_a_file(files: FileServer):
    import aiohttp

    async with aiohttp.ClientSession() as http:
        form = aiohttp.FormData(default_to_multipart=True)
        form.add_field("note", "no file here")
        async with http.post(files.url_for("incoming"), data=form) as resp:
            assert resp.status == 400
    assert files.count("POST", "incoming") == 1
    assert files.uploads == []


async def test_file_server_waits_for_uploads(files: FileServer):
    async def later() -> None:
        await asyncio.sleep(0.05)
        await transfer.upload(files.url_for("u/"), "late.zip", b"z")

    task = asyncio.create_task(later())
    uploaded = await files.wait_for_upload(1, timeout=5)
    await task
    assert [p.name for p in uploaded] == ["late.zip"]


async def test_https_transfers_trust_the_ca_they_are_given(tmp_path: Path):
    """1.6 §8: HTTPS; the station trusts the CA it was provisioned with (its link's ca_file)."""
    from tests.core.certs import make_pki, server_ssl_context

    pki = make_pki(tmp_path / "pki")
    server = FileServer(tmp_path / "tls", ssl_context=server_ssl_context(pki.server))
    await server.start()
    try:
        url = server.publish("fw.bin", b"over tls")
        assert url.startswith("https://")
        trusted = Options(ca_file=str(pki.ca.cert_file), timeout=5)
        assert await transfer.download(url, trusted) == b"over tls"
        await transfer.upload(server.url_for("up/"), "d.zip", b"zip", trusted)
        assert (server.root / "up" / "d.zip").read_bytes() == b"zip"
        with pytest.raises(TransferError):
            await transfer.download(url, Options(timeout=5))  # unknown CA: refused
    finally:
        await server.stop()
