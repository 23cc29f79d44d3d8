"""The recordings of consented calls, kept with their conversation (each file's name starts
with the conversation's id) for a set time, and played back to supervisors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

# As `CallMedia.start_recording` names them: <conversation id>-<UTC start, microseconds>.webm
_NAME = re.compile(r"(?P<conversation>[A-Za-z0-9_-]{1,64})-(?P<stamp>\d{8}T\d{12}Z)\.webm")
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class RecordingFile:
    name: str
    bytes: int
    recorded_at: datetime

    def to_json(self, url: str) -> dict[str, object]:
        return {"name": self.name, "url": url, "bytes": self.bytes, "recorded_at": self.recorded_at.isoformat()}


def _parse(name: str) -> tuple[str, datetime] | None:
    """The conversation and the start of a recording file's name; None for other files."""
    match = _NAME.fullmatch(name)
    if match is None:
        return None
    return match["conversation"], datetime.strptime(match["stamp"], "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)


class Archive:
    """The recordings folder, as conversations and their files."""

    def __init__(self, folder: Path, retention: timedelta) -> None:
        self.folder = folder
        self.retention = retention

    def of(self, conversation_id: str) -> list[RecordingFile]:
        """The conversation's recordings, oldest first."""
        if not _ID.fullmatch(conversation_id):  # ids never hold glob patterns; refuse anything else
            return []
        found = []
        for path in sorted(self.folder.glob(f"{conversation_id}-*.webm")):
            parsed = _parse(path.name)
            if parsed is not None and parsed[0] == conversation_id:
                found.append(RecordingFile(path.name, path.stat().st_size, parsed[1]))
        return found

    def path(self, conversation_id: str, name: str) -> Path | None:
        """The file of one of the conversation's recordings; None for any other name."""
        parsed = _parse(name)
        if parsed is None or parsed[0] != conversation_id:
            return None
        path = self.folder / name
        return path if path.is_file() else None

    def sweep(self, now: datetime) -> list[str]:
        """Delete the recordings older than the retention; returns the names deleted."""
        deleted = []
        for path in self.folder.glob("*.webm"):
            parsed = _parse(path.name)
            if parsed is not None and now - parsed[1] > self.retention:
                path.unlink(missing_ok=True)
                deleted.append(path.name)
        return deleted
