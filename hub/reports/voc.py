"""The monthly VOC report (시민의 소리): what the citizens asked about in a month.

A contact is a round (`model.rounds.Round`: a conversation's creation or a reopen). Its
**topic** is the knowledge-base article its first citizen question is about: the article the
bot answered the round with when it did (the `bot_answered` event names it), else the best
search hit when the search is as sure of it as the bot must be to answer (`TOPIC_MIN_CONFIDENCE`),
else the round's category. **Keywords** are the nouns and noun compounds of everything the citizens wrote,
found by the Korean morphological analyser the knowledge search uses; a message in another
language is read through its Korean translation, and one without a translation is skipped
(and counted). Topics **rise** against the previous month when both their count and their
share grew; a contact **repeats** when the same contact asked about the same topic within
`repeat_days` before (the previous month counts as "before"). Example messages, and the texts
keywords are found in, are masked with `model.masking.mask`.
"""

from __future__ import annotations

import asyncio
import re
import time
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import mecab

from chatbot.builtin import ANSWER_THRESHOLD, SEARCH_DEPTH, finding
from chatbot.knowledge.base import KnowledgeBase
from chatbot.knowledge.korean import SPELLINGS, STOP_WORDS
from chatbot.knowledge.terms import normalise
from hub.reports.documents import UNKNOWN, category_label
from model.clock import utcnow
from model.errors import invalid
from model.masking import mask
from model.rounds import Round
from store import reports, voc
from store.db import Store
from store.knowledge import ArticleStore

Progress = Callable[[int, int, str], None]
"""Told (done, total, stage) as a generation advances; total is 0 while it is not known yet."""

TOPIC_MIN_CONFIDENCE = ANSWER_THRESHOLD
"""How sure the search must be of an article (`chatbot.builtin.finding`: the share of the
question it covers, lowered when a runner-up is as good) for it to be the topic: as sure as
the bot must be to answer with it. Below it the contact counts under its category."""
RISING_MIN_COUNT = 10
"""A topic needs this many contacts in the month before it can be called rising: a topic
going from 1 to 3 contacts is noise, not news for a department."""
DEFAULT_REPEAT_DAYS = 7
TOP = 10
EXAMPLES_PER_TOPIC = 3
CONVERSATIONS_PER_READ = 1_000
MATCHES_PER_PAUSE = 50
"""Topic searches between two yields to the event loop, so that a hub serving citizens while
it generates a report keeps answering them."""
CACHE_LIMIT = 200_000
"""Distinct normalised texts remembered per generation: a month repeats the same questions
many times, and the first ones seen are the frequent ones."""


STAGE_READING = "reading"
STAGE_PREVIOUS = "previous_month"
STAGE_MONTH = "month"
STAGE_FIGURES = "figures"

_MONTH = re.compile(r"(\d{4})-(\d{2})")
_SPACED = re.compile(r"\S+")
_FOLD = re.compile(r"[\s?!.,~…]+")
# Morphemes a noun compound is made of (따릉이 is 따/IC + 릉/NNG, 주민등록등본 ends in 등/NNB 본/MM).
_NOUN_PIECES = frozenset({"NNG", "NNP", "NNB", "NR", "XR", "XPN", "XSN", "IC", "SH", "SL", "SN", "MM"})
# A compound needs one of these: a run of numbers or determiners alone is no keyword.
_NOUN_HEADS = frozenset({"NNG", "NNP", "XR", "SH", "SL"})
# Particles a name's last syllable cannot be mistaken for (이 and 가 can: 따릉이, 휴가).
_PARTICLES = re.compile(r"(에서는|에서|에게|한테|으로|까지|부터|이랑|하고|이나|은|는|을|를|와|과|도|만|의|에|로|랑)$")
_TRAILING = "?!.,~…)\"'"
_PUNCTUATION = frozenset({"SF", "SE", "SS", "SSO", "SSC", "SC", "SY", "SP", "SO", "SW"})


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month in the city's time zone."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """`YYYY-MM`; a 400 naming the value otherwise."""
        found = _MONTH.fullmatch(text.strip()) if isinstance(text, str) else None
        if found is None or not 1 <= int(found[2]) <= 12 or int(found[1]) < 2000:
            raise invalid(f"month must be a month written YYYY-MM, such as 2026-11; got {text!r}.", "invalid_month")
        return cls(int(found[1]), int(found[2]))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def korean(self) -> str:
        """`2026년 11월`."""
        return f"{self.year}년 {self.month}월"

    @property
    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    @property
    def next(self) -> Month:
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    def start(self, zone: ZoneInfo) -> datetime:
        """Midnight of its first day in the zone."""
        return datetime.combine(date(self.year, self.month, 1), datetime.min.time(), zone)


