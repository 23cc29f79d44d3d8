"""The sign-language video channel's configuration (`DASAN_VIDEO_*`). It needs no provider,
so it is always on; ICE servers are optional (host candidates work on one network)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sign_video.media import MediaSettings

RETENTION_DAYS = 90
RETENTION_VARIABLES = ("DASAN_RETENTION_RECORDINGS_DAYS", "DASAN_VIDEO_RETENTION_DAYS")


@dataclass(frozen=True)
class CallTimes:
    """How long, in seconds, the hub waits for each side of a call before acting."""

    connect: float = 60.0
    """A call whose page never connects is ended."""
    resume: float = 30.0
    """A page whose socket dropped (a network change) may come back within this."""
    interpreter: float = 15.0
    """An interpreter whose console or media dropped: after this the call is requeued."""
    quality: float = 2.0
    """Both sides are told the call's quality this often."""


@dataclass(frozen=True)
class Settings:
    media: MediaSettings
    retention: timedelta = timedelta(days=RETENTION_DAYS)
    """How long a call's recording is kept before it is deleted."""
    times: CallTimes = CallTimes()


def from_env(env: Mapping[str, str], public_url: str) -> Settings:
    """`DASAN_VIDEO_ICE_SERVERS` (comma-separated `stun:`/`turn:` URLs),
    `DASAN_VIDEO_TURN_USERNAME`/`_CREDENTIAL`, `DASAN_VIDEO_RECORDINGS` (a folder, default
    `var/recordings`), `DASAN_RETENTION_RECORDINGS_DAYS` (or `DASAN_VIDEO_RETENTION_DAYS`; default
    90), `DASAN_VIDEO_MAX_CALLS` (concurrent calls in this process)."""
    servers = tuple(url.strip() for url in env.get("DASAN_VIDEO_ICE_SERVERS", "").split(",") if url.strip())
    username, credential = env.get("DASAN_VIDEO_TURN_USERNAME"), env.get("DASAN_VIDEO_TURN_CREDENTIAL")
    if any(url.startswith("turn") for url in servers) and not (username and credential):
        raise ValueError("A TURN server needs DASAN_VIDEO_TURN_USERNAME and DASAN_VIDEO_TURN_CREDENTIAL.")
    limits = {"max_calls": int(env["DASAN_VIDEO_MAX_CALLS"])} if env.get("DASAN_VIDEO_MAX_CALLS") else {}
    media = MediaSettings(
        recordings=Path(env.get("DASAN_VIDEO_RECORDINGS", "var/recordings")),
        ice_servers=servers,
        turn_username=username,
        turn_credential=credential,
        **limits,
    )
    # DASAN_RETENTION_RECORDINGS_DAYS names it beside the hub's other periods; the older name still counts.
    variable = next((name for name in RETENTION_VARIABLES if name in env), RETENTION_VARIABLES[0])
    days = float(env.get(variable, RETENTION_DAYS))
    if days <= 0:
        raise ValueError(f"{variable} must be a positive number of days.")
    return Settings(media, timedelta(days=days))
