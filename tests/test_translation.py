"""Machine translation in the hub: the translator (engine order, glossary, cache, usage,
deadline) and what agents and citizens see, against stand-ins of the engines' APIs."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from hub.config import Settings
from model.catalog import Catalog
from model.clock import utcnow
from router.routing import RouterSettings
from store.db import Store
from store.translations import usage
from tests.conftest import api_channel_headers, citizen_says, hub_app, hub_settings, login, wait_for
from tests.standins.google_translate import GoogleTranslateStandIn
from tests.standins.libretranslate import API_KEY, LibreTranslateStandIn
from translation.backends import GoogleTranslate, LibreTranslate
from translation.configured import engine_factories, routes
from translation.engine import EngineSettings
from translation.glossary import Glossary
from translation.service import Translator, TranslatorSettings


@pytest.fixture
async def libre() -> AsyncIterator[LibreTranslateStandIn]:
    async with LibreTranslateStandIn() as server:
        yield server


def libre_engine(server: LibreTranslateStandIn, timeout: float = 2.0) -> Any:
    settings = EngineSettings(server.base_url, API_KEY, timeout_seconds=timeout)
    return lambda client: LibreTranslate(settings, client)


async def test_seoul_names_survive_and_a_text_is_paid_for_once(store: Store, libre: LibreTranslateStandIn) -> None:
    translator = Translator([libre_engine(libre)], store, Glossary.read(), utcnow)
    try:
        first = await translator.translate("마포구에서 따릉이를 빌렸어요", "ko", "en")
        assert first.text == "[en] Mapo-gu에서 Ttareungyi를 빌렸어요" and first.engine == "libretranslate"
        again = await translator.translate("마포구에서 따릉이를 빌렸어요", "ko", "en")
        assert again.cached and again.text == first.text
        assert libre.requests == 1
        same = await translator.translate("안녕하세요", "ko", "ko")
        assert same.text == "안녕하세요" and libre.requests == 1
    finally:
        await translator.close()


async def test_identical_translations_at_once_are_all_returned_and_all_counted(
    store: Store, libre: LibreTranslateStandIn
) -> None:
    # On PostgreSQL the writes really overlap: both miss the cache and the day's counter, and
    # both insert them; the unique keys must not turn a paid-for translation into an error.
    translator = Translator([libre_engine(libre)], store, Glossary.read(), utcnow)
    try:
        found = await asyncio.gather(*(translator.translate("Xin chào", "vi", "ko") for _ in range(4)))
        assert [item.text for item in found] == ["[ko] Xin chào"] * 4
        async with store.read() as session:
            [day] = await usage(session, "0000-01-01", "9999-12-31")
        assert (day.requests, day.failures) == (libre.requests, 0)
        assert (await translator.translate("Xin chào", "vi", "ko")).cached
    finally:
        await translator.close()


async def test_a_failing_engine_hands_over_to_the_next(store: Store, libre: LibreTranslateStandIn) -> None:
    async with GoogleTranslateStandIn() as google:
        google_settings = EngineSettings(google.base_url, google.api_key, timeout_seconds=2)
        engines = [lambda client: GoogleTranslate(google_settings, client), libre_engine(libre)]
        translator = Translator(engines, store, Glossary.read(), utcnow, TranslatorSettings(attempts=2))
        google.fail_next(503, times=2)
        try:
            found = await translator.translate("Tôi bị mất hộ chiếu", "vi", "ko")
            assert (found.text, found.engine) == ("[ko] Tôi bị mất hộ chiếu", "libretranslate")
            assert google.requests == 2 and libre.requests == 1
        finally:
            await translator.close()


async def test_a_stalled_engine_gives_up_within_the_deadline(store: Store, libre: LibreTranslateStandIn) -> None:
    settings = TranslatorSettings(deadline_seconds=0.5, attempts=3)
    translator = Translator([libre_engine(libre, timeout=5)], store, Glossary.read(), utcnow, settings)
    libre.stall_next(3)
    try:
        found = await translator.translate("Xin chào", "vi", "ko")
        assert found.text is None and "0.5 s" in (found.error or "")
    finally:
        await translator.close()


def translated_hub(database_url: str, libre: LibreTranslateStandIn, **overrides: Any) -> Settings:
    return dataclasses.replace(hub_settings(database_url, **overrides), translation_engines=(libre_engine(libre),))


async def messages_of(client: TestClient, conversation_id: str) -> list[dict[str, Any]]:
    jung = await login(client, "jung", available=False)
    response = await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=jung)
    return (await response.json())["messages"]


async def test_agents_read_foreign_messages_in_korean_and_answer_through_translation(
    database_url: str, libre: LibreTranslateStandIn
) -> None:
    async with TestClient(TestServer(hub_app(translated_hub(database_url, libre)))) as client:
        nguyen = await login(client, "nguyen")
        first = await citizen_says(client, "vi-1", "Xin chào, tôi muốn nói chuyện với nhân viên", language="vi")
        conversation_id = first["conversation_id"]

        async def translated() -> list[dict[str, Any]]:
            found = [m for m in await messages_of(client, conversation_id) if m["author"] == "citizen"]
            return found if found and found[0]["translation_status"] else []

        [citizen] = await wait_for(translated)
        assert citizen["text"] == "Xin chào, tôi muốn nói chuyện với nhân viên"
        assert citizen["translation"] == "[ko] Xin chào, tôi muốn nói chuyện với nhân viên"
        assert citizen["translation_status"] == "translated"

        await wait_for(lambda: _offered(client, conversation_id, nguyen))
        assert (await client.post(f"/api/v1/conversations/{conversation_id}/claim", headers=nguyen)).status == 200
        conversation = await (await client.get(f"/api/v1/conversations/{conversation_id}", headers=nguyen)).json()
        assert conversation["machine_translation"] is True
        preview = await client.post(
            f"/api/v1/conversations/{conversation_id}/translation",
            json={"text": "여권 분실 신고를 도와드릴게요"},
            headers=nguyen,
        )
        assert (await preview.json())["text"] == "[vi] 여권 분실 신고를 도와드릴게요"
        sent = await client.post(
            f"/api/v1/conversations/{conversation_id}/messages",
            json={"text": "여권 분실 신고를 도와드릴게요", "translate": True},
            headers=nguyen,
        )
        reply = await sent.json()
        assert sent.status == 201
        assert (reply["text"], reply["translation"], reply["translation_status"]) == (
            "[vi] 여권 분실 신고를 도와드릴게요", "여권 분실 신고를 도와드릴게요", "translated",
        )  # fmt: skip
        history = await client.get(
            "/api/v1/channels/api/messages", params={"sender": "vi-1"}, headers=api_channel_headers(client)
        )
        assert "[vi] 여권 분실 신고를 도와드릴게요" in [m["text"] for m in (await history.json())["messages"]]

        jung = await login(client, "jung", available=False)
        usage = await (await client.get("/api/v1/translation/usage", headers=jung)).json()
        [day] = usage["days"]
        # The citizen's message, the preview; the reply itself was the preview's text, from the cache.
        assert (day["engine"], day["requests"], day["failures"]) == ("libretranslate", 2, 0)
        assert day["characters"] == libre.characters


async def _offered(client: TestClient, conversation_id: str, headers: dict[str, str]) -> bool:
    conversation = await (await client.get(f"/api/v1/conversations/{conversation_id}", headers=headers)).json()
    return conversation["state"] == "offered"


async def test_a_broken_translator_never_holds_a_message_up(database_url: str, libre: LibreTranslateStandIn) -> None:
    libre.fail_next(500, times=100)
    async with TestClient(TestServer(hub_app(translated_hub(database_url, libre)))) as client:
        answer = await citizen_says(client, "vi-2", "Tôi cần gặp nhân viên", language="vi")
        assert answer["state"] == "queued"  # routed at once, translation or not

        async def settled() -> list[dict[str, Any]]:
            found = [m for m in await messages_of(client, answer["conversation_id"]) if m["author"] == "citizen"]
            return found if found[0]["translation_status"] else []

        [citizen] = await wait_for(settled, timeout=15)
        assert (citizen["translation"], citizen["translation_status"]) == (None, "unavailable")
        nguyen = await login(client, "nguyen")
        await wait_for(lambda: _offered(client, answer["conversation_id"], nguyen))
        await client.post(f"/api/v1/conversations/{answer['conversation_id']}/claim", headers=nguyen)
        refused = await client.post(
            f"/api/v1/conversations/{answer['conversation_id']}/messages",
            json={"text": "잠시만요", "translate": True},
            headers=nguyen,
        )
        assert refused.status == 503 and (await refused.json())["error"]["code"] == "translation_unavailable"
        own = await client.post(
            f"/api/v1/conversations/{answer['conversation_id']}/messages", json={"text": "Vui lòng chờ"}, headers=nguyen
        )
        assert own.status == 201


async def test_without_an_engine_foreign_conversations_wait_for_speakers(database_url: str) -> None:
    async with TestClient(TestServer(hub_app(hub_settings(database_url)))) as client:
        answer = await citizen_says(client, "mn-1", "Надад ажилтан хэрэгтэй", language="mn")
        nguyen = await login(client, "nguyen")  # the foreign-language queue's; no Mongolian
        conversation = await (
            await client.get(f"/api/v1/conversations/{answer['conversation_id']}", headers=nguyen)
        ).json()
        assert conversation["machine_translation"] is False
        messages = await messages_of(client, answer["conversation_id"])
        [citizen] = [m for m in messages if m["author"] == "citizen"]
        assert citizen["translation_status"] is None
        # The hub's own texts need no engine: the catalogue has them in Korean for the agent.
        [queued] = [m for m in messages if m["author"] == "system"]
        catalog = Catalog()
        assert queued["text"] == catalog.text("system.queued", "mn", position=1)
        assert queued["translation"] == catalog.text("system.queued", "ko", position=1)
        refused = await client.post(
            f"/api/v1/conversations/{answer['conversation_id']}/translation",
            json={"text": "안녕하세요"},
            headers=nguyen,
        )
        assert refused.status == 409


async def test_after_the_overflow_wait_any_agent_takes_it_with_translation(
    database_url: str, libre: LibreTranslateStandIn
) -> None:
    router = RouterSettings(sweep_interval_seconds=0.1, offer_timeout_seconds=30, foreign_overflow_seconds=0.5)
    async with TestClient(TestServer(hub_app(translated_hub(database_url, libre, router=router)))) as client:
        kim = await login(client, "kim")  # Korean only, no foreign_language skill
        answer = await citizen_says(client, "mn-2", "Надад ажилтан хэрэгтэй", language="mn")
        jung = await login(client, "jung", available=False)  # kim reads it once it is offered to them
        await wait_for(lambda: _offered(client, answer["conversation_id"], jung), timeout=5)
        assert await _offered(client, answer["conversation_id"], kim)
        trail = await client.get(f"/api/v1/conversations/{answer['conversation_id']}/events", headers=jung)
        [offer] = [e for e in (await trail.json())["events"] if e["type"] == "offered"]
        assert offer["data"]["agent"] == "kim" and "machine translation" in offer["data"]["reason"]


async def test_the_usage_endpoint_is_for_supervisors(client: TestClient) -> None:
    kim = await login(client, "kim", available=False)
    assert (await client.get("/api/v1/translation/usage", headers=kim)).status == 403
    jung = await login(client, "jung", available=False)
    bad = await client.get("/api/v1/translation/usage", params={"from": "2026-13-01"}, headers=jung)
    assert bad.status == 400
    assert (await (await client.get("/api/v1/translation/usage", headers=jung)).json()) == {"days": []}


def test_the_glossary_keeps_names_in_every_direction() -> None:
    glossary = Glossary.read()
    assert glossary.apply("我在麻浦区，想借Ttareungyi", "zh", "ko") == "我在마포구，想借따릉이"
    assert glossary.apply("I live in Jung-gu, near Seoul Station", "en", "ko") == "I live in 중구, near 서울역"
    assert glossary.apply("jung-gukbap", "en", "ko") == "jung-gukbap"
    assert glossary.apply("강남역 2번 출구", "ko", "vi") == "ga Gangnam 2번 출구"


async def test_a_route_puts_an_engine_first_for_one_language(store: Store, libre: LibreTranslateStandIn) -> None:
    async with GoogleTranslateStandIn() as google:
        google_settings = EngineSettings(google.base_url, google.api_key, timeout_seconds=2)
        engines = [lambda client: GoogleTranslate(google_settings, client), libre_engine(libre)]
        settings = TranslatorSettings(routes=routes({"DASAN_TRANSLATION_ROUTES": "vi=libretranslate"}))
        translator = Translator(engines, store, Glossary.read(), utcnow, settings)
        try:
            assert (await translator.translate("Xin chào", "vi", "ko")).engine == "libretranslate"
            assert (await translator.translate("안녕하세요", "ko", "vi")).engine == "libretranslate"
            assert (await translator.translate("Hello", "en", "ko")).engine == "google"
        finally:
            await translator.close()


@pytest.mark.parametrize(
    "env",
    [
        {"DASAN_TRANSLATION_ROUTES": "vi=deepl"},
        {"DASAN_TRANSLATION_ROUTES": "xx=google"},
        {"DASAN_TRANSLATION_ROUTES": "vi"},
        {"DASAN_PAPAGO_KEY_ID": "id-only"},
        {"DASAN_TRANSLATION_ORDER": "papago,babelfish"},
    ],
)
def test_a_half_configured_translation_is_refused_with_a_reason(env: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="DASAN_"):
        engine_factories(env)
        routes(env)


async def test_engines_come_in_the_configured_order() -> None:
    env = {"DASAN_LIBRETRANSLATE_URL": "http://127.0.0.1:5000", "DASAN_GOOGLE_TRANSLATE_KEY": "key"}
    async with aiohttp.ClientSession() as client:
        default = [make(client).name for make in engine_factories(env)]
        chosen = [make(client).name for make in engine_factories(env | {"DASAN_TRANSLATION_ORDER": "libretranslate"})]
    assert default == ["google", "libretranslate"]  # Papago first when set, then Google
    assert chosen == ["libretranslate"]
    assert engine_factories({}) == ()