@dataclass(frozen=True)
class Topic:
    """What contacts were about: an article, or a category when no article fitted."""

    key: str
    """`article:<id>` or `category:<category>`."""
    label: str
    category: str


@dataclass(frozen=True)
class TopicCount:
    topic: Topic
    count: int
    share: float


@dataclass(frozen=True)
class KeywordCount:
    keyword: str
    count: int
    """Contacts whose messages hold the keyword (once per contact)."""
    share: float
    """Of the contacts with analysed text."""


@dataclass(frozen=True)
class RisingTopic:
    topic: Topic
    previous: int
    current: int
    previous_share: float
    current_share: float

    @property
    def growth(self) -> int:
        return self.current - self.previous

    @property
    def growth_rate(self) -> float | None:
        """current / previous − 1; None when the topic is new this month."""
        return self.current / self.previous - 1 if self.previous else None

    @property
    def share_points(self) -> float:
        """Growth of the share, in percentage points."""
        return (self.current_share - self.previous_share) * 100


@dataclass(frozen=True)
class RepeatedInquiries:
    days: int
    repeats: int
    """This month's contacts whose contact asked about the same topic within `days` before."""
    contacts: int
    """Distinct citizens (contacts) who repeated."""
    share: float
    """repeats / the month's contacts."""
    topics: list[TopicCount]
    """The topics repeated most, with their share of the repeats."""


@dataclass(frozen=True)
class VocReport:
    """Every figure of one month's VOC report."""

    month: Month
    contacts: int
    previous_contacts: int
    by_channel: dict[str, int]
    by_category: dict[str, int]
    by_language: dict[str, int]
    topics: list[TopicCount]
    """Every topic of the month, most contacts first."""
    keywords: list[KeywordCount]
    rising: list[RisingTopic]
    repeated: RepeatedInquiries
    examples: dict[str, list[str]]
    """Masked first questions, by topic key (for the top topics)."""
    analysed_messages: int
    skipped_messages: int
    """Messages in another language without a Korean translation: not in the keywords."""
    matched_by_bot: int
    matched_by_search: int
    matched_by_category: int
    generated_at: datetime
    seconds: float
    rising_min_count: int = RISING_MIN_COUNT

    @property
    def top(self) -> list[TopicCount]:
        """The month's top topics."""
        return self.topics[:TOP]

    @property
    def rate(self) -> float:
        """Contacts (of both months) analysed per second."""
        return (self.contacts + self.previous_contacts) / self.seconds if self.seconds > 0 else 0.0


def folded(text: str) -> str:
    """The text as the caches key it: NFKC, lower case, spaces and trailing punctuation folded."""
    return _FOLD.sub(" ", normalise(text)).strip()


class TopicMatcher:
    """Finds a question's article in the knowledge base, remembering each folded text's answer."""

    def __init__(self, knowledge: KnowledgeBase, min_confidence: float = TOPIC_MIN_CONFIDENCE) -> None:
        self._knowledge = knowledge
        self._min_confidence = min_confidence
        self._found: dict[tuple[str, str], str | None] = {}
        self._titles: dict[str, tuple[str, str]] = {}

    async def article_for(self, text: str, language: str, translation: str | None) -> str | None:
        """The id of the article the question is about, or None when none covers it well.
        A foreign question is searched among its language's articles, then as its Korean
        translation among the Korean ones."""
        key = (language, folded(text))
        if key in self._found:
            return self._found[key]
        found = await self._search(text, language)
        if found is None and translation and language != "ko":
            found = await self._search(translation, "ko")
        if len(self._found) < CACHE_LIMIT:
            self._found[key] = found
        return found

    async def _search(self, text: str, language: str) -> str | None:
        # Masked first: a resident or phone number says nothing about the topic, and its digits
        # would match whatever article happens to hold digits.
        found = finding(await self._knowledge.search(mask(text), language, limit=SEARCH_DEPTH))
        return found.best.article.id if found.best and found.confidence >= self._min_confidence else None

    async def title(self, article_id: str) -> tuple[str, str]:
        """The article's Korean title (or its first language's) and its category."""
        if article_id not in self._titles:
            article = await self._knowledge.article(article_id, "ko")
            if article is None:
                languages = await self._knowledge.languages(article_id)
                article = await self._knowledge.article(article_id, languages[0]) if languages else None
            self._titles[article_id] = (article.title, article.category) if article else (article_id, "other")
        return self._titles[article_id]


