"""The knowledge base's import and export files, and the demo articles.

A file is JSON lines, CSV or XLSX (first sheet, a header row) with one line per article and
language: id, category, title, body, keywords (a list, or one cell of comma-separated
words), language (default ko), valid_from and valid_until (YYYY-MM-DD, optional) and
directory (phone-directory office ids, like keywords). Every line is checked before any is
loaded; an error names the line and the field.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from pydantic import BaseModel, Field, ValidationError, field_validator

from model import Article, Category, Language
from model.errors import invalid

DEMO_DATA = Path(__file__).parents[1] / "data"
DEMO_KNOWLEDGE = DEMO_DATA / "kb_demo.jsonl"
"""The demo knowledge base in Korean; `kb_demo.<language>.jsonl` beside it hold variants."""

COLUMNS = ("id", "language", "category", "title", "body", "keywords", "valid_from", "valid_until", "directory")


class FileFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"
    XLSX = "xlsx"

    @property
    def media_type(self) -> str:
        return {
            FileFormat.JSONL: "application/x-ndjson",
            FileFormat.CSV: "text/csv",
            FileFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }[self]

    @classmethod
    def of(cls, path: Path) -> FileFormat:
        """The format a file's name says (JSON lines unless .csv or .xlsx)."""
        suffix = path.suffix.lower().lstrip(".")
        return cls(suffix) if suffix in (cls.CSV, cls.XLSX) else cls.JSONL


def _word_list(value: Any) -> Any:
    # CSV and XLSX carry lists as one cell: "따릉이, 공공자전거".
    if value is None:
        return []
    return [k.strip() for k in value.replace(";", ",").split(",") if k.strip()] if isinstance(value, str) else value


class NewArticle(BaseModel):
    """One line of an import file, checked."""

    id: str = Field(min_length=1, max_length=64)
    category: Category
    title: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1)
    keywords: list[str] = Field(default_factory=list)
    language: Language = Language.KO
    valid_from: date | None = None
    valid_until: date | None = None
    directory: list[str] = Field(default_factory=list)

    _lists = field_validator("keywords", "directory", mode="before")(_word_list)

    @field_validator("valid_from", "valid_until", "language", mode="before")
    @classmethod
    def empty_is_absent(cls, value: Any) -> Any:
        # An empty cell in CSV or XLSX means "not given".
        return None if value == "" else value

    @field_validator("language", mode="after")
    @classmethod
    def korean_by_default(cls, value: Language | None) -> Language:
        return value or Language.KO

    def article(self) -> Article:
        """The checked line as an article record."""
        return Article(
            self.id,
            self.category.value,
            self.title,
            self.body,
            tuple(self.keywords),
            self.language.value,
            self.valid_from,
            self.valid_until,
            False,
            tuple(self.directory),
        )


def read_articles(path: Path) -> list[Article]:
    """Articles from a JSON-lines, CSV or XLSX file."""
    return parse_articles(path.read_bytes(), FileFormat.of(path), path.name)


def parse_articles(data: bytes, file_format: FileFormat, name: str = "the file") -> list[Article]:
    """Articles from a file's bytes; every line is checked before any is returned."""
    articles = []
    for line, record in _records(data, file_format, name):
        try:
            articles.append(NewArticle.model_validate(record).article())
        except ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise invalid(f"{name} line {line}: {field}: {first['msg']}") from None
        if articles[-1].valid_from and articles[-1].valid_until and articles[-1].valid_until < articles[-1].valid_from:
            raise invalid(f"{name} line {line}: valid_until is before valid_from")
    return articles


def _records(data: bytes, file_format: FileFormat, name: str) -> Iterable[tuple[int, Any]]:
    if file_format is FileFormat.XLSX:
        return _sheet_records(data, name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise invalid(f"{name} is not UTF-8 text.") from None
    if file_format is FileFormat.CSV:
        return enumerate(csv.DictReader(io.StringIO(text)), start=2)
    return ((n, _json_line(n, line)) for n, line in enumerate(text.splitlines(), start=1) if line.strip())


def _sheet_records(data: bytes, name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except Exception:  # openpyxl raises several kinds for a file that is not a workbook
        raise invalid(f"{name} is not an XLSX workbook.") from None
    rows = sheet.iter_rows(values_only=True)
    header = [str(cell).strip() if cell is not None else "" for cell in next(rows, ())]
    for number, row in enumerate(rows, start=2):
        if any(cell not in (None, "") for cell in row):
            record = {key: _cell(value) for key, value in zip(header, row, strict=False) if key}
            yield number, record


def _cell(value: Any) -> Any:
    # Spreadsheets turn dates into datetimes and ids into numbers.
    if hasattr(value, "date") and callable(value.date):
        return value.date()
    return str(value) if isinstance(value, int | float) else value


def _json_line(number: int, line: str) -> Any:
    try:
        return json.loads(line)
    except (json.JSONDecodeError, RecursionError) as error:  # RecursionError: nested too deeply
        raise invalid(f"line {number} is not valid JSON: {error}") from None


def write_articles(articles: list[Article], file_format: FileFormat) -> bytes:
    """Articles as an import file of `file_format` (what `parse_articles` reads back)."""
    rows = [_row(article) for article in articles]
    if file_format is FileFormat.JSONL:
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode()
    flat = [{key: ", ".join(v) if isinstance(v, list) else (v or "") for key, v in row.items()} for row in rows]
    if file_format is FileFormat.CSV:
        out = io.StringIO()
        writer = csv.DictWriter(out, COLUMNS)
        writer.writeheader()
        writer.writerows(flat)
        return out.getvalue().encode("utf-8-sig")  # the BOM tells Excel it is UTF-8
    book = Workbook(write_only=True)
    sheet = book.create_sheet("articles")
    sheet.append(list(COLUMNS))
    for row in flat:
        sheet.append([row[key] for key in COLUMNS])
    out_bytes = io.BytesIO()
    book.save(out_bytes)
    return out_bytes.getvalue()


def _row(article: Article) -> dict[str, Any]:
    return {
        "id": article.id,
        "language": article.language,
        "category": article.category,
        "title": article.title,
        "body": article.body,
        "keywords": list(article.keywords),
        "valid_from": article.valid_from.isoformat() if article.valid_from else None,
        "valid_until": article.valid_until.isoformat() if article.valid_until else None,
        "directory": list(article.directory),
    }


def demo_articles() -> list[Article]:
    """The demo knowledge base: the Korean articles, then their variants in other languages."""
    variants = sorted(DEMO_DATA.glob("kb_demo.*.jsonl"))
    return [article for path in [DEMO_KNOWLEDGE, *variants] for article in read_articles(path)]
