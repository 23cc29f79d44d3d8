"""The knowledge base's search at 100,000 articles, beside SQLite FTS5 over the same articles.

Builds Korean articles that read like the demo ones (their titles, bodies and keywords
recombined with district names, numbers and seasons; a fixed seed), variants of a share of
them in the other five languages, and searches them with the citizens' questions of
`chatbot/evaluation/questions.jsonl`, in one process:

- ours, `KnowledgeBase` over `MemoryArticles`: index build (time, RSS delta; tracemalloc
  peak on a sample, since tracing slows the build severalfold), search p50/p99/max per
  language, and a single-article update: from publishing one edited article (`load()`:
  written, then the index refreshed in place) until a search finds it;
- SQLite FTS5 (stdlib sqlite3, in memory), tokenizers `unicode61` and `trigram`, bm25
  with title and keywords weighted double: build, search p50/p99/max, a single-row update;
- how often FTS5's first result is ours (a rough sanity figure: FTS5 does not analyse
  Korean morphemes, so this is no quality claim), and our figures as multiples of FTS5's.

    .venv/bin/python bench/kb.py [--articles 100000] [--queries 2000] [--fts5-queries 1000] [--trace-sample 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sqlite3
import statistics
import sys
import time
import tracemalloc
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chatbot.knowledge.base import KnowledgeBase  # noqa: E402
from chatbot.knowledge.files import demo_articles  # noqa: E402
from chatbot.knowledge.index import BM25Index  # noqa: E402
from chatbot.knowledge.memory import MemoryArticles  # noqa: E402
from chatbot.knowledge.tokenizer import SearchTokenizer  # noqa: E402
from model import Article  # noqa: E402

QUESTIONS = ROOT / "chatbot" / "evaluation" / "questions.jsonl"
SEED = 120
LANGUAGES = ["ko", "en", "zh", "ja", "vi", "mn"]
VARIANT_CHANCE = {"en": 1.0, "zh": 0.3, "ja": 0.3, "vi": 0.3, "mn": 0.3}
"""The chance a Korean article gets a variant in a language, when its demo article has one
(30 of the 193 do): about 15% of the articles in English, 5% in each other language."""

DISTRICTS = [
    ("종로구", "Jongno-gu"), ("중구", "Jung-gu"), ("용산구", "Yongsan-gu"), ("성동구", "Seongdong-gu"),
    ("광진구", "Gwangjin-gu"), ("동대문구", "Dongdaemun-gu"), ("중랑구", "Jungnang-gu"),
    ("성북구", "Seongbuk-gu"), ("강북구", "Gangbuk-gu"), ("도봉구", "Dobong-gu"), ("노원구", "Nowon-gu"),
    ("은평구", "Eunpyeong-gu"), ("서대문구", "Seodaemun-gu"), ("마포구", "Mapo-gu"),
    ("양천구", "Yangcheon-gu"), ("강서구", "Gangseo-gu"), ("구로구", "Guro-gu"), ("금천구", "Geumcheon-gu"),
    ("영등포구", "Yeongdeungpo-gu"), ("동작구", "Dongjak-gu"), ("관악구", "Gwanak-gu"),
    ("서초구", "Seocho-gu"), ("강남구", "Gangnam-gu"), ("송파구", "Songpa-gu"), ("강동구", "Gangdong-gu"),
]  # fmt: skip
SEASONS = ["봄철", "여름철", "장마철", "가을철", "겨울철", "설 연휴", "추석 연휴", "개학 시기"]
TITLE_SUFFIXES = ["", " 안내", " (개정)", " 자주 묻는 질문", " 변경 사항", " 신청 절차"]
EXTRA_SENTENCES = [
    "{district} 주민은 {district}청 민원실(☎ 02-{phone})에서도 같은 안내를 받을 수 있습니다.",
    "{year}년 {season}에는 문의가 많아 처리에 {days}일 정도 더 걸릴 수 있습니다.",
    "{district} {dong}동 주민센터는 평일 오전 9시부터 오후 6시까지 방문 접수를 받습니다.",
    "관련 기준은 {year}년 {month}월에 바뀌었으니 최신 내용을 누리집에서 확인해 주세요.",
    "{season}에는 {district} 일부 지역에서 현장 점검이 {days}회 추가로 실시됩니다.",
]
VARIANT_SENTENCE = {
    "en": "Residents of {district} can also ask at the district office (02-{phone}) in {year}.",
    "zh": "{district}居民也可以在{year}年向区政府咨询(02-{phone})。",
    "ja": "{district}の住民は{year}年に区役所(02-{phone})でも案内を受けられます。",
    "vi": "Cư dân {district} cũng có thể hỏi tại văn phòng quận (02-{phone}) trong năm {year}.",
    "mn": "{district}-ийн оршин суугчид {year} онд дүүргийн албанаас (02-{phone}) лавлаж болно.",
}


def generate(count: int, rng: random.Random) -> list[Article]:
    """`count` Korean articles, then their variants: each a demo article in a district,
    with a sentence from another article of its category and one of numbers and seasons,
    so no two bodies are the same text (the Korean analyser caches by text)."""
    demo = demo_articles()
    korean = [a for a in demo if a.language == "ko"]
    variants = {(a.id, a.language): a for a in demo if a.language != "ko"}
    by_category: dict[str, list[Article]] = defaultdict(list)
    for article in korean:
        by_category[article.category].append(article)
    articles: list[Article] = []
    extras: list[Article] = []
    for number in range(count):
        base = korean[number % len(korean)]
        district, roman = rng.choice(DISTRICTS)
        fill = {
            "district": district,
            "phone": f"{rng.randint(2000, 9999)}-{rng.randint(1000, 9999)}",
            "year": rng.randint(2019, 2026),
            "season": rng.choice(SEASONS),
            "days": rng.randint(2, 14),
            "dong": rng.randint(1, 9),
            "month": rng.randint(1, 12),
        }
        other = rng.choice(by_category[base.category])
        borrowed = rng.choice([s for s in re.split(r"(?<=[.다요])\s+", other.body) if s] or [other.body])
        added = [borrowed, rng.choice(EXTRA_SENTENCES).format(**fill)]
        rng.shuffle(added)
        sentences = [base.body, *added]
        article_id = f"{base.id}-{number:06d}"
        title = f"{district} {base.title}{rng.choice(TITLE_SUFFIXES)}"
        keywords = (*rng.sample(base.keywords, k=max(1, len(base.keywords) - rng.randint(0, 2))), district)
        articles.append(Article(article_id, base.category, title, " ".join(sentences), keywords, "ko"))
        for language, chance in VARIANT_CHANCE.items():
            variant = variants.get((base.id, language))
            if variant and rng.random() < chance:
                sentence = VARIANT_SENTENCE[language].format(**{**fill, "district": roman})
                extras.append(
                    Article(
                        article_id, base.category, f"{variant.title} ({roman})", f"{variant.body} {sentence}",
                        (*variant.keywords, roman), language,
                    )
                )  # fmt: skip
    return articles + extras


def questions() -> dict[str, list[str]]:
    """The evaluation's citizen questions, by language."""
    found: dict[str, list[str]] = defaultdict(list)
    for line in QUESTIONS.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            found[record["language"]].append(record["question"])
    return found


