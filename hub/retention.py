"""The retention job (PIPA: personal data kept no longer than needed), daily and from the CLI.

- Conversations resolved longer ago than the messages period are anonymised in place
  (`store.retention`): texts read `[보존기간 경과로 삭제됨]`, translations, attachments,
  senders and the free texts of events are gone; a contact whose every conversation is
  anonymised loses its name, phone and channel identities. Conversations and events stay, so
  every report figure for an old period is the same before and after.
- Attachments of conversations resolved longer ago than the (shorter) attachments period are
  removed while the texts stay.
- Recording files older than the video channel's period are deleted when their conversation
  was resolved as long ago. The cached machine translations older than the messages period go.
- An open conversation is never touched. Work goes in batches (`RetentionSettings.batch`
  conversations a transaction); a dry run counts and changes nothing. Each real run leaves an
  audit entry with its counts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hub.config import RetentionSettings, Settings
from model import Channel
from model.audit import AuditAction
from model.clock import utcnow
from model.records import iso
from sign_video.archive import Archive, RecordingFile
from store import audit
from store import retention as retention_store
from store.db import Store
from store.retention import EXPIRED_TEXT, Tally

log = logging.getLogger(__name__)
SYSTEM_ACTOR = "system"
AUDIT_TARGET = "retention"


@dataclass(frozen=True)
class Progress:
    """How far a run got: `done` of `total` conversations (`total` None when not counted ahead)."""

    stage: str
    """texts, attachments, translations or recordings"""
    done: int
    total: int | None


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class RetentionReport:
    """What a run anonymised and deleted (a dry run: would)."""

    dry_run: bool
    tally: Tally
    oldest: datetime | None
    """The oldest resolution or recording among what it touched."""
    cutoffs: dict[str, datetime]
    """Per kind, what was resolved (recorded) before this is past its period."""
    completed: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "completed": self.completed,
            "counts": self.tally.to_json(),
            "oldest": iso(self.oldest),
            "cutoffs": {kind: iso(moment) for kind, moment in self.cutoffs.items()},
        }


def recordings_archive(settings: Settings) -> Archive | None:
    """The video channel's recordings folder and period, when the channel runs."""
    for configured in settings.channels:
        if configured.info.channel is Channel.SIGN_VIDEO:
            return Archive(configured.settings.media.recordings, configured.settings.retention)
    return None


def next_run(now: datetime, hour: int, zone: ZoneInfo) -> datetime:
    """The next `hour`:00 in the city's time strictly after `now`."""
    local = now.astimezone(zone)
    day = local.date()
    candidate = datetime.combine(day, time(hour), tzinfo=zone)
    if candidate <= local:
        candidate = datetime.combine(day + timedelta(days=1), time(hour), tzinfo=zone)
    return candidate


