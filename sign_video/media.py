"""The media of one sign-language video call, terminated on the hub (aiortc).

The citizen and the interpreter each hold one peer connection with the hub, never with each
other: neither learns the other's address, and the hub can record. aiortc forwards nothing
without decoding it, so every frame is decoded on the hub and re-encoded for the other side.

Tracks that arrive late. aiortc cannot add a track to a negotiated connection without a new
offer/answer, so the hub never adds one late. Each side's media enters the hub through two
*side sources* (audio, video) that live as long as the call, not as long as a connection:
a side source reads the remote track of the side's current connection, re-stamps its frames on
the call's clock, and between connections simply waits. Every offer is answered at once with
`sendrecv` transceivers whose senders carry relays (`MediaRelay.subscribe(..., buffered=False)`)
of the *other* side's sources. The citizen, answered before any interpreter is there, receives
nothing until the interpreter connects, then receives the interpreter without renegotiating;
the interpreter, answered later, gets the citizen at once.

Reconnecting. aiortc has no ICE restart: after a network change the page makes a new peer
connection and sends a new offer for the same side. `offer()` answers it the same way, points
the side's sources at the new connection's tracks and closes the old connection; the other side
sees a short freeze, never a renegotiation. Re-stamping keeps the timestamps that the other
side's encoder and the recording see increasing across such a switch.

One relay subscription of every side source is read by a blackhole, so that a side's media is
consumed (and dropped) even while nobody else listens: aiortc queues received frames without
bound until someone reads them.

Loss. A side is `lost` when its connection fails or closes (aiortc derives `connectionState`
from the ICE and DTLS states; a page that closes its connection is seen at once, through DTLS),
or when it has sent no frame for `silence_seconds` while connected: a vanished network would
otherwise go unnoticed for about 30 s, until ICE consent expires. Frames that come back make
it `connected` again.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from typing import get_args

import aiortc.rtp
import numpy as np
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.contrib.media import MediaBlackhole, MediaRelay
from aiortc.mediastreams import MediaStreamError
from aiortc.sdp import SessionDescription
from av import AudioFrame
from av.frame import Frame

from model.errors import conflict, invalid
from sign_video.recording import Recording
from sign_video.signalling import Quality, Side, SideQuality


def audio_level_dbov(frame: AudioFrame) -> int:
    """The RFC 6465 audio level aiortc puts on every audio packet it sends, as its own
    `compute_audio_level_dbov` computes it, without a Python loop over every sample: that loop
    was 38 % of the hub's event loop in a relayed call (py-spy under `bench/video.py`)."""
    samples = np.frombuffer(bytes(frame.planes[0]), dtype=np.int16).astype(np.float64)
    rms = math.sqrt(float(np.dot(samples, samples)) / (frame.samples * 32767 * 32767))
    return round(min(max(20 * math.log10(rms), -127), 0)) if rms > 0 else -127


# aiortc's sender looks the function up in its module at every packet.
aiortc.rtp.compute_audio_level_dbov = audio_level_dbov

SIDES: tuple[Side, ...] = get_args(Side)
KINDS = ("audio", "video")
VIDEO_CLOCK = 90_000
AUDIO_CLOCK = 48_000  # aiortc decodes Opus at 48 kHz
_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True, kw_only=True)
class MediaSettings:
    """How the hub carries sign-language video calls."""

    recordings: Path
    """Directory of the recordings, one WebM file per consented recording."""
    ice_servers: tuple[str, ...] = ()
    """STUN/TURN URLs; none means host candidates only, enough when the hub is reachable."""
    turn_username: str | None = None
    turn_credential: str | None = None
    max_calls: int = 2
    """Calls one process carries at once: what one core sustains at 640x480 and 15 fps with
    the frame rate held (`bench/video.py`); beyond it every call's latency grows."""
    silence_seconds: float = 5.0
    """A connected side that sends no frame for this long is lost."""


class SideState(StrEnum):
    """One side's media connection as the hub sees it."""

    WAITING = "waiting"  # no offer yet
    CONNECTING = "connecting"  # answered, ICE and DTLS under way
    CONNECTED = "connected"
    LOST = "lost"  # failed, closed by the peer, or silent
    CLOSED = "closed"  # the call was closed


class CallLimit:
    """How many calls this process carries at once: the hub asks before taking one."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("A call limit needs a capacity of at least one call.")
        self.capacity = capacity
        self.in_use = 0

    def try_acquire(self) -> bool:
        """Take a place for a call; False when the process is full."""
        if self.in_use >= self.capacity:
            return False
        self.in_use += 1
        return True

    def release(self) -> None:
        """Give a call's place back."""
        if self.in_use == 0:
            raise RuntimeError("A call place was released that was never taken.")
        self.in_use -= 1


