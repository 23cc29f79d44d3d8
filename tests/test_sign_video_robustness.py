"""A sign-language video call when things go wrong: a page that drops and comes back, a page
that never comes, an interpreter who drops (and comes back, or not), a transfer, the end of
the call from either side; and a call opened from a web chat, its recording and its quality."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import av
from aiohttp.test_utils import TestClient, TestServer

from hub.core import HUB
from model import Channel
from model.clock import utcnow
from sign_video import signalling
from sign_video.inbound import VideoInbound
from sign_video.settings import CallTimes
from tests.conftest import login, wait_for
from tests.video_pages import TIMEOUT, Listener, Page, listen, offer_through, video_hub

QUICK = CallTimes(connect=1.0, resume=1.0, interpreter=1.0, quality=0.3)


@asynccontextmanager
async def video_client(database_url: str, tmp_path: Path, **settings: Any) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(video_hub(database_url, tmp_path / "recordings", **settings))) as client:
        yield client


def inbound_of(client: TestClient) -> VideoInbound:
    inbound = client.app[HUB].channels[Channel.SIGN_VIDEO].inbound
    assert isinstance(inbound, VideoInbound)
    return inbound


async def new_call(client: TestClient, **body: Any) -> tuple[str, str]:
    created = await client.post("/video/api/calls", json={"language": "ko", **body})
    assert created.status == 201, await created.text()
    found = await created.json()
    return found["token"], found["conversation_id"]


async def citizen_socket(client: TestClient, token: str) -> Listener:
    page = await listen(client, "/video/ws")
    await page.send(signalling.Hello(token))
    assert isinstance(await page.next(signalling.Config), signalling.Config)
    return page


async def conversation(client: TestClient, conversation_id: str) -> dict[str, Any]:
    supervisor = await login(client, "jung", available=False)
    found = await client.get(f"/api/v1/conversations/{conversation_id}", headers=supervisor)
    return await found.json()


async def events(client: TestClient, conversation_id: str) -> list[str]:
    supervisor = await login(client, "jung", available=False)
    found = await client.get(f"/api/v1/conversations/{conversation_id}/events", headers=supervisor)
    return [event["type"] for event in (await found.json())["events"]]


async def assigned_to_choi(client: TestClient, conversation_id: str) -> dict[str, str]:
    """The call claimed by the demo's interpreter once it is offered to her."""
    choi = await login(client, "choi")
    await wait_for(lambda: _state_is(client, conversation_id, "offered"))
    claimed = await client.post(f"/api/v1/conversations/{conversation_id}/claim", headers=choi)
    assert claimed.status == 200, await claimed.text()
    return choi


async def _state_is(client: TestClient, conversation_id: str, *states: str) -> bool:
    return (await conversation(client, conversation_id))["state"] in states


async def test_a_page_that_drops_comes_back_with_a_new_connection_and_one_that_does_not_ends(
    database_url: str, tmp_path: Path
) -> None:
    async with video_client(database_url, tmp_path, times=QUICK) as client:
        inbound = inbound_of(client)
        token, conversation_id = await new_call(client)
        first, second = Page(160, 120), Page(160, 120)
        try:
            socket = await citizen_socket(client, token)
            await offer_through(socket, first)
            await socket.close()  # the phone changes network

            # Back within the resume time: the same call, a new peer connection, still queued.
            again = await citizen_socket(client, token)
            assert (await again.next(signalling.State)).state == "queued"
            await offer_through(again, second)
            await wait_for(lambda: second.pc.connectionState == "connected", failure="the new connection")
            await asyncio.sleep(QUICK.resume + 0.5)
            assert await _state_is(client, conversation_id, "queued", "offered")
            call = inbound.calls.by_conversation(conversation_id)
            assert call is not None

            # Gone for longer than that: the citizen left, the wait counts as abandoned.
            await again.close()
            await wait_for(lambda: len(inbound.calls) == 0, timeout=QUICK.resume + TIMEOUT)
            assert await _state_is(client, conversation_id, "resolved")
            assert "abandoned" in await events(client, conversation_id)
            assert call.media.open_resources() == [] and not call.timers
        finally:
            await first.pc.close()
            await second.pc.close()


