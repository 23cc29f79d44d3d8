"""The channels' keys as administrators see them (where each comes from, never its value), and
the API channel's own key rotated: the old key is refused at once, the new one accepted; a key
the environment sets cannot be rotated."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from channels.registry import configured
from hub.cli import main
from tests.conftest import api_channel_headers, hub_app, hub_settings, login

MESSAGE = "/api/v1/channels/api/messages"


async def _post(client: TestClient, key: str) -> int:
    body = {"sender": "citizen-7", "text": "따릉이 대여 방법", "message_id": uuid.uuid4().hex}
    response = await client.post(MESSAGE, json=body, headers={"Authorization": f"Bearer {key}"})
    return response.status


async def test_rotating_the_hub_made_key_refuses_the_old_one_at_once(client: TestClient) -> None:
    admin = await login(client, "admin", available=False)
    old = api_channel_headers(client)["Authorization"].removeprefix("Bearer ")
    listed = await (await client.get("/api/v1/channels/keys", headers=admin)).json()
    [api] = [entry for entry in listed["channels"] if entry["channel"] == "api"]
    assert (api["source"], api["rotatable"]) == ("hub", True) and api["made_at"]
    assert old not in json.dumps(listed)

    rotated = await client.post("/api/v1/channels/api/key/rotate", headers=admin)
    assert rotated.status == 200
    new = (await rotated.json())["key"]
    assert new != old and len(new) >= 32
    assert await _post(client, old) == 401
    assert await _post(client, new) == 200
    assert new not in json.dumps(await (await client.get("/api/v1/channels/keys", headers=admin)).json())

    audit = await (await client.get("/api/v1/audit", params={"target": "channel:api"}, headers=admin)).json()
    assert [(e["actor"], e["action"]) for e in audit["entries"]][0] == ("agent:admin", "api_key_rotated")
    assert new not in json.dumps(audit) and old not in json.dumps(audit)

    supervisor = await login(client, "jung", available=False)
    assert (await client.post("/api/v1/channels/api/key/rotate", headers=supervisor)).status == 403
    assert (await client.get("/api/v1/channels/keys", headers=supervisor)).status == 403
    assert await _post(client, new) == 200


async def test_a_key_set_in_the_environment_is_not_rotated(tmp_path: Path) -> None:
    key = "operator-chosen-key-0123456789abcdef"
    channels = tuple(configured({"DASAN_API_CHANNEL_KEY": key}, "http://127.0.0.1:8080"))
    settings = hub_settings(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", channels=channels)
    async with TestClient(TestServer(hub_app(settings))) as client:
        admin = await login(client, "admin", available=False)
        refused = await client.post("/api/v1/channels/api/key/rotate", headers=admin)
        assert refused.status == 409
        assert "DASAN_API_CHANNEL_KEY" in (await refused.json())["error"]["message"]
        assert await _post(client, key) == 200
        listed = await (await client.get("/api/v1/channels/keys", headers=admin)).json()
        [api] = [entry for entry in listed["channels"] if entry["channel"] == "api"]
        assert (api["source"], api["rotatable"], api["variables"]) == ("environment", False, ["DASAN_API_CHANNEL_KEY"])
        assert key not in json.dumps(listed)
        audit = await (await client.get("/api/v1/audit", params={"target": "channel:api"}, headers=admin)).json()
        assert audit["entries"] == []


async def test_the_command_line_rotates_the_key_for_the_next_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    async with TestClient(TestServer(hub_app(hub_settings(url)))) as first:
        old = api_channel_headers(first)["Authorization"].removeprefix("Bearer ")
    monkeypatch.setenv("DASAN_API_CHANNEL_KEY", "set-by-the-operator-" + "k" * 20)
    assert await asyncio.to_thread(main, ["--database", url, "keys", "rotate"]) == 2
    assert "DASAN_API_CHANNEL_KEY" in capsys.readouterr().err
    monkeypatch.delenv("DASAN_API_CHANNEL_KEY")
    assert await asyncio.to_thread(main, ["--database", url, "keys", "rotate"]) == 0
    new = capsys.readouterr().out.rsplit(" ", 1)[1].strip()
    assert new != old and len(new) >= 32
    async with TestClient(TestServer(hub_app(hub_settings(url)))) as restarted:
        assert await _post(restarted, old) == 401
        assert await _post(restarted, new) == 200
        admin = await login(restarted, "admin", available=False)
        audit = await (await restarted.get("/api/v1/audit", params={"target": "channel:api"}, headers=admin)).json()
        assert ("cli", "api_key_rotated") in [(e["actor"], e["action"]) for e in audit["entries"]]
