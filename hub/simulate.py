"""Simulated traffic (`dasan simulate`): realistic conversations through the real ingest path,
back-dated over the last days, to fill a demo and to test the report's figures.

Every conversation is drawn first (`draw_stories`, from a seeded generator, so that a seed
gives the same traffic), then played against the hub as citizens and agents play it: the
citizen's question goes in through `Hub.receive`, the bot answers, the citizen asks for a
person with the button's words, an agent accepts the offer or takes it from the queue,
corrects what the hub detected wrong, answers from the knowledge base and resolves it; some
citizens give up while waiting, a few are abusive, a few come back. Each conversation is then
moved onto the past timeline it was drawn for (`store.simulation.backdate`).

The shares come from the foundation's 2018 work report (DESIGN.md, `seed/`); where the report
gives no figure the profile says what it assumes.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TextIO, TypeVar
from zoneinfo import ZoneInfo

from channels.base import MAX_REPLY_CHARS
from chatbot.knowledge.files import demo_articles
from hub.agents import demo_agents
from hub.core import Hub
from model import (
    AGENT_LANGUAGE,
    Agent,
    AgentState,
    Article,
    Category,
    Channel,
    Conversation,
    ConversationState,
    Disposition,
    EventType,
    Inbound,
    IngestResult,
    Language,
    Role,
)
from model.clock import utcnow
from model.errors import HubError, invalid
from store import agents as agent_store
from store import conversations
from store.simulation import Moment, Timeline, backdate

T = TypeVar("T")
Shares = tuple[tuple[T, float], ...]
"""Values with their weights (not necessarily summing to one)."""


def normalised(shares: Shares[T]) -> dict[T, float]:
    """The shares as fractions of one."""
    total = sum(weight for _, weight in shares)
    return {value: weight / total for value, weight in shares}


def _year(transport: float, water: float, city: float, other: float, district: float) -> Shares[Category]:
    """A row of the report's 분야별 상담현황 table, in its column order (교통, 수도, 문화체육 등, 기타, 자치구)."""
    return (
        (Category.TRANSPORT, transport),
        (Category.WATER, water),
        (Category.CITY, city),
        (Category.OTHER, other),
        (Category.DISTRICT, district),
    )


def _outcomes(
    resolved: float, directory: float, connected: float, transferred: float, callback: float
) -> Shares[Disposition]:
    """A row of the report's 전화상담 처리현황 table (1차 상담완료, 전화번호 안내, 담당자 연결, 부서이관, 재통화)."""
    return (
        (Disposition.RESOLVED, resolved),
        (Disposition.DIRECTORY, directory),
        (Disposition.CONNECTED, connected),
        (Disposition.TRANSFERRED, transferred),
        (Disposition.CALLBACK, callback),
    )