class _SideSource(MediaStreamTrack):
    """One side's audio or video as the hub passes it on: the remote track of the side's
    current connection, re-stamped on the call's clock; between connections it waits."""

    def __init__(self, kind: str, call_started: float) -> None:
        super().__init__()
        self.kind = kind
        self.frames = 0
        self.last_frame_at = 0.0
        self._call_started = call_started
        self._source: MediaStreamTrack | None = None
        self._changed = asyncio.Event()
        self._next_pts = 0
        self._resync = True

    @property
    def attached(self) -> bool:
        return self._source is not None

    def attach(self, track: MediaStreamTrack) -> None:
        """Read from now on the given remote track (the side's new connection)."""
        self._source = track
        self._resync = True
        self.last_frame_at = time.monotonic()
        self._changed.set()

    def stop(self) -> None:
        super().stop()
        self._source = None
        self._changed.set()

    async def recv(self) -> Frame:
        while self.readyState == "live":
            source = self._source
            if source is None:
                self._changed.clear()
                await self._changed.wait()
                continue
            try:
                frame = await source.recv()
            except MediaStreamError:  # that connection's track ended: wait for the next one
                if self._source is source:
                    self._source = None
                continue
            if source is self._source:  # not a late frame of a replaced connection
                return self._stamp(frame)
        raise MediaStreamError

    def _stamp(self, frame: Frame) -> Frame:
        # This source is the only reader of the remote track, so changing its frames is safe.
        now = time.monotonic()
        self.frames += 1
        self.last_frame_at = now
        elapsed = now - self._call_started
        if isinstance(frame, AudioFrame):
            # Counting samples keeps the audio gapless; the clock is only consulted after a switch.
            if self._resync:
                self._next_pts = max(self._next_pts, int(elapsed * AUDIO_CLOCK))
                self._resync = False
            frame.pts, frame.time_base = self._next_pts, Fraction(1, AUDIO_CLOCK)
            self._next_pts += frame.samples * AUDIO_CLOCK // frame.sample_rate
        else:
            self._next_pts = max(self._next_pts + 1, int(elapsed * VIDEO_CLOCK))
            frame.pts, frame.time_base = self._next_pts, Fraction(1, VIDEO_CLOCK)
        return frame


@dataclass
class _Sample:
    """Counters of one connection at one moment, to turn totals into rates."""

    pc: RTCPeerConnection
    at: float
    bytes_received: int
    bytes_sent: int
    video_frames: int


