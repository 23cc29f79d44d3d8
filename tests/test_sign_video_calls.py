"""A sign-language video call through the hub: a citizen's page and an interpreter's console,
as real aiortc peers, signalling over the hub's own sockets."""

from __future__ import annotations

from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from hub.core import HUB
from model import Channel
from sign_video import signalling
from sign_video.inbound import VideoInbound
from tests.conftest import login, wait_for
from tests.video_pages import Page, listen, offer_through, video_hub


async def test_a_call_connects_both_ways_through_the_hub_and_closes_everything(
    database_url: str, tmp_path: Path
) -> None:
    async with TestClient(TestServer(video_hub(database_url, tmp_path / "recordings"))) as client:
        hub = client.app[HUB]
        inbound = hub.channels[Channel.SIGN_VIDEO].inbound
        assert isinstance(inbound, VideoInbound)
        supervisor = await login(client, "jung", available=False)
        choi = await login(client, "choi")  # the demo's sign-language interpreter
        created = await client.post("/video/api/calls", json={"language": "ko"})
        assert created.status == 201, await created.text()
        token, conversation_id = (await created.json())["token"], (await created.json())["conversation_id"]

        citizen, interpreter = Page(160, 120), Page(128, 96)
        try:
            page_socket = await listen(client, "/video/ws")
            await page_socket.send(signalling.Hello(token))
            queued = await page_socket.next(signalling.State)
            assert (queued.state, queued.position) == ("queued", 1)
            await offer_through(page_socket, citizen)

            # The call waits in the sign_language queue and is offered to the interpreter.
            async def offered() -> bool:
                found = await client.get(f"/api/v1/conversations/{conversation_id}", headers=supervisor)
                body = await found.json()
                return body["state"] == "offered" and body["queue"] == "sign_language"

            await wait_for(offered)
            path = f"/video/agent/ws?conversation={conversation_id}"
            # Only the interpreter who holds the call may join it.
            lee = await login(client, "lee", available=False)
            refused = await client.get(path, headers=lee)
            assert refused.status == 403
            claimed = await client.post(f"/api/v1/conversations/{conversation_id}/claim", headers=choi)
            assert claimed.status == 200
            assert (await page_socket.next(signalling.State)).state == "connected"

            console_socket = await listen(client, path, headers=choi)
            await offer_through(console_socket, interpreter)
            # Frames cross the hub both ways, each side seeing the other's picture.
            await citizen.video_of_size(128, 96)
            await interpreter.video_of_size(160, 120)
            assert len(await citizen.audio_frames(3)) == 3
            assert len(await interpreter.audio_frames(3)) == 3

            # Text beside the call, both ways.
            await page_socket.send(signalling.Chat("마포구 월드컵로 212"))
            reply = await client.post(
                f"/api/v1/conversations/{conversation_id}/messages",
                json={"text": "주소 확인했습니다."},
                headers=choi,
            )
            assert reply.status == 201
            chat = await page_socket.next(signalling.Chat, lambda c: c.author == "interpreter")
            assert chat.text == "주소 확인했습니다."
            messages = await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=choi)
            texts = [m["text"] for m in (await messages.json())["messages"]]
            assert "마포구 월드컵로 212" in texts

            call = inbound.calls.by_conversation(conversation_id)
            assert call is not None and call.media.open_resources()
            await page_socket.send(signalling.Hangup("done"))
            assert await page_socket.close_code() == 4410  # the hub closes the page's socket
            await wait_for(lambda: len(inbound.calls) == 0)
            assert call.media.open_resources() == []
            # No consent was given: nothing was recorded.
            assert not (tmp_path / "recordings").exists() or not any((tmp_path / "recordings").iterdir())

            # The interpreter resolves the call like any conversation, with a disposition.
            resolved = await client.post(
                f"/api/v1/conversations/{conversation_id}/resolve", json={"disposition": "resolved"}, headers=choi
            )
            assert resolved.status == 200 and (await resolved.json())["state"] == "resolved"
        finally:
            await citizen.pc.close()
            await interpreter.pc.close()


async def test_a_page_must_name_its_call_and_capacity_is_answered_politely(database_url: str, tmp_path: Path) -> None:
    async with TestClient(TestServer(video_hub(database_url, tmp_path / "recordings", max_calls=1))) as client:
        unknown = await listen(client, "/video/ws")
        await unknown.send(signalling.Hello("x" * 40))
        assert await unknown.close_code() == 4401
        assert (await client.post("/video/api/calls", json={"language": "xx"})).status == 400
        first = await client.post("/video/api/calls", json={})
        assert first.status == 201
        busy = await client.post("/video/api/calls", json={})
        assert busy.status == 503 and (await busy.json())["error"]["code"] == "video_busy"
        unauthenticated = await client.get(f"/video/agent/ws?conversation={(await first.json())['conversation_id']}")
        assert unauthenticated.status == 401
        supervisor = await login(client, "jung", available=False)
        stored = await client.get("/api/v1/conversations?queue=sign_language", headers=supervisor)
        assert len((await stored.json())["conversations"]) == 1  # the refused call left nothing