async def test_a_call_whose_page_never_connects_is_cleaned_up(database_url: str, tmp_path: Path) -> None:
    async with video_client(database_url, tmp_path, times=QUICK) as client:
        inbound = inbound_of(client)
        _, conversation_id = await new_call(client)
        assert len(inbound.calls) == 1
        await wait_for(lambda: len(inbound.calls) == 0, timeout=QUICK.connect + TIMEOUT)
        assert "abandoned" in await events(client, conversation_id)
        # Its place is free again.
        assert inbound.calls._limit.in_use == 0


async def test_an_interpreter_who_drops_may_come_back_else_the_citizen_is_first_in_the_queue(
    database_url: str, tmp_path: Path
) -> None:
    async with video_client(database_url, tmp_path, times=QUICK) as client:
        token, conversation_id = await new_call(client)
        # A reconnect is a new peer connection (aiortc has no ICE restart).
        citizen, interpreter, reconnected = Page(160, 120), Page(128, 96), Page(128, 96)
        try:
            page = await citizen_socket(client, token)
            await offer_through(page, citizen)
            choi = await assigned_to_choi(client, conversation_id)
            assert (await page.next(signalling.State)).state == "connected"
            path = f"/video/agent/ws?conversation={conversation_id}"

            console = await listen(client, path, headers=choi)
            await offer_through(console, interpreter)
            await console.close()  # the interpreter's network fails
            assert (await page.next(signalling.State)).state == "reconnecting"
            console = await listen(client, path, headers=choi)  # …and comes back in time
            assert (await page.next(signalling.State)).state == "connected"
            await offer_through(console, reconnected)
            await wait_for(lambda: reconnected.pc.connectionState == "connected", failure="the reconnect")

            await console.close()  # gone for good this time
            assert (await page.next(signalling.State)).state == "reconnecting"
            # Told in words (in the page's language) and by the state: first in the queue again.
            notice, queued, seen = None, None, []
            async with asyncio.timeout(TIMEOUT + QUICK.interpreter):
                while notice is None or queued is None:
                    frame = await page.frames.get()
                    seen.append(frame.type)
                    if isinstance(frame, signalling.Chat) and frame.author is None:
                        notice = frame
                    elif isinstance(frame, signalling.State) and frame.state == "queued":
                        queued = frame
            assert "대기 순서 맨 앞" in notice.text and queued.position == 1
            assert "agent_lost" in await events(client, conversation_id)
            assert await _state_is(client, conversation_id, "queued", "offered")
        finally:
            for peer in (citizen, interpreter, reconnected):
                await peer.pc.close()


