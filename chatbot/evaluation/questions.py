"""The labelled questions and their fixed split into a calibration and a held-out part."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

QUESTIONS = Path(__file__).parent / "questions.jsonl"
"""Questions as citizens type them (colloquial, typos, spacing errors, synonyms), each with
the demo article that answers it, or none: nothing in the knowledge base does."""
CALIBRATION_SHARE = 0.6


@dataclass(frozen=True)
class Question:
    language: str
    """The language the citizen wrote in."""
    text: str
    article: str | None
    """The id of the article that answers it; None: no article does."""


def read_questions(path: Path = QUESTIONS) -> list[Question]:
    """Every labelled question, in file order."""
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Question(r["language"], r["question"], r["article"]) for r in records]


def split(questions: list[Question]) -> tuple[list[Question], list[Question]]:
    """The calibration part and the held-out part. In each language the questions are
    ordered by a hash of their text and the first 60% calibrate, so the split stays the same
    whatever the file's order and a question added later lands in either part at random."""
    calibration: list[Question] = []
    held_out: list[Question] = []
    for language in dict.fromkeys(q.language for q in questions):
        ordered = sorted((q for q in questions if q.language == language), key=_digest)
        cut = round(len(ordered) * CALIBRATION_SHARE)
        calibration.extend(ordered[:cut])
        held_out.extend(ordered[cut:])
    return calibration, held_out


def _digest(question: Question) -> str:
    return hashlib.sha256(question.text.encode()).hexdigest()
