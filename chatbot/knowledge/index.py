"""An in-memory BM25 index over knowledge-base articles."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from chatbot.knowledge.tokenizer import KoreanTokenizer
from hub.model import Article


@dataclass(frozen=True)
class Hit:
    article: Article
    score: float
    confidence: float
    """Share of the query's informative tokens (weighted by rarity) the article contains."""

    def snippet(self, length: int = 120) -> str:
        body = " ".join(self.article.body.split())
        return body if len(body) <= length else body[: length - 1] + "…"


class BM25Index:
    """Okapi BM25 over title, keywords and body; titles and keywords count double."""

    K1 = 1.2
    B = 0.75

    def __init__(self, tokenizer: KoreanTokenizer, articles: list[Article]) -> None:
        self._tokenizer = tokenizer
        self._articles = articles
        self._docs: list[Counter[str]] = []
        self._lengths: list[int] = []
        document_frequency: Counter[str] = Counter()
        for article in articles:
            heading = f"{article.title} {' '.join(article.keywords)}"
            terms = Counter(tokenizer.tokens(heading) * 2 + tokenizer.tokens(article.body))
            self._docs.append(terms)
            self._lengths.append(sum(terms.values()))
            document_frequency.update(terms.keys())
        count = len(articles)
        self._average_length = (sum(self._lengths) / count) if count else 0.0
        self._idf = {
            term: math.log(1 + (count - df + 0.5) / (df + 0.5)) for term, df in document_frequency.items()
        }

    def __len__(self) -> int:
        return len(self._articles)

    def search(self, query: str, limit: int = 5, category: str | None = None) -> list[Hit]:
        query_terms = set(self._tokenizer.tokens(query))
        # Unknown terms count as the rarest possible: a query about something the
        # knowledge base never mentions must not look well covered.
        rarest = math.log(1 + (len(self._articles) + 0.5) / 0.5) if self._articles else 1.0
        query_mass = sum(self._idf.get(term, rarest) for term in query_terms)
        if not query_terms or not self._articles:
            return []
        hits: list[Hit] = []
        for position, terms in enumerate(self._docs):
            article = self._articles[position]
            if category and article.category != category:
                continue
            matched = [term for term in query_terms if term in terms]
            if not matched:
                continue
            norm = self.K1 * (1 - self.B + self.B * self._lengths[position] / self._average_length)
            score = sum(
                self._idf[term] * terms[term] * (self.K1 + 1) / (terms[term] + norm) for term in matched
            )
            confidence = sum(self._idf[term] for term in matched) / query_mass
            hits.append(Hit(article, score, confidence))
        hits.sort(key=lambda hit: hit.score, reverse=True)
        return hits[:limit]
