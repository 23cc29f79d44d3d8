"""Sign-language video: how many relayed calls one hub process carries on one core.

The hub terminates both peer connections of a call with aiortc, which decodes every frame it
receives and encodes it again for the other side: each call costs the hub two VP8 decodes and
two VP8 encodes at 15 frames a second, and the same for Opus. This bench starts the real hub
(`dasan serve`, fresh SQLite database) pinned to the first core and drives it from this
process, pinned to the other cores:

1. direct: a pair of aiortc peers connected to each other, no hub: the baseline;
2. relayed: N = 1, 2, 3, ... concurrent calls through the hub, each a citizen's page and an
   interpreter (an agent with the sign_language skill who claimed the call) signalling over the
   hub's own sockets; each N is held for `--hold` seconds, until the frame rate is no longer
   held or N reaches `--cap`;
3. direct again with 2, 3, ... pairs, up to the last relayed N, so that every relayed row has a
   baseline carrying the same load on this side.

Every peer sends 640x480 video at 15 fps and Opus audio, both ways. The video is encoded once,
before the run, and replayed: this side then only decodes while the hub decodes and encodes,
so the hub runs out of CPU first. Each frame carries its number in two rows of black and white
blocks (the number and its complement) that survive VP8; the receiver reads it back after
decoding and looks up when that frame was sent, which gives the end-to-end latency. A step holds
when every stream's median frame rate, counted per second, is at least 90 % of 15.

    .venv/bin/python bench/video.py [--cap 12] [--hold 15]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import astuple, dataclass
from fractions import Fraction
from pathlib import Path

import aiohttp
import av
import numpy as np
from aiohttp import WSMsgType
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from av import VideoFrame

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from model.errors import HubError  # noqa: E402
from sign_video import signalling  # noqa: E402
from tests.services import REPO, free_port  # noqa: E402

WIDTH, HEIGHT, FPS = 640, 480, 15
VIDEO_KBPS = 500  # what aiortc's own encoder starts a 640x480 stream at
CLIP_FRAMES = 300  # 20 s: a frame number stays unambiguous for any latency below that
KEYFRAME_EVERY = 2 * FPS  # the replayed clip cannot answer a loss report with a keyframe
VIDEO_CLOCK, AUDIO_CLOCK = 90_000, 48_000
OPUS_SAMPLES = 960  # 20 ms
STAMP_BITS, BLOCK = 16, 32
BLACK, WHITE = 16, 235
HELD = 0.9  # a stream keeps its frame rate while its median is at least 90 % of FPS
IMMEDIATE_MS = 150  # ITU-T G.114: up to 150 ms one way, a conversation feels immediate
SETTLE_SECONDS = 3.0  # the newest call's first keyframes and bitrate ramp, before counting
TIMEOUT = 20.0
HUB_MAX_CALLS = 64  # far above what one core carries: the frame rate, not the hub's limit, ends the run
PASSWORD = "bench-interpreter"


# The media every peer sends


@dataclass(frozen=True)
class Clip:
    """Pre-encoded media, replayed by every peer: VP8 frames stamped with their number, Opus
    packets of a tone."""

    video: list[bytes]
    audio: list[bytes]


def make_clip() -> Clip:
    """Encode the clip: a still wall, a swaying torso and two moving hands, camera noise."""
    rows, columns = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    noise = np.random.default_rng(120)
    wall = 90 + 40 * np.sin(columns / 37) * np.cos(rows / 53) + noise.normal(0, 6, (HEIGHT, WIDTH)).astype(np.float32)
    chroma = np.concatenate(
        [
            (118 + 10 * np.sin(columns[::2, ::2] / 45)).astype(np.uint8).reshape(-1, WIDTH),
            np.full((HEIGHT // 2, WIDTH // 2), 140, np.uint8).reshape(-1, WIDTH),
        ]
    )
    encoder = av.CodecContext.create("libvpx", "w")
    encoder.width, encoder.height, encoder.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    encoder.bit_rate, encoder.gop_size = VIDEO_KBPS * 1000, KEYFRAME_EVERY
    encoder.time_base, encoder.thread_count = Fraction(1, FPS), 1  # as aiortc at 640x480; more threads only cost
    bits = str(VIDEO_KBPS * 1000)
    # aiortc's own realtime settings (aiortc.codecs.vpx): constant bitrate, fastest speed.
    encoder.options = {
        "deadline": "realtime", "cpu-used": "-6", "lag-in-frames": "0", "bufsize": bits, "minrate": bits,
        "maxrate": bits, "noise-sensitivity": "4", "static-thresh": "1", "undershoot-pct": "100",
    }  # fmt: skip
    video: list[bytes] = []
    for number in range(CLIP_FRAMES):
        t = number / FPS
        luma = wall.copy()
        sway = 20 * math.sin(t * 1.3)
        luma += 70 * (((columns - 320 - sway) / 150) ** 2 + ((rows - 420) / 200) ** 2 < 1)
        for phase in (0.0, 2.2):
            x, y = 320 + 170 * math.sin(t * 2.1 + phase), 260 + 90 * math.sin(t * 3.3 + phase)
            luma += 100 * (((columns - x) / 45) ** 2 + ((rows - y) / 55) ** 2 < 1)
        luma += noise.integers(-3, 4, (HEIGHT, WIDTH), dtype=np.int8)
        luma = np.clip(luma, 0, 255).astype(np.uint8)
        _stamp(luma, number)
        frame = VideoFrame.from_ndarray(np.concatenate([luma, chroma]), format="yuv420p")
        frame.pts, frame.time_base = number, Fraction(1, FPS)
        video += [bytes(packet) for packet in encoder.encode(frame)]
    if len(video) != CLIP_FRAMES:
        raise RuntimeError(f"The VP8 encoder gave {len(video)} frames for {CLIP_FRAMES}.")
    return Clip(video=video, audio=_tone())


def _tone() -> list[bytes]:
    """One second of a 440 Hz tone, as 20 ms Opus packets."""
    encoder = av.CodecContext.create("libopus", "w")
    encoder.sample_rate, encoder.layout, encoder.format = AUDIO_CLOCK, "stereo", "s16"
    encoder.bit_rate = 32_000
    samples = np.arange(AUDIO_CLOCK)
    tone = (3000 * np.sin(2 * math.pi * 440 * samples / AUDIO_CLOCK)).astype(np.int16)
    packets: list[bytes] = []
    for start in range(0, AUDIO_CLOCK, OPUS_SAMPLES):
        stereo = np.repeat(tone[start : start + OPUS_SAMPLES], 2).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(stereo, format="s16", layout="stereo")
        frame.sample_rate, frame.pts, frame.time_base = AUDIO_CLOCK, start, Fraction(1, AUDIO_CLOCK)
        packets += [bytes(packet) for packet in encoder.encode(frame)]
    return packets


def _stamp(luma: np.ndarray, number: int) -> None:
    """The frame number in the top rows: a block per bit, its complement in the row below."""
    for bit in range(STAMP_BITS):
        one = number >> (STAMP_BITS - 1 - bit) & 1
        left = bit * BLOCK
        luma[:BLOCK, left : left + BLOCK] = WHITE if one else BLACK
        luma[BLOCK : 2 * BLOCK, left : left + BLOCK] = BLACK if one else WHITE


def read_stamp(frame: VideoFrame) -> int | None:
    """The number `_stamp` put in a decoded frame; None when a block is unclear."""
    plane = frame.planes[0]
    luma = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)
    inner = slice(BLOCK // 4, BLOCK * 3 // 4)  # away from the edges that VP8 smears

    def row(top: int) -> np.ndarray:
        band = luma[top + BLOCK // 4 : top + BLOCK * 3 // 4, : STAMP_BITS * BLOCK]
        return band.reshape(BLOCK // 2, STAMP_BITS, BLOCK)[:, :, inner].mean(axis=(0, 2)) > (BLACK + WHITE) / 2

    ones, complement = row(0), row(BLOCK)
    if np.any(ones == complement):
        return None
    return int(sum(1 << (STAMP_BITS - 1 - bit) for bit in np.flatnonzero(ones)))


class Replay(MediaStreamTrack):
    """Pre-encoded packets paced in real time (aiortc sends packets without encoding them);
    `sent_at[i]` is when packet i last left."""

    def __init__(self, kind: str, packets: list[bytes], per_second: int, clock: int) -> None:
        super().__init__()
        self.kind = kind
        self._packets = packets
        self._per_second, self._clock = per_second, clock
        self._count = 0
        self._started: float | None = None
        self.sent_at = [math.nan] * len(packets)

    @classmethod
    def video(cls, clip: Clip) -> Replay:
        return cls("video", clip.video, FPS, VIDEO_CLOCK)

    @classmethod
    def audio(cls, clip: Clip) -> Replay:
        return cls("audio", clip.audio, AUDIO_CLOCK // OPUS_SAMPLES, AUDIO_CLOCK)

    async def recv(self) -> av.Packet:
        if self.readyState != "live":
            raise MediaStreamError
        now = time.monotonic()
        if self._started is None:
            self._started = now
        due = self._started + self._count / self._per_second
        if due > now:
            await asyncio.sleep(due - now)
        number = self._count % len(self._packets)
        packet = av.Packet(self._packets[number])
        packet.pts, packet.time_base = self._count * self._clock // self._per_second, Fraction(1, self._clock)
        self.sent_at[number] = time.monotonic()
        self._count += 1
        return packet


# The peers


class Reception:
    """One peer's received video: when each frame arrived and how late it was."""

    def __init__(self) -> None:
        self.sender: Replay | None = None
        """The far side's video, whose send times the stamps are looked up in."""
        self.arrivals: list[float] = []
        self.latencies_ms: list[float] = []
        self.unreadable = 0
        self.flowing = asyncio.Event()

    def restart(self) -> None:
        """Forget what was counted: a measurement window begins."""
        self.arrivals, self.latencies_ms, self.unreadable = [], [], 0

    async def consume(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                now = time.monotonic()
                self.arrivals.append(now)
                self.flowing.set()
                sent = self._sent_at(read_stamp(frame))
                if math.isnan(sent):
                    self.unreadable += 1
                else:
                    self.latencies_ms.append((now - sent) * 1000)

    def _sent_at(self, number: int | None) -> float:
        """When the frame of that number last left the far side; NaN when unknown."""
        if self.sender is None or number is None or number >= CLIP_FRAMES:
            return math.nan
        return self.sender.sent_at[number]


async def _drain(track: MediaStreamTrack) -> None:
    with contextlib.suppress(MediaStreamError):
        while True:
            await track.recv()


class Peer:
    """A page's peer connection, the citizen's or the interpreter's: sends the clip, receives
    the other side."""

    def __init__(self, clip: Clip) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.audio, self.video = Replay.audio(clip), Replay.video(clip)
        self.reception = Reception()
        self._readers: list[asyncio.Task[None]] = []
        self.pc.on("track", self._on_track)

    def _on_track(self, track: MediaStreamTrack) -> None:
        reader = self.reception.consume(track) if track.kind == "video" else _drain(track)
        self._readers.append(asyncio.create_task(reader))

    async def offer(self) -> str:
        """The complete offer (aiortc gathers its candidates first)."""
        self.pc.addTrack(self.audio)
        self.pc.addTrack(self.video)
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def answer(self, offer: str) -> str:
        """Answer another peer's offer directly (the baseline, without the hub)."""
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        self.pc.addTrack(self.audio)
        self.pc.addTrack(self.video)
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return self.pc.localDescription.sdp

    async def answered(self, sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))

    async def close(self) -> None:
        await self.pc.close()
        for reader in self._readers:
            reader.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)