class KeywordFinder:
    """Nouns and noun compounds of Korean text, by MeCab (python-mecab-ko, the analyser the
    knowledge search uses), stop words removed; each folded text analysed once.

    The dictionary splits the city's coined names badly (따릉이 may come out as a verb and a
    noun), so a word whose bare form is one of the knowledge base's own keywords (`known`)
    is that keyword whatever the analyser made of it.
    """

    def __init__(self, known: Iterable[str] = ()) -> None:
        self._mecab = mecab.MeCab()
        self._known = frozenset(folded(term) for term in known if " " not in term.strip())
        self._found: dict[str, tuple[str, ...]] = {}

    def keywords(self, text: str) -> tuple[str, ...]:
        """The distinct keywords of `text`, in the order they occur."""
        key = folded(text)
        if key in self._found:
            return self._found[key]
        found = tuple(dict.fromkeys(self._analyse(key)))
        if len(self._found) < CACHE_LIMIT:
            self._found[key] = found
        return found

    def _analyse(self, text: str) -> Iterable[str]:
        text = SPELLINGS.apply(text)
        words = list(_SPACED.finditer(text))
        starts = [word.start() for word in words]
        by_word: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
        for morpheme in self._mecab.parse(text):
            tag = morpheme.feature.pos
            by_word[bisect_right(starts, morpheme.span.start) - 1].append((tag, morpheme.span.start, morpheme.span.end))
        for index, morphemes in by_word.items():
            if index < 0:
                continue
            bare = _PARTICLES.sub("", words[index].group(0).rstrip(_TRAILING))
            # A known term may end in 이 or 가 itself (따릉이) or carry them as a particle (따릉이가).
            known = next(
                (form for form in (bare, bare[:-1] if bare[-1:] in "이가" else "") if form in self._known), None
            )
            if known:
                yield known
                continue
            keyword = _compound(words[index].group(0), words[index].start(), morphemes)
            if keyword and len(keyword) >= 2 and keyword not in STOP_WORDS and not keyword.isdigit():
                yield keyword


def _compound(word: str, word_start: int, morphemes: list[tuple[str, int, int]]) -> str | None:
    """The noun compound a word starts with (수도요금을 → 수도요금, 따릉이는 → 따릉이), or None."""
    run_end, heads, rest = 0, 0, len(morphemes)
    for position, (tag, _, end) in enumerate(morphemes):
        # A morpheme tagged as several (이고: NNG+VCP+EC) is no piece of a noun.
        if tag not in _NOUN_PIECES:
            rest = position
            break
        run_end, heads = end - word_start, heads + (tag in _NOUN_HEADS)
    if not heads:
        return None
    unknown = any(tag == "IC" for tag, _, _ in morphemes[:rest])
    if unknown and all(tag.startswith("J") or tag == "VCP" or tag in _PUNCTUATION for tag, _, _ in morphemes[rest:]):
        # The analyser split a name it does not know (따/IC 릉/NNG 이/JKS): what it took for a
        # particle may be part of the name, so only the particles spelt out are dropped.
        return word[: max(run_end, len(_PARTICLES.sub("", word.rstrip(_TRAILING))))]
    return word[:run_end]


@dataclass(frozen=True, slots=True)
class _Contact:
    """What the report keeps of one round while it walks the month."""

    contact_id: str | None
    topic: str
    opened_at: datetime


