"""The report's tables (hub/reports/tables.py) on hand-built rounds: days, ISO weeks and months
of the city's clock (Asia/Seoul, nine hours ahead of UTC), rows per agent, part and team, the
inbound heat map for staffing, and abuse incidents per month against the ceiling."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hub.config import ReportTargets, Settings
from hub.reports import figures
from hub.reports.tables import ALL_QUEUES, Period, ReportScope, figures_of, report
from model import Member
from model.rounds import Round

SEOUL = ZoneInfo("Asia/Seoul")
SLA = {"water": 60, "transport": 30}
MEMBERS = {
    "kim": Member("kim", "김민지", "상담1팀", "교통파트"),
    "lee": Member("lee", "이서준", "상담1팀", "자치구파트"),
    "park": Member("park", "박지현", "외국어팀", "영어파트"),
    "choi": Member("choi", "최수어"),
}


def seoul(text: str) -> datetime:
    """A moment written in Seoul's time."""
    return datetime.fromisoformat(text).replace(tzinfo=SEOUL)


def contact(conversation_id: str, opened_at: datetime, **fields: Any) -> Round:
    """A round that only opened (the bot served it) unless fields say more."""
    fields.setdefault("channel", "webchat")
    return Round(conversation_id, 0, f"p-{conversation_id}", opened_at=opened_at, **fields)


def handled(
    conversation_id: str,
    opened_at: datetime,
    agents: tuple[str, ...],
    disposition: str,
    wait: float = 20.0,
    queue: str = "water",
    category: str = "water",
    **fields: Any,
) -> Round:
    """Queued a minute after opening, accepted `wait` seconds later, resolved by the last agent."""
    queued = opened_at + timedelta(seconds=60)
    return contact(
        conversation_id,
        opened_at,
        category=category,
        queue=queue,
        queued_at=queued,
        answered_at=queued + timedelta(seconds=wait),
        resolved_at=queued + timedelta(seconds=wait + 300),
        disposition=disposition,
        agent=agents[-1],
        agents=agents,
        **fields,
    )


def tables(rounds: list[Round], first: str, last: str, period: Period, **targets: Any) -> dict[str, Any]:
    scope = ReportScope(date.fromisoformat(first), date.fromisoformat(last), period, SEOUL, {"team": None})
    return report(rounds, scope, MEMBERS, SLA, ReportTargets(**targets))


def test_months_are_the_citys_a_contact_after_midnight_on_the_first_belongs_to_the_new_month() -> None:
    rounds = [
        contact("oct-last", seoul("2026-10-31T23:30"), category="transport"),  # 14:30 UTC
        contact("nov-first", seoul("2026-11-01T00:30"), category="water"),  # still 31 October in UTC
        contact("nov-later", seoul("2026-11-20T12:00"), category="water"),
    ]
    result = tables(rounds, "2026-10-01", "2026-11-30", Period.MONTH)
    assert [(p["label"], p["start"], p["contacts"]) for p in result["periods"]] == [
        ("2026-10", "2026-10-01", 1),
        ("2026-11", "2026-11-01", 2),
    ]
    assert result["by_category_month"] == {"2026-10": {"transport": 1}, "2026-11": {"water": 2}}
    assert result["totals"]["contacts"] == 3
    assert (result["from"], result["to"], result["period"]) == ("2026-10-01", "2026-11-30", "month")


def test_iso_weeks_start_on_monday_in_seoul_and_days_turn_at_seouls_midnight() -> None:
    sunday_night = seoul("2026-11-08T23:50")
    monday_morning = seoul("2026-11-09T00:10")  # Sunday 15:10 in UTC
    rounds = [contact("sun", sunday_night), contact("mon", monday_morning), contact("mon2", seoul("2026-11-09T09:00"))]
    weeks = tables(rounds, "2026-11-04", "2026-11-10", Period.WEEK)
    # The report runs from a Wednesday: the first row is still its whole ISO week, from Monday.
    assert [(p["label"], p["start"], p["contacts"]) for p in weeks["periods"]] == [
        ("2026-W45", "2026-11-02", 1),
        ("2026-W46", "2026-11-09", 2),
    ]
    days = tables(rounds, "2026-11-08", "2026-11-09", Period.DAY)
    assert [(p["label"], p["contacts"]) for p in days["periods"]] == [("2026-11-08", 1), ("2026-11-09", 2)]


def test_an_iso_week_is_labelled_with_its_own_year_and_empty_periods_are_rows_too() -> None:
    result = tables([], "2026-12-30", "2027-01-12", Period.WEEK)
    assert [p["label"] for p in result["periods"]] == ["2026-W53", "2027-W01", "2027-W02"]
    assert all(p["contacts"] == 0 and p["satisfaction"] is None for p in result["periods"])


