"""The retention job: conversations resolved longer ago than the period are anonymised, their
files deleted, open ones never touched; a dry run counts the same and changes nothing; the
report figures of an old period stay the same."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from hub.cli import main
from hub.config import RetentionSettings
from hub.core import Hub
from hub.retention import Progress, Retention, next_run
from model.audit import AuditAction
from model.clock import utcnow
from sign_video.archive import Archive
from store import audit
from store.retention import ANONYMOUS_NAME, EXPIRED_TEXT, Tally
from store.tables import ChannelIdentityRow, ContactRow, ConversationRow, EventRow, MessageRow
from tests.conftest import citizen_says, login
from tests.personal_data import COMMENT, FIRST_TEXT, NAME, PHONE, SPOKEN_PHONE, served_citizen, texts_holding

SEOUL = ZoneInfo("Asia/Seoul")
A_YEAR_AND_MORE = timedelta(days=400)


async def figures(client: TestClient, supervisor: dict[str, str]) -> tuple[Any, Any]:
    """Today's report tables and statistics summary, as a supervisor reads them."""
    today = datetime.now(SEOUL).date().isoformat()
    period = {"from": today, "to": today}
    tables = await client.get("/api/v1/reports/tables", params=period, headers=supervisor)
    summary = await client.get("/api/v1/stats/summary", params=period, headers=supervisor)
    assert tables.status == 200 and summary.status == 200
    return await tables.json(), await summary.json()


async def test_a_dry_run_counts_what_the_run_then_does_and_changes_nothing(
    client: TestClient, hub: Hub, tmp_path: Path
) -> None:
    kim = await login(client, "kim")
    supervisor = await login(client, "jung", available=False)
    citizen = await served_citizen(client, hub, kim, PHONE, tmp_path / "recordings")
    waiting = await citizen_says(client, "010-5555-0000", "수도요금 상담사 연결해 주세요 제 이름은 박영희")
    assert waiting["state"] == "queued"
    before = await figures(client, supervisor)
    retention = Retention(hub.store, RetentionSettings(), Archive(tmp_path / "recordings", timedelta(days=90)), SEOUL)
    later = utcnow() + A_YEAR_AND_MORE

    dry = await retention.run("cli", dry_run=True, now=later)
    assert dry.dry_run
    assert dry.tally.conversations == 1 and dry.tally.contacts == 1
    assert dry.tally.attachments == 1 and dry.tally.recordings == 1 and dry.tally.translations == 1
    assert dry.tally.messages >= 5  # the citizen's, the agent's, the survey's question, rating, comment, thanks
    assert dry.oldest is not None and dry.oldest < utcnow()
    async with hub.store.read() as session:
        assert {table for table, _, _ in await texts_holding(session, (NAME, SPOKEN_PHONE, PHONE))} >= {
            "messages", "contacts", "conversations", "channel_identities", "events", "translations"
        }  # fmt: skip
        assert await audit.entries(session, action=AuditAction.RETENTION_RUN) == []
    assert citizen.recording is not None and citizen.recording.exists()

    steps: list[Progress] = []
    done = await retention.run("cli", now=later, progress=steps.append)
    assert done.tally == dry.tally
    assert [step.stage for step in steps][-2:] == ["translations", "recordings"]
    assert not citizen.recording.exists()
    async with hub.store.read() as session:
        messages = list(
            await session.scalars(select(MessageRow).where(MessageRow.conversation_id == citizen.conversation_id))
        )
        assert {m.text for m in messages} == {EXPIRED_TEXT} and all(m.attachments == [] for m in messages)
        contact = await session.get(ContactRow, citizen.contact_id)
        assert contact is not None and contact.display_name == ANONYMOUS_NAME and contact.phone is None
        # Nothing left anywhere names the citizen or quotes them, but the waiting citizen is whole.
        leftover = await texts_holding(session, (NAME, SPOKEN_PHONE, PHONE, COMMENT, FIRST_TEXT))
        assert [found for found in leftover if found[0] != "audit_log"] == []
        open_messages = await session.scalars(
            select(MessageRow.text).where(MessageRow.conversation_id == waiting["conversation_id"])
        )
        assert "수도요금 상담사 연결해 주세요 제 이름은 박영희" in list(open_messages)
        open_row = await session.get(ConversationRow, waiting["conversation_id"])
        assert open_row is not None and open_row.sender == "010-5555-0000"
        entries = await audit.entries(session, action=AuditAction.RETENTION_RUN)
    assert len(entries) == 1 and entries[0].actor == "cli"
    assert entries[0].detail["counts"] == done.tally.to_json() and entries[0].detail["completed"]

    assert await figures(client, supervisor) == before
    assert (await retention.run("cli", dry_run=True, now=later)).tally == Tally()


