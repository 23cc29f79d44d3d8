"""A citizen's request to see or delete their data (PIPA 열람·삭제 요구), served by a supervisor.

- The export holds everything the hub keeps on the contact, unmasked (it is the citizen's own
  data): the contact with its phone and channel identities, every conversation with its
  messages and events, survey answers, blocks, callbacks, handovers to departments (with the
  department's answer), attachments (the provider's address of each
  file: the hub keeps no copy) and the names of the call recordings, which a zip export carries.
- The erasure anonymises all of it as the retention job does (`store.retention`), with
  `[정보주체 요청으로 삭제됨]`, in one transaction, and deletes the recordings once it has
  committed; it is refused while one of the contact's conversations is open.
Both are audited with who, when and (erasure) why and how much.
"""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model import ConversationState
from model.audit import AuditAction
from model.clock import utcnow
from model.errors import conflict, not_found
from model.records import iso
from sign_video.archive import Archive, RecordingFile
from store import audit, contacts
from store import data_requests as data_store
from store import retention as retention_store
from store.db import Store
from store.retention import ERASED_TEXT, Tally


@dataclass(frozen=True)
class Export:
    """The contact's data as JSON, and the recording files it names."""

    contact_id: str
    body: dict[str, Any]
    files: list[Path]

    def json_bytes(self) -> bytes:
        return json.dumps(self.body, ensure_ascii=False, indent=2).encode()

    def zip_bytes(self) -> bytes:
        """`data.json` and `recordings/<name>` for each recording still there."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("data.json", self.json_bytes())
            for path in self.files:
                if path.is_file():
                    archive.write(path, f"recordings/{path.name}")
        return buffer.getvalue()


def target(contact_id: str) -> str:
    """The audit log's name for the contact."""
    return f"contact:{contact_id}"


class DataRequests:
    def __init__(self, store: Store, recordings: Archive | None) -> None:
        self._store = store
        self._recordings = recordings

    async def export(self, actor: str, contact_id: str, form: str = "json") -> Export:
        """Everything held on the contact (404 when there is none); audited as `data_exported`."""
        now = utcnow()
        async with self._store.write() as session:
            data = await data_store.contact_data(session, contact_id)
            if data is None:
                raise not_found("The contact")
            recordings = await asyncio.to_thread(self._files, [c.id for c, _, _ in data.conversations])
            conversations = [
                {**c.to_json(), "messages": [m.to_json() for m in messages], "events": [e.to_json() for e in events]}
                for c, messages, events in data.conversations
            ]
            body = {
                "exported_at": iso(now),
                "contact": data.contact,
                "conversations": conversations,
                "survey_answers": data.survey_answers(),
                "blocks": data.blocks,
                "callbacks": data.callbacks,
                "handovers": data.handovers,
                "attachments": data.attachments(),
                "recordings": [
                    {"conversation_id": conversation_id, "name": f.name, "bytes": f.bytes,
                     "recorded_at": iso(f.recorded_at)}
                    for conversation_id, f in recordings
                ],
            }  # fmt: skip
            audit.record(session, actor, AuditAction.DATA_EXPORTED, target(contact_id), now,
                         {"format": form, "conversations": len(conversations),
                          "messages": sum(len(c["messages"]) for c in conversations)})  # fmt: skip
        return Export(contact_id, body, [self._path(f) for _, f in recordings])

    async def erase(self, actor: str, contact_id: str, reason: str) -> Tally:
        """Erase the contact's personal data (404 when there is none, 409 while one of its
        conversations is open); audited as `data_erased` with the reason and the counts. The
        recordings are deleted only once the rest is committed: a failure leaves everything."""
        now = utcnow()
        async with self._store.write() as session:
            if not await contacts.exists(session, contact_id):
                raise not_found("The contact")
            states = await data_store.conversation_states(session, contact_id)
            still_open = [cid for cid, state in states.items() if state is not ConversationState.RESOLVED]
            if still_open:
                raise conflict(f"Resolve the contact's open conversations first: {', '.join(still_open)}.")
            recordings = await asyncio.to_thread(self._files, list(states))
            done = await retention_store.anonymise_texts(session, list(states), ERASED_TEXT, now)
            tally = done.tally
            tally.contacts = await retention_store.anonymise_contacts(session, [contact_id], ERASED_TEXT, force=True)
            tally.translations = await retention_store.forget_translations_of(session, done.digests)
            tally.recordings = len(recordings)
            audit.record(session, actor, AuditAction.DATA_ERASED, target(contact_id), now,
                         {"reason": reason, **tally.to_json()})  # fmt: skip
        await asyncio.to_thread(_unlink, [self._path(f) for _, f in recordings])
        return tally

    def _files(self, conversation_ids: list[str]) -> list[tuple[str, RecordingFile]]:
        if self._recordings is None:
            return []
        return [(cid, f) for cid in conversation_ids for f in self._recordings.of(cid)]

    def _path(self, file: RecordingFile) -> Path:
        assert self._recordings is not None
        return self._recordings.folder / file.name


def _unlink(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
