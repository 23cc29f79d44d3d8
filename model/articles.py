"""The knowledge base's editorial records (표준상담DB): an article's content as editors write
it, its revisions, where it stands and what happened to it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from model.records import Article, iso
from model.vocabulary import AGENT_LANGUAGE, ArticleState


class ArticleAction(StrEnum):
    """What someone did to an article: one line of its history."""

    CREATED = "created"
    EDITED = "edited"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"
    PUBLISHED = "published"
    ARCHIVED = "archived"
    IMPORTED = "imported"


@dataclass(frozen=True)
class Variant:
    """An article in one language."""

    title: str
    body: str
    keywords: tuple[str, ...] = ()
    outdated: bool = False
    """Written before the Korean article last changed: a translator should look again."""

    def same_text(self, other: Variant | None) -> bool:
        return other is not None and (self.title, self.body, self.keywords) == (other.title, other.body, other.keywords)

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "body": self.body, "keywords": list(self.keywords), "outdated": self.outdated}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Variant:
        return cls(data["title"], data["body"], tuple(data.get("keywords") or ()), bool(data.get("outdated")))


@dataclass(frozen=True)
class ArticleContent:
    """Everything an editor writes of an article: one revision."""

    category: str
    variants: dict[str, Variant]
    """Language → text; Korean is the original the others translate."""
    valid_from: date | None = None
    valid_until: date | None = None
    directory: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        """The Korean title, or the first language's when there is no Korean."""
        variant = self.variants.get(AGENT_LANGUAGE) or next(iter(self.variants.values()))
        return variant.title

    @property
    def outdated(self) -> bool:
        """Whether some variant is older than the Korean text."""
        return any(variant.outdated for variant in self.variants.values())

    def after_edit(self, before: ArticleContent | None, checked: frozenset[str] = frozenset()) -> ArticleContent:
        """This content as the next revision of `before`: when the Korean text changed, the
        variants in other languages that did not change with it are outdated; a variant whose
        text changed, or that a translator `checked` against the Korean, is current again."""
        if before is None:
            return self
        korean = self.variants.get(AGENT_LANGUAGE)
        korean_changed = korean is not None and not korean.same_text(before.variants.get(AGENT_LANGUAGE))
        variants = {}
        for language, variant in self.variants.items():
            previous = before.variants.get(language)
            if language == AGENT_LANGUAGE or language in checked or not variant.same_text(previous):
                outdated = False
            else:
                outdated = korean_changed or (previous.outdated if previous else False)
            variants[language] = replace(variant, outdated=outdated)
        return replace(self, variants=variants)

    def articles(self, article_id: str) -> list[Article]:
        """The searchable article records, one per language."""
        return [
            Article(
                article_id,
                self.category,
                variant.title,
                variant.body,
                variant.keywords,
                language,
                self.valid_from,
                self.valid_until,
                variant.outdated,
                self.directory,
            )
            for language, variant in self.variants.items()
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "directory": list(self.directory),
            "variants": {language: variant.to_json() for language, variant in self.variants.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ArticleContent:
        return cls(
            data["category"],
            {language: Variant.from_json(variant) for language, variant in data["variants"].items()},
            date.fromisoformat(data["valid_from"]) if data.get("valid_from") else None,
            date.fromisoformat(data["valid_until"]) if data.get("valid_until") else None,
            tuple(data.get("directory") or ()),
        )

    @classmethod
    def of(cls, articles: list[Article]) -> ArticleContent:
        """The content of one article's variants (an import file's lines of one id)."""
        first = next((a for a in articles if a.language == AGENT_LANGUAGE), articles[0])
        return cls(
            first.category,
            {a.language: Variant(a.title, a.body, a.keywords, a.outdated) for a in articles},
            first.valid_from,
            first.valid_until,
            first.directory,
        )


@dataclass(frozen=True)
class ArticleEvent:
    revision: int
    action: ArticleAction
    actor: str
    at: datetime
    comment: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "action": self.action.value,
            "actor": self.actor,
            "at": iso(self.at),
            "comment": self.comment,
        }


@dataclass(frozen=True)
class ArticleEntry:
    """One article through the workflow: its newest revision and what is published of it."""

    id: str
    state: ArticleState
    head: int
    """The newest revision's number."""
    published: int | None
    """The revision citizens and the bot read, if any."""
    draft: ArticleContent
    """The newest revision's content."""
    created_by: str
    created_at: datetime
    updated_at: datetime
    approvals: tuple[str, ...] = field(default=())
    """Who approved the newest revision (since it was last submitted)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state.value,
            "category": self.draft.category,
            "title": self.draft.title,
            "head": self.head,
            "published": self.published,
            "created_by": self.created_by,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
            "draft": self.draft.to_json(),
            "approvals": list(self.approvals),
            "outdated_languages": sorted(lang for lang, v in self.draft.variants.items() if v.outdated),
        }