class CallMedia:
    """One call's media on the hub: the citizen's and the interpreter's peer connections, the
    relays between them, and the recording when the citizen consented to one."""

    def __init__(
        self,
        conversation_id: str,
        settings: MediaSettings,
        on_state: Callable[[Side, SideState], None] | None = None,
    ) -> None:
        if not _SAFE_ID.fullmatch(conversation_id):
            raise ValueError(f"A conversation id names the recording file: {conversation_id!r} cannot.")
        self.conversation_id = conversation_id
        self._settings = settings
        self._on_state = on_state
        started = time.monotonic()
        self._sources = {side: {kind: _SideSource(kind, started) for kind in KINDS} for side in SIDES}
        self._relay = MediaRelay()
        self._subscriptions: list[MediaStreamTrack] = []
        self._drain = MediaBlackhole()
        for sources in self._sources.values():
            for source in sources.values():
                self._drain.addTrack(self._subscribe(source))
        self._pcs: dict[Side, RTCPeerConnection] = {}
        self._negotiating = {side: asyncio.Lock() for side in SIDES}
        self._states = dict.fromkeys(SIDES, SideState.WAITING)
        self._state_changed = asyncio.Event()
        self._samples: dict[Side, _Sample] = {}
        self._recording: Recording | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._closed = False

    # Connections

    async def offer(self, side: Side, sdp: str) -> str:
        """Answer a side's offer and return the answer SDP. A second offer from the same side
        is a reconnect: its new connection replaces the old one, which is closed; the call goes
        on. Raises HubError 400 for an offer the hub cannot take, 409 once the call is closed."""
        if self._closed:
            raise conflict("The call has ended.")
        _check_offer(sdp)
        async with self._negotiating[side]:
            await self._start()
            pc = RTCPeerConnection(self._configuration())
            arrived: list[MediaStreamTrack] = []
            pc.on("track", arrived.append)
            try:
                await self._answer(side, pc, sdp)
            except BaseException:
                await _close(pc)
                raise

            old = self._pcs.get(side)
            self._pcs[side] = pc
            pc.on("connectionstatechange", lambda: self._on_connection_state(side, pc))
            for track in arrived:
                self._sources[side][track.kind].attach(track)
            self._set_state(side, SideState.CONNECTING)
            if old is not None:
                await _close(old)
            return pc.localDescription.sdp

    async def _answer(self, side: Side, pc: RTCPeerConnection, sdp: str) -> None:
        """Take the offer on a new connection whose senders carry the other side's media."""
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        except Exception as error:  # aiortc's SDP handling raises many kinds on bad input
            raise invalid(f"The offer cannot be used: {error or type(error).__name__}.", "invalid_offer") from None
        for transceiver in pc.getTransceivers():
            pc.addTrack(self._subscribe(self._sources[_other(side)][transceiver.kind]))
        await pc.setLocalDescription(await pc.createAnswer())
        if self._closed:  # the call closed while this side negotiated
            raise conflict("The call has ended.")

    def state(self, side: Side) -> SideState:
        """The side's media state now."""
        return self._states[side]

    async def wait_until(self, side: Side, *states: SideState) -> SideState:
        """Wait until the side is in one of `states` (wrap in a timeout); returns that state."""
        while self._states[side] not in states:
            await self._state_changed.wait()
        return self._states[side]

    # Recording

    async def start_recording(self) -> Path:
        """Start writing the call to a new WebM file under the recordings directory, and
        return its path; call only once the citizen has consented. The file holds the citizen's
        video and audio and, as a second audio stream (players start with the first), the
        interpreter's voice; not the interpreter's video. Recording again while recording returns
        the same file."""
        if self._closed:
            raise conflict("The call has ended.")
        if self._recording is not None:
            return self._recording.path
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = self._settings.recordings / f"{self.conversation_id}-{stamp}.webm"
        citizen, interpreter = self._sources["citizen"], self._sources["interpreter"]
        self._recording = Recording(
            path,
            video=self._subscribe(citizen["video"]),
            audio=[self._subscribe(citizen["audio"]), self._subscribe(interpreter["audio"])],
        )
        await self._recording.start()
        return path

    async def stop_recording(self) -> Path | None:
        """Finish the file (flushes it); returns its path, None when nothing was recording."""
        recording, self._recording = self._recording, None
        if recording is None:
            return None
        await recording.stop()
        return recording.path

    # Quality

    async def stats(self) -> Quality:
        """Both sides' connection quality as the hub measures it. Bitrates and frame rate are
        averages since the previous call of `stats()` on the same connection (None the first
        time); losses count since the side's connection began; the round trip and the remote loss need
        the side's first RTCP receiver report (None before it, usually the first seconds).
        A side without a connection is None."""
        return Quality(citizen=await self._side_quality("citizen"), interpreter=await self._side_quality("interpreter"))

    async def _side_quality(self, side: Side) -> SideQuality | None:
        pc = self._pcs.get(side)
        if pc is None or pc.connectionState == "closed":
            return None
        report = (await pc.getStats()).values()
        by_type: dict[str, list] = {}
        for entry in report:
            by_type.setdefault(entry.type, []).append(entry)
        transports = by_type.get("transport", [])
        sample = _Sample(
            pc=pc,
            at=time.monotonic(),
            bytes_received=sum(entry.bytesReceived for entry in transports),
            bytes_sent=sum(entry.bytesSent for entry in transports),
            video_frames=self._sources[side]["video"].frames,
        )
        previous, self._samples[side] = self._samples.get(side), sample
        received_kbps = sent_kbps = frame_rate = None
        if previous is not None and previous.pc is pc and sample.at > previous.at:
            seconds = sample.at - previous.at
            received_kbps = round((sample.bytes_received - previous.bytes_received) * 8 / 1000 / seconds, 1)
            sent_kbps = round((sample.bytes_sent - previous.bytes_sent) * 8 / 1000 / seconds, 1)
            frame_rate = round((sample.video_frames - previous.video_frames) / seconds, 1)
        round_trips = [entry.roundTripTime for entry in by_type.get("remote-inbound-rtp", []) if entry.roundTripTime]
        return SideQuality(
            received_kbps=received_kbps,
            sent_kbps=sent_kbps,
            frame_rate=frame_rate,
            packet_loss=_loss(by_type.get("inbound-rtp", [])),
            remote_packet_loss=_loss(by_type.get("remote-inbound-rtp", [])),
            round_trip_ms=round(max(round_trips) * 1000, 1) if round_trips else None,
        )

    # Closing

    async def close(self) -> None:
        """End the call's media: the recording is flushed, every connection, relay and track
        is closed. Idempotent."""
        if self._closed:
            return
        self._closed = True
        for side in SIDES:
            self._set_state(side, SideState.CLOSED)
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog
        await self.stop_recording()
        await asyncio.gather(*(_close(pc) for pc in self._pcs.values()))
        for sources in self._sources.values():
            for source in sources.values():
                source.stop()
        for subscription in self._subscriptions:
            subscription.stop()
        await self._drain.stop()

    def open_resources(self) -> list[str]:
        """What of this call is still open (empty once closed): for tests and leak checks."""
        still = [f"{side} peer connection" for side, pc in self._pcs.items() if pc.connectionState != "closed"]
        still += [
            f"{side} {kind} source"
            for side, sources in self._sources.items()
            for kind, source in sources.items()
            if source.readyState == "live"
        ]
        still += [f"relay subscription {track.id}" for track in self._subscriptions if track.readyState == "live"]
        if self._recording is not None:
            still.append(f"recording {self._recording.path}")
        if self._watchdog is not None and not self._watchdog.done():
            still.append("silence watchdog")
        return still

    # Inside

    async def _start(self) -> None:
        """Begin draining the sources and watching for silence (at the first offer: both need
        the running event loop)."""
        if self._watchdog is None:
            self._watchdog = asyncio.create_task(self._watch_silence())
            await self._drain.start()

    def _subscribe(self, source: MediaStreamTrack) -> MediaStreamTrack:
        # Only the newest frame waits for a slow reader: no queue grows behind it.
        subscription = self._relay.subscribe(source, buffered=False)
        self._subscriptions = [track for track in self._subscriptions if track.readyState == "live"]
        self._subscriptions.append(subscription)
        return subscription

    def _configuration(self) -> RTCConfiguration:
        # An explicit empty list: aiortc would otherwise add Google's public STUN server.
        servers = [
            RTCIceServer(
                urls=url,
                username=self._settings.turn_username if url.startswith("turn") else None,
                credential=self._settings.turn_credential if url.startswith("turn") else None,
            )
            for url in self._settings.ice_servers
        ]
        return RTCConfiguration(iceServers=servers)

    def _on_connection_state(self, side: Side, pc: RTCPeerConnection) -> None:
        if pc is not self._pcs.get(side) or self._closed:
            return  # a replaced connection, or the call's own closing
        if pc.connectionState == "connected":
            self._set_state(side, SideState.CONNECTED)
        elif pc.connectionState in ("failed", "closed"):
            self._set_state(side, SideState.LOST)

    async def _watch_silence(self) -> None:
        silence = self._settings.silence_seconds
        while True:
            await asyncio.sleep(min(1.0, silence / 4))
            now = time.monotonic()
            for side, pc in self._pcs.items():
                attached = [source for source in self._sources[side].values() if source.attached]
                flowing = bool(attached) and all(now - source.last_frame_at < silence for source in attached)
                if self._states[side] is SideState.CONNECTED and not flowing:
                    self._set_state(side, SideState.LOST)
                elif self._states[side] is SideState.LOST and flowing and pc.connectionState == "connected":
                    self._set_state(side, SideState.CONNECTED)

    def _set_state(self, side: Side, state: SideState) -> None:
        if self._states[side] is state:
            return
        self._states[side] = state
        # Wake every waiter once; the next change gets a fresh event.
        changed, self._state_changed = self._state_changed, asyncio.Event()
        changed.set()
        if self._on_state is not None:
            self._on_state(side, state)


async def _close(pc: RTCPeerConnection) -> None:
    await pc.close()
    # A sender that never started (its side never connected) leaves its track to us.
    for sender in pc.getSenders():
        if sender.track is not None:
            sender.track.stop()


def _other(side: Side) -> Side:
    return "interpreter" if side == "citizen" else "citizen"


def _check_offer(sdp: str) -> None:
    """Refuse an offer that is not one video stream, with at most one audio stream, beside it."""
    try:
        kinds = [media.kind for media in SessionDescription.parse(sdp).media]
    except Exception as error:  # aiortc's parser raises many kinds on bad input
        reason = error or type(error).__name__
        raise invalid(f"The offer is not a session description: {reason}.", "invalid_offer") from None
    if kinds.count("video") != 1 or kinds.count("audio") > 1 or set(kinds) - set(KINDS):
        raise invalid(f"The offer must carry one video and at most one audio stream, not {kinds}.", "invalid_offer")


def _loss(entries: list) -> float | None:
    """Lost packets over expected ones, across the streams of one kind of report."""
    lost = sum(max(entry.packetsLost, 0) for entry in entries)
    expected = lost + sum(entry.packetsReceived for entry in entries)
    return round(lost / expected, 4) if expected else None
