"""Sign-language video calls through the hub: real aiortc peers in one process, small frames."""

from __future__ import annotations

import asyncio
import json
import math
import struct
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiortc.rtp
import av
import numpy as np
import pytest
from aiortc import (
    AudioStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
)

from model.errors import HubError
from sign_video import signalling
from sign_video.media import CallLimit, CallMedia, MediaSettings, SideState, audio_level_dbov
from tests.video_pages import TIMEOUT, Page


@pytest.fixture
def settings(tmp_path: Path) -> MediaSettings:
    return MediaSettings(recordings=tmp_path / "recordings", silence_seconds=1.0)


@pytest.fixture
async def pages() -> AsyncIterator[list[Page]]:
    """Pages made by a test, closed after it."""
    made: list[Page] = []
    yield made
    for page in made:
        await page.pc.close()


async def connected_call(
    settings: MediaSettings, pages: list[Page], on_state: Callable[[str, SideState], None] | None = None
) -> tuple[CallMedia, Page, Page]:
    """A call where the citizen (160x120) connects first, then the interpreter (128x96)."""
    media = CallMedia("c0ffee", settings, on_state)
    citizen, interpreter = Page(160, 120), Page(128, 96)
    pages += [citizen, interpreter]
    await citizen.call(media, "citizen")
    await interpreter.call(media, "interpreter")
    async with asyncio.timeout(TIMEOUT):
        await media.wait_until("citizen", SideState.CONNECTED)
        await media.wait_until("interpreter", SideState.CONNECTED)
    return media, citizen, interpreter


async def test_each_side_gets_the_other_and_hanging_up_leaves_nothing_open(
    settings: MediaSettings, pages: list[Page]
) -> None:
    media, citizen, interpreter = await connected_call(settings, pages)

    # The citizen was answered before the interpreter existed, and still receives them.
    assert (await citizen.video_of_size(128, 96)).format.name == "yuv420p"
    await interpreter.video_of_size(160, 120)
    assert all(frame.sample_rate == 48000 for frame in await citizen.audio_frames(3))
    await interpreter.audio_frames(3)

    quality = await media.stats()
    assert quality.citizen is not None and quality.interpreter is not None
    await asyncio.sleep(0.5)
    quality = await media.stats()
    assert quality.citizen.frame_rate and quality.citizen.frame_rate > 5
    assert quality.citizen.received_kbps and quality.citizen.sent_kbps
    assert quality.interpreter.packet_loss == 0
    json.loads(signalling.dump(quality))

    await media.close()
    assert media.open_resources() == []
    assert media.state("citizen") is SideState.CLOSED
    await media.close()  # idempotent
    assert not settings.recordings.exists()  # no consent, no file
    async with asyncio.timeout(TIMEOUT):
        while citizen.pc.connectionState != "closed":
            await asyncio.sleep(0.05)


async def test_a_side_that_hangs_up_is_noticed(settings: MediaSettings, pages: list[Page]) -> None:
    seen: list[tuple[str, SideState]] = []
    media, citizen, interpreter = await connected_call(settings, pages, lambda side, state: seen.append((side, state)))
    assert seen[-2:] in (
        [("citizen", SideState.CONNECTED), ("interpreter", SideState.CONNECTED)],
        [("interpreter", SideState.CONNECTED), ("citizen", SideState.CONNECTED)],
    )
    seen.clear()

    await interpreter.pc.close()
    async with asyncio.timeout(TIMEOUT):
        await media.wait_until("interpreter", SideState.LOST)
    assert seen == [("interpreter", SideState.LOST)]
    assert media.state("citizen") is SideState.CONNECTED
    await media.close()
    assert media.open_resources() == []


async def test_a_side_that_falls_silent_is_noticed_within_seconds(settings: MediaSettings, pages: list[Page]) -> None:
    media, citizen, interpreter = await connected_call(settings, pages)
    for track in citizen.sent:  # the connection stays up, the media stops (a dead network)
        track.stop()
    async with asyncio.timeout(settings.silence_seconds + 2):
        await media.wait_until("citizen", SideState.LOST)
    assert citizen.pc.connectionState == "connected"
    await media.close()


async def test_a_reconnecting_side_keeps_the_call(settings: MediaSettings, pages: list[Page]) -> None:
    media, citizen, interpreter = await connected_call(settings, pages)
    await interpreter.video_of_size(160, 120)

    # The citizen's network changed: a new connection (and, here, a smaller camera).
    moved = Page(96, 72)
    pages.append(moved)
    await moved.call(media, "citizen")
    async with asyncio.timeout(TIMEOUT):
        await media.wait_until("citizen", SideState.CONNECTED)
        while citizen.pc.connectionState != "closed":  # the hub closed the old connection
            await asyncio.sleep(0.05)

    await interpreter.video_of_size(96, 72)  # same interpreter connection, no renegotiation
    await moved.video_of_size(128, 96)
    await moved.audio_frames(3)
    assert media.state("interpreter") is SideState.CONNECTED
    await media.close()
    assert media.open_resources() == []


async def test_recording_with_consent_writes_a_webm_that_decodes(settings: MediaSettings, pages: list[Page]) -> None:
    media, citizen, interpreter = await connected_call(settings, pages)
    await interpreter.video_of_size(160, 120)

    path = await media.start_recording()
    assert await media.start_recording() == path  # consent given twice, one file
    await asyncio.sleep(1.0)
    assert await media.stop_recording() == path
    assert await media.stop_recording() is None
    await media.close()
    assert media.open_resources() == []

    assert path.parent == settings.recordings and path.suffix == ".webm"
    with av.open(str(path)) as container:
        assert [stream.type for stream in container.streams] == ["video", "audio", "audio"]
        frame = next(container.decode(video=0))
    assert (frame.width, frame.height) == (160, 120)


