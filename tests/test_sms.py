"""The SMS channel through Twilio: signed webhooks in, the official client out, against a stand-in."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from channels.base import DeliveryFailed
from channels.registry import configured
from channels.sms import settings as sms_settings
from channels.sms.outbound import SmsOutbound
from channels.sms.segments import segments
from channels.sms.settings import SMS_PATH, STATUS_PATH
from channels.sms.twilio_forms import EMPTY_TWIML
from hub.core import HUB, Hub
from model import Channel, Conversation, Direction, Message
from tests.conftest import hub_app, hub_settings, login, wait_for
from tests.services import free_port
from tests.standins.twilio import TwilioStandIn, signature_header, signed_inbound

HUB_NUMBER = "+8215880120"
CITIZEN = "+821012345678"


@dataclass
class SmsHub:
    client: TestClient
    public_url: str
    """What Twilio was told: webhook signatures are computed over it."""
    twilio: TwilioStandIn

    @property
    def hub(self) -> Hub:
        return self.client.app[HUB]

    @property
    def outbound(self) -> SmsOutbound:
        outbound = self.hub.channels[Channel.SMS].outbound
        assert isinstance(outbound, SmsOutbound)
        return outbound

    async def post_sms(self, form: dict[str, str], headers: dict[str, str], path: str = SMS_PATH) -> Any:
        return await self.client.post(path, data=form, headers=headers)

    async def text(self, sender: str, body: str, **details: Any) -> dict[str, str]:
        """A citizen's SMS as Twilio posts it, signed; asserts the hub took it."""
        form, headers = signed_inbound(self.public_url + SMS_PATH, sender, body, **details)
        response = await self.post_sms(form, headers)
        assert response.status == 200, await response.text()
        assert response.content_type == "text/xml"
        assert await response.text() == EMPTY_TWIML
        return form

    async def messages(self, sender: str) -> list[dict[str, Any]]:
        """The sender's conversation as an agent sees it in the messages API."""
        conversation = await self.hub.conversation(Channel.SMS, sender)
        assert conversation is not None
        headers = await login(self.client, "jung", available=False)
        response = await self.client.get(f"/api/v1/conversations/{conversation.id}/messages", headers=headers)
        assert response.status == 200
        return (await response.json())["messages"]

    async def message_reaches(self, sender: str, status: str) -> dict[str, Any]:
        """The first outbound message once it has `status`."""

        async def reached() -> dict[str, Any] | None:
            outbound = [m for m in await self.messages(sender) if m["direction"] == "out"]
            return outbound[0] if outbound and outbound[0]["status"] == status else None

        return await wait_for(reached, timeout=10)


def twilio_settings(twilio: TwilioStandIn, public_url: str, **overrides: Any) -> sms_settings.Settings:
    values: dict[str, Any] = {
        "account_sid": twilio.account_sid,
        "auth_token": twilio.auth_token,
        "from_number": HUB_NUMBER,
        "public_url": public_url,
        "api_base_url": twilio.base_url,
        "sends_per_second": 50.0,  # Twilio's 1 a second would only slow the tests down
    }
    values.update(overrides)
    return sms_settings.Settings(**values)


@pytest.fixture
async def twilio() -> AsyncIterator[TwilioStandIn]:
    async with TwilioStandIn() as stand_in:
        yield stand_in


async def start_hub(database_url: str, twilio: TwilioStandIn, public_url: str | None, port: int) -> TestClient:
    public_url = public_url or f"http://127.0.0.1:{port}"
    sms = twilio_settings(twilio, public_url)
    channels = tuple(configured({}, public_url, given={Channel.SMS: sms}))
    settings = hub_settings(database_url, channels=channels, public_url=public_url)
    client = TestClient(TestServer(hub_app(settings), host="127.0.0.1", port=port))
    await client.start_server()
    return client


@pytest.fixture
async def sms(database_url: str, twilio: TwilioStandIn) -> AsyncIterator[SmsHub]:
    """A hub with the SMS channel, reached by Twilio at its own address."""
    port = free_port()
    client = await start_hub(database_url, twilio, None, port)
    try:
        yield SmsHub(client, f"http://127.0.0.1:{port}", twilio)
    finally:
        await client.close()


