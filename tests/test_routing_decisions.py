"""The router's decisions as pure functions over model records: no hub, no database."""

from __future__ import annotations

from datetime import timedelta

from model import Agent, AgentState, BotTurn, Channel, ConversationState, Decider, Role
from router.offers import lapsed, offers
from router.routing import RouterSettings, Step, after_bot, before_bot, queue_for
from tests.records import NOW, conversation

SETTINGS = RouterSettings()


def agent(username: str, idle_minutes: int, **fields: object) -> Agent:
    values: dict[str, object] = dict(
        id=username,
        username=username,
        display_name=username,
        role=Role.AGENT,
        state=AgentState.AVAILABLE,
        skills=("water", "other"),
        languages=("ko",),
        capacity={"chat": 1, "video": 1},
        idle_since=NOW - timedelta(minutes=idle_minutes),
    )
    values.update(fields)
    return Agent(**values)  # type: ignore[arg-type]


def test_queues_follow_channel_language_and_category() -> None:
    assert queue_for(conversation(category="water")) == "water"
    assert queue_for(conversation(language="vi", category="water")) == "foreign_language"
    assert queue_for(conversation(channel=Channel.SIGN_VIDEO, category="water")) == "sign_language"
    assert queue_for(conversation()) == "other"


def test_before_the_bot() -> None:
    bot = conversation(category="water")
    assert before_bot(bot, "상담사 연결해 주세요", False, True) == before_bot(bot, "상담사 연결해 주세요", True, False)
    assert before_bot(bot, "상담사 연결해 주세요", False, True).step is Step.HANDOFF
    assert before_bot(bot, "수도요금 문의", True, True).reason == "the water queue is served by people only"
    foreign = before_bot(conversation(language="mn"), "Сайн байна уу", False, False)
    assert foreign.step is Step.HANDOFF and foreign.notice == "bot.handoff_language"
    assert before_bot(bot, "수도요금 문의", False, True) is None  # the bot's turn
    assert before_bot(bot, "   ", False, True).step is Step.NONE  # a photo alone: for a person
    waiting = conversation(ConversationState.QUEUED, queue="water")
    assert before_bot(waiting, "아직인가요? 상담사 연결해 주세요", False, True).step is Step.REMIND
    assert before_bot(waiting, "감사합니다", False, True).step is Step.NONE


def test_after_the_bot() -> None:
    answered = after_bot(conversation(), BotTurn(answered=True, text="여권은…", by="builtin"), SETTINGS)
    assert answered.step is Step.ANSWER
    once = after_bot(conversation(), BotTurn(answered=False, by="builtin"), SETTINGS)
    assert once.step is Step.NOT_FOUND
    twice = after_bot(conversation(bot_failures=1), BotTurn(answered=False, by="builtin"), SETTINGS)
    assert (twice.step, twice.reason) == (Step.HANDOFF, "the bot failed twice")
    # The bot recognised a water leak: the handoff goes to the water queue.
    handed = after_bot(conversation(), BotTurn(answered=False, wants_handoff=True, category="water"), SETTINGS)
    assert (handed.step, handed.queue) == (Step.HANDOFF, "water")
    # An agent's category stands against the bot's.
    corrected = conversation(category="transport", category_source=Decider.AGENT)
    kept = after_bot(corrected, BotTurn(answered=False, wants_handoff=True, category="water"), SETTINGS)
    assert kept.queue == "transport"


def test_offers_go_to_the_longest_idle_agent_with_skill_language_and_room() -> None:
    waiting = [
        conversation(ConversationState.QUEUED, id="first", queue="water", queued_at=NOW),
        conversation(ConversationState.QUEUED, id="second", queue="water", queued_at=NOW),
        conversation(
            ConversationState.QUEUED, id="vietnamese", queue="foreign_language", language="vi", queued_at=NOW
        ),  # fmt: skip
    ]
    agents = [agent("kim", 5), agent("lee", 30), agent("park", 60, state=AgentState.BREAK)]
    made = offers(waiting, agents, {}, NOW, SETTINGS, lambda source, target: False)
    # lee has waited longest and takes the first; kim the second; nobody speaks Vietnamese.
    assert [(o.conversation.id, o.agent.username) for o in made] == [("first", "lee"), ("second", "kim")]
    assert made[0].expires_at == NOW + timedelta(seconds=SETTINGS.offer_timeout_seconds)
    # Nor to an agent who declined it.
    declined = {"first": frozenset({"lee"})}
    made = offers(waiting, agents, {}, NOW, SETTINGS, lambda source, target: False, declined)
    assert [(o.conversation.id, o.agent.username) for o in made] == [("first", "kim"), ("second", "lee")]
    # Full agents take nothing more.
    assert offers(waiting, agents, {"kim": {"chat": 1}, "lee": {"chat": 1}}, NOW, SETTINGS, lambda s, t: False) == []


def test_a_foreign_conversation_overflows_to_any_agent_when_translation_covers_it() -> None:
    long_ago = NOW - timedelta(seconds=SETTINGS.foreign_overflow_seconds + 1)
    waiting = [conversation(ConversationState.QUEUED, queue="foreign_language", language="vi", queued_at=long_ago)]
    assert offers(waiting, [agent("kim", 5)], {}, NOW, SETTINGS, lambda source, target: False) == []
    [offer] = offers(waiting, [agent("kim", 5)], {}, NOW, SETTINGS, lambda source, target: True)
    assert offer.agent.username == "kim" and "machine translation" in offer.reason


def test_a_video_call_goes_to_an_interpreter_whatever_its_pages_language() -> None:
    long_ago = NOW - timedelta(seconds=SETTINGS.foreign_overflow_seconds + 1)
    call = conversation(ConversationState.QUEUED, channel=Channel.SIGN_VIDEO, queue="sign_language", language="ja",
                        queued_at=long_ago)  # fmt: skip
    interpreter = agent("choi", 1, skills=("sign_language",), languages=("ko",))
    translates = lambda source, target: True  # noqa: E731
    [offer] = offers([call], [agent("kim", 60), interpreter], {}, NOW, SETTINGS, translates)
    assert offer.agent.username == "choi"
    # Never to someone who does not sign, however long it waits and whatever translates.
    assert offers([call], [agent("kim", 60)], {}, NOW, SETTINGS, translates) == []


def test_an_offer_lapses_after_its_deadline() -> None:
    offered = conversation(ConversationState.OFFERED, offer_expires_at=NOW)
    assert not lapsed(offered, NOW) and lapsed(offered, NOW + timedelta(seconds=1))
    assert not lapsed(conversation(ConversationState.ASSIGNED, offer_expires_at=NOW), NOW + timedelta(hours=1))