def test_agents_parts_and_teams_each_get_their_figures() -> None:
    at = seoul("2026-11-02T10:00")
    rounds = [
        handled("k1", at, ("kim",), "resolved"),
        # kim took it and transferred it to park, who closed it: it counts for both, and once per team.
        handled("k2", at, ("kim", "park"), "callback"),
        handled("l1", at, ("lee",), "directory", category="district"),
        handled("c1", at, ("choi",), "resolved"),
        contact("bot", at),
    ]
    result = tables(rounds, "2026-11-01", "2026-11-30", Period.MONTH)
    agents = {row["agent"]: row for row in result["by_agent"]}
    assert list(agents) == ["choi", "kim", "lee", "park"]
    assert (agents["kim"]["name"], agents["kim"]["team"], agents["kim"]["part"]) == ("김민지", "상담1팀", "교통파트")
    assert (agents["choi"]["team"], agents["choi"]["part"]) == (None, None)
    assert agents["kim"]["contacts"] == 2 and agents["kim"]["first_contact_resolution"] == 0.5
    assert agents["park"]["dispositions"]["callback"] == 1 and agents["park"]["first_contact_resolution"] == 0.0
    parts = {(row["team"], row["part"]): row["contacts"] for row in result["by_part"]}
    assert parts == {("상담1팀", "교통파트"): 2, ("상담1팀", "자치구파트"): 1, ("외국어팀", "영어파트"): 1}
    teams = {row["team"]: row for row in result["by_team"]}
    assert teams["상담1팀"]["contacts"] == 3 and teams["외국어팀"]["contacts"] == 1
    assert teams["상담1팀"]["first_contact_resolution"] == round(1 / 3, 4)
    assert teams["상담1팀"]["fcr_split"] == {"all": round(1 / 3, 4), "city": 0.5, "district": 0.0}
    # choi is in no team: the team rows leave the contact out, the totals do not.
    assert result["totals"]["contacts"] == 5 and result["totals"]["first_contact_resolution"] == 0.5


def test_inbound_by_hour_and_weekday_per_queue_in_city_time() -> None:
    monday_nine = seoul("2026-11-02T09:15")
    rounds = [
        handled("w1", monday_nine, ("kim",), "resolved"),
        handled("w2", monday_nine + timedelta(minutes=30), ("kim",), "resolved"),
        handled("t1", seoul("2026-11-08T23:50"), ("kim",), "resolved", queue="transport", category="transport"),
        contact("bot", seoul("2026-11-03T14:00")),
    ]
    grid = tables(rounds, "2026-11-01", "2026-11-30", Period.MONTH)["inbound_by_hour"]
    assert set(grid) == {ALL_QUEUES, "water", "transport"}
    assert all(len(week) == 7 and all(len(day) == 24 for day in week) for week in grid.values())
    assert grid["water"][0][9] == 2 and sum(map(sum, grid["water"])) == 2
    assert grid["transport"][6][23] == 1  # Sunday 23:50 in Seoul, Sunday 14:50 in UTC
    assert grid[ALL_QUEUES][1][14] == 1 and sum(map(sum, grid[ALL_QUEUES])) == 4


def test_abuse_incidents_per_month_against_the_ceiling() -> None:
    rounds = [
        contact("a", seoul("2026-10-05T10:00"), abuse=True),
        contact("b", seoul("2026-10-31T23:58"), abuse=True),
        contact("b2", seoul("2026-10-31T23:59"), abuse=True),
        contact("quiet", seoul("2026-10-31T23:59")),
        contact("c", seoul("2026-11-01T00:01"), abuse=True),
    ]
    result = tables(rounds, "2026-10-01", "2026-12-31", Period.MONTH, abuse_incidents_per_month=2)
    assert result["abuse_by_month"] == [
        {"month": "2026-10", "incidents": 3, "ceiling": 2, "over_ceiling": True},
        {"month": "2026-11", "incidents": 1, "ceiling": 2, "over_ceiling": False},
        {"month": "2026-12", "incidents": 0, "ceiling": 2, "over_ceiling": False},
    ]
    assert result["targets"]["abuse_incidents_per_month"] == 2
    assert [p["abuse_incidents"] for p in result["periods"]] == [3, 1, 0]


def test_the_figures_of_a_row_are_rounded_and_shares_sum_to_one() -> None:
    at = seoul("2026-11-02T10:00")
    rounds = [
        handled("a", at, ("kim",), "resolved", wait=10.04, satisfaction=100.0),
        handled("b", at, ("kim",), "resolved", wait=95.0, satisfaction=75.0),
        handled("c", at, ("kim",), "connected", wait=30.0, channel="sms"),
        contact("gone", at, queue="water", queued_at=at, abandoned=True),
    ]
    row = figures_of(rounds, SLA)
    assert row["contacts"] == 4
    assert row["by_channel"] == {"webchat": 3, "sms": 1}
    assert row["channel_share"] == {"webchat": 0.75, "sms": 0.25}
    assert row["answer_rate"] == 0.75 and row["abandonment_rate"] == 0.25
    assert row["service_level"] == 0.5  # 10 s and 30 s within the water queue's 60 s
    assert row["wait_seconds"] == {"p50": 30.0, "p90": 95.0}
    assert row["handle_seconds"] == {"mean": 300.0, "p50": 300.0}
    assert row["first_contact_resolution"] == 0.6667
    assert row["disposition_share"]["resolved"] == 0.6667 and row["disposition_share"]["connected"] == 0.3333
    assert row["satisfaction"] == 87.5
    assert figures_of([], SLA)["satisfaction"] is None