@pytest.fixture
async def proxied(database_url: str, twilio: TwilioStandIn) -> AsyncIterator[SmsHub]:
    """A hub behind a reverse proxy: Twilio knows only the public URL, under a path prefix."""
    public_url = "https://dasan-hub.example.org/hub"
    client = await start_hub(database_url, twilio, public_url, free_port())
    try:
        yield SmsHub(client, public_url, twilio)
    finally:
        await client.close()


# -- inbound ---------------------------------------------------------------------------


async def test_signed_sms_is_stored_and_the_bot_answers_by_sms(sms: SmsHub) -> None:
    form = await sms.text(CITIZEN, "따릉이 대여 방법 알려주세요")
    [sent] = await sms.twilio.wait_for_messages(1)
    assert (sent.to, sent.from_) == (CITIZEN, HUB_NUMBER)
    assert "따릉이" in sent.body
    assert sent.status_callback == sms.public_url + STATUS_PATH
    messages = await sms.messages(CITIZEN)
    citizen = [m for m in messages if m["author"] == "citizen"]
    assert [m["text"] for m in citizen] == ["따릉이 대여 방법 알려주세요"]
    assert citizen[0]["client_id"] == form["MessageSid"]
    reply = await sms.message_reaches(CITIZEN, "sent")
    assert reply["author"] == "bot" and reply["text"] in sent.body
    conversation = await sms.hub.conversation(Channel.SMS, CITIZEN)
    assert conversation is not None and conversation.sender == CITIZEN  # the citizen is their phone number


async def test_wrong_or_missing_signature_is_refused_and_nothing_is_stored(sms: SmsHub) -> None:
    url = sms.public_url + SMS_PATH
    forged, forged_headers = signed_inbound(url, CITIZEN, "상담사 연결해 주세요", auth_token="0" * 32)
    genuine, headers = signed_inbound(url, CITIZEN, "상담사 연결해 주세요")
    tampered = {**genuine, "Body": "다른 내용"}
    for form, sent_headers in ((forged, forged_headers), (genuine, {}), (tampered, headers)):
        response = await sms.post_sms(form, sent_headers)
        assert response.status == 403
        assert (await response.json())["error"]["code"] == "invalid_signature"
    # A signature over the right URL but another path is no signature for this one.
    response = await sms.post_sms(
        genuine, signature_header(sms.public_url + STATUS_PATH, genuine, sms.twilio.auth_token)
    )
    assert response.status == 403
    assert await sms.hub.conversation(Channel.SMS, CITIZEN) is None
    await asyncio.sleep(0.2)
    assert sms.twilio.attempts == 0


async def test_a_replayed_webhook_is_stored_once(sms: SmsHub) -> None:
    form, headers = signed_inbound(sms.public_url + SMS_PATH, CITIZEN, "여권 재발급은 어디서 하나요?")
    for _ in range(3):  # Twilio retries when our answer is slow or lost
        response = await sms.post_sms(form, headers)
        assert response.status == 200 and await response.text() == EMPTY_TWIML
    await sms.twilio.wait_for_messages(1)
    await asyncio.sleep(0.3)
    messages = await sms.messages(CITIZEN)
    assert [m["text"] for m in messages if m["author"] == "citizen"] == ["여권 재발급은 어디서 하나요?"]
    assert len(sms.twilio.messages) == 1, "the bot answered a retry again"


async def test_mms_media_are_stored_as_attachments(sms: SmsHub) -> None:
    base = f"https://api.twilio.com/2010-04-01/Accounts/{sms.twilio.account_sid}/Messages/MM1/Media"
    media = [(f"{base}/ME1", "image/jpeg"), (f"{base}/ME2", "application/pdf"), (f"{base}/ME3", "video/mp4")]
    await sms.text(CITIZEN, "", media=media)
    [message] = await sms.messages(CITIZEN)
    assert message["text"] == ""
    assert [(a["kind"], a["url"], a["content_type"]) for a in message["attachments"]] == [
        ("image", f"{base}/ME1", "image/jpeg"),
        ("file", f"{base}/ME2", "application/pdf"),
        ("video", f"{base}/ME3", "video/mp4"),
    ]
    # A photo alone is for a person to look at: the bot stays quiet.
    await asyncio.sleep(0.3)
    assert sms.twilio.messages == []


