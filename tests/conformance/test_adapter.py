"""Adapter files: manual actions carried out over HTTP or a shell, filled from templates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aiohttp import web

from bench.conformance.adapter import (
    AdapterError,
    AdapterPrompter,
    fill,
    load_adapter,
)
from bench.conformance.manual import ChainPrompter, ManualOutcome, ManualRequest, NoPrompter


def _request(key: str, **params: object) -> ManualRequest:
    values = {"station_id": "CP1", **params}
    return ManualRequest("TC_B_20_CSMS", 1, key, "Reset the station", values)


def test_a_whole_placeholder_keeps_its_type_and_a_partial_one_becomes_text() -> None:
    values = {"station_id": "CP1", "evse": 2, "request": {"type": "OnIdle"}}
    body = {"evse": "{evse}", "payload": "{request}", "path": "/s/{station_id}/e/{evse}"}
    assert fill(body, values) == {"evse": 2, "payload": {"type": "OnIdle"}, "path": "/s/CP1/e/2"}


def test_a_placeholder_the_action_does_not_give_is_a_clear_error() -> None:
    with pytest.raises(AdapterError, match=r"needs \{token\}"):
        fill("Bearer {token}", {"station_id": "CP1"})


def test_a_bad_adapter_file_is_refused_with_its_name_and_the_reason(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[actions.reset_station]\nhttp = 3\n")
    with pytest.raises(AdapterError, match="reset_station"):
        load_adapter(bad)
    broken = tmp_path / "broken.toml"
    broken.write_text("[actions\n")
    with pytest.raises(AdapterError, match="not valid TOML"):
        load_adapter(broken)
    with pytest.raises(AdapterError, match="cannot read"):
        load_adapter(tmp_path / "missing.toml")


async def test_an_http_action_sends_the_filled_request_and_a_2xx_means_done(
    tmp_path: Path,
) -> None:
    seen: list[tuple[str, str, dict]] = []

    async def reset(request: web.Request) -> web.Response:
        seen.append((request.path, request.headers.get("Authorization", ""), await request.json()))
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/chargers/{cp}/reset", reset)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        path = tmp_path / "rest.toml"
        path.write_text(
            f'[vars]\napi = "http://127.0.0.1:{port}"\ntoken = "s3cret"\n\n'
            "[actions.reset_station]\n"
            'http = { method = "POST", url = "{api}/chargers/{station_id}/reset", '
            'json = { type = "{type}" }, headers = { Authorization = "Bearer {token}" } }\n'
        )
        prompter = AdapterPrompter(load_adapter(path))
        outcome = await prompter.perform(_request("reset_station", type="OnIdle"))
        missing = await prompter.perform(_request("clear_cache"))
    finally:
        await runner.cleanup()
    assert outcome.done and outcome.by == "adapter", outcome.detail
    assert seen == [("/chargers/CP1/reset", "Bearer s3cret", {"type": "OnIdle"})]
    assert (missing.done, missing.by) == (False, "nobody")


async def test_an_http_error_status_is_not_done_and_says_what_came_back(tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    path.write_text('[actions.x]\nhttp = { url = "http://127.0.0.1:9/none" }\n')
    outcome = await AdapterPrompter(load_adapter(path)).perform(_request("x"))
    assert not outcome.done and "failed" in outcome.detail


async def test_a_shell_action_quotes_every_value_and_exit_0_means_done(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    script = tmp_path / "record.py"
    script.write_text(f"import json, sys\njson.dump(sys.argv[1:], open({str(out)!r}, 'w'))\n")
    path = tmp_path / "shell.toml"
    path.write_text(
        f'[vars]\nscript = "{script}"\n'
        '[actions.set_variables]\nshell = "python3 {script} {station_id} {variables}"\n'
        "[actions.fails]\nshell = \"sh -c 'exit 3'\"\n"
    )
    prompter = AdapterPrompter(load_adapter(path))
    done = await prompter.perform(_request("set_variables", variables="A.B=1; rm -rf /"))
    failed = await prompter.perform(_request("fails"))
    assert done.done, done.detail
    assert json.loads(out.read_text()) == ["CP1", "A.B=1; rm -rf /"]
    assert not failed.done and "exited 3" in failed.detail


async def test_the_chain_asks_the_operator_only_for_what_the_adapter_does_not_cover(
    tmp_path: Path,
) -> None:
    path = tmp_path / "a.toml"
    path.write_text('[actions.ok]\nshell = "true"\n')

    class Operator:
        asked: list[str] = []

        async def perform(self, request: ManualRequest) -> ManualOutcome:
            self.asked.append(request.key)
            return ManualOutcome(True, "operator", "done")

    operator = Operator()
    chain = ChainPrompter(AdapterPrompter(load_adapter(path)), operator, NoPrompter())
    assert (await chain.perform(_request("ok"))).by == "adapter"
    assert (await chain.perform(_request("other"))).by == "operator"
    assert operator.asked == ["other"]


def test_actions_share_a_template_and_keep_their_own_keys(tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    path.write_text(
        '[templates.send]\nhttp = { url = "{api}/call" }\ntimeout = 5\n'
        '[actions.reset_station]\nuse = "send"\n'
        '[actions.slow]\nuse = "send"\ntimeout = 60\n'
        '[actions.broken]\nuse = "nothing"\n'
    )
    with pytest.raises(AdapterError, match="unknown template 'nothing'"):
        load_adapter(path)
    path.write_text(path.read_text().replace('[actions.broken]\nuse = "nothing"\n', ""))
    adapter = load_adapter(path)
    assert adapter.actions["reset_station"] == {"http": {"url": "{api}/call"}, "timeout": 5}
    assert adapter.actions["slow"]["timeout"] == 60
