"""The audit log of administrative actions: written with the change it records, read by
supervisors and administrators newest first, and printed by `dasan audit`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from hub.cli import main
from tests.conftest import login


async def _audit(client: TestClient, headers: dict[str, str], **query: str) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/audit", params=query, headers=headers)
    assert response.status == 200, await response.text()
    return (await response.json())["entries"]


async def test_team_changes_are_audited_with_who_and_what(client: TestClient) -> None:
    admin = await login(client, "admin", available=False)
    supervisor = await login(client, "jung", available=False)
    team = await (await client.post("/api/v1/teams", json={"name": "상담1팀"}, headers=admin)).json()
    renamed = await client.patch(f"/api/v1/teams/{team['id']}", json={"name": "상담2팀"}, headers=admin)
    assert renamed.status == 200
    part = await (
        await client.post(f"/api/v1/teams/{team['id']}/parts", json={"name": "교통파트"}, headers=admin)
    ).json()
    placed = await client.put("/api/v1/agents/kim/part", json={"part": part["id"]}, headers=admin)
    assert placed.status == 200
    assert (await client.delete(f"/api/v1/teams/{team['id']}", headers=admin)).status == 204

    changes = await _audit(client, supervisor, action="team_changed")
    assert [(e["actor"], e["target"], e["detail"]["change"]) for e in changes] == [
        ("agent:admin", f"team:{team['id']}", "deleted"),
        ("agent:admin", "agent:kim", "part_set"),
        ("agent:admin", f"part:{part['id']}", "created"),
        ("agent:admin", f"team:{team['id']}", "renamed"),
        ("agent:admin", f"team:{team['id']}", "created"),
    ]
    assert changes[3]["detail"] == {"change": "renamed", "old": "상담1팀", "name": "상담2팀"}
    assert changes[1]["detail"]["team_name"] == "상담2팀" and changes[1]["detail"]["part_name"] == "교통파트"
    one_team = await _audit(client, admin, target=f"team:{team['id']}")
    assert [e["detail"]["change"] for e in one_team] == ["deleted", "renamed", "created"]
    assert len(await _audit(client, admin, target=f"team:{team['id']}", limit="1")) == 1

    # The demo's agents were added by the hub itself when it first started.
    added = await _audit(client, admin, action="agent_added")
    assert {e["target"] for e in added} >= {"agent:kim", "agent:jung", "agent:admin"}
    assert {e["actor"] for e in added} == {"system"}
    assert await _audit(client, admin, since="2999-01-01") == []
    assert len(await _audit(client, admin, since="2000-01-01T00:00:00+09:00")) == len(
        await _audit(client, admin, limit="1000")
    )


async def test_a_refused_change_leaves_no_entry(client: TestClient) -> None:
    admin = await login(client, "admin", available=False)
    assert (await client.post("/api/v1/teams", json={"name": "상담1팀"}, headers=admin)).status == 201
    assert (await client.post("/api/v1/teams", json={"name": "상담1팀"}, headers=admin)).status == 409
    assert (await client.patch("/api/v1/teams/999", json={"name": "없는팀"}, headers=admin)).status == 404
    assert [e["detail"]["change"] for e in await _audit(client, admin, action="team_changed")] == ["created"]


async def test_only_supervisors_and_admins_read_it_and_bad_queries_say_why(client: TestClient) -> None:
    assert (await client.get("/api/v1/audit")).status == 401
    for username in ("kim", "han"):
        refused = await client.get("/api/v1/audit", headers=await login(client, username, available=False))
        assert refused.status == 403, username
    supervisor = await login(client, "jung", available=False)
    for query, named in (
        ({"action": "dance"}, "'action'"),
        ({"since": "yesterday"}, "'since'"),
        ({"limit": "0"}, "'limit'"),
        ({"limit": "lots"}, "'limit'"),
    ):
        refused = await client.get("/api/v1/audit", params=query, headers=supervisor)
        assert refused.status == 400 and named in (await refused.json())["error"]["message"], query


def test_the_command_line_records_and_prints_the_audit_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database = ["--database", f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"]
    assert main([*database, "agents", "add", "oh", "--password", "dasan1200", "--role", "supervisor"]) == 0
    assert main([*database, "teams", "add", "상담1팀"]) == 0
    capsys.readouterr()

    assert main([*database, "audit"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert "  cli  team_changed  team:1  " in lines[0] and '"name": "상담1팀"' in lines[0]
    assert "  cli  agent_added  agent:oh  " in lines[1] and '"role": "supervisor"' in lines[1]

    assert main([*database, "audit", "--target", "agent:oh"]) == 0
    assert [line.split("  ")[2] for line in capsys.readouterr().out.splitlines()] == ["agent_added"]
    assert main([*database, "audit", "--since", "2999-01-01"]) == 0
    assert capsys.readouterr().out.strip() == "no audit entry"
    assert main([*database, "audit", "--action", "dance"]) == 2
    assert "'action' must be one of" in capsys.readouterr().err