# -- delivery reports ------------------------------------------------------------------


async def test_status_callback_marks_the_reply_delivered(sms: SmsHub) -> None:
    await sms.text(CITIZEN, "따릉이 대여 방법 알려주세요")
    [sent] = await sms.twilio.wait_for_messages(1)
    await sms.message_reaches(CITIZEN, "sent")  # the outbox has recorded Twilio's SID
    # A forged report changes nothing.
    response = await sms.twilio.send_status(sent, "failed", "30003", token="0" * 32)
    assert response.status == 403
    assert (await sms.message_reaches(CITIZEN, "sent"))["error"] is None
    response = await sms.twilio.send_status(sent, "delivered")
    assert response.status == 200
    assert (await sms.message_reaches(CITIZEN, "delivered"))["id"]


async def test_undelivered_report_names_the_reason(sms: SmsHub) -> None:
    await sms.text(CITIZEN, "따릉이 대여 방법 알려주세요")
    [sent] = await sms.twilio.wait_for_messages(1)
    await sms.message_reaches(CITIZEN, "sent")
    assert (await sms.twilio.send_status(sent, "undelivered", "30003")).status == 200
    reply = await sms.message_reaches(CITIZEN, "undelivered")
    assert "30003" in reply["error"] and "unreachable" in reply["error"]


async def test_report_for_an_unknown_message_is_acknowledged(sms: SmsHub) -> None:
    form = {"MessageSid": "SM" + "a" * 32, "MessageStatus": "delivered", "AccountSid": sms.twilio.account_sid}
    headers = signature_header(sms.public_url + STATUS_PATH, form, sms.twilio.auth_token)
    response = await sms.client.post(STATUS_PATH, data=form, headers=headers)
    assert response.status == 200  # else Twilio would keep repeating it
    response = await sms.client.post(STATUS_PATH, data=form)
    assert response.status == 403


async def test_signature_is_checked_against_the_public_url_behind_a_proxy(proxied: SmsHub) -> None:
    # What a naive check would use: the URL the request arrived at. Twilio never signs that.
    local_url = str(proxied.client.make_url(SMS_PATH))
    form, headers = signed_inbound(local_url, CITIZEN, "따릉이 대여 방법 알려주세요")
    assert (await proxied.post_sms(form, headers)).status == 403
    # Signed over the public URL, with the query string Twilio was configured with.
    path = SMS_PATH + "?site=seoul"
    form, headers = signed_inbound(proxied.public_url + path, CITIZEN, "따릉이 대여 방법 알려주세요")
    response = await proxied.post_sms(form, headers, path=path)
    assert response.status == 200, await response.text()
    [sent] = await proxied.twilio.wait_for_messages(1)
    assert sent.status_callback == "https://dasan-hub.example.org/hub/webhooks/twilio/status"
    await proxied.message_reaches(CITIZEN, "sent")
    local_status = str(proxied.client.make_url(STATUS_PATH))
    response = await proxied.twilio.send_status(sent, "delivered", post_to=local_status)
    assert response.status == 200
    await proxied.message_reaches(CITIZEN, "delivered")


# -- sending ---------------------------------------------------------------------------


async def _reply_to_send(sms: SmsHub) -> tuple[Conversation, Message]:
    """A real conversation and outbound message, once the outbox has nothing left to send."""
    await sms.text(CITIZEN, "따릉이 대여 방법 알려주세요")
    await sms.twilio.wait_for_messages(1)
    await sms.message_reaches(CITIZEN, "sent")
    conversation, messages = await sms.hub.history(Channel.SMS, CITIZEN)
    assert conversation is not None
    reply = next(m for m in messages if m.direction is Direction.OUT)
    return conversation, dataclasses.replace(reply, text="안내 문자입니다.", actions=())


