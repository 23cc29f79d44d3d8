"""The Telegram channel, through python-telegram-bot, against a local Bot API stand-in."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from telegram import InlineKeyboardMarkup, ReplyKeyboardMarkup

from channels.base import DeliveryFailed
from channels.registry import configured
from channels.telegram import INFO
from channels.telegram import settings as telegram_settings
from channels.telegram.keyboards import keyboard_for
from channels.telegram.outbound import MAX_TEXT, TelegramOutbound
from channels.telegram.settings import Settings as TelegramSettings
from channels.telegram.settings import derived_secret
from hub.core import HUB, Hub
from model import Channel, Conversation, Direction, Inbound, Message, QuickReply
from model.catalog import CATALOG_DIR, Catalog
from tests.conftest import hub_app, hub_settings, login, wait_for
from tests.standins.telegram import SECRET, TOKEN, TelegramStandIn, post_update

PUBLIC_URL = "https://hub.example.test"
CHAT = 5_550_001


@pytest.fixture
async def telegram() -> AsyncIterator[TelegramStandIn]:
    async with TelegramStandIn() as stand_in:
        yield stand_in


def channel_settings(stand_in: TelegramStandIn, mode: str = "webhook") -> TelegramSettings:
    return TelegramSettings(
        token=TOKEN,
        secret=SECRET,
        mode=mode,  # type: ignore[arg-type]
        api_base_url=stand_in.base_url,
        public_url=PUBLIC_URL,
        poll_timeout=1,
    )


@asynccontextmanager
async def running_hub(
    database_url: str, settings: TelegramSettings
) -> AsyncIterator[tuple[TestClient, TelegramOutbound]]:
    """The hub with the Telegram channel, as the app builds it from the registry; and the
    channel's outbound side."""
    channels = tuple(configured({}, PUBLIC_URL, given={Channel.TELEGRAM: settings}))
    app = hub_app(hub_settings(database_url, channels=channels))
    async with TestClient(TestServer(app)) as client:
        outbound = client.app[HUB].channels[Channel.TELEGRAM].outbound
        assert isinstance(outbound, TelegramOutbound)
        yield client, outbound


@pytest.fixture
async def hub_client(database_url: str, telegram: TelegramStandIn) -> AsyncIterator[TestClient]:
    """A running hub whose Telegram webhook is set."""
    async with running_hub(database_url, channel_settings(telegram)) as (client, _):
        await wait_for(lambda: telegram.webhook is not None)
        yield client


def hub_of(client: TestClient) -> Hub:
    return client.app[HUB]


async def stored(client: TestClient, chat: int) -> list[dict[str, Any]]:
    """The chat's conversation as a supervisor sees it in the API."""
    conversation = await hub_of(client).conversation(Channel.TELEGRAM, str(chat))
    assert conversation is not None, "nothing stored"
    headers = await login(client, "jung", available=False)
    response = await client.get(f"/api/v1/conversations/{conversation.id}/messages", headers=headers)
    assert response.status == 200
    return (await response.json())["messages"]


async def from_citizen(client: TestClient, chat: int) -> list[dict[str, Any]]:
    return [m for m in await stored(client, chat) if m["author"] == "citizen"]


# -- connecting ---------------------------------------------------------------------------


async def test_start_calls_get_me_and_sets_the_webhook_with_the_secret(
    hub_client: TestClient, telegram: TelegramStandIn
) -> None:
    methods = telegram.methods()
    assert methods.index("getme") < methods.index("setwebhook")
    assert telegram.webhook == {
        "url": f"{PUBLIC_URL}/webhooks/telegram",
        "secret_token": SECRET,
        "allowed_updates": ["message", "callback_query"],
    }


