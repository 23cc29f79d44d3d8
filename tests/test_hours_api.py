"""Queue hours and holidays through the API, on SQLite and PostgreSQL: an admin closes a queue, the
supervisor's queue list shows it closed with its opening time, holidays move that time, every
change is audited, and a conversation for a closed queue goes to its night queue."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from hub.app import open_hub
from hub.core import HUB
from hub.hours import korean_public_holidays
from model.clock import utcnow
from model.hours import WEEKDAYS
from tests.conftest import citizen_says, login, wait_for

TRANSPORT = "버스 노선 문의 상담사 연결해 주세요"
OFFICE = [["09:00", "18:00"]]


async def _call(client: TestClient, headers: dict[str, str], method: str, path: str, expect: int,
                body: Any = None) -> Any:  # fmt: skip
    response = await client.request(method, path, json=body, headers=headers)
    assert response.status == expect, await response.text()
    return None if response.status == 204 else await response.json()


async def _holidays(client: TestClient, headers: dict[str, str], *days: date) -> set[str]:
    found: set[str] = set()
    for year in {day.year for day in days}:
        listed = await _call(client, headers, "GET", f"/api/v1/holidays?year={year}", 200)
        found |= {holiday["date"] for holiday in listed["holidays"]}
    return found


async def test_a_closed_queue_shows_when_it_opens_and_holidays_move_it(client: TestClient) -> None:
    admin, supervisor, agent = [await login(client, name, available=False) for name in ("admin", "jung", "kim")]
    zone = client.app[HUB].settings.timezone
    today = utcnow().astimezone(zone).date()
    # Two working days ahead, neither a holiday yet: the queue is closed until the first.
    first = today + timedelta(days=2)
    while {first.isoformat(), (first + timedelta(days=1)).isoformat()} & await _holidays(
        client, agent, first, first + timedelta(days=1)
    ):
        first += timedelta(days=1)
    second = first + timedelta(days=1)
    weekly = {WEEKDAYS[first.weekday()]: OFFICE, WEEKDAYS[second.weekday()]: OFFICE}

    set_hours = await _call(client, admin, "PUT", "/api/v1/queues/transport/hours", 200, {"weekly": weekly})
    assert set_hours["weekly"][WEEKDAYS[first.weekday()]] == OFFICE and set_hours["after_hours_queue"] is None
    assert set_hours["status"]["open"] is False

    def opens(day: date) -> datetime:
        return datetime.combine(day, time(9), tzinfo=zone)

    async def transport() -> dict[str, Any]:
        listed = await _call(client, supervisor, "GET", "/api/v1/queues", 200)
        return next(queue for queue in listed["queues"] if queue["name"] == "transport")

    shown = await transport()
    assert (shown["open"], shown["closes_at"]) == (False, None)
    assert datetime.fromisoformat(shown["opens_at"]) == opens(first)
    water = next(q for q in (await _call(client, supervisor, "GET", "/api/v1/queues", 200))["queues"]
                 if q["name"] == "water")  # fmt: skip
    assert (water["open"], water["opens_at"], water["closes_at"]) == (True, None, None)

    # A holiday on the first day: it opens the day after.
    added = await _call(
        client, admin, "POST", "/api/v1/holidays", 201, {"date": first.isoformat(), "name": "창립기념일"}
    )
    assert added == {"date": first.isoformat(), "name": "창립기념일", "closed": True, "hours": []}
    assert datetime.fromisoformat((await transport())["opens_at"]) == opens(second)
    renamed = await _call(client, admin, "POST", "/api/v1/holidays", 200, {"date": first.isoformat(), "name": "휴무일"})
    assert renamed["name"] == "휴무일"
    listed = await _call(client, agent, "GET", f"/api/v1/holidays?year={first.year}", 200)
    assert {"date": first.isoformat(), "name": "휴무일", "closed": True, "hours": []} in listed["holidays"]
    await _call(client, admin, "DELETE", f"/api/v1/holidays/{first.isoformat()}", 204)
    assert datetime.fromisoformat((await transport())["opens_at"]) == opens(first)
    await _call(client, admin, "DELETE", f"/api/v1/holidays/{first.isoformat()}", 404)

    # Not an admin: refused, and nothing changed.
    await _call(client, supervisor, "PUT", "/api/v1/queues/transport/hours", 403, {"weekly": {}})
    await _call(client, agent, "POST", "/api/v1/holidays", 403, {"date": first.isoformat(), "name": "x"})
    assert (await _call(client, agent, "GET", "/api/v1/queues/transport/hours", 200))["weekly"] == set_hours["weekly"]

    audit = await _call(client, supervisor, "GET", "/api/v1/audit?limit=20", 200)
    done = [(entry["action"], entry["target"], entry["actor"]) for entry in reversed(audit["entries"])]
    target = f"holiday:{first.isoformat()}"
    assert [entry for entry in done if entry[1] in ("queue:transport", target)] == [
        ("hours_changed", "queue:transport", "agent:admin"),
        ("holiday_set", target, "agent:admin"),
        ("holiday_set", target, "agent:admin"),
        ("holiday_removed", target, "agent:admin"),
    ]


async def test_bad_hours_are_refused_naming_what_is_wrong(sqlite_client: TestClient) -> None:
    client = sqlite_client
    admin = await login(client, "admin", available=False)
    path = "/api/v1/queues/transport/hours"
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        (path, {"weekly": {"mon": [["9:00", "18:00"]]}}, 400, "weekly.mon: '9:00'"),
        (path, {"weekly": {"tue": [["09:00", "13:00"], ["12:00", "18:00"]]}}, 400, "overlaps"),
        (path, {"weekly": {"caturday": []}}, 400, "unknown day 'caturday'"),
        (path, {"weekly": {}, "after_hours_queue": "transport"}, 400, "cannot hand over to itself"),
        (path, {"weekly": {}, "after_hours_queue": "nowhere"}, 400, "no queue 'nowhere'"),
        ("/api/v1/queues/nowhere/hours", {"weekly": {}}, 404, "nowhere"),
        ("/api/v1/holidays", {"date": "2026-02-30", "name": "없는 날"}, 400, "date"),
        ("/api/v1/holidays", {"date": "2026-12-31", "name": "종무일", "hours": [["25:00", "26:00"]]}, 400, "25:00"),
    ]
    for where, body, status, named in cases:
        method = "PUT" if where.endswith("/hours") else "POST"
        refused = await _call(client, admin, method, where, status, body)
        assert named in refused["error"]["message"], (body, refused)
    await _call(client, admin, "GET", "/api/v1/holidays?year=twenty", 400)
    await _call(client, admin, "DELETE", "/api/v1/holidays/yesterday", 400)
    # Nothing half-written: transport is still open day and night.
    assert (await _call(client, admin, "GET", path, 200))["always_open"] is True


async def test_a_conversation_for_a_closed_queue_goes_to_its_night_queue(client: TestClient) -> None:
    admin = await login(client, "admin", available=False)
    # Transport never opens; the city queue (open day and night) takes over after hours.
    await _call(client, admin, "PUT", "/api/v1/queues/transport/hours", 200,
                {"weekly": {}, "after_hours_queue": "city"})  # fmt: skip
    listed = await _call(client, admin, "GET", "/api/v1/queues", 200)
    transport = next(queue for queue in listed["queues"] if queue["name"] == "transport")
    assert (transport["open"], transport["opens_at"], transport["served_by"]) == (False, None, "city")

    conversation_id = (await citizen_says(client, "c-night", TRANSPORT))["conversation_id"]
    path = f"/api/v1/conversations/{conversation_id}"

    async def in_city() -> bool:
        return (await _call(client, admin, "GET", path, 200))["queue"] == "city"

    await wait_for(in_city, failure="the conversation handed to the night queue")
    events = (await _call(client, admin, "GET", f"{path}/events", 200))["events"]
    transferred = [event for event in events if event["type"] == "transferred"]
    assert transferred and transferred[-1]["data"] | {"actor": transferred[-1]["actor"]} == {
        "from_queue": "transport",
        "to_queue": "city",
        "reason": "after_hours",
        "actor": "router",
    }

    # The seeded public holidays come back at each start; one an admin removed does not.
    next_year = utcnow().astimezone(client.app[HUB].settings.timezone).year + 1
    seollal = next(day.isoformat() for day, name in korean_public_holidays([next_year]).items() if name == "설날")
    seeded = await _call(client, admin, "GET", f"/api/v1/holidays?year={next_year}", 200)
    assert {"date": seollal, "name": "설날", "closed": True, "hours": []} in seeded["holidays"]
    await _call(client, admin, "DELETE", f"/api/v1/holidays/{seollal}", 204)
    await open_hub(client.app[HUB])
    again = await _call(client, admin, "GET", f"/api/v1/holidays?year={next_year}", 200)
    assert seollal not in {holiday["date"] for holiday in again["holidays"]}
    assert len(again["holidays"]) == len(seeded["holidays"]) - 1