async def test_deliver_sends_through_the_twilio_client(sms: SmsHub) -> None:
    conversation, message = await _reply_to_send(sms)
    delivered = await sms.outbound.deliver(conversation, message)
    sent = sms.twilio.messages[-1]
    assert delivered.status.value == "sent" and delivered.provider_message_id == sent.sid
    assert sent.sid.startswith("SM") and len(sent.sid) == 34
    assert (sent.to, sent.from_, sent.body) == (CITIZEN, HUB_NUMBER, "안내 문자입니다.")


async def test_deliver_sorts_provider_errors_into_retryable_and_final(sms: SmsHub) -> None:
    conversation, message = await _reply_to_send(sms)
    for status in (500, 503, 429):
        sms.twilio.fail_next(status)
        with pytest.raises(DeliveryFailed) as failed:
            await sms.outbound.deliver(conversation, message)
        assert failed.value.retryable, status
        assert str(status) in failed.value.reason
    sms.twilio.fail_next(400)
    with pytest.raises(DeliveryFailed) as failed:
        await sms.outbound.deliver(conversation, message)
    assert not failed.value.retryable and "21211" in failed.value.reason
    # The stand-in's own validation: Twilio refuses a number that is not E.164.
    with pytest.raises(DeliveryFailed) as failed:
        await sms.outbound.deliver(dataclasses.replace(conversation, sender="010-1234-5678"), message)
    assert not failed.value.retryable and "21211" in failed.value.reason
    assert len(sms.twilio.messages) == 1


async def test_deliver_retries_when_twilio_is_unreachable_or_slow(sms: SmsHub) -> None:
    conversation, message = await _reply_to_send(sms)
    await sms.twilio.stop()
    with pytest.raises(DeliveryFailed) as failed:
        await sms.outbound.deliver(conversation, message)
    assert failed.value.retryable
    await sms.twilio.start()  # same port
    assert (await sms.outbound.deliver(conversation, message)).provider_message_id == sms.twilio.messages[-1].sid
    slow = SmsOutbound(twilio_settings(sms.twilio, sms.public_url, send_timeout=1.0))
    await slow.start()
    try:
        sms.twilio.stall_next(1.0)
        with pytest.raises(DeliveryFailed) as failed:
            await slow.deliver(conversation, message)
        assert failed.value.retryable and "within" in failed.value.reason
    finally:
        await slow.close()


async def test_wrong_credentials_fail_for_good(sms: SmsHub) -> None:
    conversation, message = await _reply_to_send(sms)
    wrong = SmsOutbound(twilio_settings(sms.twilio, sms.public_url, auth_token="0" * 32))
    await wrong.start()
    try:
        with pytest.raises(DeliveryFailed) as failed:
            await wrong.deliver(conversation, message)
        assert not failed.value.retryable and "20003" in failed.value.reason
    finally:
        await wrong.close()


async def test_deliver_refuses_more_than_1600_characters(sms: SmsHub) -> None:
    conversation, message = await _reply_to_send(sms)
    attempts = sms.twilio.attempts
    with pytest.raises(DeliveryFailed) as failed:
        await sms.outbound.deliver(conversation, dataclasses.replace(message, text="가" * 1601))
    assert not failed.value.retryable and "1601" in failed.value.reason
    with pytest.raises(DeliveryFailed) as failed:
        await sms.outbound.deliver(conversation, dataclasses.replace(message, text="  "))
    assert not failed.value.retryable
    assert sms.twilio.attempts == attempts
    await sms.outbound.deliver(conversation, dataclasses.replace(message, text="a" * 1600))
    assert sms.twilio.messages[-1].body == "a" * 1600


async def test_the_outbox_retries_through_a_twilio_outage(sms: SmsHub) -> None:
    sms.twilio.fail_next(500, times=2)
    await sms.text(CITIZEN, "따릉이 대여 방법 알려주세요")
    [sent] = await sms.twilio.wait_for_messages(1, timeout=15)
    assert sms.twilio.attempts == 3 and "따릉이" in sent.body
    reply = await sms.message_reaches(CITIZEN, "sent")
    assert reply["error"] is None


