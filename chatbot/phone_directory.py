"""The phone directory the assistant reads numbers from: offices and hotlines, each with
its names and the short forms citizens use, in every hub language."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

DEMO_DIRECTORY = Path(__file__).parent / "data" / "phone_directory.jsonl"


@dataclass(frozen=True)
class Office:
    id: str
    number: str
    names: dict[str, tuple[str, ...]]
    """Language → display name first, then the aliases citizens type."""

    def name_in(self, language: str) -> str:
        return (self.names.get(language) or self.names["ko"])[0]

    def aliases(self) -> list[str]:
        """Every name of the office, in every language."""
        return [alias for names in self.names.values() for alias in names]


def _folded(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _pattern(alias: str) -> re.Pattern[str]:
    # Latin names match whole words ("NTS" is not in "complaints"); Korean and Mongolian
    # names take particles and suffixes right after them (마포구청에, захиргааны).
    edge = r"(?<![a-z0-9])", r"(?![a-z0-9])"
    return re.compile(edge[0] + re.escape(alias) + edge[1] if alias.isascii() else re.escape(alias))


class PhoneDirectory:
    """Finds the office a message names: the longest name or alias it contains, in any
    language (a Vietnamese citizen may well write 마포구청)."""

    def __init__(self, offices: list[Office]) -> None:
        self._offices = {office.id: office for office in offices}
        names = {(_folded(alias), office.id): office for office in offices for alias in office.aliases()}
        longest_first = sorted(names.items(), key=lambda item: -len(item[0][0]))  # 마포구청 before 마포구
        self._aliases = [(_pattern(alias), office) for (alias, _), office in longest_first]

    @classmethod
    def read(cls, path: Path = DEMO_DIRECTORY) -> PhoneDirectory:
        offices = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                names = {lang: tuple(aliases) for lang, aliases in record["names"].items() if aliases}
                offices.append(Office(record["id"], record["number"], names))
        return cls(offices)

    def office(self, office_id: str) -> Office | None:
        """The office with this id, if the directory has it."""
        return self._offices.get(office_id)

    def find(self, message: str) -> Office | None:
        text = _folded(message)
        return next((office for alias, office in self._aliases if alias.search(text)), None)