async def test_bad_offers_are_refused_and_a_closed_call_takes_none(settings: MediaSettings, pages: list[Page]) -> None:
    media = CallMedia("c0ffee", settings)
    with pytest.raises(HubError, match="not a session description|must carry") as refused:
        await media.offer("citizen", "hello")
    assert refused.value.status == 400

    audio_only = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    audio_only.addTrack(AudioStreamTrack())
    await audio_only.setLocalDescription(await audio_only.createOffer())
    with pytest.raises(HubError, match=r"one video .* not \['audio'\]"):
        await media.offer("citizen", audio_only.localDescription.sdp)
    await audio_only.close()
    assert media.state("citizen") is SideState.WAITING

    await media.close()
    page = Page(160, 120)
    pages.append(page)
    with pytest.raises(HubError) as late:
        await page.call(media, "citizen")
    assert late.value.status == 409
    assert media.open_resources() == []


async def test_a_side_answered_but_never_connected_leaves_nothing_open(
    settings: MediaSettings, pages: list[Page]
) -> None:
    media = CallMedia("c0ffee", settings)
    page = Page(160, 120)
    pages.append(page)
    await page.pc.setLocalDescription(await page.pc.createOffer())
    await media.offer("interpreter", page.pc.localDescription.sdp)  # the answer never reaches the page
    assert media.state("interpreter") is SideState.CONNECTING
    await media.close()
    assert media.open_resources() == []


def test_a_conversation_id_cannot_escape_the_recordings_directory(settings: MediaSettings) -> None:
    with pytest.raises(ValueError, match="recording file"):
        CallMedia("../../etc/passwd", settings)


def test_the_call_limit_answers_beyond_capacity() -> None:
    limit = CallLimit(MediaSettings(recordings=Path("unused"), max_calls=2).max_calls)
    assert [limit.try_acquire() for _ in range(3)] == [True, True, False]
    limit.release()
    assert limit.try_acquire()
    for _ in range(2):
        limit.release()
    with pytest.raises(RuntimeError):
        limit.release()


@pytest.mark.parametrize(
    "frame",
    [
        signalling.Offer(sdp="v=0\r\n"),
        signalling.Answer(sdp="v=0\r\n"),
        signalling.Hangup(reason="citizen left"),
        signalling.Chat(text="서울시청 민원실 02-120", author="interpreter"),
        signalling.State(state="queued", position=2, expected_wait_seconds=90),
        signalling.State(state="reconnecting"),
        signalling.Quality(citizen=signalling.SideQuality(frame_rate=29.7, round_trip_ms=12.5)),
        signalling.Error(code="busy", message="Every interpreter is busy."),
    ],
)
def test_signalling_frames_round_trip(frame: signalling.Frame) -> None:
    assert signalling.load(signalling.dump(frame)) == frame


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ("{not json", "not valid JSON"),
        ('["offer"]', "must be a JSON object"),
        ('{"sdp": "v=0"}', "has no 'type'"),
        ('{"type": "call"}', 'type "call" is unknown'),
        ('{"type": "offer"}', "'offer' frame needs the field 'sdp'"),
        ('{"type": "chat", "text": ""}', "'chat' field 'text'"),
        ('{"type": "chat", "text": "hi", "to": "x"}', "'chat' frame has no field 'to'"),
        ('{"type": "state", "state": "queued"}', "'position' and 'expected_wait_seconds'"),
        ('{"type": "state", "state": "connected", "position": 3, "expected_wait_seconds": 1}', "only with it"),
        ('{"type": "quality", "citizen": {"frame_rate": "fast"}}', "'citizen.frame_rate'"),
        ('{"type": "error", "code": "Bad Code", "message": "x"}', "'error' field 'code'"),
        ('{"type": "chat", "text": "a\\u0000b"}', "NUL"),
    ],
)
def test_bad_signalling_frames_are_refused_naming_the_fault(raw: str, names: str) -> None:
    with pytest.raises(HubError) as refused:
        signalling.load(raw)
    assert refused.value.status == 400
    assert names in refused.value.message


def test_the_hubs_audio_level_is_aiortcs_own_figure() -> None:
    """aiortc's senders use the faster audio level, which gives aiortc's figure for silence, a
    whisper, speech and a clipped shout, mono and stereo."""
    assert aiortc.rtp.compute_audio_level_dbov is audio_level_dbov
    generator = np.random.default_rng(120)
    for layout, channels in (("mono", 1), ("stereo", 2)):
        for amplitude in (0, 3, 300, 8_000, 32_767):
            samples = generator.integers(-amplitude, amplitude + 1, size=(1, 960 * channels), dtype=np.int16)
            frame = av.AudioFrame.from_ndarray(samples, format="s16", layout=layout)
            frame.sample_rate = 48_000
            assert audio_level_dbov(frame) == _aiortc_level(frame)


def _aiortc_level(frame: av.AudioFrame) -> int:
    """aiortc 1.x's loop (aiortc/rtp.py), kept here to compare with."""
    rms = 0.0
    for (sample,) in struct.Struct("h").iter_unpack(bytes(frame.planes[0])):
        rms += sample * sample
    rms = math.sqrt(rms / (frame.samples * 32767 * 32767))
    return round(min(max(20 * math.log10(rms), -127), 0)) if rms > 0 else -127
