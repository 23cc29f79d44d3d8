"""The sign-language video channel's configuration (`DASAN_VIDEO_*`). It needs no provider,
so it is always on; ICE servers are optional (host candidates work on one network)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sign_video.media import MediaSettings


@dataclass(frozen=True)
class Settings:
    media: MediaSettings


def from_env(env: Mapping[str, str], public_url: str) -> Settings:
    """`DASAN_VIDEO_ICE_SERVERS` (comma-separated `stun:`/`turn:` URLs),
    `DASAN_VIDEO_TURN_USERNAME`/`_CREDENTIAL`, `DASAN_VIDEO_RECORDINGS` (a folder, default
    `var/recordings`), `DASAN_VIDEO_MAX_CALLS` (concurrent calls in this process)."""
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
    return Settings(media)