async def test_the_hub_waits_for_telegram_when_it_is_down_at_start(
    database_url: str, telegram: TelegramStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await telegram.stop()
    async with running_hub(database_url, channel_settings(telegram)) as (client, _):
        await asyncio.sleep(0.8)  # the first attempts fail
        assert telegram.webhook is None
        await telegram.start()  # same port, as after a provider outage
        await wait_for(lambda: telegram.webhook is not None, timeout=8)
        assert (await client.get("/healthz")).status == 200
    assert "connecting to Telegram failed" in caplog.text
    # Bot API URLs carry the token; no log line may.
    assert TOKEN not in caplog.text


# -- inbound ------------------------------------------------------------------------------


async def test_a_text_is_stored_and_the_bot_answer_reaches_telegram(
    hub_client: TestClient, telegram: TelegramStandIn
) -> None:
    update = telegram.text_update(CHAT, "따릉이 대여 방법 알려주세요", first_name="민수", language_code="ko")
    response = await post_update(hub_client, update)
    assert response.status == 200
    sent = (await telegram.wait_sent(1))[0]
    assert sent["chat"]["id"] == CHAT and "따릉이" in sent["text"]
    citizen = await from_citizen(hub_client, CHAT)
    assert [m["text"] for m in citizen] == ["따릉이 대여 방법 알려주세요"]
    conversation = await hub_of(hub_client).conversation(Channel.TELEGRAM, str(CHAT))
    assert conversation is not None and conversation.contact.display_name == "민수"


@pytest.mark.parametrize("secret", ["wrong-secret", None], ids=["wrong", "missing"])
async def test_a_bad_secret_is_refused_before_anything_is_stored(
    hub_client: TestClient, telegram: TelegramStandIn, caplog: pytest.LogCaptureFixture, secret: str | None
) -> None:
    caplog.set_level(logging.WARNING)
    response = await post_update(hub_client, telegram.text_update(CHAT, "여권 재발급"), secret=secret)
    assert response.status == 403
    body = await response.json()
    assert body["error"]["code"] == "invalid_secret" and set(body["error"]) == {"code", "message"}
    assert "refused POST /webhooks/telegram" in caplog.text
    assert await hub_of(hub_client).conversation(Channel.TELEGRAM, str(CHAT)) is None
    # Not even parsed: a body that is not an update gets the same answer.
    garbage = await hub_client.post("/webhooks/telegram", data=b"{", headers={"X-Telegram-Bot-Api-Secret-Token": "x"})
    assert garbage.status == 403


async def test_a_malformed_update_is_a_clear_400(hub_client: TestClient) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    response = await hub_client.post("/webhooks/telegram", data=b"{", headers=headers)
    assert response.status == 400 and (await response.json())["error"]["code"] == "malformed_json"
    for body in ({"message": {"text": "hi"}}, {"update_id": 1, "message": "hi"}):
        response = await hub_client.post("/webhooks/telegram", json=body, headers=headers)
        assert response.status == 400 and (await response.json())["error"]["code"] == "invalid_update"


async def test_the_same_update_twice_is_stored_once(hub_client: TestClient, telegram: TelegramStandIn) -> None:
    update = telegram.text_update(CHAT, "여권 재발급은 어디서 하나요?")
    assert (await post_update(hub_client, update)).status == 200
    await telegram.wait_sent(1)
    # Telegram retries when it did not see our 200 in time: the very same update.
    assert (await post_update(hub_client, update)).status == 200
    await asyncio.sleep(0.3)
    assert len(await from_citizen(hub_client, CHAT)) == 1
    assert len(telegram.sent) == 1


async def test_a_photo_with_caption_and_a_location_are_attachments(
    hub_client: TestClient, telegram: TelegramStandIn
) -> None:
    photo = telegram.photo_update(CHAT, caption="집 앞 가로등이 고장났어요")
    assert (await post_update(hub_client, photo)).status == 200
    assert (await post_update(hub_client, telegram.location_update(CHAT, 37.5663, 126.9779))).status == 200
    citizen = await from_citizen(hub_client, CHAT)
    assert [m["text"] for m in citizen] == ["집 앞 가로등이 고장났어요", ""]
    image = citizen[0]["attachments"]
    largest = photo["message"]["photo"][-1]
    assert image == [
        {
            "kind": "image",
            "url": None,
            "content_type": None,
            "data": {
                "file_id": largest["file_id"],
                "file_unique_id": largest["file_unique_id"],
                "width": 1280,
                "height": 960,
            },
        }
    ]
    place = citizen[1]["attachments"]
    assert [(a["kind"], a["data"]) for a in place] == [("location", {"latitude": 37.5663, "longitude": 126.9779})]


async def test_sharing_ones_own_number_links_the_sms_history(hub_client: TestClient, telegram: TelegramStandIn) -> None:
    hub = hub_of(hub_client)
    by_sms = await hub.receive(
        Inbound(Channel.SMS, "+821055501234", "수도 요금 문의", "SM-link-1", verified_phone="+821055501234")
    )
    someone_else = {"phone_number": "+821099998888", "first_name": "Friend", "user_id": 42}
    assert (await post_update(hub_client, telegram.message_update(CHAT, contact=someone_else))).status == 200
    assert await hub.conversation(Channel.TELEGRAM, str(CHAT)) is None  # another person's card is not stored
    own = {"phone_number": "821055501234", "first_name": "Citizen", "user_id": CHAT}
    assert (await post_update(hub_client, telegram.message_update(CHAT, contact=own))).status == 200
    conversation = await hub.conversation(Channel.TELEGRAM, str(CHAT))
    assert conversation is not None
    sms_conversation = await hub.conversation(Channel.SMS, "+821055501234")
    assert sms_conversation is not None and by_sms.conversation_id == sms_conversation.id
    assert conversation.contact.id == sms_conversation.contact.id
    assert {i.channel for i in conversation.contact.identities} == {Channel.SMS, Channel.TELEGRAM}


@pytest.mark.parametrize(("language_code", "language"), [("vi", "vi"), ("zh-hans", "zh"), ("fr", "ko"), (None, "ko")])
async def test_start_greets_in_the_users_language_and_stores_nothing(
    hub_client: TestClient, telegram: TelegramStandIn, language_code: str | None, language: str
) -> None:
    start = telegram.text_update(CHAT, "/start", language_code=language_code)
    assert (await post_update(hub_client, start)).status == 200
    sent = await telegram.wait_sent(1)
    assert sent[0]["text"] == Catalog([CATALOG_DIR, INFO.messages]).text("telegram.start", language)
    assert sent[0]["chat"]["id"] == CHAT
    # A retry of the same /start does not greet twice; the greeting never reaches the bot or a queue.
    assert (await post_update(hub_client, start)).status == 200
    await asyncio.sleep(0.3)
    assert len(telegram.sent) == 1
    assert await hub_of(hub_client).conversation(Channel.TELEGRAM, str(CHAT)) is None


async def test_quick_replies_are_buttons_and_a_tap_is_the_citizens_message(
    hub_client: TestClient, telegram: TelegramStandIn
) -> None:
    await post_update(hub_client, telegram.text_update(CHAT, "따릉이 대여 방법 알려주세요"))
    answer = (await telegram.wait_sent(1))[0]
    assert answer["reply_markup"] == {
        "inline_keyboard": [[{"text": "상담사 연결", "callback_data": "상담사 연결"}]],
    }
    tap = telegram.tap(answer)
    assert (await post_update(hub_client, tap)).status == 200
    assert (await post_update(hub_client, tap)).status == 200  # a retry of the tap
    citizen = await from_citizen(hub_client, CHAT)
    assert [m["text"] for m in citizen] == ["따릉이 대여 방법 알려주세요", "상담사 연결"]
    conversation = await hub_of(hub_client).conversation(Channel.TELEGRAM, str(CHAT))
    assert conversation is not None and conversation.state.value == "queued"
    await wait_for(lambda: tap["callback_query"]["id"] in telegram.answered_callbacks)
    # The citizen is told they are queued, through Telegram.
    sent = await telegram.wait_sent(2)
    assert "1" in sent[-1]["text"]


# -- outbound -----------------------------------------------------------------------------


async def _an_answer(client: TestClient, telegram: TelegramStandIn) -> tuple[Conversation, Message]:
    """A real conversation and bot answer, already delivered once by the hub."""
    await post_update(client, telegram.text_update(CHAT, "따릉이 대여 방법 알려주세요"))
    await telegram.wait_sent(1)
    conversation, messages = await hub_of(client).history(Channel.TELEGRAM, str(CHAT))
    assert conversation is not None
    return conversation, next(m for m in messages if m.direction is Direction.OUT)


# PTB itself reads RetryAfter.retry_after while building the error, which warns about its future type.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_deliver_maps_telegram_failures(database_url: str, telegram: TelegramStandIn) -> None:
    async with running_hub(database_url, channel_settings(telegram)) as (client, channel):
        await wait_for(lambda: telegram.webhook is not None)
        conversation, message = await _an_answer(client, telegram)

        delivered = await channel.deliver(conversation, message)
        assert delivered.status.value == "sent"
        assert delivered.provider_message_id == f"{CHAT}:{telegram.sent[-1]['message_id']}"

        telegram.fail_next(status=429, retry_after=7, method="sendMessage")
        with pytest.raises(DeliveryFailed) as flood:
            await channel.deliver(conversation, message)
        assert flood.value.retryable and flood.value.retry_after == 7

        telegram.fail_next(status=400, method="sendMessage")
        with pytest.raises(DeliveryFailed) as bad:
            await channel.deliver(conversation, message)
        assert not bad.value.retryable

        telegram.blocked.add(CHAT)
        with pytest.raises(DeliveryFailed) as blocked:
            await channel.deliver(conversation, message)
        assert not blocked.value.retryable and "blocked" in blocked.value.reason
        telegram.blocked.clear()

        telegram.fail_next(status=500, method="sendMessage")
        with pytest.raises(DeliveryFailed) as down:
            await channel.deliver(conversation, message)
        assert down.value.retryable and down.value.retry_after is None

        await telegram.stop()
        with pytest.raises(DeliveryFailed) as unreachable:
            await channel.deliver(conversation, message)
        assert unreachable.value.retryable
        await telegram.start()
        assert (await channel.deliver(conversation, message)).status.value == "sent"

        # Longer than Telegram takes: several messages, cut between sentences, nothing lost; the
        # buttons under the last.
        sentence = "따릉이는 서울시 공공자전거입니다. "
        text = sentence * (2 * MAX_TEXT // len(sentence) + 3)
        long = dataclasses.replace(message, text=text, actions=(QuickReply("상담원 연결", "상담원 연결"),))
        before = len(telegram.sent)
        delivered = await channel.deliver(conversation, long)
        parts = telegram.sent[before:]
        assert len(parts) == 3 and all(len(p["text"]) <= MAX_TEXT for p in parts)
        assert " ".join(p["text"] for p in parts) == text.strip()
        assert all(p["text"].endswith("입니다.") for p in parts)
        assert [p["reply_markup"] is not None for p in parts] == [False, False, True]
        assert delivered.provider_message_id == f"{CHAT}:{parts[-1]['message_id']}"


async def bot_answers(client: TestClient) -> list[dict[str, Any]]:
    return [m for m in await stored(client, CHAT) if m["author"] == "bot"]


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_the_outbox_retries_after_flood_control(hub_client: TestClient, telegram: TelegramStandIn) -> None:
    telegram.fail_next(status=429, retry_after=1, method="sendMessage")
    await post_update(hub_client, telegram.text_update(CHAT, "따릉이 대여 방법 알려주세요"))
    sent = await telegram.wait_sent(1, timeout=10)
    assert "따릉이" in sent[0]["text"]
    assert [m for m, _ in telegram.calls].count("sendmessage") == 2

    async def recorded() -> bool:
        return [(m["status"], m["error"]) for m in await bot_answers(hub_client)] == [("sent", None)]

    await wait_for(recorded)


async def test_a_blocked_bot_fails_the_reply_for_the_agent_to_see(
    hub_client: TestClient, telegram: TelegramStandIn
) -> None:
    telegram.blocked.add(CHAT)
    await post_update(hub_client, telegram.text_update(CHAT, "따릉이 대여 방법 알려주세요"))

    async def failed() -> list[dict[str, Any]] | None:
        answers = await bot_answers(hub_client)
        return answers if answers and answers[0]["status"] == "failed" else None

    answer = (await wait_for(failed))[0]
    assert "blocked" in answer["error"]
    assert [m for m, _ in telegram.calls].count("sendmessage") == 1  # not retried
    assert telegram.sent == []


def test_quick_replies_too_long_for_callback_data_become_a_reply_keyboard() -> None:
    short = keyboard_for([QuickReply("상담사 연결", "상담사 연결")])
    assert isinstance(short, InlineKeyboardMarkup)
    long_text = "버스 노선 안내와 지하철 환승 정보를 알려 주세요 감사합니다"  # > 64 bytes in UTF-8
    long = keyboard_for([QuickReply("노선", long_text)])
    assert isinstance(long, ReplyKeyboardMarkup)
    assert long.keyboard[0][0].text == long_text and long.one_time_keyboard
    assert keyboard_for([]) is None


# -- polling --------------------------------------------------------------------------------


async def test_polling_mode_receives_updates_from_get_updates(database_url: str, telegram: TelegramStandIn) -> None:
    telegram.webhook = {"url": "https://old.example.test/hook", "secret_token": None, "allowed_updates": None}
    async with running_hub(database_url, channel_settings(telegram, mode="polling")) as (client, _):
        update = telegram.text_update(CHAT, "따릉이 대여 방법 알려주세요")
        telegram.queue_update(update)
        sent = await telegram.wait_sent(1, timeout=8)
        assert "따릉이" in sent[0]["text"]
        assert [m["text"] for m in await from_citizen(client, CHAT)] == ["따릉이 대여 방법 알려주세요"]
        assert "deletewebhook" in telegram.methods() and telegram.webhook is None
        # The next poll confirms the update; it is not fetched (or stored) again.
        offsets = [int(p.get("offset", 0)) for m, p in telegram.calls if m == "getupdates"]
        await wait_for(
            lambda: any(int(p.get("offset", 0)) > update["update_id"] for m, p in telegram.calls if m == "getupdates")
        )
        assert offsets[0] == 0
        assert len(await from_citizen(client, CHAT)) == 1


# -- settings -------------------------------------------------------------------------------


def test_settings_from_the_environment() -> None:
    assert telegram_settings.from_env({}, PUBLIC_URL) is None
    settings = telegram_settings.from_env({"DASAN_TELEGRAM_TOKEN": TOKEN}, PUBLIC_URL + "/")
    assert settings is not None
    assert (settings.mode, settings.secret, settings.api_base_url) == ("webhook", derived_secret(TOKEN), None)
    assert settings.webhook_url == f"{PUBLIC_URL}/webhooks/telegram"
    polling = telegram_settings.from_env(
        {"DASAN_TELEGRAM_TOKEN": TOKEN, "DASAN_TELEGRAM_SECRET": SECRET, "DASAN_TELEGRAM_MODE": "polling"}, PUBLIC_URL
    )
    assert polling is not None and (polling.mode, polling.secret) == ("polling", SECRET)
    with pytest.raises(ValueError, match="MODE"):
        telegram_settings.from_env({"DASAN_TELEGRAM_TOKEN": TOKEN, "DASAN_TELEGRAM_MODE": "push"}, PUBLIC_URL)
    with pytest.raises(ValueError, match="secret"):
        telegram_settings.from_env({"DASAN_TELEGRAM_TOKEN": TOKEN, "DASAN_TELEGRAM_SECRET": "no spaces"}, PUBLIC_URL)
    with pytest.raises(ValueError, match="DASAN_TELEGRAM_TOKEN"):
        telegram_settings.from_env({"DASAN_TELEGRAM_SECRET": SECRET}, PUBLIC_URL)