def query_plan(by_language: dict[str, list[str]], korean_total: int, rng: random.Random) -> list[tuple[str, str]]:
    """(language, question) pairs: Korean questions cycled to `korean_total`, every other
    language's to a quarter of that, shuffled. After its first round a question starts with
    a district, as citizens often write, so no text repeats: the Korean analyser caches
    by text, and a repeated question would skip its analysis."""
    plan: list[tuple[str, str]] = []
    for language, texts in by_language.items():
        total = korean_total if language == "ko" else korean_total // 4
        for number in range(total):
            question = texts[number % len(texts)]
            if number >= len(texts):
                district, roman = rng.choice(DISTRICTS)
                question = f"{district if language == 'ko' else roman} {question}"
            plan.append((language, question))
    rng.shuffle(plan)
    return plan


def rss_mb() -> float:
    """The process's resident memory now, in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentiles(samples_ms: list[float]) -> tuple[float, float, float]:
    """p50, p99 and max of `samples_ms`."""
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return cuts[49], cuts[98], max(samples_ms)


def progress(text: str) -> None:
    print(f"  {text}", file=sys.stderr, flush=True)


@dataclass
class Measured:
    """One engine's figures."""

    name: str
    build_s: float
    update_ms: float
    latencies: dict[str, list[float]]
    first_ids: dict[tuple[str, str], str | None]
    memory: str = ""


