"""Seoul's own names (따릉이, 120다산콜재단, districts, stations) through machine translation.

Engines translate names word by word ("따릉이" → "Ddareungi", "마포구" → "Hemp Port
District"). Before a text goes to the engine, each glossary term in the source language is
replaced by the city's own form in the target language; engines leave such names alone.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

GLOSSARY = Path(__file__).parent / "data" / "glossary.json"


@dataclass(frozen=True)
class Glossary:
    terms: tuple[dict[str, str], ...]
    """One mapping per term: language code → the term in that language."""

    @classmethod
    def read(cls, path: Path = GLOSSARY) -> Glossary:
        return cls(tuple(json.loads(path.read_text(encoding="utf-8"))["terms"]))

    def apply(self, text: str, source: str, target: str) -> str:
        """`text` with every term of `source` replaced by its `target` form (longest first)."""
        pairs = sorted(
            ((term[source], term[target]) for term in self.terms if term.get(source) and term.get(target)),
            key=lambda pair: -len(pair[0]),
        )
        if not pairs:
            return text
        forms = dict((found.casefold(), replacement) for found, replacement in pairs)
        pattern = re.compile("|".join(_pattern(found) for found, _ in pairs), re.IGNORECASE)
        return pattern.sub(lambda match: forms[match.group(0).casefold()], text)


def _pattern(term: str) -> str:
    # Latin names match whole words only ("Jung-gu" is not inside "Jung-gukbap").
    escaped = re.escape(term)
    return rf"(?<![A-Za-z0-9]){escaped}(?![A-Za-z0-9])" if term.isascii() else escaped
