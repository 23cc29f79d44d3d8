"""Test peers for sign-language video: a page's peer connection with small synthetic media."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import av
from aiohttp import ClientConnectionResetError, ClientWebSocketResponse, WSMsgType
from aiohttp.test_utils import TestClient
from aiortc import (
    AudioStreamTrack,
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
    VideoStreamTrack,
)
from av import VideoFrame

from channels.registry import configured
from model import Channel
from sign_video import signalling
from sign_video.media import CallMedia, MediaSettings
from sign_video.settings import RETENTION_DAYS, CallTimes
from sign_video.settings import Settings as VideoSettings
from tests.conftest import hub_app, hub_settings

TIMEOUT = 5.0


class SmallVideo(VideoStreamTrack):
    """A grey picture of a chosen size, so each side's video can be told apart."""

    def __init__(self, width: int, height: int) -> None:
        super().__init__()
        self.width, self.height = width, height

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = VideoFrame(width=self.width, height=self.height, format="yuv420p")
        for plane in frame.planes:
            plane.update(bytes([128]) * plane.buffer_size)
        frame.pts, frame.time_base = pts, time_base
        return frame


class Page:
    """A citizen's or interpreter's browser: offers audio and video, receives the other side."""

    def __init__(self, width: int, height: int) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.sent = [AudioStreamTrack(), SmallVideo(width, height)]
        for track in self.sent:
            self.pc.addTrack(track)
        self.received: dict[str, MediaStreamTrack] = {}
        self.pc.on("track", lambda track: self.received.__setitem__(track.kind, track))

    async def offer(self) -> str:
        """The page's complete offer (aiortc gathers its candidates first)."""
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def answered(self, sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))

    async def call(self, media: CallMedia, side: str) -> None:
        """Offer straight to the hub's media, without its signalling."""
        await self.answered(await media.offer(side, await self.offer()))

    async def video_of_size(self, width: int, height: int) -> VideoFrame:
        """The first received video frame of that size (earlier ones are skipped)."""
        async with asyncio.timeout(TIMEOUT):
            while True:
                frame = await self.received["video"].recv()
                if (frame.width, frame.height) == (width, height):
                    return frame

    async def audio_frames(self, count: int) -> list[av.AudioFrame]:
        async with asyncio.timeout(TIMEOUT):
            return [await self.received["audio"].recv() for _ in range(count)]


def video_hub(
    database_url: str,
    recordings: Path,
    max_calls: int = 4,
    times: CallTimes | None = None,
    retention: timedelta | None = None,
    **media: Any,
) -> Any:
    """A hub app whose sign-language video channel records under `recordings`."""
    settings = VideoSettings(
        MediaSettings(recordings=recordings, max_calls=max_calls, **media),
        retention=retention or timedelta(days=RETENTION_DAYS),
        times=times or CallTimes(),
    )
    channels = configured({}, "http://127.0.0.1:8080", {Channel.SIGN_VIDEO: settings}, ("sign_video",))
    return hub_app(hub_settings(database_url, channels=tuple(channels)))


class Listener:
    """A page's or console's socket, read all along as a browser reads it (answering the hub's
    pings, which a socket left unread for seconds would miss); frames queue up for `next`."""

    def __init__(self, socket: ClientWebSocketResponse) -> None:
        self.socket = socket
        self.frames: asyncio.Queue[signalling.Frame] = asyncio.Queue()
        self._closed: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for message in self.socket:
                if message.type is WSMsgType.TEXT:
                    self.frames.put_nowait(signalling.load(message.data))
        except ClientConnectionResetError:
            pass  # the hub closed the transport before our reply to its close frame
        self._closed.set_result(self.socket.close_code)

    async def send(self, frame: signalling.Frame) -> None:
        await self.socket.send_str(signalling.dump(frame))

    async def next(self, kind: type, accept: Any = lambda frame: True) -> Any:
        """The next frame of a kind that `accept` takes; the others are passed over."""
        async with asyncio.timeout(TIMEOUT):
            while True:
                frame = await self.frames.get()
                if isinstance(frame, kind) and accept(frame):
                    return frame

    async def close_code(self) -> int | None:
        """The code the hub closes the socket with (waits for it)."""
        async with asyncio.timeout(TIMEOUT):
            return await asyncio.shield(self._closed)

    async def close(self) -> None:
        await self.socket.close()
        await self._reader


async def listen(client: TestClient, path: str, **options: Any) -> Listener:
    return Listener(await client.ws_connect(path, **options))


async def offer_through(listener: Listener, page: Page) -> None:
    await listener.send(signalling.Offer(await page.offer()))
    await page.answered((await listener.next(signalling.Answer)).sdp)