async def test_open_conversations_are_never_touched_however_old(client: TestClient, hub: Hub) -> None:
    waiting = await citizen_says(client, "010-1111-2222", "버스 분실물 상담사 연결해 주세요")
    retention = Retention(hub.store, RetentionSettings(), None, SEOUL)
    report = await retention.run("system", now=utcnow() + timedelta(days=4000))
    assert report.tally == Tally()
    async with hub.store.read() as session:
        texts = set(
            await session.scalars(
                select(MessageRow.text).where(MessageRow.conversation_id == waiting["conversation_id"])
            )
        )
        identity = await session.scalar(
            select(ChannelIdentityRow).where(ChannelIdentityRow.external_id == "010-1111-2222")
        )
    assert "버스 분실물 상담사 연결해 주세요" in texts and identity is not None


async def test_attachments_go_after_their_shorter_period_and_texts_stay(client: TestClient, hub: Hub) -> None:
    kim = await login(client, "kim")
    citizen = await served_citizen(client, hub, kim, PHONE)
    retention = Retention(hub.store, RetentionSettings(), None, SEOUL)
    report = await retention.run("system", now=utcnow() + timedelta(days=100))
    assert report.tally == Tally(attachments=1)
    async with hub.store.read() as session:
        first = await session.scalar(
            select(MessageRow).where(MessageRow.conversation_id == citizen.conversation_id).order_by(MessageRow.id)
        )
        assert first is not None and first.text == FIRST_TEXT and first.attachments == []
        comment = await session.scalar(
            select(EventRow).where(
                EventRow.conversation_id == citizen.conversation_id,
                EventRow.type == "survey_answered",
                EventRow.data["comment"].as_string().is_not(None),
            )  # fmt: skip
        )
        assert comment is not None and comment.data["comment"] == COMMENT
    # A year on, the texts go too; the attachments are not counted twice.
    assert (await retention.run("system", now=utcnow() + A_YEAR_AND_MORE)).tally.attachments == 0


async def test_a_large_run_goes_in_batches_and_reports_its_progress(client: TestClient, hub: Hub) -> None:
    kim = await login(client, "kim")
    for number in range(3):
        await served_citizen(client, hub, kim, f"+8210000000{number}")
    retention = Retention(hub.store, RetentionSettings(batch=2), None, SEOUL)
    steps: list[Progress] = []
    report = await retention.run("system", now=utcnow() + A_YEAR_AND_MORE, progress=steps.append)
    assert report.tally.conversations == 3 and report.tally.contacts == 3
    assert [(s.done, s.total) for s in steps if s.stage == "texts"] == [(2, 3), (3, 3)]


def test_the_daily_run_is_at_the_configured_hour_of_the_city() -> None:
    # 02:00 in Seoul is 17:00 UTC the day before.
    assert next_run(datetime(2026, 3, 1, 17, 0, tzinfo=UTC), 3, SEOUL) == datetime(2026, 3, 2, 3, tzinfo=SEOUL)
    assert next_run(datetime(2026, 3, 1, 18, 0, tzinfo=UTC), 3, SEOUL) == datetime(2026, 3, 3, 3, tzinfo=SEOUL)


def test_retention_settings_from_the_environment() -> None:
    assert RetentionSettings().hour is None  # a hub built in code (the tests) schedules nothing
    assert RetentionSettings.from_env({}) == RetentionSettings(hour=3)
    assert RetentionSettings.from_env(
        {
            "DASAN_RETENTION_MESSAGES_DAYS": "730",
            "DASAN_RETENTION_ATTACHMENTS_DAYS": "30",
            "DASAN_RETENTION_HOUR": "off",
        }
    ) == RetentionSettings(timedelta(days=730), timedelta(days=30), None)
    for env, named in (
        ({"DASAN_RETENTION_HOUR": "24"}, "DASAN_RETENTION_HOUR"),
        ({"DASAN_RETENTION_MESSAGES_DAYS": "0"}, "DASAN_RETENTION_MESSAGES_DAYS"),
    ):
        with pytest.raises(ValueError, match=named):
            RetentionSettings.from_env(env)


def test_the_command_line_dry_run_changes_nothing_and_the_run_is_audited(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    database = ["--database", f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"]
    monkeypatch.setenv("DASAN_VIDEO_RECORDINGS", str(tmp_path / "recordings"))
    assert main([*database, "simulate", "--days", "1", "--per-day", "6", "--seed", "7"]) == 0
    capsys.readouterr()
    # Everything resolved more than a second ago is past a period this short.
    monkeypatch.setenv("DASAN_RETENTION_MESSAGES_DAYS", str(1 / 86400))
    assert main([*database, "retention", "--dry-run"]) == 0
    dry = capsys.readouterr().out
    assert "dry run" in dry and _count(dry, "conversations") > 0
    assert main([*database, "retention", "--dry-run"]) == 0
    assert capsys.readouterr().out == dry
    assert main([*database, "retention"]) == 0
    done = capsys.readouterr().out
    assert _count(done, "conversations") == _count(dry, "conversations")
    assert _count(done, "messages") == _count(dry, "messages")
    assert main([*database, "audit", "--action", "retention_run"]) == 0
    logged = capsys.readouterr().out.strip().splitlines()
    assert len(logged) == 1 and "  cli  retention_run  retention  " in logged[0]


def _count(printed: str, kind: str) -> int:
    line = next(line for line in printed.splitlines() if line.split()[:1] == [kind])
    return int(line.split()[1].replace(",", ""))