@dataclass(frozen=True)
class TrafficProfile:
    """The shares simulated traffic is drawn from. Each says where it comes from: a table of
    the 2018 work report (Ⅲ. 주요 서비스 실적, Ⅳ. 주요 업무 추진계획) or, where the report is
    silent, the hub's assumption."""

    channels: Shares[Channel] = (
        (Channel.SMS, 0.45),
        (Channel.KAKAO, 0.30),
        (Channel.WEBCHAT, 0.15),
        (Channel.TELEGRAM, 0.05),
        (Channel.API, 0.05),
    )
    """Assumed. The report counts text contacts as one line (문자상담, 3,065 a weekday, 15.9 %);
    SMS carries most of it, messengers and the web chat the rest; sign-language video is its
    own service (수어 상담) and not simulated here."""
    foreign_share: float = 422 / (14_801 + 422)
    """1-3 상담서비스 제공 경로의 다양화, first half of 2018: 외국어 상담 422 beside 문자 상담 14,801 (2.8 %)."""
    foreign_languages: Shares[Language] = (
        (Language.ZH, 0.35),
        (Language.EN, 0.30),
        (Language.VI, 0.15),
        (Language.JA, 0.10),
        (Language.MN, 0.10),
    )
    """Assumed: the report names the five languages (영어, 중국어, 일본어, 베트남어, 몽골어) but not their split."""
    categories: Shares[Category] = _year(10.5, 11.9, 10.7, 3.3, 63.6)
    """분야별 상담현황, 2018년 계 (months the report does not list)."""
    categories_by_month: tuple[tuple[int, Shares[Category]], ...] = (
        (1, _year(9.9, 15.3, 11.4, 3.3, 60.1)),
        (2, _year(10.6, 14.2, 11.2, 3.3, 60.7)),
        (3, _year(10.5, 11.1, 10.6, 3.0, 64.8)),
        (4, _year(10.8, 10.7, 10.0, 3.2, 65.3)),
        (5, _year(10.8, 10.5, 10.6, 3.5, 65.4)),
        (6, _year(10.4, 9.6, 10.5, 3.3, 66.1)),
    )
    """분야별 상담현황, 1월–6월: water questions peak in winter (frozen meters), district ones grow towards summer."""
    city_outcomes: Shares[Disposition] = _outcomes(94.5, 2.9, 1.1, 1.3, 0.1)
    """전화상담 처리현황, 시정 row: every category but district."""
    district_outcomes: Shares[Disposition] = _outcomes(70.4, 7.6, 20.1, 1.9, 0.1)
    """전화상담 처리현황, 구정 row."""
    answer_rate: float = 0.837
    """1-1 응대율 향상, 2018 first half: 전화상담 응대율 83.7 % (target 86.5 %); the rest give up waiting."""
    bot_alone: float = 0.30
    """Assumed: the share the bot answers without a person (the report's chatbot was a pilot to come, 7–12월)."""
    hours: tuple[float, ...] = (
        0.6, 0.4, 0.3, 0.3, 0.3, 0.5, 1.0, 2.0, 4.0, 7.5, 8.5, 8.0,
        6.0, 7.0, 7.5, 7.0, 6.5, 6.0, 4.5, 3.5, 3.0, 2.5, 1.8, 1.1,
    )  # fmt: skip
    """Assumed: contacts by hour of day (city time), a working-day curve with a lunch dip; the
    report gives only the weekday average (일평균 19,243건, 평일기준) and no hourly or monthly volume."""
    wait_median_seconds: float = 20.0
    wait_spread: float = 1.0
    """Assumed: the wait for an agent is log-normal (most under a minute, a tail of minutes)."""
    patience_median_seconds: float = 60.0
    """Assumed: how long a citizen who gives up waited (log-normal, spread 0.8)."""
    handle_median_seconds: float = 180.0
    """Assumed: from accepting to resolving (log-normal, spread 0.6)."""
    satisfaction_scores: Shares[int] = ((5, 0.70), (4, 0.25), (3, 0.04), (2, 0.005), (1, 0.005))
    """Drawn to average about 91 points on the 100-point scale: 1-1's 시민만족도 target, 91.0점."""
    rating_share: float = 0.4
    """Assumed: the share of citizens who answer the satisfaction survey."""
    abuse_share: float = 0.003
    """Assumed: agent-served conversations with an abusive message (악성민원); the report caps
    incidents at 60 a month out of ~400,000 contacts, too rare to show in a small demo."""
    reopen_share: float = 0.02
    """Assumed: agent-resolved conversations the citizen writes to again within the reopen window."""
    thanks_share: float = 0.6
    """Assumed: citizens who thank the agent before the agent closes the conversation."""

    def categories_in(self, month: int) -> Shares[Category]:
        """The category split of a month: the report's row for it, else its half-year total."""
        return dict(self.categories_by_month).get(month, self.categories)

    def outcomes_for(self, category: Category) -> Shares[Disposition]:
        """The disposition split for a category: district matters, or city matters (all others)."""
        return self.district_outcomes if category is Category.DISTRICT else self.city_outcomes


REPORT_PROFILE = TrafficProfile()

