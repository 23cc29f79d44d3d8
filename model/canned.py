"""Canned replies (상용구): phrases agents insert instead of typing them, with placeholders the
hub fills in for the conversation at hand, in the citizen's language when the phrase has it."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from model.hours import TimeRange, clock
from model.records import iso
from model.vocabulary import AGENT_LANGUAGE

PLACEHOLDERS = ("citizen_name", "queue", "agent_name", "opening_hours")
"""What a canned reply may contain as `{name}`."""

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

UNNAMED_PREFIX = "시민 "
"""Ingest names a contact whose channel gave no name `시민 ` and the last four characters of
the sender (hub/ingest.py): such a name is no name to greet anyone with."""


class CannedScope(StrEnum):
    """Who may use a canned reply: the whole centre, one team, or the agent who wrote it."""

    CENTRE = "centre"
    TEAM = "team"
    PERSONAL = "personal"


@dataclass(frozen=True)
class CannedReply:
    """A canned reply with its text per language (Korean always)."""

    id: int
    code: str
    """What an agent types after `/` (`인사`, `hours`); unique within its scope."""
    title: str
    scope: CannedScope
    texts: dict[str, str]
    team_id: int | None = None
    team: str | None = None
    """The team's name, for a team's reply."""
    owner: str | None = None
    """The username of the agent whose personal reply it is."""
    updated_at: datetime | None = None
    updated_by: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "code": self.code,
            "title": self.title,
            "scope": self.scope.value,
            "team_id": self.team_id,
            "team": self.team,
            "owner": self.owner,
            "texts": dict(self.texts),
            "updated_at": iso(self.updated_at),
            "updated_by": self.updated_by,
        }

    def matches(self, query: str) -> bool:
        """Whether the code starts with the query, or every word of it is in the title or a text."""
        query = query.strip().casefold()
        if not query or self.code.casefold().startswith(query):
            return True
        haystack = " ".join([self.title, *self.texts.values()]).casefold()
        return all(word in haystack for word in query.split())


@dataclass(frozen=True)
class CannedContext:
    """What the placeholders are filled with for one conversation; None where it is not known."""

    agent_name: str
    citizen_name: str | None = None
    """The contact's name (see `known_name`)."""
    queue: str | None = None
    """The queue's code (`transport`)."""
    queue_label: str | None = None
    """The queue's label as the administrator set it, in Korean (`교통`)."""
    week: Sequence[Sequence[TimeRange]] | None = None
    """The queue's weekly opening hours, Monday first (model.hours); None: day and night."""


@dataclass(frozen=True)
class Rendered:
    """A canned reply as it goes into the reply box."""

    text: str
    language: str
    needs_translation: bool
    """No variant in the conversation's language: this is the Korean, to send translated."""

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "language": self.language, "needs_translation": self.needs_translation}


@dataclass(frozen=True)
class PlaceholderTexts:
    """The catalogue's words for what a conversation does not tell (`canned.*` keys), in one language."""

    named: str
    """How a citizen with a name is addressed: `{name} 님`."""
    unnamed: str
    """How a citizen without one is: `고객님`."""
    no_queue: str
    """The centre, for a conversation in no queue."""
    always_open: str
    """Opening hours when no hours are set: around the clock."""
    days: tuple[str, ...]
    """The days of the week, Monday first, as opening hours name them."""
    span: str
    """From one day or time to another: `{first}–{last}`."""
    separator: str
    """Between the parts of a list."""
    closed: str
    """Opening hours of a queue that never opens."""
    queues: dict[str, str] = field(default_factory=dict)
    """Queue names by code."""

    @classmethod
    def from_catalog(cls, texts: Mapping[str, str]) -> PlaceholderTexts:
        """From a catalogue's texts of one language (`Catalog.texts(language, "canned.")`)."""
        prefix = "canned.queue."
        return cls(
            named=texts["canned.citizen_named"],
            unnamed=texts["canned.citizen_unnamed"],
            no_queue=texts["canned.no_queue"],
            always_open=texts["canned.always_open"],
            days=tuple(texts["canned.days"].split(",")),
            span=texts["canned.range"],
            separator=texts["canned.separator"],
            closed=texts["canned.closed"],
            queues={key.removeprefix(prefix): text for key, text in texts.items() if key.startswith(prefix)},
        )


def unknown_placeholders(text: str) -> list[str]:
    """The `{…}` in the text that are not placeholders, in order of appearance, each once."""
    found = [name for name in _PLACEHOLDER.findall(text) if name not in PLACEHOLDERS]
    return list(dict.fromkeys(found))


def known_name(display_name: str | None) -> str | None:
    """The contact's name if their channel gave one; None for the name ingest made up."""
    name = (display_name or "").strip()
    if not name or (name.startswith(UNNAMED_PREFIX) and len(name) <= len(UNNAMED_PREFIX) + 4):
        return None
    return name


def choose_language(reply: CannedReply, language: str | None) -> tuple[str, bool]:
    """The variant to use for a conversation in `language`: its own when written, else Korean
    (and then whether the Korean needs translating for the citizen)."""
    wanted = language or AGENT_LANGUAGE
    if wanted in reply.texts:
        return wanted, False
    return AGENT_LANGUAGE, wanted != AGENT_LANGUAGE


def describe_week(week: Sequence[Sequence[TimeRange]], words: PlaceholderTexts) -> str:
    """Weekly hours as people say them: days in a row with the same hours together, closed
    days left out (`월–금 09:00–18:00, 토 09:00–13:00`)."""
    runs: list[tuple[int, int, tuple[TimeRange, ...]]] = []
    for day, ranges in enumerate(map(tuple, week)):
        if runs and runs[-1][2] == ranges:
            runs[-1] = (runs[-1][0], day, ranges)
        else:
            runs.append((day, day, ranges))
    parts = []
    for first, last, ranges in runs:
        if not ranges:
            continue
        days = words.days[first] if first == last else words.span.format(first=words.days[first], last=words.days[last])
        times = "/".join(words.span.format(first=clock(r.start), last=clock(r.end)) for r in ranges)
        parts.append(f"{days} {times}")
    return words.separator.join(parts) or words.closed


def fill(template: str, language: str, context: CannedContext, words: PlaceholderTexts) -> str:
    """The template, written in `language`, with every placeholder filled; `words` are that language's."""
    queue = words.queues.get(context.queue or "")
    if language == AGENT_LANGUAGE or queue is None:
        queue = context.queue_label or queue  # the administrator's Korean label wins in Korean
    values = {
        "citizen_name": words.named.format(name=context.citizen_name) if context.citizen_name else words.unnamed,
        "queue": queue or words.no_queue,
        "agent_name": context.agent_name,
        "opening_hours": describe_week(context.week, words) if context.week else words.always_open,
    }
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), template)


def render(
    reply: CannedReply, language: str | None, context: CannedContext, words: Mapping[str, PlaceholderTexts]
) -> Rendered:
    """The reply for a conversation in `language`: its variant in that language when there is
    one, else the Korean, flagged for translation. `words` holds each language's placeholder texts."""
    chosen, needs_translation = choose_language(reply, language)
    return Rendered(fill(reply.texts[chosen], chosen, context, words[chosen]), chosen, needs_translation)