def _facing(first: Peer, second: Peer) -> None:
    """Each peer's stamps are looked up in the other's send times."""
    first.reception.sender, second.reception.sender = second.video, first.video


async def _flowing(*peers: Peer) -> None:
    async with asyncio.timeout(TIMEOUT):
        await asyncio.gather(*(peer.reception.flowing.wait() for peer in peers))


@dataclass
class DirectPair:
    """Two peers connected to each other, as two pages would be without the hub."""

    citizen: Peer
    interpreter: Peer

    @classmethod
    async def connect(cls, clip: Clip) -> DirectPair:
        pair = cls(Peer(clip), Peer(clip))
        _facing(pair.citizen, pair.interpreter)
        await pair.citizen.answered(await pair.interpreter.answer(await pair.citizen.offer()))
        await _flowing(pair.citizen, pair.interpreter)
        return pair

    async def close(self) -> None:
        await asyncio.gather(self.citizen.close(), self.interpreter.close())


# The hub and its calls


class Signalling:
    """A page's socket to the hub: keeps reading (the hub's heartbeat needs answers) and hands
    over the answers."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self._socket = socket
        self._answers: asyncio.Queue[signalling.Answer | signalling.Error] = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self._socket:
            if message.type is not WSMsgType.TEXT:
                continue
            try:
                frame = signalling.load(message.data)
            except HubError as error:  # the hub and this bench disagree on the frames: say so, go on
                print(f"a frame from the hub does not parse: {error.message}", file=sys.stderr)
                continue
            if isinstance(frame, signalling.Answer | signalling.Error):
                self._answers.put_nowait(frame)

    async def send(self, frame: signalling.Frame) -> None:
        await self._socket.send_str(signalling.dump(frame))

    async def negotiate(self, peer: Peer) -> None:
        """Offer the peer's media and take the hub's answer."""
        await self.send(signalling.Offer(await peer.offer()))
        async with asyncio.timeout(TIMEOUT):
            reply = await self._answers.get()
        if isinstance(reply, signalling.Error):
            raise RuntimeError(f"The hub refused the offer: {reply.code}: {reply.message}")
        await peer.answered(reply.sdp)

    async def close(self) -> None:
        await self._socket.close()
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)


class HubProcess:
    """`dasan serve` on a fresh SQLite database, pinned to one core, logging to a file."""

    def __init__(self, work: Path, core: int, max_calls: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._core, self._work = core, work
        self._database = f"sqlite+aiosqlite:///{work / 'hub.db'}"
        self._dasan = str(Path(sys.executable).parent / "dasan")
        self._env = os.environ | {"DASAN_VIDEO_MAX_CALLS": str(max_calls), "DASAN_VIDEO_RECORDINGS": str(work)}
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        if self._process is None:
            raise RuntimeError("The hub is not running.")
        return self._process.pid

    async def add_interpreter(self, username: str) -> None:
        """A sign-language interpreter, through `dasan agents add` on the hub's database."""
        adding = await asyncio.create_subprocess_exec(
            self._dasan, "--database", self._database, "agents", "add", username, "--password", PASSWORD,
            "--skills", "sign_language", cwd=REPO, env=self._env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        _, errors = await adding.communicate()
        if adding.returncode != 0:
            raise RuntimeError(f"dasan agents add {username} failed: {errors.decode(errors='replace')}")

    async def start(self) -> None:
        """Start the hub (taskset execs it: the pid is the hub's) and wait until it answers."""
        command = ["taskset", "-c", str(self._core), self._dasan, "serve", "--no-demo", "--port", str(self.port)]
        with (self._work / "hub.log").open("ab") as log:
            self._process = subprocess.Popen(
                [*command, "--database", self._database],
                cwd=REPO, env=self._env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        async with aiohttp.ClientSession() as client, asyncio.timeout(60):
            while True:
                if self._process.poll() is not None:
                    raise RuntimeError(f"The hub exited; its log:\n{self.log_tail()}")
                with contextlib.suppress(aiohttp.ClientError):
                    async with client.get(self.url + "/healthz") as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.3)

    def stop(self) -> None:
        """Ask the hub to stop (it ends its calls), then make sure."""
        if self._process is None or self._process.poll() is not None:
            return
        os.killpg(self._process.pid, signal.SIGTERM)
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()

    def log_tail(self, lines: int = 30) -> str:
        log = self._work / "hub.log"
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


@dataclass
class RelayedCall:
    """One call through the hub: the citizen's page and the interpreter's console, each with its
    own socket and peer connection."""

    citizen: Peer
    interpreter: Peer
    page: Signalling | None = None
    console: Signalling | None = None
    session: aiohttp.ClientSession | None = None
    """The interpreter's login: the console's session cookie."""

    @classmethod
    async def place(cls, hub: HubProcess, client: aiohttp.ClientSession, clip: Clip, number: int) -> RelayedCall:
        """A citizen asks for a call, interpreter `number` (a new agent) claims it, and both
        connect their media; returns once video flows both ways."""
        username = f"bench-interpreter-{number}"
        await hub.add_interpreter(username)
        call = cls(Peer(clip), Peer(clip))
        _facing(call.citizen, call.interpreter)
        try:
            async with client.post(hub.url + "/video/api/calls", json={"language": "ko"}) as created:
                if created.status != 201:
                    raise RuntimeError(f"POST /video/api/calls: {created.status} {await created.text()}")
                asked = await created.json()
            call.page = Signalling(await client.ws_connect(hub.url + "/video/ws"))
            await call.page.send(signalling.Hello(asked["token"]))
            await call.page.negotiate(call.citizen)

            # The console's session cookie, as a browser keeps it (the hub is on an IP address).
            call.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
            login = {"username": username, "password": PASSWORD}
            async with call.session.post(hub.url + "/api/v1/auth/login", json=login) as logged_in:
                if logged_in.status != 200:
                    raise RuntimeError(f"login {username}: {logged_in.status} {await logged_in.text()}")
                bearer = {"Authorization": f"Bearer {(await logged_in.json())['token']}"}
            conversation = asked["conversation_id"]
            await _claim(call.session, f"{hub.url}/api/v1/conversations/{conversation}/claim", bearer)
            call.console = Signalling(
                await call.session.ws_connect(f"{hub.url}/video/agent/ws?conversation={conversation}")
            )
            await call.console.negotiate(call.interpreter)
            await _flowing(call.citizen, call.interpreter)
        except BaseException:
            await call.close()
            raise
        return call

    async def close(self) -> None:
        """The citizen hangs up; everything of the call on this side is closed."""
        if self.page is not None:
            with contextlib.suppress(ConnectionError):
                await self.page.send(signalling.Hangup("bench"))
        sockets = [socket for socket in (self.page, self.console) if socket is not None]
        await asyncio.gather(*(socket.close() for socket in sockets), return_exceptions=True)
        await asyncio.gather(self.citizen.close(), self.interpreter.close())
        if self.session is not None:
            await self.session.close()


async def _claim(session: aiohttp.ClientSession, url: str, bearer: dict[str, str]) -> None:
    """Take the queued call; the router may still be placing it (409) for a moment."""
    async with asyncio.timeout(TIMEOUT):
        while True:
            async with session.post(url, headers=bearer) as claimed:
                if claimed.status == 200:
                    return
                if claimed.status != 409:
                    raise RuntimeError(f"claim: {claimed.status} {await claimed.text()}")
            await asyncio.sleep(0.2)


# Measuring


def cpu_seconds(pid: int, thread: int | None = None) -> float:
    """User and system CPU time of a process (all its threads), or of one of its threads, so far."""
    stat = Path(f"/proc/{pid}/stat" if thread is None else f"/proc/{pid}/task/{thread}/stat")
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def busy_seconds(cores: set[int]) -> float:
    """Time the cores spent on anything but idling, so far, whoever ran (steal included)."""
    busy = 0
    for line in Path("/proc/stat").read_text().splitlines():
        name, *ticks = line.split()
        if name.startswith("cpu") and name[3:].isdigit() and int(name[3:]) in cores:
            user, nice, system, idle, iowait, irq, softirq, steal = map(int, ticks[:8])
            busy += user + nice + system + irq + softirq + steal
    return busy / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Cores:
    """Which cores the hub and this process run on."""

    hub: set[int]
    bench: set[int]


@dataclass(frozen=True)
class CpuUse:
    """CPU time by whom: seconds so far, or, over a window, percent of one core."""

    bench: float
    bench_cores: float
    """Everything that ran on this process's cores, this process included."""
    hub: float = 0.0
    hub_loop: float = 0.0
    """The hub's main thread, its event loop: RTP, SRTP, the relays; the codecs run in threads."""
    hub_core: float = 0.0

    @classmethod
    def read(cls, cores: Cores, hub: HubProcess | None) -> CpuUse:
        if hub is None:
            return cls(cpu_seconds(os.getpid()), busy_seconds(cores.bench))
        return cls(
            cpu_seconds(os.getpid()),
            busy_seconds(cores.bench),
            cpu_seconds(hub.pid),
            cpu_seconds(hub.pid, thread=hub.pid),
            busy_seconds(cores.hub),
        )

    def percent_since(self, earlier: CpuUse, seconds: float) -> CpuUse:
        return CpuUse(
            *(100 * (now - then) / seconds for now, then in zip(astuple(self), astuple(earlier), strict=True))
        )


@dataclass(frozen=True)
class Step:
    """What one N looked like over its window."""

    calls: int
    fps: dict[str, float]
    """Per direction, the lowest of its streams' median frames per second."""
    latency_median_ms: float
    latency_p95_ms: float
    cpu: CpuUse
    """Percent of one core."""
    unreadable: int

    @property
    def held(self) -> bool:
        return all(fps >= HELD * FPS for fps in self.fps.values())

    @property
    def hub_others(self) -> float:
        """What other processes took of the hub's core."""
        return self.cpu.hub_core - self.cpu.hub

    @property
    def bench_others(self) -> float:
        return self.cpu.bench_cores - self.cpu.bench


async def measure(
    calls: list[DirectPair] | list[RelayedCall], seconds: float, cores: Cores, hub: HubProcess | None
) -> Step:
    """Count frames and latencies at both ends of every call over a window of `seconds`, and
    the CPU the hub, this process and everything else took of their cores."""
    directions = {
        "c→i": [call.interpreter.reception for call in calls],
        "i→c": [call.citizen.reception for call in calls],
    }
    receptions = [reception for side in directions.values() for reception in side]
    for reception in receptions:
        reception.restart()
    started, before = time.monotonic(), CpuUse.read(cores, hub)
    await asyncio.sleep(seconds)
    cpu = CpuUse.read(cores, hub).percent_since(before, time.monotonic() - started)
    latencies = sorted(latency for reception in receptions for latency in reception.latencies_ms)
    return Step(
        calls=len(calls),
        fps={name: min(_median_fps(r, started, seconds) for r in side) for name, side in directions.items()},
        latency_median_ms=statistics.median(latencies) if latencies else math.nan,
        latency_p95_ms=latencies[int(0.95 * (len(latencies) - 1))] if latencies else math.nan,
        cpu=cpu,
        unreadable=sum(reception.unreadable for reception in receptions),
    )


def _median_fps(reception: Reception, started: float, seconds: float) -> float:
    per_second = [0] * int(seconds)
    for arrived in reception.arrivals:
        second = int(arrived - started)
        if second < len(per_second):
            per_second[second] += 1
    return statistics.median(per_second)


def _progress(label: str, step: Step, hub: bool = False) -> None:
    cpu = step.cpu
    at_hub = f"; hub CPU {cpu.hub:.0f} % (event loop {cpu.hub_loop:.0f} %, others on its core {step.hub_others:.0f} %)"
    unreadable = f"; {step.unreadable} frames without a readable stamp" if step.unreadable else ""
    print(
        f"  {label} {step.calls:2d}: fps c→i {step.fps['c→i']:.1f}, i→c {step.fps['i→c']:.1f}; "
        f"latency {step.latency_median_ms:.0f} ms median, {step.latency_p95_ms:.0f} ms p95{at_hub if hub else ''}; "
        f"bench CPU {cpu.bench:.0f} % (others {step.bench_others:.0f} %){unreadable}",
        flush=True,
    )


def report(relayed: list[Step], direct: dict[int, Step]) -> None:
    """The table, the figure, and what the CPU alone would allow."""
    print()
    print(f"{WIDTH}x{HEIGHT} VP8 at {FPS} fps + Opus, both ways. fps: the slowest stream's median frames per second.")
    print("Latency: frame sent to frame decoded, ms. CPU: % of one core; loop: the hub's event loop (the rest of its")
    print("CPU is the codec threads); others: other processes on the same core.")
    figures = f"{'c→i':>6}{'i→c':>6}{'median':>8}{'p95':>7}"
    print(f"{'':6}{'relayed through the hub':<67}{'direct pairs, no hub':<41}{'added by relay':>14}")
    print(f"{'calls':<6}{figures}{'hub':>6}{'loop':>6}{'others':>7}{'bench':>7}{'others':>7}    "
          f"{figures}{'bench':>7}{'others':>7}{'median':>9}{'p95':>6}")  # fmt: skip
    for step in relayed:
        cpu = step.cpu
        row = f"{step.calls:<6}{_figures(step)}{cpu.hub:6.0f}{cpu.hub_loop:6.0f}{step.hub_others:7.0f}"
        row += f"{cpu.bench:7.0f}{step.bench_others:7.0f}    "
        if (base := direct.get(step.calls)) is not None:
            row += f"{_figures(base)}{base.cpu.bench:7.0f}{base.bench_others:7.0f}"
            row += f"{step.latency_median_ms - base.latency_median_ms:9.0f}{step.latency_p95_ms - base.latency_p95_ms:6.0f}"
        print(row + ("" if step.held else "  frame rate not held"))
    carried = [step for step in relayed if step.held]
    if carried:
        best = carried[-1]
        print(
            f"one hub process on one core carries {best.calls} calls of {WIDTH}x{HEIGHT} at {FPS} fps "
            f"(latency added by the relay: {_added_ms(best, direct):.0f} ms median)"
        )
        per_call = best.cpu.hub / best.calls
        print(
            f"the hub spent {per_call:.0f} % of a core per call at {best.calls} calls "
            f"(event loop {best.cpu.hub_loop / best.calls:.0f} %): by CPU alone a core of its own would carry "
            f"{math.floor(100 / per_call)}"
        )
        immediate = [step.calls for step in carried if _added_ms(step, direct) < IMMEDIATE_MS]
        print(f"with the relay adding under {IMMEDIATE_MS} ms (median), it carries {max(immediate, default=0)}")
    else:
        print(f"one hub process on one core does not carry a single call of {WIDTH}x{HEIGHT} at {FPS} fps")
    if max(step.hub_others for step in relayed) > 10:
        print("other processes took part of the hub's core during the run: its figure is a lower bound")


def _added_ms(relayed: Step, direct: dict[int, Step]) -> float:
    """The median latency the relay adds to as many direct pairs."""
    return relayed.latency_median_ms - direct[relayed.calls].latency_median_ms


def _figures(step: Step) -> str:
    return f"{step.fps['c→i']:6.1f}{step.fps['i→c']:6.1f}{step.latency_median_ms:8.0f}{step.latency_p95_ms:7.0f}"


# The run


async def direct_steps(clip: Clip, counts: range, seconds: float, cores: Cores) -> dict[int, Step]:
    """The baseline for each count of pairs, adding one pair per step."""
    pairs: list[DirectPair] = []
    steps: dict[int, Step] = {}
    try:
        for count in counts:
            while len(pairs) < count:
                pairs.append(await DirectPair.connect(clip))
            await asyncio.sleep(SETTLE_SECONDS)
            steps[count] = await measure(pairs, seconds, cores, None)
            _progress("direct pairs", steps[count])
    finally:
        await asyncio.gather(*(pair.close() for pair in pairs))
    return steps


async def relayed_steps(hub: HubProcess, clip: Clip, cap: int, seconds: float, cores: Cores) -> list[Step]:
    """N = 1, 2, ... calls through the hub, one more per step, until the frame rate is not held."""
    calls: list[RelayedCall] = []
    steps: list[Step] = []
    async with aiohttp.ClientSession() as client:
        try:
            while len(calls) < cap and (not steps or steps[-1].held):
                calls.append(await RelayedCall.place(hub, client, clip, len(calls) + 1))
                await asyncio.sleep(SETTLE_SECONDS)
                steps.append(await measure(calls, seconds, cores, hub))
                _progress("relayed calls", steps[-1], hub=True)
        finally:
            await asyncio.gather(*(call.close() for call in calls))
    return steps


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=int, default=12, help="most calls to try (default 12)")
    parser.add_argument("--hold", type=float, default=15, help="seconds each relayed N is measured (default 15)")
    parser.add_argument("--direct-hold", type=float, default=8, help="seconds each direct step is measured (default 8)")
    args = parser.parse_args()
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < 2:
        sys.exit("This bench needs two cores: one for the hub, the others for the peers that call it.")
    cores = Cores(hub={allowed[0]}, bench=set(allowed[1:]))
    # Before any thread starts: aiortc's decoder threads inherit this.
    os.sched_setaffinity(0, cores.bench)
    print(f"hub on core {allowed[0]}, peers on core(s) {', '.join(map(str, sorted(cores.bench)))}", flush=True)
    print(f"encoding the clip: {CLIP_FRAMES} frames of {WIDTH}x{HEIGHT} VP8 at {VIDEO_KBPS} kbps", flush=True)
    clip = make_clip()
    work = Path(tempfile.mkdtemp(prefix="dasan-video-bench-"))
    hub = HubProcess(work, allowed[0], max_calls=HUB_MAX_CALLS)
    started = time.monotonic()
    try:
        print("direct baseline, no hub:", flush=True)
        direct = await direct_steps(clip, range(1, 2), args.direct_hold, cores)
        await hub.start()
        print(f"hub started on {hub.url} (DASAN_VIDEO_MAX_CALLS={HUB_MAX_CALLS}); one more call per step:", flush=True)
        relayed = await relayed_steps(hub, clip, args.cap, args.hold, cores)
        if len(relayed) > 1:
            print("direct baseline with as many pairs as relayed calls:", flush=True)
            direct |= await direct_steps(clip, range(2, len(relayed) + 1), args.direct_hold, cores)
    except BaseException:
        print(f"the hub's log ends:\n{hub.log_tail()}", file=sys.stderr)
        raise
    finally:
        hub.stop()
        shutil.rmtree(work, ignore_errors=True)
    report(relayed, direct)
    print(f"(run took {time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    asyncio.run(main())
