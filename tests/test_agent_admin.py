"""Administrators manage agents over the API and with `dasan agents`: each change is audited with
what changed (never a password), a deactivated agent is out at once and their conversation goes
back to its queue, the last administrator stays, and bad input says which field is wrong."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from hub import agent_admin
from hub.cli import main
from hub.core import HUB
from model import Role
from model.errors import HubError
from tests.conftest import DEMO_PASSWORD, citizen_says, login, wait_for

TRANSPORT = "버스 노선 문의 상담사 연결해 주세요"


async def _audit(client: TestClient, admin: dict[str, str], target: str) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/audit", params={"target": target}, headers=admin)
    assert response.status == 200
    return (await response.json())["entries"]


async def _log_in(client: TestClient, username: str, password: str) -> int:
    response = await client.post("/api/v1/auth/login", json={"username": username, "password": password})
    return response.status


async def _listed(client: TestClient, admin: dict[str, str], username: str) -> dict[str, Any]:
    agents = (await (await client.get("/api/v1/agents", headers=admin)).json())["agents"]
    return next(agent for agent in agents if agent["username"] == username)


async def test_an_admin_adds_changes_and_resets_an_agent(client: TestClient) -> None:
    admin = await login(client, "admin", available=False)
    created = await client.post(
        "/api/v1/agents",
        json={"username": "song", "display_name": "송하은", "skills": ["water"], "languages": ["ko", "ja"]},
        headers=admin,
    )
    assert created.status == 201, await created.text()
    body = await created.json()
    first_password = body["password"]
    assert body["agent"]["active"] and body["agent"]["state"] == "offline" and len(first_password) >= 10
    assert await _log_in(client, "song", first_password) == 200

    changed = await client.patch(
        "/api/v1/agents/song",
        json={"role": "supervisor", "skills": ["water", "transport"], "capacity": {"chat": 5, "video": 0}},
        headers=admin,
    )
    assert changed.status == 200, await changed.text()
    shown = await _listed(client, admin, "song")
    assert (shown["role"], shown["skills"], shown["languages"], shown["capacity"]) == (
        "supervisor", ["water", "transport"], ["ko", "ja"], {"chat": 5, "video": 0},
    )  # fmt: skip

    song = await login_as(client, "song", first_password)
    reset = await client.post("/api/v1/agents/song/password", headers=admin)
    assert reset.status == 200
    new_password = (await reset.json())["password"]
    assert new_password and new_password != first_password
    assert (await client.get("/api/v1/me", headers=song)).status == 401
    assert await _log_in(client, "song", first_password) == 401
    assert await _log_in(client, "song", new_password) == 200
    chosen = await client.post("/api/v1/agents/song/password", json={"password": "물빛-2026-봄날"}, headers=admin)
    assert (await chosen.json())["password"] is None
    assert await _log_in(client, "song", "물빛-2026-봄날") == 200

    entries = await _audit(client, admin, "agent:song")
    assert [(e["actor"], e["action"]) for e in entries] == [
        ("agent:admin", "password_reset"),
        ("agent:admin", "password_reset"),
        ("agent:admin", "agent_changed"),
        ("agent:admin", "agent_added"),
    ]
    assert entries[2]["detail"]["role"] == {"from": "agent", "to": "supervisor"}
    assert "languages" not in entries[2]["detail"]  # unchanged, so not said to change
    logged = json.dumps(entries, ensure_ascii=False)
    assert first_password not in logged and new_password not in logged and "물빛" not in logged


async def login_as(client: TestClient, username: str, password: str) -> dict[str, str]:
    response = await client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status == 200
    return {"Authorization": f"Bearer {(await response.json())['token']}"}


async def test_a_deactivated_agent_is_out_at_once_and_their_conversation_is_queued_again(client: TestClient) -> None:
    admin = await login(client, "admin", available=False)
    kim = await login(client, "kim")
    conversation_id = (await citizen_says(client, "citizen-1", TRANSPORT))["conversation_id"]

    async def offered() -> bool:
        found = await (await client.get(f"/api/v1/conversations/{conversation_id}", headers=admin)).json()
        return found["state"] == "offered" and found["assigned_agent"] == "kim"

    await wait_for(offered, failure="the conversation was not offered to kim")
    assert (await client.post(f"/api/v1/conversations/{conversation_id}/claim", headers=kim)).status == 200

    deactivated = await client.post("/api/v1/agents/kim/deactivate", headers=admin)
    assert deactivated.status == 200, await deactivated.text()
    assert (await client.get("/api/v1/me", headers=kim)).status == 401
    assert await _log_in(client, "kim", DEMO_PASSWORD) == 401
    conversation = await (await client.get(f"/api/v1/conversations/{conversation_id}", headers=admin)).json()
    assert (conversation["state"], conversation["assigned_agent"]) == ("queued", None)
    shown = await _listed(client, admin, "kim")
    assert (shown["active"], shown["state"]) == (False, "offline")
    [entry] = [e for e in await _audit(client, admin, "agent:kim") if e["action"] == "agent_deactivated"]
    assert entry["detail"]["requeued"] == 1 and entry["detail"]["sessions"] == 1

    # Another agent takes it; kim is offered nothing meanwhile.
    park = await login(client, "park")
    await wait_for(
        lambda: _assigned_to(client, admin, conversation_id, "park", park), failure="park did not get the conversation"
    )

    assert (await client.post("/api/v1/agents/kim/reactivate", headers=admin)).status == 200
    assert await _log_in(client, "kim", DEMO_PASSWORD) == 200
    assert [e["action"] for e in await _audit(client, admin, "agent:kim")][0] == "agent_reactivated"


async def _assigned_to(
    client: TestClient, admin: dict[str, str], conversation_id: str, username: str, headers: dict[str, str]
) -> bool:
    found = await (await client.get(f"/api/v1/conversations/{conversation_id}", headers=admin)).json()
    if found["state"] == "offered" and found["assigned_agent"] == username:
        await client.post(f"/api/v1/conversations/{conversation_id}/claim", headers=headers)
        return False
    return found["state"] == "assigned" and found["assigned_agent"] == username


async def test_the_last_admin_stays_and_no_admin_deactivates_themselves(sqlite_client: TestClient) -> None:
    client = sqlite_client
    admin = await login(client, "admin", available=False)
    refused = await client.post("/api/v1/agents/admin/deactivate", headers=admin)
    assert refused.status == 409 and "yourself" in (await refused.json())["error"]["message"]
    demoted = await client.patch("/api/v1/agents/admin", json={"role": "supervisor"}, headers=admin)
    assert demoted.status == 409 and "own role" in (await demoted.json())["error"]["message"]
    assert (await client.post("/api/v1/agents/admin/password", headers=admin)).status == 409

    made = await client.post("/api/v1/agents", json={"username": "oh", "role": "admin"}, headers=admin)
    oh = await login_as(client, "oh", (await made.json())["password"])
    assert (await client.post("/api/v1/agents/admin/deactivate", headers=oh)).status == 200
    assert (await client.post("/api/v1/agents/oh/deactivate", headers=oh)).status == 409
    # oh is the last active administrator now: not even the command line takes that away.
    hub = client.app[HUB]
    for change in (
        agent_admin.deactivate_agent(hub, "oh", "cli"),
        agent_admin.update_agent(hub, "oh", agent_admin.AgentProfile(role=Role.SUPERVISOR), "cli"),
    ):
        with pytest.raises(HubError, match="last active administrator"):
            await change
    assert [e["action"] for e in await _audit(client, oh, "agent:oh")] == ["agent_added"]
    assert (await client.post("/api/v1/agents/admin/reactivate", headers=oh)).status == 200
    assert (await client.patch("/api/v1/agents/oh", json={"role": "supervisor"}, headers=admin)).status == 401


ADMIN_ACTIONS = (
    ("POST", "/api/v1/agents", {"username": "ryu"}),
    ("PATCH", "/api/v1/agents/lee", {"role": "admin"}),
    ("POST", "/api/v1/agents/lee/deactivate", None),
    ("POST", "/api/v1/agents/lee/reactivate", None),
    ("POST", "/api/v1/agents/lee/password", None),
)


async def test_only_an_admin_may_and_a_refusal_changes_nothing(sqlite_client: TestClient) -> None:
    client = sqlite_client
    callers = {"anonymous": ({}, 401)} | {
        name: (await login(client, name, available=False), 403) for name in ("jung", "kim", "han")
    }
    client.session.cookie_jar.clear()  # the logins set the cookie: only the headers say who asks
    for method, path, body in ADMIN_ACTIONS:
        for name, (headers, status) in callers.items():
            response = await client.request(method, path, json=body, headers=headers)
            assert response.status == status, f"{method} {path} as {name}: {response.status}"
    admin = await login(client, "admin", available=False)
    assert [entry["action"] for entry in await _audit(client, admin, "agent:lee")] == ["agent_added"]
    assert await _log_in(client, "lee", DEMO_PASSWORD) == 200


BAD_NEW_AGENTS = (
    ({"username": "ryu", "languages": ["ko", "fr"]}, "languages"),
    ({"username": "ryu", "skills": ["parking"]}, "skills"),
    ({"username": "ryu", "password": "short1"}, "password"),
    ({"username": "ryu", "password": "onlyletterslong"}, "password"),
    ({"username": "ryu", "password": "ryu-is-2026"}, "password"),
    ({"username": "ryu", "capacity": {"fax": 1}}, "capacity"),
    ({"username": "ryu", "capacity": {"chat": -1}}, "capacity"),
    ({"username": "ryu", "role": "owner"}, "role"),
    ({"username": "r y u"}, "username"),
    ({"display_name": "류"}, "username"),
    ({"username": "ryu", "colour": "blue"}, "colour"),
)


async def test_bad_input_names_the_field_and_changes_nothing(sqlite_client: TestClient) -> None:
    client = sqlite_client
    admin = await login(client, "admin", available=False)
    for body, field in BAD_NEW_AGENTS:
        response = await client.post("/api/v1/agents", json=body, headers=admin)
        assert response.status == 400, body
        assert f"'{field}'" in (await response.json())["error"]["message"], body
    assert await _audit(client, admin, "agent:ryu") == []
    assert (await client.post("/api/v1/agents", json={"username": "kim"}, headers=admin)).status == 409
    assert (await client.patch("/api/v1/agents/nobody", json={"role": "agent"}, headers=admin)).status == 404
    assert (await client.post("/api/v1/agents/nobody/deactivate", headers=admin)).status == 404
    bad_skill = await client.patch("/api/v1/agents/kim", json={"skills": ["nowhere"]}, headers=admin)
    assert bad_skill.status == 400 and "'skills'" in (await bad_skill.json())["error"]["message"]
    weak = await client.post("/api/v1/agents/kim/password", json={"password": "abc"}, headers=admin)
    assert weak.status == 400 and "'password'" in (await weak.json())["error"]["message"]
    assert await _log_in(client, "kim", DEMO_PASSWORD) == 200


def test_the_command_line_lists_changes_deactivates_and_resets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = ["--database", f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"]
    assert main([*database, "agents", "add", "kim", "--password", "dasan1200", "--name", "김민지"]) == 0
    assert main([*database, "agents", "set", "kim", "--role", "supervisor", "--skills", "transport,water",
                 "--languages", "ko,en", "--capacity", "chat=2,video=1"]) == 0  # fmt: skip
    assert main([*database, "agents", "password", "kim"]) == 0
    printed = capsys.readouterr().out
    assert "shown once" in printed
    assert main([*database, "agents", "deactivate", "kim"]) == 0
    capsys.readouterr()

    assert main([*database, "agents", "list"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert line.split("\t") == ["kim", "김민지", "supervisor", "transport,water", "ko,en", "chat=2,video=1", "offline",
                                "inactive"]  # fmt: skip

    assert main([*database, "audit", "--target", "agent:kim"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("  ")[1:3] for line in lines] == [
        ["cli", "agent_deactivated"], ["cli", "password_reset"], ["cli", "agent_changed"], ["cli", "agent_added"],
    ]  # fmt: skip
    assert main([*database, "agents", "set", "kim", "--capacity", "chat=lots"]) == 2
    assert "--capacity" in capsys.readouterr().err