class Retention:
    """Anonymises and deletes what is past its period; see the module's docstring."""

    def __init__(self, store: Store, settings: RetentionSettings, recordings: Archive | None, zone: ZoneInfo) -> None:
        self._store = store
        self._settings = settings
        self._recordings = recordings
        self._zone = zone

    async def run(
        self,
        actor: str,
        dry_run: bool = False,
        progress: ProgressCallback | None = None,
        now: datetime | None = None,
    ) -> RetentionReport:
        """Anonymise and delete what is past its period as of `now` (default: the clock), or with
        `dry_run` count it only. The audit entry of a real run holds its counts, also when it fails
        midway (each batch done is committed; the next run goes on from there)."""
        now = now or utcnow()
        cutoffs = {
            "messages": now - self._settings.messages,
            "attachments": now - self._settings.attachments,
        }
        if self._recordings is not None:
            cutoffs["recordings"] = now - self._recordings.retention
        async with self._store.read() as session:
            planned = await retention_store.forecast(session, cutoffs["messages"], cutoffs["attachments"])
        expired = await self._expired_recordings(cutoffs.get("recordings"))
        oldest = min(
            [moment for moment in (planned.oldest, *(file.recorded_at for file in expired)) if moment is not None],
            default=None,
        )
        if dry_run:
            tally = Tally(**{**planned.tally.to_json(), "recordings": len(expired)})
            return RetentionReport(True, tally, oldest, cutoffs)
        tally = Tally()
        completed = False
        try:
            await self._texts(cutoffs["messages"], now, tally, planned.tally.conversations, progress)
            await self._attachments(max(cutoffs["messages"], cutoffs["attachments"]), now, tally, progress)
            async with self._store.write() as session:
                tally.translations = await retention_store.forget_translations(session, cutoffs["messages"])
            if progress:
                progress(Progress("translations", tally.translations, tally.translations))
            tally.recordings = len(await asyncio.to_thread(_delete, [self._path(file) for file in expired]))
            if progress:
                progress(Progress("recordings", tally.recordings, len(expired)))
            completed = True
        finally:
            report = RetentionReport(False, tally, oldest, cutoffs, completed)
            async with self._store.write() as session:
                audit.record(session, actor, AuditAction.RETENTION_RUN, AUDIT_TARGET, now, report.to_json())
        return report

    async def _texts(
        self, cutoff: datetime, now: datetime, tally: Tally, total: int, progress: ProgressCallback | None
    ) -> None:
        after = None
        while True:
            async with self._store.write() as session:
                batch = await retention_store.due(session, cutoff, True, self._settings.batch, after)
                if not batch.ids:
                    return
                done = await retention_store.anonymise_texts(session, batch.ids, EXPIRED_TEXT, now)
                done.tally.contacts = await retention_store.anonymise_contacts(session, done.contact_ids, EXPIRED_TEXT)
            tally.add(done.tally)
            after = batch.after
            if progress:
                progress(Progress("texts", tally.conversations, total))

    async def _attachments(
        self, cutoff: datetime, now: datetime, tally: Tally, progress: ProgressCallback | None
    ) -> None:
        after, conversations = None, 0
        while True:
            async with self._store.write() as session:
                batch = await retention_store.due(session, cutoff, False, self._settings.batch, after)
                if not batch.ids:
                    return
                tally.add(await retention_store.strip_attachments(session, batch.ids, now))
            after, conversations = batch.after, conversations + len(batch.ids)
            if progress:
                progress(Progress("attachments", conversations, None))

    async def _expired_recordings(self, cutoff: datetime | None) -> list[RecordingFile]:
        """Recordings made before `cutoff` whose conversation was resolved before it."""
        if self._recordings is None or cutoff is None:
            return []
        archive = self._recordings
        files = await asyncio.to_thread(_recordings_before, archive, cutoff)
        async with self._store.read() as session:
            resolved = await retention_store.resolved_before(session, list(files), cutoff)
        return [file for conversation_id in sorted(resolved) for file in files[conversation_id]]

    def _path(self, file: RecordingFile) -> Path:
        assert self._recordings is not None
        return self._recordings.folder / file.name

    async def daily(self) -> None:
        """Run every day at the configured hour (city time) until cancelled; a failed run is logged."""
        hour = self._settings.hour
        if hour is None:
            return
        while True:
            now = utcnow()
            await asyncio.sleep((next_run(now, hour, self._zone) - now).total_seconds())
            try:
                report = await self.run(SYSTEM_ACTOR)
                log.info("retention: %s", report.to_json()["counts"])
            except Exception:
                log.exception("the retention run failed; the next one goes on from where it stopped")


def _recordings_before(archive: Archive, cutoff: datetime) -> dict[str, list[RecordingFile]]:
    """The recordings made before `cutoff`, by conversation (the id starts each file's name)."""
    conversation_ids = {path.name.rsplit("-", 1)[0] for path in archive.folder.glob("*.webm")}
    found: dict[str, list[RecordingFile]] = {}
    for conversation_id in conversation_ids:
        old = [file for file in archive.of(conversation_id) if file.recorded_at < cutoff]
        if old:
            found[conversation_id] = old
    return found


def _delete(paths: list[Path]) -> list[Path]:
    """Delete the files; returns those that were there."""
    deleted = []
    for path in paths:
        if path.is_file():
            path.unlink()
            deleted.append(path)
    return deleted
