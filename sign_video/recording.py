"""A call written to a WebM file (VP8 video, Opus audio), only once the citizen has consented.

aiortc's `MediaRecorder` re-encodes the frames of the tracks it is given, one stream of the
file per track; the file is complete only after `stop()`, which flushes the encoders and writes
the WebM index. It sizes the video stream from the first video frame, which it can no longer do
once a packet of any stream was written (the stream would stay 640x480 and video is lost), so
the audio is held back until the video has its first frame.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from aiortc import MediaStreamTrack
from aiortc.contrib.media import MediaRecorder
from av.frame import Frame


class Recording:
    """One file being written from one video track and audio tracks, which the recording owns
    and ends."""

    def __init__(self, path: Path, video: MediaStreamTrack, audio: Sequence[MediaStreamTrack]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        video_started = asyncio.Event()
        self._tracks: list[MediaStreamTrack] = [
            _Gate(video, opens=video_started),
            *(_Gate(track, waits_for=video_started) for track in audio),
        ]
        self._recorder = MediaRecorder(str(path), format="webm")
        for track in self._tracks:
            self._recorder.addTrack(track)
        self.stopped = False

    async def start(self) -> None:
        """Start writing."""
        await self._recorder.start()

    async def stop(self) -> None:
        """Flush and close the file, and end its tracks; idempotent."""
        if self.stopped:
            return
        self.stopped = True
        await self._recorder.stop()
        for track in self._tracks:
            track.stop()


class _Gate(MediaStreamTrack):
    """A track passed through that either opens an event at its first frame or waits for one."""

    def __init__(
        self, track: MediaStreamTrack, opens: asyncio.Event | None = None, waits_for: asyncio.Event | None = None
    ) -> None:
        super().__init__()
        self.kind = track.kind
        self._track = track
        self._opens = opens
        self._waits_for = waits_for

    async def recv(self) -> Frame:
        if self._waits_for is not None:
            await self._waits_for.wait()
        frame = await self._track.recv()
        if self._opens is not None:
            self._opens.set()
        return frame

    def stop(self) -> None:
        super().stop()
        self._track.stop()
