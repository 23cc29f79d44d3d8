"""The three machine-translation engines against local stand-ins of their HTTP APIs.

What the three share (order kept, bad keys final, rate limits, 5xx, stalls and refused
connections retryable) runs once per engine; what only one of them does follows."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import aiohttp
import pytest

from tests.standins import google_translate, libretranslate, papago
from tests.standins.google_translate import GoogleTranslateStandIn
from tests.standins.libretranslate import LibreTranslateStandIn
from tests.standins.papago import PapagoStandIn
from translation.backends import GoogleTranslate, LibreTranslate, Papago
from translation.engine import Engine, EngineSettings, TranslationFailed

HUB_LANGUAGES = ("ko", "en", "zh", "ja", "vi", "mn")
TEXTS = ["안녕하세요", "주민등록등본은 어디서 발급받나요?", "감사합니다"]


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@dataclass
class Backend:
    """One engine class with its stand-in, as the shared tests need them."""

    name: str
    standin: Any
    """LibreTranslateStandIn, PapagoStandIn or GoogleTranslateStandIn: the same methods."""
    settings: EngineSettings
    """Settings that work against the stand-in."""
    build: Callable[[EngineSettings, aiohttp.ClientSession], Engine]
    session: aiohttp.ClientSession
    chinese: str
    """The code the API takes for the hub's `zh`."""
    requests_per_text: bool
    """Papago takes one text a request; the others take the batch."""

    def engine(self, **changes: Any) -> Engine:
        """The engine, with some settings changed (a wrong key, a short timeout)."""
        return self.build(dataclasses.replace(self.settings, **changes), self.session)


@pytest.fixture(params=["libretranslate", "papago", "google"])
async def backend(request: pytest.FixtureRequest, session: aiohttp.ClientSession) -> AsyncIterator[Backend]:
    if request.param == "libretranslate":
        async with LibreTranslateStandIn() as lt:
            settings = EngineSettings(lt.base_url, key=libretranslate.API_KEY)
            yield Backend("libretranslate", lt, settings, LibreTranslate, session, "zh", False)
    elif request.param == "papago":
        async with PapagoStandIn() as pg:
            settings = EngineSettings(pg.base_url, key=papago.CLIENT_ID, secret=papago.CLIENT_SECRET)
            yield Backend("papago", pg, settings, Papago, session, "zh-CN", True)
    else:
        async with GoogleTranslateStandIn() as gt:
            settings = EngineSettings(gt.base_url, key=google_translate.API_KEY)
            yield Backend("google", gt, settings, GoogleTranslate, session, "zh-CN", False)


# -- what the three share ----------------------------------------------------------------


async def test_a_batch_comes_back_in_order(backend: Backend) -> None:
    engine = backend.engine()

    translated = await engine.translate(TEXTS, "ko", "en")

    assert engine.name == backend.name
    assert translated == [f"[en] {text}" for text in TEXTS]
    assert backend.standin.requests == (len(TEXTS) if backend.requests_per_text else 1)
    assert backend.standin.characters == sum(len(text) for text in TEXTS)


async def test_chinese_goes_by_the_engine_code(backend: Backend) -> None:
    translated = await backend.engine().translate(["감사합니다"], "ko", "zh")

    assert translated == [f"[{backend.chinese}] 감사합니다"]
    assert backend.standin.received[0]["target"] == backend.chinese


async def test_nothing_to_translate_costs_no_request(backend: Backend) -> None:
    engine = backend.engine()

    assert await engine.translate([], "ko", "en") == []
    assert await engine.translate(["그대로"], "ko", "ko") == ["그대로"]
    assert backend.standin.requests == 0


async def test_a_wrong_key_is_final(backend: Backend, caplog: pytest.LogCaptureFixture) -> None:
    wrong_key = "wrong-key-4f1c9a"
    engine = backend.engine(key=wrong_key)

    with caplog.at_level(logging.DEBUG), pytest.raises(TranslationFailed) as failed:
        await engine.translate(TEXTS, "ko", "en")

    assert not failed.value.retryable
    assert failed.value.retry_after is None
    assert any(record.levelno == logging.ERROR for record in caplog.records), "an administrator must hear of it"
    assert wrong_key not in failed.value.reason
    assert wrong_key not in caplog.text