def test_the_tables_give_what_the_formulas_of_docs_reports_give() -> None:
    """The tables sum columns instead of calling `hub.reports.figures` row by row: both must
    give the same figures, over every kind of round (bot, abandoned, still waiting, answered at
    the service level's very limit, transferred, reopened, rated, unknown contact)."""
    rng = random.Random(11)
    start = datetime(2026, 11, 2, tzinfo=timezone.utc)
    rounds = []
    for number in range(600):
        opened = start + timedelta(seconds=rng.randrange(0, 14 * 86400, 7))
        fields: dict[str, Any] = {
            "channel": rng.choice(["sms", "kakao", "webchat"]),
            "category": rng.choice(["transport", "water", "city", "district", "other", None]),
            "language": rng.choice(["ko", "en", None]),
            "abuse": rng.random() < 0.3,
        }
        if rng.random() < 0.8:
            queued = opened + timedelta(seconds=5)
            fields |= {"queue": rng.choice(["water", "transport", "city"]), "queued_at": queued}
            outcome = rng.random()
            if outcome < 0.15:
                fields |= {"abandoned": True, "resolved_at": queued + timedelta(seconds=rng.randint(1, 300))}
            elif outcome < 0.9:
                wait = rng.choice([0, 29.999999, 30, 30.000001, 59, 60, 61, rng.uniform(0, 400)])
                answered = queued + timedelta(seconds=wait)
                agents = tuple(rng.sample(["kim", "lee", "park", "choi", "nobody"], rng.choice([1, 1, 1, 2])))
                fields |= {
                    "answered_at": answered,
                    "resolved_at": answered + timedelta(seconds=rng.uniform(0, 900)),
                    "disposition": rng.choice(["resolved", "resolved", "directory", "connected", "callback"]),
                    "agents": agents,
                    "agent": agents[-1],
                    "satisfaction": rng.choice([None, None, 0.0, 50.0, 75.0, 100.0]),
                }
        contact_id = rng.choice([None, *(f"p{n}" for n in range(150))])
        rounds.append(Round(f"c{number}", 0, contact_id, opened_at=opened, **fields))
    rounds.sort(key=lambda r: r.opened_at)
    row = figures_of(rounds, SLA)
    assert row["contacts"] == len(rounds)
    assert row["by_channel"] == figures.contacts_by(rounds, lambda r: r.channel)
    assert row["by_category"] == figures.contacts_by(rounds, lambda r: r.category)
    assert row["by_language"] == figures.contacts_by(rounds, lambda r: r.language)
    assert row["answer_rate"] == round(figures.answer_rate(rounds), 4)
    assert row["abandonment_rate"] == round(figures.abandonment_rate(rounds), 4)
    assert row["service_level"] == round(figures.service_level(rounds, SLA), 4)
    assert row["wait_seconds"] == {k: round(v, 1) for k, v in figures.wait_percentiles(rounds).items()}
    assert row["handle_seconds"] == {k: round(v, 1) for k, v in figures.handle_time(rounds).items()}
    assert row["dispositions"] == figures.dispositions(rounds)
    assert row["fcr_split"] == {k: round(v, 4) for k, v in figures.fcr_split(rounds).items()}
    assert row["repeat_contact_rate"] == round(figures.repeat_contact_rate(rounds), 4)
    assert row["satisfaction"] == round(figures.satisfaction(rounds) or 0, 1)
    assert row["abuse_incidents"] == figures.abuse_incidents(rounds)
    # The report's per-agent rows are the figures of the rounds each agent accepted or resolved.
    result = tables(rounds, "2026-11-01", "2026-11-30", Period.MONTH)
    for agent_row in result["by_agent"]:
        theirs = [r for r in rounds if agent_row["agent"] in (*r.agents, r.agent)]
        assert agent_row["contacts"] == len(theirs)
        assert agent_row["service_level"] == round(figures.service_level(theirs, SLA), 4)
        assert agent_row["dispositions"] == figures.dispositions(theirs)


def test_the_targets_come_from_the_environment_with_the_reports_own_as_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings.from_env().report_targets == ReportTargets(0.865, 91.0, 0.788, 60)
    monkeypatch.setenv("DASAN_TARGET_ANSWER_RATE", "0.9")
    monkeypatch.setenv("DASAN_TARGET_ABUSE_INCIDENTS", "40")
    targets = Settings.from_env().report_targets
    result = tables([], "2026-11-01", "2026-11-30", Period.MONTH, **vars(targets))
    assert result["targets"] == {
        "answer_rate": 0.9,
        "satisfaction": 91.0,
        "first_contact_resolution": 0.788,
        "abuse_incidents_per_month": 40,
    }
    assert result["abuse_by_month"] == [{"month": "2026-11", "incidents": 0, "ceiling": 40, "over_ceiling": False}]