class VocGenerator:
    """Computes a month's `VocReport` from the store and the knowledge base."""

    def __init__(self, store: Store, knowledge: KnowledgeBase, timezone: ZoneInfo) -> None:
        self._store = store
        self._knowledge = knowledge
        self._timezone = timezone

    async def report(
        self,
        month: Month,
        *,
        repeat_days: int = DEFAULT_REPEAT_DAYS,
        rising_min_count: int = RISING_MIN_COUNT,
        progress: Progress | None = None,
    ) -> VocReport:
        """The month's figures, telling `progress` (done, total, stage) as it goes."""
        tell = progress or (lambda done, total, stage: None)
        began = time.monotonic()
        tell(0, 0, STAGE_READING)
        previous_start, start, end = (m.start(self._timezone) for m in (month.previous, month, month.next))
        async with self._store.read() as session:
            previous_rounds = await reports.rounds_between(session, previous_start, start)
            rounds = await reports.rounds_between(session, start, end)
        total = len(previous_rounds) + len(rounds)
        articles = await ArticleStore(self._store).all_articles()
        known = [keyword for article in articles if article.language == "ko" for keyword in article.keywords]
        walk = _Walk(TopicMatcher(self._knowledge), KeywordFinder(known), tell, total)
        previous = await walk.month(self._store, previous_rounds, None, STAGE_PREVIOUS)
        current = await walk.month(self._store, rounds, (start, end), STAGE_MONTH)
        tell(total, total, STAGE_FIGURES)
        topics = await _topics(walk.matcher, current)
        previous_topics = Counter(c.topic for c in previous)
        return VocReport(
            month=month,
            contacts=len(rounds),
            previous_contacts=len(previous_rounds),
            by_channel=_counted(r.channel for r in rounds),
            by_category=_counted(r.category or UNKNOWN for r in rounds),
            by_language=_counted(r.language or "ko" for r in rounds),
            topics=topics,
            keywords=_ranked_keywords(walk.keywords, walk.contacts_with_text),
            rising=_rising(topics, previous_topics, len(previous_rounds), rising_min_count),
            repeated=_repeated(previous + current, len(current), repeat_days, {t.topic.key: t.topic for t in topics}),
            examples={t.topic.key: walk.examples.get(t.topic.key, []) for t in topics[:TOP]},
            analysed_messages=walk.analysed,
            skipped_messages=walk.skipped,
            matched_by_bot=walk.by_bot,
            matched_by_search=walk.by_search,
            matched_by_category=walk.by_category,
            generated_at=utcnow().astimezone(self._timezone),
            seconds=time.monotonic() - began,
            rising_min_count=rising_min_count,
        )


class _Walk:
    """One generation's pass over the rounds: topics, keywords and examples, chunk by chunk."""

    def __init__(self, matcher: TopicMatcher, finder: KeywordFinder, tell: Progress, total: int) -> None:
        self.matcher = matcher
        self.finder = finder
        self.tell = tell
        self.total = total
        self.done = 0
        self.keywords: Counter[str] = Counter()
        self.contacts_with_text = 0
        self.examples: dict[str, list[str]] = defaultdict(list)
        self.analysed = self.skipped = 0
        self.by_bot = self.by_search = self.by_category = 0

    async def month(
        self, store: Store, rounds: Sequence[Round], keyword_period: tuple[datetime, datetime] | None, stage: str
    ) -> list[_Contact]:
        """Each round's topic; with `keyword_period`, also the keywords of the messages written
        in it and the examples (the month reported on)."""
        by_conversation: dict[str, list[Round]] = defaultdict(list)
        for r in rounds:
            by_conversation[r.conversation_id].append(r)
        ids = list(by_conversation)
        found: list[_Contact] = []
        self.tell(self.done, self.total, stage)
        for first in range(0, len(ids), CONVERSATIONS_PER_READ):
            chunk = ids[first : first + CONVERSATIONS_PER_READ]
            async with store.read() as session:
                texts = await voc.citizen_texts(session, chunk)
                answered = await voc.answered_articles(session, chunk)
            texts_of: dict[str, list[voc.CitizenText]] = defaultdict(list)
            for text in texts:
                texts_of[text.conversation_id].append(text)
            articles_of: dict[str, list[voc.AnsweredArticle]] = defaultdict(list)
            for article in answered:
                articles_of[article.conversation_id].append(article)
            written: list[list[str]] = []
            for conversation_id in chunk:
                own = by_conversation[conversation_id]
                for index, r in enumerate(own):
                    # A first round owns everything before a reopen; a reopen, what follows it.
                    since = r.opened_at if r.number > 0 else None
                    until = own[index + 1].opened_at if index + 1 < len(own) else None
                    said = [t for t in texts_of[conversation_id] if _within(t.created_at, since, until)]
                    bot = [a for a in articles_of[conversation_id] if _within(a.at, since, until)]
                    topic = await self._topic(r, said, bot)
                    found.append(_Contact(r.contact_id, topic, r.opened_at))
                    if keyword_period is not None:
                        if said and len(self.examples[topic]) < EXAMPLES_PER_TOPIC:
                            example = mask(" ".join(said[0].text.split()))
                            if example not in self.examples[topic]:
                                self.examples[topic].append(example)
                        start, end = keyword_period
                        written.append(self._korean([t for t in said if start <= t.created_at < end]))
                    if len(found) % MATCHES_PER_PAUSE == 0:
                        await asyncio.sleep(0)
            if written:
                # The analyser is CPU work: off the event loop, one chunk at a time.
                for keywords in await asyncio.to_thread(self._keywords, written):
                    self.keywords.update(keywords)
                self.contacts_with_text += sum(bool(texts) for texts in written)
            self.done += sum(len(by_conversation[c]) for c in chunk)
            self.tell(self.done, self.total, stage)
        return found

    def _korean(self, said: list[voc.CitizenText]) -> list[str]:
        """The Korean of what the citizen wrote: foreign messages through their translation;
        one without a translation is skipped and counted."""
        korean = []
        for text in said:
            if text.language in (None, "ko"):
                korean.append(text.text)
            elif text.translation:
                korean.append(text.translation)
            else:
                self.skipped += 1
                continue
            self.analysed += 1
        return korean

    def _keywords(self, written: list[list[str]]) -> list[set[str]]:
        # Masked: a number glued to a word (01012345678번호) would otherwise be a keyword.
        return [{k for text in texts for k in self.finder.keywords(mask(text))} for texts in written]

    async def _topic(self, r: Round, said: list[voc.CitizenText], bot: list[voc.AnsweredArticle]) -> str:
        if bot:
            self.by_bot += 1
            return f"article:{bot[0].article_id}"
        if said:
            first = said[0]
            article = await self.matcher.article_for(first.text, first.language or "ko", first.translation)
            if article is not None:
                self.by_search += 1
                return f"article:{article}"
        self.by_category += 1
        return f"category:{r.category or UNKNOWN}"


