"""An in-memory BM25 index over knowledge-base articles."""

from __future__ import annotations

import heapq
import math
from collections import Counter, defaultdict
from dataclasses import dataclass

from chatbot.knowledge.tokenizer import BIGRAM, SearchTokenizer
from model import Article


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
    """Okapi BM25 over title, keywords and body; titles and keywords count double.

    Postings per term, so a search scores only the articles that share a term with it.
    """

    K1 = 1.2
    B = 0.75

    def __init__(self, tokenizer: SearchTokenizer, articles: list[Article]) -> None:
        self._tokenizer = tokenizer
        self._articles = articles
        self._postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        lengths: list[int] = []
        for position, article in enumerate(articles):
            heading = f"{article.title} {' '.join(article.keywords)}"
            terms = Counter(tokenizer.tokens(heading) * 2 + tokenizer.tokens(article.body))
            for term, frequency in terms.items():
                self._postings[term].append((position, frequency))
            lengths.append(sum(terms.values()))
        count = len(articles)
        average = (sum(lengths) / count) if count else 1.0
        self._norms = [self.K1 * (1 - self.B + self.B * length / average) for length in lengths]
        self._idf = {
            term: math.log(1 + (count - len(postings) + 0.5) / (len(postings) + 0.5))
            for term, postings in self._postings.items()
        }
        # Unknown words count as the rarest possible: a query about something the
        # knowledge base never mentions must not look well covered. Unknown character
        # bigrams do not count: most straddle two words ("照丢" in "护照丢了").
        self._unknown_idf = math.log(1 + (count + 0.5) / 0.5)

    def __len__(self) -> int:
        return len(self._articles)

    def search(self, query: str, limit: int = 5) -> list[Hit]:
        query_terms = set(self._tokenizer.tokens(query))
        if not query_terms or not self._articles:
            return []
        query_mass = sum(self._idf.get(term, 0.0 if term.startswith(BIGRAM) else self._unknown_idf)
                         for term in query_terms)  # fmt: skip
        scores: dict[int, float] = defaultdict(float)
        matched_mass: dict[int, float] = defaultdict(float)
        for term in query_terms & self._idf.keys():
            idf = self._idf[term]
            for position, frequency in self._postings[term]:
                scores[position] += idf * frequency * (self.K1 + 1) / (frequency + self._norms[position])
                matched_mass[position] += idf
        best = heapq.nlargest(limit, scores.items(), key=lambda item: item[1])
        return [Hit(self._articles[p], score, matched_mass[p] / query_mass) for p, score in best]