async def test_transfer_hangup_and_resolve_end_the_right_things(database_url: str, tmp_path: Path) -> None:
    async with video_client(database_url, tmp_path, times=QUICK) as client:
        inbound = inbound_of(client)
        token, conversation_id = await new_call(client)
        citizen, interpreter, second = Page(160, 120), Page(128, 96), Page(128, 96)
        try:
            page = await citizen_socket(client, token)
            await offer_through(page, citizen)
            choi = await assigned_to_choi(client, conversation_id)
            path = f"/video/agent/ws?conversation={conversation_id}"
            console = await listen(client, path, headers=choi)
            await offer_through(console, interpreter)
            quality = await console.next(signalling.Quality, lambda q: q.citizen and q.citizen.frame_rate)
            assert quality.citizen.received_kbps > 0

            # Transferred to another interpreter: the first console is let go, the second joins.
            jung = await login(client, "jung")
            moved = await client.post(f"/api/v1/conversations/{conversation_id}/transfer", json={"agent": "jung"},
                                      headers=choi)  # fmt: skip
            assert moved.status == 200, await moved.text()
            assert await console.close_code() == 4409
            assert (await client.get(path, headers=choi)).status == 403
            console = await listen(client, path, headers=jung)
            await offer_through(console, second)
            await asyncio.sleep(QUICK.interpreter + 0.5)  # the let-go console is not "lost"
            assert await _state_is(client, conversation_id, "assigned")

            # Resolved: the page is told the call ended, both sockets close, nothing stays open.
            call = inbound.calls.by_conversation(conversation_id)
            assert call is not None
            done = await client.post(f"/api/v1/conversations/{conversation_id}/resolve",
                                     json={"disposition": "resolved"}, headers=jung)  # fmt: skip
            assert done.status == 200
            await page.next(signalling.State, lambda state: state.state == "ended")
            assert await page.close_code() == 4410 and await console.close_code() == 4410
            assert len(inbound.calls) == 0 and call.media.open_resources() == []
        finally:
            for peer in (citizen, interpreter, second):
                await peer.pc.close()


async def test_the_interpreter_hanging_up_ends_the_media_and_keeps_the_conversation(
    database_url: str, tmp_path: Path
) -> None:
    async with video_client(database_url, tmp_path, times=QUICK) as client:
        token, conversation_id = await new_call(client)
        citizen = Page(160, 120)
        try:
            page = await citizen_socket(client, token)
            await offer_through(page, citizen)
            choi = await assigned_to_choi(client, conversation_id)
            console = await listen(client, f"/video/agent/ws?conversation={conversation_id}", headers=choi)
            await console.send(signalling.Hangup("done"))
            assert (await page.next(signalling.State, lambda s: s.state == "ended")).state == "ended"
            assert await page.close_code() == 4410
            await wait_for(lambda: len(inbound_of(client).calls) == 0)
            assert await _state_is(client, conversation_id, "assigned")  # still to be resolved
        finally:
            await citizen.pc.close()


async def test_the_citizen_hanging_up_tells_the_interpreter(database_url: str, tmp_path: Path) -> None:
    async with video_client(database_url, tmp_path, times=QUICK) as client:
        token, conversation_id = await new_call(client)
        page = await citizen_socket(client, token)
        choi = await assigned_to_choi(client, conversation_id)
        console = await listen(client, f"/video/agent/ws?conversation={conversation_id}", headers=choi)
        # Each side sends only its own frames: the interpreter's text goes as the conversation's replies.
        await console.send(signalling.Chat("hello"))
        assert (await console.next(signalling.Error)).code == "unexpected_frame"
        await page.send(signalling.Answer("v=0"))
        assert (await page.next(signalling.Error)).code == "unexpected_frame"
        await page.send(signalling.Hangup())
        assert (await console.next(signalling.Hangup)).reason == "citizen"
        assert await console.close_code() == 4410


async def test_a_call_opened_from_a_web_chat_joins_its_contact_once(database_url: str, tmp_path: Path) -> None:
    async with video_client(database_url, tmp_path) as client:
        session = secrets.token_urlsafe(32)
        widget = await client.ws_connect("/webchat/ws")
        await widget.send_json({"type": "hello", "session": session, "language": "en"})
        await widget.receive_json(timeout=TIMEOUT)
        # No conversation yet: there is nothing to open a call from.
        early = await client.post("/webchat/api/video-code", json={"session": session})
        assert early.status == 404
        await widget.send_json({"type": "message", "text": "I need sign language", "client_id": str(uuid.uuid4())})

        async def chat_conversation() -> Any:
            async with client.ws_connect("/webchat/ws") as again:  # the widget's welcome names it
                await again.send_json({"type": "hello", "session": session, "language": "en"})
                return (await again.receive_json(timeout=TIMEOUT))["conversation"]

        chat = await wait_for(chat_conversation)
        issued = await client.post("/webchat/api/video-code", json={"session": session, "language": "en"})
        assert issued.status == 201
        code, url = (await issued.json())["code"], (await issued.json())["url"]
        assert url == f"/video/?code={code}&lang=en" and session not in url

        token, video_id = await new_call(client, code=code)
        video, chat_now = await conversation(client, video_id), await conversation(client, chat["id"])
        assert video["channel"] == "sign_video" and video["contact"]["id"] == chat_now["contact"]["id"]
        assert "video_requested" in await events(client, chat["id"])
        used = await client.post("/video/api/calls", json={"code": code})
        assert used.status == 404 and (await used.json())["error"]["code"] == "unknown_video_code"
        assert (await client.post("/webchat/api/video-code", json={"session": "short"})).status == 400
        await widget.close()