def _within(at: datetime, since: datetime | None, until: datetime | None) -> bool:
    return (since is None or at >= since) and (until is None or at < until)


def _counted(values: Iterable[str]) -> dict[str, int]:
    return dict(Counter(values).most_common())


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


async def _topics(matcher: TopicMatcher, contacts: Sequence[_Contact]) -> list[TopicCount]:
    counts = Counter(c.topic for c in contacts)
    ranked = []
    for key, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        ranked.append(TopicCount(await _topic_named(matcher, key), count, _share(count, len(contacts))))
    return ranked


async def _topic_named(matcher: TopicMatcher, key: str) -> Topic:
    kind, _, value = key.partition(":")
    if kind == "article":
        title, category = await matcher.title(value)
        return Topic(key, title, category)
    return Topic(key, f"{category_label(value)} (분야 일반)", value)


def _ranked_keywords(counts: Counter[str], contacts: int) -> list[KeywordCount]:
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[: TOP * 3]
    return [KeywordCount(keyword, count, _share(count, contacts)) for keyword, count in ranked]


def _rising(
    topics: Sequence[TopicCount], previous: Counter[str], previous_contacts: int, min_count: int
) -> list[RisingTopic]:
    rising = [
        RisingTopic(t.topic, previous[t.topic.key], t.count, _share(previous[t.topic.key], previous_contacts), t.share)
        for t in topics
        if t.count >= min_count
    ]
    rising = [r for r in rising if r.growth > 0 and r.share_points > 0]
    rising.sort(key=lambda r: (-r.share_points, -r.growth, r.topic.key))
    return rising[:TOP]


def _repeated(
    contacts: Sequence[_Contact], month_contacts: int, days: int, topics: dict[str, Topic]
) -> RepeatedInquiries:
    """`contacts` hold the previous month's first, then the month's last `month_contacts`."""
    window = timedelta(days=days)
    first_of_month = len(contacts) - month_contacts
    seen: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    repeats: Counter[str] = Counter()
    repeating: set[str] = set()
    ordered = sorted(range(len(contacts)), key=lambda i: contacts[i].opened_at)
    for i in ordered:
        c = contacts[i]
        if c.contact_id is None:
            continue
        earlier = seen[(c.contact_id, c.topic)]
        if i >= first_of_month and earlier and c.opened_at - earlier[-1] <= window:
            repeats[c.topic] += 1
            repeating.add(c.contact_id)
        earlier.append(c.opened_at)
    total = sum(repeats.values())
    ranked = [
        TopicCount(topics[key], count, _share(count, total))
        for key, count in sorted(repeats.items(), key=lambda item: (-item[1], item[0]))[:TOP]
    ]
    return RepeatedInquiries(days, total, len(repeating), _share(total, month_contacts), ranked)
