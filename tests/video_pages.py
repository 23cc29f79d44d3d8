"""Test peers for sign-language video: a page's peer connection with small synthetic media."""

from __future__ import annotations

import asyncio

import av
from aiortc import (
    AudioStreamTrack,
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
    VideoStreamTrack,
)
from av import VideoFrame

from sign_video.media import CallMedia

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