async def test_a_consented_call_is_recorded_for_supervisors_until_its_retention(
    database_url: str, tmp_path: Path
) -> None:
    async with video_client(database_url, tmp_path, times=QUICK) as client:
        inbound = inbound_of(client)
        token, conversation_id = await new_call(client, consent=True)
        citizen = Page(160, 120)
        try:
            page = await citizen_socket(client, token)
            await offer_through(page, citizen)
            await wait_for(lambda: citizen.pc.connectionState == "connected")
            await asyncio.sleep(1.5)  # a second and more of the citizen signing
            await page.send(signalling.Hangup())
            await wait_for(lambda: len(inbound.calls) == 0)
        finally:
            await citizen.pc.close()

        base = f"/video/api/conversations/{conversation_id}/recordings"
        choi = await login(client, "choi", available=False)
        assert (await client.get(base, headers=choi)).status == 403
        supervisor = await login(client, "jung", available=False)
        [recording] = (await (await client.get(base, headers=supervisor)).json())["recordings"]
        assert recording["bytes"] > 0
        played = await client.get(recording["url"], headers=supervisor)
        assert played.status == 200 and played.content_type == "video/webm"
        saved = tmp_path / "played.webm"
        saved.write_bytes(await played.read())
        with av.open(str(saved)) as container:
            frames = [frame for frame in container.decode(video=0)]
        assert frames and (frames[0].width, frames[0].height) == (160, 120)
        assert (await client.get(f"{base}/../../etc.webm", headers=supervisor)).status == 404

        # Kept for the retention, then deleted.
        assert inbound.archive.sweep(utcnow()) == []
        assert inbound.archive.sweep(utcnow() + inbound.archive.retention + timedelta(minutes=1)) == [recording["name"]]
        assert (await (await client.get(base, headers=supervisor)).json())["recordings"] == []


async def test_pages_get_the_ice_servers_on_their_socket_and_the_page_itself(database_url: str, tmp_path: Path) -> None:
    turn = {"ice_servers": ("stun:stun.example.org:3478", "turn:turn.example.org:3478"),
            "turn_username": "hub", "turn_credential": "secret"}  # fmt: skip
    async with video_client(database_url, tmp_path, retention=timedelta(days=30), **turn) as client:
        token, _ = await new_call(client)
        socket = await listen(client, "/video/ws")
        await socket.send(signalling.Hello(token))
        config = await socket.next(signalling.Config)
        assert config.ice_servers == (
            signalling.IceServer("stun:stun.example.org:3478"),
            signalling.IceServer("turn:turn.example.org:3478", "hub", "secret"),
        )
        await socket.close()
        for language in ("ko", "en", "zh", "ja", "vi", "mn"):
            texts = await (await client.get(f"/video/i18n/{language}.json")).json()
            assert texts and all(key.startswith("video.") for key in texts)
            # The consent names the retention configured here (30 days), not a fixed figure.
            assert "30" in texts["video.consent"] and "{days}" not in texts["video.consent"]
        assert (await client.get("/video/i18n/xx.json")).status == 404