_QUESTION = {
    "ko": ("{title} 알려주세요", "{title} 문의드립니다", "{title}?"),
    "en": ("{title}?", "Could you tell me about {title}?", "Question: {title}"),
    "zh": ("{title}?", "请问{title}", "我想咨询{title}"),
    "ja": ("{title}について教えてください", "{title}?", "{title}を知りたいです"),
    "vi": ("{title}?", "Cho tôi hỏi về {title}", "Xin hỏi {title}"),
    "mn": ("{title}?", "{title} талаар асууя", "{title} гэж юу вэ?"),
}
_THANKS = {
    "ko": "감사합니다",
    "en": "Thank you!",
    "zh": "谢谢",
    "ja": "ありがとうございます",
    "vi": "Cảm ơn bạn",
    "mn": "Баярлалаа",
}
_ONE_MORE = {
    "ko": "아까 안내받은 것 관련해서 하나만 더 여쭤볼게요",
    "en": "Sorry, one more question about what you told me earlier",
    "zh": "不好意思，关于刚才的问题我还想再问一下",
    "ja": "先ほどの件で、もう一つ質問があります",
    "vi": "Xin lỗi, tôi muốn hỏi thêm một câu về chuyện lúc nãy",
    "mn": "Өмнөх асуултаа дахиад нэг зүйл асууя",
}
_ABUSE = {
    "ko": "일을 이따위로 하면서 월급 받냐? 당장 책임자 나오라고 해 이 멍청한 것들아",
    "en": "You are useless idiots, get me your boss right now",
    "zh": "你们这些废物，马上叫你们领导来",
    "ja": "役立たずばかりだな、今すぐ責任者を出せ",
    "vi": "Các người thật vô dụng, gọi ngay sếp của các người ra đây",
    "mn": "Та нар ямар хэрэггүй юм бэ, даргаа одоо дууд",
}
_ABUSE_REASON = "폭언·욕설"
_ABUSE_ACTION = "경고 안내 후 상담 계속"
_CLAIM_RETRY_SECONDS = 0.02
_INSTANT = timedelta(microseconds=1)
_LONGEST_HOLD_SECONDS = 120.0
"""How long a simulated conversation may wait for an agent with room before the run gives up."""


@dataclass(frozen=True)
class Plan:
    """When each step of a story happens on the simulated timeline (unused steps included: the
    hub decides some of the path, the draws must not depend on it)."""

    opened: datetime
    asks_person: datetime
    leaves_bot: datetime
    gives_up: datetime
    offered: datetime
    """When the router's offer reached the agent who accepts it, a few seconds before they do."""
    accepted: datetime
    corrected: datetime
    first_response: datetime
    abuse: datetime
    thanks: datetime
    resolved: datetime
    rated: datetime
    reopened: datetime
    offered_again: datetime
    accepted_again: datetime
    answered_again: datetime
    resolved_again: datetime
    rated_again: datetime

    @property
    def end(self) -> datetime:
        """The latest step, whether it is played or not."""
        return max(getattr(self, name) for name in self.__dataclass_fields__)

    def shifted(self, by: timedelta) -> Plan:
        """The same plan `by` later (earlier when negative)."""
        return Plan(**{name: getattr(self, name) + by for name in self.__dataclass_fields__})


@dataclass(frozen=True)
class Story:
    """One simulated conversation, drawn before it is played."""

    day: date
    channel: Channel
    sender: str
    language: str
    category: Category
    article: Article
    """The knowledge-base article the citizen asks about, in their language."""
    korean: Article
    """The same article in Korean, which agents work in."""
    question: str
    bot_alone: bool
    gives_up: bool
    disposition: Disposition
    disposition_again: Disposition
    """The outcome of the second round, when the citizen comes back."""
    says_thanks: bool
    abusive: bool
    comes_back: bool
    rating: int | None
    """The score the citizen gives when asked to rate the last round (1–5), None when they do
    not answer the survey. One who comes back writes their question instead of rating the first."""
    plan: Plan


@dataclass
class Summary:
    """What a simulation created, per city day."""

    conversations: Counter[date] = field(default_factory=Counter)
    messages: Counter[date] = field(default_factory=Counter)

    def lines(self) -> list[str]:
        """The report printed at the end."""
        total_c, total_m = sum(self.conversations.values()), sum(self.messages.values())
        rows = [f"{day.isoformat()}  {self.conversations[day]:6d} conversations  {self.messages[day]:7d} messages"
                for day in sorted(self.conversations)]  # fmt: skip
        return [*rows, f"total       {total_c:6d} conversations  {total_m:7d} messages"]


def _pick(rng: random.Random, shares: Shares[T]) -> T:
    values = [value for value, _ in shares]
    return rng.choices(values, weights=[weight for _, weight in shares])[0]


