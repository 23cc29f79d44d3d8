"""Teams and parts (팀, 파트) through the API, on SQLite and PostgreSQL: an administrator
defines them and puts agents in parts, supervisors read them, and the report's tables filter
and group by them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient

from hub.cli import main
from tests.conftest import citizen_says, login

SEOUL = ZoneInfo("Asia/Seoul")


async def _created(client: TestClient, path: str, name: str, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.post(path, json={"name": name}, headers=headers)
    assert response.status == 201, await response.text()
    return await response.json()


async def _teams(client: TestClient, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    response = await client.get("/api/v1/teams", headers=headers)
    assert response.status == 200
    return {team["name"]: team for team in (await response.json())["teams"]}


async def test_an_administrator_builds_teams_and_parts_and_places_agents(client: TestClient) -> None:
    admin = await login(client, "admin", available=False)
    supervisor = await login(client, "jung", available=False)
    team = await _created(client, "/api/v1/teams", "상담1팀", admin)
    traffic = await _created(client, f"/api/v1/teams/{team['id']}/parts", "교통파트", admin)
    district = await _created(client, f"/api/v1/teams/{team['id']}/parts", "자치구파트", admin)
    placed = await client.put("/api/v1/agents/kim/part", json={"part": traffic["id"]}, headers=admin)
    assert await placed.json() == {"agent": "kim", "name": "김민지", "team": "상담1팀", "part": "교통파트"}
    await client.put("/api/v1/agents/lee/part", json={"part": district["id"]}, headers=admin)

    listed = await _teams(client, supervisor)
    assert [(p["name"], p["members"]) for p in listed["상담1팀"]["parts"]] == [
        ("교통파트", ["kim"]),
        ("자치구파트", ["lee"]),
    ]

    # An agent is in one part at most: moving kim takes them out of the first.
    await client.put("/api/v1/agents/kim/part", json={"part": district["id"]}, headers=admin)
    parts = {p["name"]: p["members"] for p in (await _teams(client, supervisor))["상담1팀"]["parts"]}
    assert parts == {"교통파트": [], "자치구파트": ["kim", "lee"]}
    out = await client.put("/api/v1/agents/lee/part", json={"part": None}, headers=admin)
    assert (await out.json())["team"] is None

    renamed = await client.patch(f"/api/v1/parts/{district['id']}", json={"name": "구정파트"}, headers=admin)
    assert (await renamed.json())["members"] == ["kim"]
    renamed_team = await client.patch(f"/api/v1/teams/{team['id']}", json={"name": "상담2팀"}, headers=admin)
    assert (await renamed_team.json())["name"] == "상담2팀"

    assert (await client.delete(f"/api/v1/parts/{traffic['id']}", headers=admin)).status == 204
    assert (await client.delete(f"/api/v1/teams/{team['id']}", headers=admin)).status == 204
    assert await _teams(client, supervisor) == {}
    agents = (await (await client.get("/api/v1/agents", headers=supervisor)).json())["agents"]
    assert {agent["username"] for agent in agents} >= {"kim", "lee"}  # the agents stay; only the groups go


async def test_only_administrators_change_teams_and_bad_requests_say_why(client: TestClient) -> None:
    admin = await login(client, "admin", available=False)
    supervisor = await login(client, "jung", available=False)
    agent = await login(client, "kim", available=False)
    team = await _created(client, "/api/v1/teams", "상담1팀", admin)
    part = await _created(client, f"/api/v1/teams/{team['id']}/parts", "교통파트", admin)

    refused = [
        await client.post("/api/v1/teams", json={"name": "몰래팀"}, headers=supervisor),
        await client.patch(f"/api/v1/teams/{team['id']}", json={"name": "x"}, headers=supervisor),
        await client.delete(f"/api/v1/teams/{team['id']}", headers=supervisor),
        await client.post(f"/api/v1/teams/{team['id']}/parts", json={"name": "x"}, headers=supervisor),
        await client.patch(f"/api/v1/parts/{part['id']}", json={"name": "x"}, headers=supervisor),
        await client.delete(f"/api/v1/parts/{part['id']}", headers=supervisor),
        await client.put("/api/v1/agents/kim/part", json={"part": part["id"]}, headers=supervisor),
        await client.get("/api/v1/teams", headers=agent),
    ]
    assert [r.status for r in refused] == [403] * len(refused)
    assert (await refused[0].json())["error"]["code"] == "forbidden"

    duplicate = await client.post("/api/v1/teams", json={"name": "상담1팀"}, headers=admin)
    assert duplicate.status == 409 and "상담1팀" in (await duplicate.json())["error"]["message"]
    twin = await client.post(f"/api/v1/teams/{team['id']}/parts", json={"name": "교통파트"}, headers=admin)
    assert twin.status == 409
    other = await _created(client, "/api/v1/teams", "외국어팀", admin)
    assert (await client.patch(f"/api/v1/teams/{other['id']}", json={"name": "상담1팀"}, headers=admin)).status == 409
    # Another team may have a part of the same name.
    await _created(client, f"/api/v1/teams/{other['id']}/parts", "교통파트", admin)

    for path, body in (
        ("/api/v1/teams", {}),
        ("/api/v1/teams", {"name": "  "}),
        ("/api/v1/teams", {"name": "상담/팀"}),
    ):
        bad = await client.post(path, json=body, headers=admin)
        assert bad.status == 400 and "name" in (await bad.json())["error"]["message"]
    not_a_part = await client.put("/api/v1/agents/kim/part", json={"part": "교통파트"}, headers=admin)
    assert not_a_part.status == 400 and "part" in (await not_a_part.json())["error"]["message"]

    missing = [
        await client.patch("/api/v1/teams/999", json={"name": "x"}, headers=admin),
        await client.delete("/api/v1/teams/abc", headers=admin),
        await client.post("/api/v1/teams/999/parts", json={"name": "x"}, headers=admin),
        await client.delete("/api/v1/parts/999", headers=admin),
        await client.put("/api/v1/agents/nobody/part", json={"part": part["id"]}, headers=admin),
        await client.put("/api/v1/agents/kim/part", json={"part": 999}, headers=admin),
    ]
    assert [r.status for r in missing] == [404] * len(missing)


async def _served_by(client: TestClient, agent: dict[str, str], sender: str, text: str, disposition: str) -> str:
    answer = await citizen_says(client, sender, text)
    assert answer["state"] == "queued", answer
    conversation = answer["conversation_id"]
    assert (await client.post(f"/api/v1/conversations/{conversation}/claim", headers=agent)).status == 200
    resolved = await client.post(
        f"/api/v1/conversations/{conversation}/resolve", json={"disposition": disposition}, headers=agent
    )
    assert resolved.status == 200
    return conversation


async def test_the_reports_team_filter_counts_only_that_teams_contacts(client: TestClient) -> None:
    admin = await login(client, "admin", available=False)
    supervisor = await login(client, "jung", available=False)
    kim = await login(client, "kim", available=False)
    lee = await login(client, "lee", available=False)
    team = await _created(client, "/api/v1/teams", "상담1팀", admin)
    part = await _created(client, f"/api/v1/teams/{team['id']}/parts", "교통파트", admin)
    await client.put("/api/v1/agents/kim/part", json={"part": part["id"]}, headers=admin)
    await _served_by(client, kim, "c1", "버스 분실물 상담사 연결해 주세요", "resolved")
    await _served_by(client, kim, "c2", "지하철 환승 상담사 연결해 주세요", "callback")
    await _served_by(client, lee, "c3", "구청 민원 상담사 연결해 주세요", "directory")

    today = datetime.now(SEOUL).date().isoformat()
    query = {"from": today, "to": today, "period": "day"}
    everyone = await (await client.get("/api/v1/reports/tables", params=query, headers=supervisor)).json()
    assert everyone["totals"]["contacts"] == 3
    assert {row["agent"]: row["contacts"] for row in everyone["by_agent"]} == {"kim": 2, "lee": 1}
    assert [(row["team"], row["part"], row["contacts"]) for row in everyone["by_part"]] == [("상담1팀", "교통파트", 2)]

    response = await client.get("/api/v1/reports/tables", params={**query, "team": "상담1팀"}, headers=supervisor)
    assert response.status == 200
    tables = await response.json()
    assert tables["filters"]["team"] == "상담1팀"
    assert tables["totals"]["contacts"] == 2
    assert tables["totals"]["dispositions"]["resolved"] == 1 and tables["totals"]["dispositions"]["callback"] == 1
    assert tables["totals"]["first_contact_resolution"] == 0.5
    assert [row["agent"] for row in tables["by_agent"]] == ["kim"]
    assert [(row["team"], row["contacts"]) for row in tables["by_team"]] == [("상담1팀", 2)]
    assert [(p["label"], p["contacts"]) for p in tables["periods"]] == [(today, 2)]

    by_agent = await (
        await client.get("/api/v1/reports/tables", params={**query, "agent": "lee"}, headers=supervisor)
    ).json()
    assert by_agent["totals"]["contacts"] == 1 and by_agent["totals"]["dispositions"]["directory"] == 1

    for params, status, named in (
        ({"team": "없는팀"}, 404, "없는팀"),
        ({"agent": "nobody"}, 404, "nobody"),
        ({"period": "year"}, 400, "period"),
        ({"channel": "fax"}, 400, "channel"),
        ({"from": "2026-02-30"}, 400, "from"),
        ({"from": "2000-01-01"}, 400, "'to'"),
    ):
        refused = await client.get("/api/v1/reports/tables", params={**query, **params}, headers=supervisor)
        assert refused.status == status and named in (await refused.json())["error"]["message"], params
    # An agent reads their own figures only.
    own = await (await client.get("/api/v1/reports/tables", params=query, headers=kim)).json()
    assert own["filters"]["agent"] == "kim" and own["totals"]["contacts"] == 2
    assert (await client.get("/api/v1/reports/tables", params={**query, "team": "상담1팀"}, headers=kim)).status == 403


def test_the_command_line_builds_a_team_and_places_an_agent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database = ["--database", f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"]
    assert main([*database, "agents", "add", "kim", "--password", "dasan1200", "--name", "김민지"]) == 0
    assert main([*database, "teams", "add", "상담1팀"]) == 0
    assert main([*database, "teams", "part", "상담1팀", "교통파트"]) == 0
    assert main([*database, "teams", "assign", "kim", "상담1팀/교통파트"]) == 0
    assert "kim is in 상담1팀/교통파트" in capsys.readouterr().out
    assert main([*database, "teams", "add", "상담1팀"]) == 2
    assert main([*database, "teams", "assign", "kim", "상담1팀/없는파트"]) == 2
    assert "없는파트" in capsys.readouterr().err
