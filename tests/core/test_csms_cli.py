"""``python -m bench.csms.cli`` driven as a subprocess with pipes, on 127.0.0.1 port 0."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path

import pytest

from bench.csms.testing import stub_station

ROOT = Path(__file__).resolve().parents[2]
LINE_TIMEOUT = 15.0


async def spawn(*args: str, stdin: int | None = asyncio.subprocess.PIPE):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.csms.cli", *args,
        stdin=stdin, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        cwd=ROOT, env=env,
    )  # fmt: skip


async def read_until(proc, prefix: str, limit: int = 200) -> str:
    """The first stdout line starting with ``prefix`` (bounded in lines and time)."""
    for _ in range(limit):
        raw = await asyncio.wait_for(proc.stdout.readline(), LINE_TIMEOUT)
        if not raw:
            raise AssertionError(f"stdout ended before a line starting with {prefix!r}")
        line = raw.decode().rstrip("\n")
        if line.startswith(prefix):
            return line
    raise AssertionError(f"no line starting with {prefix!r} in {limit} lines")


async def url_of(proc) -> str:
    line = await read_until(proc, "CSMS listening on ", limit=1)
    return line.removeprefix("CSMS listening on ")


async def finish(proc) -> int:
    try:
        return await asyncio.wait_for(proc.wait(), LINE_TIMEOUT)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise


async def test_the_cli_prints_its_url_and_answers_a_send_command(tmp_path):
    tags = tmp_path / "tags.json"
    tags.write_text(json.dumps({"GOOD": "Accepted"}))
    log = tmp_path / "frames.jsonl"
    proc = await spawn("--port", "0", "--tags", str(tags), "--log", str(log))
    try:
        url = await url_of(proc)
        assert url.startswith("ws://127.0.0.1:") and not url.endswith(":0")
        async with stub_station(url, "CP1") as cp:
            await cp.boot()
            proc.stdin.write(b'send CP1 GetConfiguration {"key": ["HeartbeatInterval"]}\n')
            await proc.stdin.drain()
            reply = json.loads((await read_until(proc, "reply ")).removeprefix("reply "))
            assert reply["configurationKey"][0]["key"] == "HeartbeatInterval"
            assert cp.received == [("GetConfiguration", {"key": ["HeartbeatInterval"]})]
            proc.stdin.write(b"send CP1 Reset {}\nstations\ntags\n")
            await proc.stdin.drain()
            error = json.loads((await read_until(proc, "error ")).removeprefix("error "))
            assert error["errorCode"] == "InvalidPayload"  # Reset needs a type
            stations = await read_until(proc, "stations ")
            assert json.loads(stations.removeprefix("stations ")) == [
                {"id": "CP1", "registration": "Accepted"}
            ]
            tag_line = await read_until(proc, "tags ")
            assert json.loads(tag_line.removeprefix("tags ")) == {"GOOD": {"status": "Accepted"}}
        proc.stdin.write(b"quit\n")
        await proc.stdin.drain()
        assert await finish(proc) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    actions = [json.loads(line)["action"] for line in log.read_text().splitlines()]
    assert "BootNotification" in actions and "GetConfiguration" in actions


async def test_the_message_log_is_printed_unless_quiet():
    proc = await spawn()
    try:
        url = await url_of(proc)
        async with stub_station(url, "CP1") as cp:
            await cp.boot()
            line = await read_until(proc, "", limit=1)
            assert "CP1" in line and "BootNotification" in line
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await finish(proc) == 0


async def test_end_of_stdin_does_not_stop_the_server_and_sigterm_stops_it_cleanly():
    proc = await spawn("--quiet", stdin=asyncio.subprocess.DEVNULL)
    try:
        url = await url_of(proc)
        async with stub_station(url, "CP1") as cp:  # still serving after stdin's EOF
            assert (await cp.boot())["status"] == "Accepted"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await finish(proc) == 0
    assert (await proc.stdout.read()).decode().strip() == "CSMS stopped"


async def test_exit_on_eof_stops_the_server_when_stdin_ends():
    proc = await spawn("--quiet", "--exit-on-eof", stdin=asyncio.subprocess.DEVNULL)
    await url_of(proc)
    assert await finish(proc) == 0


async def test_a_port_in_use_is_one_clear_error_line_and_a_nonzero_exit():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = await spawn("--port", str(port), stdin=asyncio.subprocess.DEVNULL)
        code = await finish(proc)
    err = (await proc.stderr.read()).decode().strip().splitlines()
    assert code == 1
    assert len(err) == 1 and err[0].startswith(f"error: cannot listen on 127.0.0.1:{port}")


@pytest.mark.parametrize(
    ("content", "expected"),
    [("{not json", "is not valid JSON"), ('{"T": "Maybe"}', "tag status must be one of")],
)
async def test_a_bad_tags_file_is_one_clear_error_line(tmp_path, content, expected):
    tags = tmp_path / "tags.json"
    tags.write_text(content)
    proc = await spawn("--tags", str(tags), stdin=asyncio.subprocess.DEVNULL)
    assert await finish(proc) == 2
    err = (await proc.stderr.read()).decode().strip().splitlines()
    assert len(err) == 1 and expected in err[0] and str(tags) in err[0]


async def test_a_stations_reply_is_printed_with_control_characters_escaped(tmp_path):
    """Issue 11 #5: C1 controls (CSI \\x9b) and DEL from a peer never reach the terminal raw."""
    proc = await spawn("--port", "0", "--quiet", "--db", str(tmp_path / "c.db"))
    hostile = {"configurationKey": [{"key": "K", "readonly": True, "value": "\x9b2J\x7fgone"}]}
    try:
        url = await url_of(proc)
        async with stub_station(url, "CP1", replies={"GetConfiguration": hostile}) as cp:
            await cp.boot()
            proc.stdin.write(b'send CP1 GetConfiguration {"key": ["K"]}\n')
            await proc.stdin.drain()
            line = await read_until(proc, "reply ")
            assert "\x9b" not in line and "\x7f" not in line
            assert "\\x9b2J\\x7fgone" in line
    finally:
        proc.stdin.write(b"quit\n")
        await proc.stdin.drain()
        await finish(proc)