def _lognormal(rng: random.Random, median: float, spread: float, ceiling: float) -> timedelta:
    return timedelta(seconds=min(rng.lognormvariate(math.log(median), spread), ceiling))


def _seconds(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(seconds=rng.uniform(low, high))


def simulated_days(today: date, days: int) -> list[date]:
    """The `days` whole city days before `today`, oldest first."""
    return [today - timedelta(days=back) for back in range(days, 0, -1)]


class _Sender:
    """Citizens' addresses as each channel gives them; unique within a run."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._taken: set[tuple[Channel, str]] = set()

    def new(self, channel: Channel) -> str:
        while True:
            digits = self._rng.randrange(10**8)
            sender = {
                Channel.SMS: f"+8210{digits:08d}",
                Channel.KAKAO: f"kakao-{digits:08x}",
                Channel.TELEGRAM: str(100_000_000 + digits),
                Channel.WEBCHAT: f"web-{digits:08x}",
                Channel.API: f"citizen-{digits}",
            }[channel]
            if (channel, sender) not in self._taken:
                self._taken.add((channel, sender))
                return sender


def draw_stories(
    rng: random.Random,
    days: Sequence[date],
    per_day: int,
    zone: ZoneInfo,
    now: datetime,
    articles: Sequence[Article],
    profile: TrafficProfile = REPORT_PROFILE,
) -> list[Story]:
    """`per_day` stories for each day, ordered by when they open; nothing ends after `now`."""
    by_topic: dict[tuple[str, str], list[Article]] = {}
    korean: dict[str, Article] = {}
    for article in articles:
        by_topic.setdefault((article.category, article.language), []).append(article)
        if article.language == AGENT_LANGUAGE:
            korean[article.id] = article
    senders = _Sender(rng)
    stories = []
    for day in days:
        for _ in range(per_day):
            stories.append(_story(rng, day, zone, now, by_topic, korean, senders, profile))
    return sorted(stories, key=lambda s: s.plan.opened)


def _story(
    rng: random.Random,
    day: date,
    zone: ZoneInfo,
    now: datetime,
    by_topic: dict[tuple[str, str], list[Article]],
    korean: dict[str, Article],
    senders: _Sender,
    profile: TrafficProfile,
) -> Story:
    channel = _pick(rng, profile.channels)
    language = _pick(rng, profile.foreign_languages).value if rng.random() < profile.foreign_share else "ko"
    category = _pick(rng, profile.categories_in(day.month))
    topic = by_topic.get((category.value, language)) or by_topic[(category.value, AGENT_LANGUAGE)]
    article = rng.choice(sorted(topic, key=lambda a: a.id))
    question = rng.choice(_QUESTION.get(article.language, _QUESTION["ko"])).format(title=article.title)
    hour = rng.choices(range(24), weights=profile.hours)[0]
    opened = datetime(day.year, day.month, day.day, hour, tzinfo=zone) + _seconds(rng, 0, 3600)
    asks_person = opened + _seconds(rng, 15, 90)
    accepted = asks_person + _lognormal(rng, profile.wait_median_seconds, profile.wait_spread, 1800)
    corrected = accepted + _seconds(rng, 3, 15)
    first_response = corrected + _seconds(rng, 10, 60)
    abuse = first_response + _seconds(rng, 20, 60)
    thanks = abuse + _seconds(rng, 10, 60)
    resolved = max(accepted + _lognormal(rng, profile.handle_median_seconds, 0.6, 3600), thanks + _seconds(rng, 5, 30))
    rated = resolved + _seconds(rng, 10, 240)
    reopened = rated + _seconds(rng, 300, 3000)
    accepted_again = reopened + _lognormal(rng, profile.wait_median_seconds, profile.wait_spread, 1800)
    answered_again = accepted_again + _seconds(rng, 10, 60)
    resolved_again = answered_again + _lognormal(rng, profile.handle_median_seconds / 2, 0.6, 1800)
    plan = Plan(
        opened=opened,
        asks_person=asks_person,
        leaves_bot=opened + _seconds(rng, 60, 240),
        gives_up=asks_person + _lognormal(rng, profile.patience_median_seconds, 0.8, 1800),
        offered=max(asks_person, accepted - _seconds(rng, 2, 12)),
        accepted=accepted,
        corrected=corrected,
        first_response=first_response,
        abuse=abuse,
        thanks=thanks,
        resolved=resolved,
        rated=rated,
        reopened=reopened,
        offered_again=max(reopened, accepted_again - _seconds(rng, 2, 12)),
        accepted_again=accepted_again,
        answered_again=answered_again,
        resolved_again=resolved_again,
        rated_again=resolved_again + _seconds(rng, 10, 240),
    )
    if (late := plan.end - (now - timedelta(minutes=1))) > timedelta(0):
        plan = plan.shifted(-late)  # the last day's late evening must not end after now
    return Story(
        day=day,
        channel=channel,
        sender=senders.new(channel),
        language=language,
        category=category,
        article=article,
        korean=korean.get(article.id, article),
        question=question,
        bot_alone=rng.random() < profile.bot_alone,
        gives_up=rng.random() > profile.answer_rate,
        disposition=_pick(rng, profile.outcomes_for(category)),
        disposition_again=_pick(rng, profile.outcomes_for(category)),
        says_thanks=rng.random() < profile.thanks_share,
        abusive=rng.random() < profile.abuse_share,
        comes_back=rng.random() < profile.reopen_share,
        rating=_pick(rng, profile.satisfaction_scores) if rng.random() < profile.rating_share else None,
        plan=plan,
    )


class Progress:
    """count/total, rate and time left on a stream: rewritten in place on a terminal, a line
    every few seconds otherwise."""

    def __init__(self, total: int, stream: TextIO, every_seconds: float = 3.0) -> None:
        self._total = total
        self._stream = stream
        self._in_place = stream.isatty()
        self._every = 0.2 if self._in_place else every_seconds
        self._started = time.monotonic()
        self._shown = -math.inf
        self._done = 0

    def advance(self) -> None:
        self._done += 1
        now = time.monotonic()
        if now - self._shown >= self._every or self._done == self._total:
            self._shown = now
            self._show(now)

    def _show(self, now: float) -> None:
        elapsed = max(now - self._started, 1e-9)
        rate = self._done / elapsed
        left = (self._total - self._done) / rate if rate else math.inf
        eta = f"{left:.0f} s" if math.isfinite(left) else "?"
        line = f"simulated {self._done}/{self._total} conversations, {rate:.1f}/s, {eta} left"
        if self._in_place:
            end = "\n" if self._done == self._total else ""
            self._stream.write(f"\r{line}\x1b[K{end}")
        else:
            self._stream.write(line + "\n")
        self._stream.flush()


class _Clock:
    """A conversation's steps as played (real time) and as drawn (simulated time)."""

    def __init__(self) -> None:
        self.moments: list[Moment] = []

    def at(self, simulated: datetime) -> None:
        """The next step, played from now on, stands for `simulated`."""
        self.moments.append(Moment(utcnow(), simulated))

    def was(self, real: datetime, simulated: datetime) -> None:
        """Something the hub did at `real`, after the last step began, stands for `simulated`."""
        if real > self.moments[-1].real:
            self.moments.append(Moment(real, max(simulated, self.moments[-1].simulated)))

    def undo(self) -> None:
        """The last step failed and wrote nothing."""
        self.moments.pop()


class Simulator:
    """Plays stories against a hub, several at a time, with the demo agents as the agents."""

    def __init__(self, hub: Hub, agents: Sequence[Agent]) -> None:
        self._hub = hub
        self._agents = list(agents)

    async def play_all(self, stories: Sequence[Story], concurrency: int, progress: Progress | None) -> Summary:
        """Play every story, at most `concurrency` at once; what was created, per day."""
        summary = Summary()
        pending: Iterator[Story] = iter(stories)

        async def worker() -> None:
            for story in pending:
                messages = await self.play(story)
                summary.conversations[story.day] += 1
                summary.messages[story.day] += messages
                if progress is not None:
                    progress.advance()

        async with asyncio.TaskGroup() as workers:
            for _ in range(max(1, concurrency)):
                workers.create_task(worker())
        return summary

    async def play(self, story: Story) -> int:
        """Play one story through the hub and move it onto its timeline; its message count."""
        clock = _Clock()
        plan = story.plan
        clock.at(plan.opened)
        conversation_id = (await self._says(story, story.question)).conversation_id
        conversation = await self._conversation(conversation_id)
        bot_answered = conversation.state is ConversationState.BOT and conversation.bot_failures == 0
        if story.bot_alone and bot_answered:
            clock.at(plan.leaves_bot)
            await self._hub.desk.citizen_left(conversation_id)
            return await self._backdate(conversation_id, clock)
        if conversation.state is ConversationState.BOT:
            clock.at(plan.asks_person)
            await self._says(story, self._hub.catalog.text("action.ask_person", story.language))
        if story.gives_up:
            clock.at(plan.gives_up)
            await self._hub.desk.citizen_left(conversation_id)
            return await self._backdate(conversation_id, clock)
        agent, conversation = await self._accept(conversation_id, story, clock, plan.offered, plan.accepted)
        clock.at(plan.corrected)
        await self._correct(agent, conversation, story)
        clock.at(plan.first_response)
        await self._answer(agent, conversation_id, story)
        if story.abusive:
            clock.at(plan.abuse)
            await self._says(story, _ABUSE.get(story.language, _ABUSE["ko"]))
            await self._hub.desk.flag(agent, conversation_id, _ABUSE_REASON, _ABUSE_ACTION)
        if story.says_thanks:
            clock.at(plan.thanks)
            await self._says(story, _THANKS[story.language])
        clock.at(plan.resolved)
        await self._hub.desk.resolve(agent, conversation_id, story.disposition.value)
        rated = plan.rated
        if story.comes_back:
            clock.at(plan.reopened)
            await self._says(story, _ONE_MORE[story.language])
            agent, _ = await self._accept(conversation_id, story, clock, plan.offered_again, plan.accepted_again)
            clock.at(plan.answered_again)
            await self._answer(agent, conversation_id, story)
            clock.at(plan.resolved_again)
            await self._hub.desk.resolve(agent, conversation_id, story.disposition_again.value)
            rated = plan.rated_again
        if story.rating is not None and await self._survey_asked(conversation_id):
            clock.at(rated)
            await self._says(story, str(story.rating))
        return await self._backdate(conversation_id, clock)

    async def _survey_asked(self, conversation_id: str) -> bool:
        """Whether the hub asked the citizen to rate the round just resolved."""
        async with self._hub.store.read() as session:
            trail = await conversations.events(session, conversation_id)
        return bool(trail) and trail[-1].type == EventType.SURVEY_ASKED

    async def _says(self, story: Story, text: str) -> IngestResult:
        """The citizen's message on their channel; the web chat and the API say its language."""
        chosen = story.language if story.channel in (Channel.WEBCHAT, Channel.API) else None
        return await self._hub.receive(Inbound(story.channel, story.sender, text, uuid.uuid4().hex, language=chosen))

    async def _conversation(self, conversation_id: str) -> Conversation:
        async with self._hub.store.read() as session:
            found = await conversations.conversation(session, conversation_id)
        assert found is not None, conversation_id
        return found

    async def _accept(
        self, conversation_id: str, story: Story, clock: _Clock, offered: datetime, accepted: datetime
    ) -> tuple[Agent, Conversation]:
        """The agent the router offered it to accepts; else an agent of its queue with room
        takes it from the queue (waiting until one has room). The agent and the conversation."""
        deadline = time.monotonic() + _LONGEST_HOLD_SECONDS
        while time.monotonic() < deadline:
            conversation = await self._conversation(conversation_id)
            if conversation.state is ConversationState.OFFERED:
                # The router offered it the moment a person was asked for, or an agent freed up:
                # on the timeline the offer comes just before the agent takes it. A router that
                # took its time before another writer stamps its offer before the hand-off it
                # follows; then the offer stays beside the hand-off.
                async with self._hub.store.read() as session:
                    trail = await conversations.events(session, conversation_id)
                offer = next(e.at for e in reversed(trail) if e.type == EventType.OFFERED)
                latest = max(e.at for e in trail)
                clock.was(offer if offer == latest else latest + _INSTANT, offered)
                candidates = await self._offered_to(conversation)
            else:
                candidates = await self._with_room(conversation, story.language)
            for agent in candidates:
                clock.at(accepted)
                try:
                    return agent, await self._hub.desk.claim(agent, conversation_id)
                except HubError as error:
                    clock.undo()
                    if error.status != 409:
                        raise
            await asyncio.sleep(_CLAIM_RETRY_SECONDS)
        raise HubError(
            409, "no_agent", f"No demo agent could take the {conversation.queue} queue in {_LONGEST_HOLD_SECONDS:g} s."
        )

    async def _offered_to(self, conversation: Conversation) -> list[Agent]:
        """The agent the router offered the conversation to (any available agent of the hub may get it)."""
        known = [a for a in self._agents if a.id == conversation.assigned_agent_id]
        if known:
            return known
        async with self._hub.store.read() as session:
            other = await agent_store.agent(session, conversation.assigned_agent_id or "")
        return [other] if other is not None else []

    async def _with_room(self, conversation: Conversation, language: str) -> list[Agent]:
        """The agents serving the conversation's queue who hold fewer than their capacity,
        those who speak its language and hold least first."""
        async with self._hub.store.read() as session:
            held = await conversations.held_by_agent(session)
        kind = conversation.channel.kind
        serving = [
            a
            for a in self._agents
            if conversation.queue in a.skills and held.get(a.id, {}).get(kind, 0) < a.capacity.get(kind, 0)
        ]
        return sorted(serving, key=lambda a: (language not in a.languages, held.get(a.id, {}).get(kind, 0)))

    async def _correct(self, agent: Agent, conversation: Conversation, story: Story) -> None:
        """The agent puts right the language or category the hub took wrongly."""
        language = story.language if conversation.language != story.language else None
        category = story.category.value if conversation.category != story.category.value else None
        if language or category:
            await self._hub.desk.correct(agent, conversation.id, language, category, None)

    async def _answer(self, agent: Agent, conversation_id: str, story: Story) -> None:
        """The agent answers from the knowledge base, in the citizen's language (with the
        Korean they read beside it)."""
        text = story.article.body[:MAX_REPLY_CHARS]
        korean = story.korean.body[:MAX_REPLY_CHARS] if story.article.language != AGENT_LANGUAGE else None
        await self._hub.desk.reply(agent, conversation_id, text, korean)

    async def _backdate(self, conversation_id: str, clock: _Clock) -> int:
        async with self._hub.store.write() as session:
            moved = await backdate(session, conversation_id, Timeline(clock.moments))
        return moved.messages


async def serving_agents(hub: Hub) -> list[Agent]:
    """The demo agents who take conversations (agents and supervisors with room for a chat)."""
    wanted = {a.username for a in demo_agents()}
    async with hub.store.read() as session:
        found = await agent_store.all_agents(session)
    serving = [
        a
        for a in found
        if a.username in wanted and a.role in (Role.AGENT, Role.SUPERVISOR) and a.capacity.get("chat", 0) > 0
    ]
    if not serving:
        raise invalid("The demo agents are missing: simulate on a database the demo was loaded into.", "no_agents")
    return sorted(serving, key=lambda a: a.username)


async def simulate(
    hub: Hub,
    days: int,
    per_day: int,
    seed: int | None = None,
    *,
    concurrency: int = 8,
    progress: TextIO | None = None,
    profile: TrafficProfile = REPORT_PROFILE,
) -> Summary:
    """Simulate `per_day` conversations on each of the last `days` days (city time) through
    `hub`, which must be open with the demo loaded. The agents' presence is put back after."""
    if days < 1 or per_day < 1:
        raise invalid("Give at least one day and one conversation a day.")
    now = utcnow()
    today = now.astimezone(hub.settings.timezone).date()
    stories = draw_stories(
        random.Random(seed),
        simulated_days(today, days),
        per_day,
        hub.settings.timezone,
        now,
        demo_articles(),
        profile,
    )
    agents = await serving_agents(hub)
    ready = [await hub.desk.set_presence(agent, AgentState.AVAILABLE.value) for agent in agents]
    try:
        shown = Progress(len(stories), progress) if progress is not None else None
        return await Simulator(hub, ready).play_all(stories, concurrency, shown)
    finally:
        for agent in agents:
            # Busy is the router's word for an agent at capacity: one who was is available again.
            before = AgentState.AVAILABLE if agent.state is AgentState.BUSY else agent.state
            await hub.desk.set_presence(agent, before.value)