async def test_a_rate_limit_is_retryable_after_what_the_engine_said(backend: Backend) -> None:
    backend.standin.rate_limit_next(retry_after=7)

    with pytest.raises(TranslationFailed) as failed:
        await backend.engine().translate(TEXTS, "ko", "en")

    assert failed.value.retryable
    assert failed.value.retry_after == 7
    assert "429" in failed.value.reason


@pytest.mark.parametrize("status", [500, 503])
async def test_a_server_error_is_retryable_and_passes(backend: Backend, status: int) -> None:
    backend.standin.fail_next(status)
    engine = backend.engine()

    with pytest.raises(TranslationFailed) as failed:
        await engine.translate(TEXTS, "ko", "en")

    assert failed.value.retryable
    assert str(status) in failed.value.reason
    assert await engine.translate(TEXTS, "ko", "en") == [f"[en] {text}" for text in TEXTS]


async def test_a_stall_longer_than_the_timeout_is_retryable(backend: Backend) -> None:
    backend.standin.stall_next(2.0, times=len(TEXTS))
    engine = backend.engine(timeout_seconds=0.2)

    started = time.monotonic()
    with pytest.raises(TranslationFailed) as failed:
        await engine.translate(TEXTS, "ko", "en")

    assert failed.value.retryable
    assert "did not answer within 0.2 s" in failed.value.reason
    assert time.monotonic() - started < 1.5


async def test_an_unreachable_engine_is_retryable(backend: Backend) -> None:
    await backend.standin.stop()

    with pytest.raises(TranslationFailed) as failed:
        await backend.engine().translate(TEXTS, "ko", "en")

    assert failed.value.retryable
    assert "unreachable" in failed.value.reason


# -- languages -----------------------------------------------------------------------------


@pytest.mark.parametrize("engine_class", [LibreTranslate, GoogleTranslate])
def test_libretranslate_and_google_translate_all_six(
    engine_class: Callable[[EngineSettings, aiohttp.ClientSession], Engine], session: aiohttp.ClientSession
) -> None:
    engine = engine_class(EngineSettings("http://127.0.0.1:9", key="k"), session)

    assert all(engine.supports(source, target) for source in HUB_LANGUAGES for target in HUB_LANGUAGES)
    assert not engine.supports("ko", "th")


async def test_papago_has_no_mongolian(papago_standin: PapagoStandIn, session: aiohttp.ClientSession) -> None:
    engine = papago_engine(papago_standin, session)

    assert not engine.supports("ko", "mn")
    assert not engine.supports("mn", "en")
    assert not engine.supports("zh", "vi"), "not among NCP's 29 pairs"
    assert all(engine.supports("ko", other) and engine.supports(other, "ko") for other in ("en", "zh", "ja", "vi"))
    with pytest.raises(TranslationFailed) as failed:
        await engine.translate(["안녕하세요"], "ko", "mn")
    assert not failed.value.retryable
    assert papago_standin.requests == 0


# -- LibreTranslate ------------------------------------------------------------------------


async def test_libretranslate_sends_the_key_and_plain_text(session: aiohttp.ClientSession) -> None:
    async with LibreTranslateStandIn() as lt:
        await LibreTranslate(EngineSettings(lt.base_url, key=libretranslate.API_KEY), session).translate(
            ["hello"], "en", "ko"
        )

        assert lt.received == [
            {"q": ["hello"], "source": "en", "target": "ko", "format": "text", "api_key": lt.api_keys[0]}
        ]


async def test_libretranslate_without_a_required_key_is_final(session: aiohttp.ClientSession) -> None:
    async with LibreTranslateStandIn() as lt:
        with pytest.raises(TranslationFailed) as failed:
            await LibreTranslate(EngineSettings(lt.base_url), session).translate(["hello"], "en", "ko")

        assert not failed.value.retryable
        assert "400" in failed.value.reason and "API key" in failed.value.reason


