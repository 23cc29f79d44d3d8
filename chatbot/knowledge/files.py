"""The knowledge base's import files and the demo articles.

An import file is JSON lines or CSV with the fields id, category, title, body, keywords
(a list, or one cell of comma-separated words) and language (default ko).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator

from model import Article, Category, Language
from model.errors import invalid

DEMO_DATA = Path(__file__).parents[1] / "data"
DEMO_KNOWLEDGE = DEMO_DATA / "kb_demo.jsonl"
"""The demo knowledge base in Korean; `kb_demo.<language>.jsonl` beside it hold variants."""


class NewArticle(BaseModel):
    """One line of an import file, checked."""

    id: str = Field(min_length=1, max_length=64)
    category: Category
    title: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1)
    keywords: list[str] = Field(default_factory=list)
    language: Language = Language.KO

    @field_validator("keywords", mode="before")
    @classmethod
    def split_keywords(cls, value: Any) -> Any:
        # CSV files carry keywords as one cell: "따릉이, 공공자전거".
        return [k.strip() for k in value.replace(";", ",").split(",") if k.strip()] if isinstance(value, str) else value

    def article(self) -> Article:
        """The checked line as an article record."""
        return Article(self.id, self.category.value, self.title, self.body, tuple(self.keywords), self.language.value)


def read_articles(path: Path) -> list[Article]:
    """Articles from a JSON-lines or CSV file; every line is checked before any is loaded."""
    text = path.read_text(encoding="utf-8-sig")
    records: Iterable[tuple[int, Any]]
    if path.suffix.lower() == ".csv":
        records = enumerate(csv.DictReader(io.StringIO(text)), start=2)
    else:
        records = ((n, _json_line(n, line)) for n, line in enumerate(text.splitlines(), start=1) if line.strip())
    articles = []
    for line, record in records:
        try:
            articles.append(NewArticle.model_validate(record).article())
        except ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise invalid(f"{path.name} line {line}: {field}: {first['msg']}") from None
    return articles


def _json_line(number: int, line: str) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError as error:
        raise invalid(f"line {number} is not valid JSON: {error}") from None


def demo_articles() -> list[Article]:
    """The demo knowledge base: the Korean articles, then their variants in other languages."""
    variants = sorted(DEMO_DATA.glob("kb_demo.*.jsonl"))
    return [article for path in [DEMO_KNOWLEDGE, *variants] for article in read_articles(path)]