# -- segments and settings (no hub needed) ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "encoding", "count"),
    [
        ("가" * 70, "UCS-2", 1),
        ("가" * 71, "UCS-2", 2),
        ("가" * 134, "UCS-2", 2),
        ("가" * 135, "UCS-2", 3),
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("€" * 80, "GSM-7", 1),  # extension characters take two septets
        ("€" * 81, "GSM-7", 2),
        ("a" * 152 + "€" + "a" * 8, "GSM-7", 2),  # 162 septets; the escape pair is not split
        ("a" * 159 + "가", "UCS-2", 3),  # one Korean syllable turns the whole text into UCS-2
        ("😀" * 35, "UCS-2", 1),  # an emoji is two UTF-16 units
        ("😀" * 36, "UCS-2", 2),
        ("", "GSM-7", 0),
    ],
)
def test_segments(text: str, encoding: str, count: int) -> None:
    result = segments(text)
    assert (result.encoding, result.segments) == (encoding, count)
    assert result.characters == len(text)


def test_segment_units_and_the_1600_limit() -> None:
    assert segments("€uro").units == 5
    assert segments("😀!").units == 3
    assert segments("가" * 1600).fits
    assert not segments("가" * 1601).fits
    assert segments("a" * 1600).segments == 11


def test_settings_from_the_environment() -> None:
    assert sms_settings.from_env({}, "https://hub.example.org") is None
    env = {
        "DASAN_TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
        "DASAN_TWILIO_AUTH_TOKEN": "secret",
        "DASAN_TWILIO_FROM": HUB_NUMBER,
    }
    settings = sms_settings.from_env(env, "https://hub.example.org/")
    assert settings is not None
    assert (settings.account_sid, settings.from_number, settings.public_url) == (
        "AC" + "1" * 32,
        HUB_NUMBER,
        "https://hub.example.org",
    )
    assert settings.api_base_url is None and settings.sends_per_second == 1.0
    with pytest.raises(ValueError, match="DASAN_TWILIO_FROM"):
        sms_settings.from_env({**env, "DASAN_TWILIO_FROM": ""}, "https://hub.example.org")


async def test_agents_see_what_a_reply_costs_as_sms(client: TestClient) -> None:
    kim = await login(client, "kim", available=False)
    korean = await client.post("/api/v1/sms/segments", json={"text": "가" * 71}, headers=kim)
    assert await korean.json() == {"encoding": "UCS-2", "segments": 2, "characters": 71, "max_characters": 1600}
    latin = await client.post("/api/v1/sms/segments", json={"text": "a" * 160}, headers=kim)
    assert (await latin.json())["segments"] == 1
    forged = {"Authorization": "Bearer forged"}
    assert (await client.post("/api/v1/sms/segments", json={"text": "가"}, headers=forged)).status == 401


async def test_an_agent_reply_too_long_for_sms_is_refused_up_front(sms: SmsHub) -> None:
    await sms.text(CITIZEN, "상담사 연결해 주세요")
    conversation = await sms.hub.conversation(Channel.SMS, CITIZEN)
    assert conversation is not None
    kim = await login(sms.client, "kim", available=False)
    await sms.client.post(f"/api/v1/conversations/{conversation.id}/claim", headers=kim)
    path = f"/api/v1/conversations/{conversation.id}/messages"
    too_long = await sms.client.post(path, json={"text": "가" * 1601}, headers=kim)
    assert too_long.status == 400 and "1600" in (await too_long.json())["error"]["message"]
    fits = await sms.client.post(path, json={"text": "가" * 1600}, headers=kim)
    assert fits.status == 201


async def test_the_console_lists_the_sms_channel_with_its_limit(sms: SmsHub) -> None:
    kim = await login(sms.client, "kim", available=False)
    listed = (await (await sms.client.get("/api/v1/channels", headers=kim)).json())["channels"]
    assert {"name": "sms", "label": "문자", "max_text_chars": 1600} in listed