async def test_libretranslate_open_server_needs_no_key(session: aiohttp.ClientSession) -> None:
    async with LibreTranslateStandIn(api_keys=()) as lt:
        assert await LibreTranslate(EngineSettings(lt.base_url), session).translate(["hi"], "en", "vi") == ["[vi] hi"]
        assert "api_key" not in lt.received[0]


async def test_libretranslate_chinese_as_zh_hans(session: aiohttp.ClientSession) -> None:
    languages = ("ko", "en", "zh-Hans", "zh-Hant", "ja", "vi", "mn")
    async with LibreTranslateStandIn(languages=languages) as lt:
        settings = EngineSettings(lt.base_url, key=libretranslate.API_KEY)

        assert await LibreTranslate(settings, session, chinese="zh-Hans").translate(["hi"], "en", "zh") == [
            "[zh-Hans] hi"
        ]
        with pytest.raises(TranslationFailed) as failed:
            await LibreTranslate(settings, session).translate(["hi"], "en", "zh")
        assert not failed.value.retryable
        assert "zh is not supported" in failed.value.reason


async def test_libretranslate_retry_after_as_a_date(session: aiohttp.ClientSession) -> None:
    async with LibreTranslateStandIn() as lt:
        lt.rate_limit_next(retry_after=format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True))

        with pytest.raises(TranslationFailed) as failed:
            await LibreTranslate(EngineSettings(lt.base_url, key=libretranslate.API_KEY), session).translate(
                ["hi"], "en", "ko"
            )

        assert failed.value.retryable
        assert failed.value.retry_after is not None and 25 <= failed.value.retry_after <= 30


# -- Papago --------------------------------------------------------------------------------


@pytest.fixture
async def papago_standin() -> AsyncIterator[PapagoStandIn]:
    async with PapagoStandIn() as pg:
        yield pg


def papago_engine(pg: PapagoStandIn, session: aiohttp.ClientSession, **changes: Any) -> Papago:
    settings = EngineSettings(pg.base_url, key=pg.client_id, secret=pg.client_secret)
    return Papago(dataclasses.replace(settings, **changes), session)


async def test_papago_sends_one_form_per_text_with_the_ncp_headers(
    papago_standin: PapagoStandIn, session: aiohttp.ClientSession
) -> None:
    await papago_engine(papago_standin, session).translate(["하나", "둘"], "ko", "ja")

    assert sorted(papago_standin.received, key=lambda params: params["text"]) == [
        {"source": "ko", "target": "ja", "text": "둘"},
        {"source": "ko", "target": "ja", "text": "하나"},
    ]


async def test_papago_keeps_order_when_answers_arrive_out_of_order(
    papago_standin: PapagoStandIn, session: aiohttp.ClientSession
) -> None:
    texts = [f"문장 {number}" for number in range(10)]
    papago_standin.stall_next(0.3)  # the first request answers last

    assert await papago_engine(papago_standin, session).translate(texts, "ko", "vi") == [
        f"[vi] {text}" for text in texts
    ]
    assert papago_standin.requests == 10


async def test_papago_wrong_secret_is_final(papago_standin: PapagoStandIn, session: aiohttp.ClientSession) -> None:
    with pytest.raises(TranslationFailed) as failed:
        await papago_engine(papago_standin, session, secret="not-the-secret").translate(["안녕"], "ko", "en")

    assert not failed.value.retryable
    assert "401" in failed.value.reason and "Authentication Failed" in failed.value.reason


async def test_papago_translator_errors_are_final(
    papago_standin: PapagoStandIn, session: aiohttp.ClientSession
) -> None:
    papago_standin.fail_next(400, code="N2MT06", message="There is no source-to-target translator")

    with pytest.raises(TranslationFailed) as failed:
        await papago_engine(papago_standin, session).translate(["안녕"], "ko", "en")

    assert not failed.value.retryable
    assert "N2MT06" in failed.value.reason