async def measure_ours(articles: list[Article], plan: list[tuple[str, str]], tokenizer: SearchTokenizer) -> Measured:
    """Our KnowledgeBase: build on the first search, searches, one article changed."""
    source = MemoryArticles(articles)
    knowledge = KnowledgeBase(source, tokenizer, recheck_seconds=3600)
    progress(f"ours: building the indexes over {len(articles):,} articles (as the first search does)")
    rss_before = rss_mb()
    started = time.perf_counter()
    await knowledge.search("따릉이", "ko")
    build_s = time.perf_counter() - started
    rss_delta = rss_mb() - rss_before
    progress(f"ours: built in {build_s:.1f} s, RSS +{rss_delta:,.0f} MB; searching {len(plan):,} questions")
    latencies: dict[str, list[float]] = defaultdict(list)
    first_ids: dict[tuple[str, str], str | None] = {}
    for language, question in plan:
        started = time.perf_counter()
        hits = await knowledge.search(question, language, 5)
        latencies[language].append((time.perf_counter() - started) * 1000)
        first_ids[(language, question)] = hits[0].article.id if hits else None
    progress(f"ours: p99 {overall_p99(latencies):.2f} ms")
    target = articles[len(articles) // 2]
    changed = replace(target, title=f"{target.title} 개정 안내 따릉이 정비소 분실물 접수처")
    progress(f"ours: publishing a change of article {target.id}; waiting until a search sees it")
    started = time.perf_counter()
    await knowledge.load([changed])
    while not any(hit.article.title == changed.title for hit in await knowledge.search(changed.title, "ko", 5)):
        await asyncio.sleep(0)
    update_ms = (time.perf_counter() - started) * 1000
    progress(f"ours: update seen by a search after {update_ms:,.0f} ms")
    return Measured("ours (BM25Index)", build_s, update_ms, latencies, first_ids, f"RSS +{rss_delta:,.0f} MB")


def traced_peak_mb(articles: list[Article], tokenizer: SearchTokenizer, sample: int) -> tuple[int, float]:
    """tracemalloc's peak while indexing the first `sample` Korean articles, in MB."""
    korean = [a for a in articles if a.language == "ko"][:sample]
    progress(f"ours: tracemalloc over a Korean index of {len(korean):,} articles")
    tracemalloc.start()
    index = BM25Index(tokenizer.analyser("ko"), korean)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del index
    return len(korean), peak / 2**20


def fts_query(question: str, tokenizer: str) -> str:
    """The question as an FTS5 OR-query of its quoted words (trigram: words of 3+ characters)."""
    words = re.findall(r"\w+", question)
    if tokenizer == "trigram":
        words = [w for w in words if len(w) >= 3]
    return " OR ".join('"' + w.replace('"', '""') + '"' for w in words)


def measure_fts5(articles: list[Article], plan: list[tuple[str, str]], tokenizer: str) -> Measured:
    """SQLite FTS5 in memory with `tokenizer`, bm25 with title and keywords counting double."""
    progress(f"FTS5 {tokenizer}: building")
    db = sqlite3.connect(":memory:")
    started = time.perf_counter()
    db.execute(
        "CREATE VIRTUAL TABLE kb USING fts5(id UNINDEXED, language UNINDEXED, title, keywords, body, "
        f"tokenize='{tokenizer}')"
    )
    with db:
        db.executemany(
            "INSERT INTO kb VALUES (?, ?, ?, ?, ?)",
            ((a.id, a.language, a.title, " ".join(a.keywords), a.body) for a in articles),
        )
    build_s = time.perf_counter() - started
    search_sql = "SELECT id FROM kb WHERE kb MATCH ? AND language = ? ORDER BY bm25(kb, 0, 0, 2.0, 2.0, 1.0) LIMIT 5"
    progress(f"FTS5 {tokenizer}: built in {build_s:.1f} s; searching {len(plan):,} questions")
    latencies: dict[str, list[float]] = defaultdict(list)
    first_ids: dict[tuple[str, str], str | None] = {}
    for language, question in plan:
        match = fts_query(question, tokenizer)
        started = time.perf_counter()
        rows = db.execute(search_sql, (match, language)).fetchall() if match else []
        latencies[language].append((time.perf_counter() - started) * 1000)
        first_ids[(language, question)] = rows[0][0] if rows else None
    target = articles[len(articles) // 2]
    title = f"{target.title} 개정 안내 따릉이 정비소 분실물 접수처"
    started = time.perf_counter()
    with db:
        db.execute("UPDATE kb SET title = ? WHERE id = ? AND language = ?", (title, target.id, target.language))
    rows = db.execute(search_sql, (fts_query(title, tokenizer), target.language)).fetchall()
    update_ms = (time.perf_counter() - started) * 1000
    assert target.id in [row[0] for row in rows], "FTS5 did not find the changed article"
    progress(f"FTS5 {tokenizer}: p99 {overall_p99(latencies):.2f} ms; update seen after {update_ms:.1f} ms")
    return Measured(f"FTS5 {tokenizer}", build_s, update_ms, latencies, first_ids)


def fts5_tokenizers() -> list[str]:
    """The FTS5 tokenizers this SQLite has, of unicode61 and trigram (3.34+)."""
    found = []
    for tokenizer in ("unicode61", "trigram"):
        try:
            sqlite3.connect(":memory:").execute(f"CREATE VIRTUAL TABLE t USING fts5(x, tokenize='{tokenizer}')")
            found.append(tokenizer)
        except sqlite3.OperationalError:
            progress(f"FTS5 tokenizer {tokenizer} is not available in SQLite {sqlite3.sqlite_version}")
    return found


def print_table(results: list[Measured], ours: Measured, languages: list[str]) -> None:
    row = "{:<20}{:>10}{:>14}{:>6}{:>9}{:>9}{:>9}{:>11}".format
    print(row("engine", "build s", "update ms", "lang", "p50 ms", "p99 ms", "max ms", "top1=ours"))
    for result in results:
        for number, language in enumerate(languages):
            samples = result.latencies[language]
            p50, p99, worst = percentiles(samples)
            keys = [key for key in result.first_ids if key[0] == language]
            same = sum(result.first_ids[key] == ours.first_ids[key] for key in keys) / len(keys) if keys else 0
            head = (result.name, f"{result.build_s:.1f}", f"{result.update_ms:,.1f}") if number == 0 else ("", "", "")
            print(row(*head, language, f"{p50:.2f}", f"{p99:.2f}", f"{worst:.2f}", f"{same:.0%}"))
        if result.memory:
            print(f"{'':20}memory: {result.memory}")


def print_ratios(results: list[Measured], ours: Measured, languages: list[str]) -> None:
    """Our figures as multiples of each FTS5 tokenizer's (below 1: ours is faster)."""
    for fts in results:
        if fts is ours:
            continue
        ratios = [
            f"p50 {overall(ours.latencies)[0] / overall(fts.latencies)[0]:.3f}x",
            f"p99 {overall(ours.latencies)[1] / overall(fts.latencies)[1]:.3f}x",
            *(f"{language} p99 {p99(ours, language) / p99(fts, language):.3f}x" for language in languages),
            f"build {ours.build_s / fts.build_s:.1f}x",
            f"update {ours.update_ms / fts.update_ms:.2f}x",
        ]
        print(f"ours / {fts.name}: " + ", ".join(ratios))


def p99(result: Measured, language: str) -> float:
    """`result`'s p99 search in `language`."""
    return percentiles(result.latencies[language])[1]


def overall(latencies: dict[str, list[float]]) -> tuple[float, float, float]:
    """p50, p99 and max over every language's searches."""
    return percentiles([ms for samples in latencies.values() for ms in samples])


def overall_p99(latencies: dict[str, list[float]]) -> float:
    """p99 over every language's searches."""
    return overall(latencies)[1]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000, help="Korean articles (variants come on top)")
    parser.add_argument("--queries", type=int, default=2000, help="Korean searches; each other language a quarter")
    parser.add_argument(
        "--fts5-queries", type=int, default=1000, help="searches per FTS5 tokenizer (OR-queries are slow at 100k)"
    )
    parser.add_argument("--trace-sample", type=int, default=10_000, help="Korean articles indexed under tracemalloc")
    args = parser.parse_args()
    rng = random.Random(SEED)
    progress(f"generating {args.articles:,} Korean articles and variants (seed {SEED})")
    articles = generate(args.articles, rng)
    counts = {language: sum(a.language == language for a in articles) for language in LANGUAGES}
    by_language = questions()
    plan = query_plan(by_language, args.queries, rng)
    tokenizer = SearchTokenizer()
    tokenizer.tokens("따릉이 대여", "ko")  # loads the Korean dictionary outside the timings

    ours = await measure_ours(articles, plan, tokenizer)
    sampled, peak_mb = traced_peak_mb(articles, tokenizer, args.trace_sample)
    scale = counts["ko"] / sampled
    ours.memory += (
        f"; tracemalloc peak {peak_mb:,.0f} MB indexing {sampled:,} Korean (x{scale:.0f}: ~{peak_mb * scale:,.0f} MB)"
    )
    fts5_plan = plan[: args.fts5_queries]
    results = [ours, *(measure_fts5(articles, fts5_plan, tokenizer) for tokenizer in fts5_tokenizers())]

    print()
    print(f"articles: {len(articles):,} (" + ", ".join(f"{lang} {n:,}" for lang, n in counts.items()) + ")")
    print(
        f"searches: ours {len(plan):,}, FTS5 the first {len(fts5_plan):,} of them; limit 5 (distinct questions: "
        + ", ".join(f"{lang} {len(by_language[lang])}" for lang in LANGUAGES)
        + "); SQLite "
        + sqlite3.sqlite_version
    )
    print("update: one article changed until a search finds it; top1=ours: same first article as ours\n")
    print_table(results, ours, LANGUAGES)
    print()
    print_ratios(results, ours, LANGUAGES)
    fts = min(results[1:], key=lambda result: overall_p99(result.latencies), default=None)
    fts_text = f"{overall_p99(fts.latencies):.2f} ms ({fts.name})" if fts else "n/a"
    print(
        f"\np99 search at {len(articles):,} articles: "
        f"ours {overall_p99(ours.latencies):.2f} ms, FTS5 {fts_text} (goal: under 10 ms)"
    )


if __name__ == "__main__":
    asyncio.run(main())
