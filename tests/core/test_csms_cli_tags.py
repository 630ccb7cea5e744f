"""``ocpp-bench csms`` says at start which id tags it accepts (stderr, one line).

With no tag list every tag is refused as Invalid (1.6 §7.13 AuthorizationStatus):
a newcomer presenting TAG1 saw nothing charge and nothing said why.
"""

from __future__ import annotations

import asyncio
import json
import signal

from bench.csms.testing import stub_station
from tests.core.test_csms_cli import LINE_TIMEOUT, finish, spawn, url_of


async def _stderr_line(proc, prefix: str) -> str:
    for _ in range(20):  # bounded: the notice is among the first lines
        raw = await asyncio.wait_for(proc.stderr.readline(), LINE_TIMEOUT)
        if not raw:
            break
        line = raw.decode().rstrip("\n")
        if line.startswith(prefix):
            return line
    raise AssertionError(f"no stderr line starting with {prefix!r}")


async def test_with_no_tag_list_the_csms_says_every_tag_is_invalid_and_how_to_change_that():
    proc = await spawn("--quiet", stdin=asyncio.subprocess.DEVNULL)
    try:
        url = await url_of(proc)
        notice = await _stderr_line(proc, "tags: ")
        assert "every tag is refused as Invalid" in notice
        assert "--accept-unknown-tags" in notice and "--tags FILE" in notice
        async with stub_station(url, "CP1") as cp:  # and it is true (1.6 §4.1)
            await cp.boot()
            reply = await cp.call("Authorize", {"idTag": "TAG1"})
            assert reply["idTagInfo"]["status"] == "Invalid"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await finish(proc) == 0


async def test_with_a_tag_list_the_csms_names_the_tags_and_what_happens_to_others(tmp_path):
    tags = tmp_path / "tags.json"
    tags.write_text(json.dumps({"TAG-1": "Accepted", "BLOCKED": {"status": "Blocked"}}))
    proc = await spawn("--quiet", "--tags", str(tags), stdin=asyncio.subprocess.DEVNULL)
    try:
        await url_of(proc)
        notice = await _stderr_line(proc, "tags: ")
        assert notice.startswith("tags: TAG-1 (Accepted), BLOCKED (Blocked);")
        assert "any other tag is refused as Invalid" in notice
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await finish(proc) == 0


async def test_accepting_unknown_tags_is_said_at_start():
    proc = await spawn("--quiet", "--accept-unknown-tags", stdin=asyncio.subprocess.DEVNULL)
    try:
        url = await url_of(proc)
        notice = await _stderr_line(proc, "tags: ")
        assert "any tag not in the tag list is Accepted" in notice
        async with stub_station(url, "CP1") as cp:
            await cp.boot()
            reply = await cp.call("Authorize", {"idTag": "TAG1"})
            assert reply["idTagInfo"]["status"] == "Accepted"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await finish(proc) == 0