async def test_papago_reads_the_older_error_shape(session: aiohttp.ClientSession) -> None:
    async with PapagoStandIn(legacy_errors=True) as pg:
        pg.rate_limit_next(retry_after=3)

        with pytest.raises(TranslationFailed) as failed:
            await papago_engine(pg, session).translate(["안녕"], "ko", "en")

        assert failed.value.retryable and failed.value.retry_after == 3
        assert "error 420: Rate Limited" in failed.value.reason


async def test_papago_without_credentials_sends_nothing(
    papago_standin: PapagoStandIn, session: aiohttp.ClientSession
) -> None:
    with pytest.raises(TranslationFailed) as failed:
        await papago_engine(papago_standin, session, secret=None).translate(["안녕"], "ko", "en")

    assert not failed.value.retryable
    assert papago_standin.requests == 0


# -- Google --------------------------------------------------------------------------------


@pytest.fixture
async def google_standin() -> AsyncIterator[GoogleTranslateStandIn]:
    async with GoogleTranslateStandIn() as gt:
        yield gt


def google_engine(gt: GoogleTranslateStandIn, session: aiohttp.ClientSession, **changes: Any) -> GoogleTranslate:
    settings = EngineSettings(gt.base_url, key=gt.api_key)
    return GoogleTranslate(dataclasses.replace(settings, **changes), session)


async def test_google_splits_batches_over_128_texts(
    google_standin: GoogleTranslateStandIn, session: aiohttp.ClientSession
) -> None:
    texts = [f"line {number}" for number in range(300)]

    assert await google_engine(google_standin, session).translate(texts, "en", "ko") == [
        f"[ko] {text}" for text in texts
    ]
    assert [len(body["q"]) for body in google_standin.received] == [128, 128, 44]


async def test_google_plain_text_comes_back_unescaped(
    google_standin: GoogleTranslateStandIn, session: aiohttp.ClientSession
) -> None:
    text = "Tom's <b>permit</b> & fee"

    assert await google_engine(google_standin, session).translate([text], "en", "mn") == [f"[mn] {text}"]
    assert google_standin.received[0]["format"] == "text"


@pytest.mark.parametrize("reason", ["userRateLimitExceeded", "rateLimitExceeded", "dailyLimitExceeded"])
async def test_google_403_quota_is_retryable(
    google_standin: GoogleTranslateStandIn, session: aiohttp.ClientSession, reason: str
) -> None:
    google_standin.fail_next(403, reason=reason, retry_after=4)

    with pytest.raises(TranslationFailed) as failed:
        await google_engine(google_standin, session).translate(["hi"], "en", "ko")

    assert failed.value.retryable and failed.value.retry_after == 4
    assert reason in failed.value.reason


async def test_google_403_forbidden_is_final(
    google_standin: GoogleTranslateStandIn, session: aiohttp.ClientSession
) -> None:
    google_standin.fail_next(403)

    with pytest.raises(TranslationFailed) as failed:
        await google_engine(google_standin, session).translate(["hi"], "en", "ko")

    assert not failed.value.retryable
    assert "PERMISSION_DENIED" in failed.value.reason


async def test_google_wrong_key_answer_names_the_reason(
    google_standin: GoogleTranslateStandIn, session: aiohttp.ClientSession
) -> None:
    with pytest.raises(TranslationFailed) as failed:
        await google_engine(google_standin, session, key="AIzaWrongKey").translate(["hi"], "en", "ko")

    assert "400 INVALID_ARGUMENT" in failed.value.reason and "API_KEY_INVALID" in failed.value.reason
    assert "AIzaWrongKey" not in failed.value.reason


async def test_google_key_stays_out_of_reasons_and_logs(
    google_standin: GoogleTranslateStandIn, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    engine = google_engine(google_standin, session)
    google_standin.fail_next(500, message=f"echo of key={google_standin.api_key}")
    await google_standin.stop()
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(TranslationFailed) as unreachable:
            await engine.translate(["hi"], "en", "ko")
        await google_standin.start()
        with pytest.raises(TranslationFailed) as echoed:
            await engine.translate(["hi"], "en", "ko")

    for failure in (unreachable.value, echoed.value):
        assert google_standin.api_key not in failure.reason
    assert "***" in echoed.value.reason
    assert google_standin.api_key not in caplog.text
