"""The signalling frames of a sign-language video call, as JSON text over the hub's socket.

Every frame is one JSON object with a `type` and that type's fields; unknown fields are refused.

- `hello` (page → hub, first): `token`, the call's token from `POST /video/api/calls`; the
  interpreter's console sends none (its session authenticates the socket).
- `config` (hub → page, first after the socket is accepted): `ice_servers`, the STUN/TURN
  servers for the page's peer connection (`[{urls, username?, credential?}]`, may be empty).
- `offer` (page → hub): `sdp`, the page's complete offer (no trickle ICE: candidates inside).
- `answer` (hub → page): `sdp`, the answer to the page's last offer.
- `hangup` (both): `reason`, optional free text for the log.
- `chat` (both): `text` (1–2000 characters) beside the call; `author` (`citizen` or
  `interpreter`) is set by the hub on the way out and not trusted on the way in.
- `state` (hub → page): `state`, one of `queued`, `connected`, `reconnecting`, `ended`; with
  `queued`, and only then, `position` (1 = next) and `expected_wait_seconds`.
- `quality` (hub → page and console): `citizen`, `interpreter`, each `null` (no connection) or
  `{received_kbps, sent_kbps, frame_rate, packet_loss, remote_packet_loss, round_trip_ms}`,
  any of them `null` while not measured yet.
- `error` (hub → page): `code` (snake_case) and `message` (a sentence).

The page always offers and the hub always answers, also to reconnect after a network change
(a new peer connection, a new `offer`). Nothing here names aiortc or the hub's own media code:
a separate SFU could take the media later and speak these frames unchanged.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, TypeAdapter, ValidationError
from pydantic.dataclasses import dataclass

from model.errors import HubError, refuse_nul

MAX_SDP_CHARS = 65_536
"""A browser's offer with audio, video and host, reflexive and relayed candidates is ~10 kB."""

MAX_CHAT_CHARS = 2000

Side = Literal["citizen", "interpreter"]
CallState = Literal["queued", "connected", "reconnecting", "ended"]

_STRICT = ConfigDict(extra="forbid")


@dataclass(frozen=True, config=_STRICT)
class Hello:
    """The citizen's page names its call, first thing on the socket."""

    token: Annotated[str, Field(min_length=32, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    type: Literal["hello"] = "hello"


@dataclass(frozen=True, config=_STRICT)
class IceServer:
    """A STUN or TURN server, as a browser's `RTCIceServer`."""

    urls: str
    username: str | None = None
    credential: str | None = None


@dataclass(frozen=True, config=_STRICT)
class Config:
    """What a page needs before it makes its peer connection."""

    ice_servers: tuple[IceServer, ...] = ()
    type: Literal["config"] = "config"


@dataclass(frozen=True, config=_STRICT)
class Offer:
    """A page's session description offer."""

    sdp: Annotated[str, Field(min_length=1, max_length=MAX_SDP_CHARS)]
    type: Literal["offer"] = "offer"


@dataclass(frozen=True, config=_STRICT)
class Answer:
    """The hub's answer to the page's last offer."""

    sdp: Annotated[str, Field(min_length=1, max_length=MAX_SDP_CHARS)]
    type: Literal["answer"] = "answer"


@dataclass(frozen=True, config=_STRICT)
class Hangup:
    """One side ends the call."""

    reason: Annotated[str, Field(max_length=200)] = ""
    type: Literal["hangup"] = "hangup"


@dataclass(frozen=True, config=_STRICT)
class Chat:
    """Text beside the call (an address, a number to note down)."""

    text: Annotated[str, Field(min_length=1, max_length=MAX_CHAT_CHARS)]
    author: Side | None = None
    type: Literal["chat"] = "chat"


@dataclass(frozen=True, config=_STRICT)
class State:
    """Where the call stands, as the citizen's page shows it."""

    state: CallState
    position: Annotated[int, Field(ge=1)] | None = None
    expected_wait_seconds: Annotated[int, Field(ge=0)] | None = None
    type: Literal["state"] = "state"

    def __post_init__(self) -> None:
        queued = self.state == "queued"
        if queued != (self.position is not None) or queued != (self.expected_wait_seconds is not None):
            raise ValueError("'position' and 'expected_wait_seconds' come with the state 'queued' and only with it")


@dataclass(frozen=True, config=_STRICT)
class SideQuality:
    """One side's connection to the hub as measured there; None where not measured (yet)."""

    received_kbps: float | None = None
    """What the side sends to the hub (all its media, transport level)."""
    sent_kbps: float | None = None
    """What the hub sends to the side."""
    frame_rate: float | None = None
    """Video frames per second the hub receives from the side."""
    packet_loss: float | None = None
    """Fraction (0–1) of the side's packets lost on the way to the hub, since it connected."""
    remote_packet_loss: float | None = None
    """Fraction (0–1) of the hub's packets the side reports lost, since it connected."""
    round_trip_ms: float | None = None


@dataclass(frozen=True, config=_STRICT)
class Quality:
    """Both sides' connection quality."""

    citizen: SideQuality | None = None
    interpreter: SideQuality | None = None
    type: Literal["quality"] = "quality"


@dataclass(frozen=True, config=_STRICT)
class Error:
    """A refusal the page shows or acts on."""

    code: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
    message: Annotated[str, Field(min_length=1, max_length=500)]
    type: Literal["error"] = "error"


Frame = Hello | Config | Offer | Answer | Hangup | Chat | State | Quality | Error
_FRAMES: TypeAdapter[Frame] = TypeAdapter(Annotated[Frame, Field(discriminator="type")])


def dump(frame: Frame) -> str:
    """The frame as JSON text."""
    return _FRAMES.dump_json(frame).decode()


def load(raw: str | bytes) -> Frame:
    """One incoming frame, validated; a HubError (400) naming what is wrong otherwise."""
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as error:
        raise HubError(400, "malformed_frame", f"The frame is not valid JSON: {error}.") from None
    if not isinstance(data, dict):
        raise HubError(400, "invalid_frame", "The frame must be a JSON object.")
    refuse_nul(data)
    try:
        return _FRAMES.validate_python(data)
    except ValidationError as error:
        raise HubError(400, "invalid_frame", _describe(error, data)) from None


def _describe(error: ValidationError, data: dict[str, object]) -> str:
    """The first problem as a sentence naming the frame type and the field."""
    first = error.errors()[0]
    kind = data.get("type")
    if first["type"] == "union_tag_not_found":
        return "The frame has no 'type'."
    if first["type"] == "union_tag_invalid":
        return f"The frame type {_cut(json.dumps(kind))} is unknown (known: {first['ctx']['expected_tags']})."
    field = _cut(".".join(str(part) for part in first["loc"][1:]))
    if first["type"] == "missing":
        return f"The '{kind}' frame needs the field '{field}'."
    if first["type"] == "unexpected_keyword_argument":
        return f"The '{kind}' frame has no field '{field}'."
    where = f"field '{field}'" if field else "frame"
    return f"The '{kind}' {where} is invalid: {first['msg'].removeprefix('Value error, ')}."


def _cut(sent: str, limit: int = 60) -> str:
    """What the page sent, cut short: the error frame that names it has a bounded message."""
    return sent if len(sent) <= limit else sent[:limit] + "…"
