"""What the fuzz test (tests/test_fuzz.py) throws at the hub, and the hub it throws it at.

The hub runs with every channel on a real port from an event loop of its own, in a thread: the
hypothesis tests stay synchronous and send each case through `LiveHub.call`. Requests go out
as raw bytes (the path and query already percent-encoded), so that nothing on the client side
repairs what the case breaks.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import Counter
from collections.abc import Coroutine
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import aiohttp
from aiohttp import web
from hypothesis import strategies as st
from sqlalchemy import text as sql_text
from yarl import URL

from channels.api.settings import Settings as ApiSettings
from channels.kakao.settings import Settings as KakaoSettings
from channels.registry import configured
from channels.sms.settings import Settings as SmsSettings
from channels.telegram.settings import Settings as TelegramSettings
from hub.app import MAX_BODY_BYTES
from hub.auth import AuthSettings
from hub.core import HUB, Hub
from hub.limits import LimitSettings, Rate
from model import Channel
from sign_video.media import MediaSettings
from sign_video.settings import CallTimes
from sign_video.settings import Settings as VideoSettings
from tests.conftest import DEMO_PASSWORD, hub_app, hub_settings
from tests.standins.telegram import SECRET as TELEGRAM_SECRET
from tests.standins.telegram import TOKEN as TELEGRAM_TOKEN
from tests.standins.telegram import TelegramStandIn
from tests.standins.twilio import TwilioStandIn

T = TypeVar("T")

PUBLIC_URL = "https://hub.example.test"
"""What the providers were told: Twilio signs over it."""
API_KEY = "fuzz-api-channel-key-0123456789abcdef"
KAKAO_TOKEN = "kakao-skill-fuzz-Qm2v9LpR4tZ8wK3n"
KAKAO_BOT = "dasan-bot-fuzz"
HUB_NUMBER = "+8215880120"
ADMIN = "admin"
CALL_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(repr=False)  # a failing assertion shows the database, not every field
class LiveHub:
    """The hub with every channel, serving on 127.0.0.1 from its own event loop thread."""

    database_url: str
    workdir: Path
    share: float = 1.0
    """The share of each endpoint's examples this hub gets (fewer on the slower engine)."""
    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop, init=False)
    url: str = field(default="", init=False)
    """Where the hub listens, once started."""
    cases: Counter[str] = field(default_factory=Counter)
    """How many cases each endpoint got, by label."""
    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    """The statuses each endpoint answered, by label: 2xx among them shows the cases get through."""
    acknowledged: set[str] = field(default_factory=set)
    """Ids of the API channel's messages the hub acknowledged as new."""
    twilio_token: str = field(default="", init=False)
    """The Twilio stand-in's auth token: the SMS webhooks are signed with it."""
    _thread: threading.Thread | None = field(default=None, init=False)
    _stack: AsyncExitStack = field(default_factory=AsyncExitStack, init=False)
    _session: aiohttp.ClientSession | None = field(default=None, init=False)
    _app: web.Application | None = field(default=None, init=False)

    # -- running ------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"LiveHub({self.database_url!r})"

    def start(self) -> None:
        self._thread = threading.Thread(target=self.loop.run_forever, name="fuzzed-hub", daemon=True)
        self._thread.start()
        self.call(self._start())

    def stop(self) -> None:
        try:
            self.call(self._stack.aclose())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            if self._thread is not None:
                self._thread.join(timeout=30)
            self.loop.close()

    def call(self, work: Coroutine[Any, Any, T], timeout: float = CALL_TIMEOUT_SECONDS) -> T:
        """Run `work` on the hub's loop and wait for its result (a hang fails the test)."""
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout)

    async def _start(self) -> None:
        twilio = await self._stack.enter_async_context(TwilioStandIn())
        telegram = await self._stack.enter_async_context(TelegramStandIn())
        self.twilio_token = twilio.auth_token
        given = {
            Channel.API: ApiSettings(key=API_KEY),
            Channel.SMS: SmsSettings(
                account_sid=twilio.account_sid,
                auth_token=twilio.auth_token,
                from_number=HUB_NUMBER,
                public_url=PUBLIC_URL,
                api_base_url=twilio.base_url,
                sends_per_second=50.0,
            ),
            Channel.TELEGRAM: TelegramSettings(
                token=TELEGRAM_TOKEN,
                secret=TELEGRAM_SECRET,
                mode="webhook",
                api_base_url=telegram.base_url,
                public_url=PUBLIC_URL,
                poll_timeout=1,
            ),
            Channel.KAKAO: KakaoSettings(skill_token=KAKAO_TOKEN, bot_id=KAKAO_BOT),
            Channel.SIGN_VIDEO: VideoSettings(
                # Enough lines for every call the cases open; unconnected ones end after a few seconds.
                MediaSettings(recordings=self.workdir / "recordings", max_calls=500),
                times=CallTimes(connect=3.0, resume=1.0),
            ),
        }
        channels = tuple(configured({}, PUBLIC_URL, given=given, extra=("sign_video",)))
        # Limits and lockouts have tests of their own; here they would only keep the cases from the parsers.
        unlimited = Rate(10**9, 10**9)
        settings = hub_settings(
            self.database_url,
            channels=channels,
            public_url=PUBLIC_URL,
            limits=LimitSettings(per_address=unlimited, per_sender=unlimited, per_conversation=unlimited),
            auth=AuthSettings(max_failures=10**9, max_failures_per_address=10**9),
        )
        self._app = hub_app(settings)
        runner = web.AppRunner(self._app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        self._stack.push_async_callback(runner.cleanup)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=CALL_TIMEOUT_SECONDS))
        self._stack.push_async_callback(self._session.close)

    @property
    def app(self) -> web.Application:
        assert self._app is not None
        return self._app

    @property
    def hub(self) -> Hub:
        return self.app[HUB]

    @property
    def session(self) -> aiohttp.ClientSession:
        assert self._session is not None
        return self._session

    # -- requests -----------------------------------------------------------------------

    async def request(
        self, method: str, target: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Reply:
        """One request; `target` is the path and query, already percent-encoded."""
        url = URL(self.url + target, encoded=True)
        async with self.session.request(
            method, url, data=body, headers=headers or {}, skip_auto_headers=("Content-Type",)
        ) as response:
            return Reply(response.status, await response.read(), dict(response.headers))

    def send(self, method: str, target: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> Reply:
        return self.call(self.request(method, target, body, headers))

    def tried_with(
        self, label: str, method: str, target: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Reply:
        """One case for the endpoint `label`: sent, counted with its status."""
        reply = self.send(method, target, body, headers)
        self.tried(label, reply.status)
        return reply

    def send_json(self, method: str, target: str, data: Any, headers: dict[str, str] | None = None) -> Reply:
        return self.send(
            method, target, json.dumps(data).encode(), {"Content-Type": "application/json", **(headers or {})}
        )

    def login(self, username: str = ADMIN) -> dict[str, str]:
        """Bearer headers for a demo agent."""
        reply = self.send_json("POST", "/api/v1/auth/login", {"username": username, "password": DEMO_PASSWORD})
        assert reply.status == 200, reply.body
        return {"Authorization": f"Bearer {reply.json()['token']}"}

    def healthy(self) -> bool:
        return self.send("GET", "/healthz").status == 200

    def tried(self, label: str, status: int) -> None:
        """Count one case of the endpoint `label` and the status it got."""
        self.cases[label] += 1
        self.statuses.setdefault(label, Counter())[status] += 1

    def examples(self, count: int) -> int:
        return max(1, round(count * self.share))

    def acknowledge(self, answer: dict[str, Any]) -> None:
        """Note an API channel answer: a new message once, a duplicate of one acknowledged before."""
        if answer["duplicate"]:
            assert answer["message_id"] in self.acknowledged, f"a duplicate of nothing acknowledged: {answer}"
        else:
            assert answer["message_id"] not in self.acknowledged, f"acknowledged as new twice: {answer}"
            self.acknowledged.add(answer["message_id"])

    def count(self, query: str) -> int:
        """The single number a plain SQL query answers, read through the hub's store."""

        async def read() -> int:
            async with self.hub.store.read() as session:
                return int((await session.execute(sql_text(query))).scalar_one())

        return self.call(read())


# -- hostile values ------------------------------------------------------------------------

EDGE_STRINGS = [
    "",
    " ",
    "\t\n",
    "\x00",
    "a\x00b",
    "\ud800",  # a lone surrogate: only a JSON escape or surrogatepass carries it
    "text \udfff",
    "\u202e\u200f?tneduts",  # right-to-left override and mark
    "e" + "\u0301" * 300,  # a pile of combining accents
    "👩‍👩‍👧‍👦🇰🇷",
    "\ufeff\ufffe\uffff",
    "가" * 5000,
    "-1",
    "0",
    "1.5",
    "1e309",
    "99999999999999999999999999",
    "-9223372036854775809",
    "NaN",
    "Infinity",
    "null",
    "true",
    "[]",
    "{}",
    "١٢٣",  # Arabic-Indic digits: str.isdigit() says yes
    "²",
    "../../../etc/passwd",
    "..%2f..%2fetc%2fpasswd",
    "%00",
    "<script>alert(1)</script>",
    "' OR '1'='1' --",
    "{{7*7}}${7*7}",
    "\r\nSet-Cookie: x=1",
    "2026-02-30",
    "2026-13-01",
    "0000-00-00",
    "9999-12-31",
    "0001-01-01",
    "-0001-01-01",
    "2026-01-01T25:61:00Z",
    "2026-W01",
    "ko",
    "xx",
    "KO",
    "available",
    "resolved",
    "transport",
    "sign_language",
    "admin",
    "jsonl",
    "xlsx",
    "month",
]

text = st.one_of(st.sampled_from(EDGE_STRINGS), st.text(max_size=40))
"""A hostile string: an edge case above, or anything hypothesis makes (unicode included)."""

numbers = st.one_of(
    st.integers(min_value=-(2**31), max_value=2**31),
    st.sampled_from([2**63, -(2**63) - 1, 10**30, 0, -1]),
    st.floats(allow_nan=False, allow_infinity=False),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, text)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4), max_leaves=10
)


def with_extra_keys(objects: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """The objects, now and then with keys nobody expects."""
    extra = st.dictionaries(text, json_values, max_size=2)
    return st.one_of(objects, st.tuples(objects, extra).map(lambda pair: {**pair[1], **pair[0]}))


def from_schema(schema: dict[str, Any], defs: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values close to what the JSON schema asks (so that cases pass the first checks and reach
    the code behind them), mixed with values of the wrong type."""
    if "$ref" in schema:
        return from_schema(defs.get(schema["$ref"].rsplit("/", 1)[-1], {}), defs, depth)
    choices = [subschema for key in ("anyOf", "oneOf", "allOf") for subschema in schema.get(key, [])]
    if choices:
        return st.one_of([from_schema(choice, defs, depth) for choice in choices])
    if "enum" in schema or "const" in schema:
        return st.sampled_from(schema.get("enum", [schema.get("const")]))
    kind = schema.get("type")
    if kind == "string":
        return text
    if kind == "integer":
        return st.integers(min_value=-5, max_value=500) | numbers
    if kind == "number":
        return numbers
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array" and depth < 3:
        return st.lists(from_schema(schema.get("items", {}), defs, depth + 1), max_size=4)
    if kind == "object" and depth < 3:
        return objects(schema, defs, depth + 1)
    return json_values


def objects(schema: dict[str, Any], defs: dict[str, Any], depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    """An object of the schema's fields (some left out), now and then with an extra key or a
    field of the wrong type."""
    fields = {name: from_schema(sub, defs, depth) for name, sub in schema.get("properties", {}).items()}
    required = set(schema.get("required", ()))
    whole = st.fixed_dictionaries(
        {name: value for name, value in fields.items() if name in required},
        optional={name: value for name, value in fields.items() if name not in required},
    )
    sparse = st.fixed_dictionaries({}, optional=fields)
    wrong = st.dictionaries(st.sampled_from(sorted(fields)) if fields else text, json_values, max_size=4)
    return st.one_of(whole, whole, with_extra_keys(whole), sparse, wrong)


def encoded_json(value: Any) -> st.SearchStrategy[bytes]:
    """`value` as JSON bytes, escaped or raw UTF-8 (lone surrogates then go out as invalid UTF-8)."""
    return st.sampled_from([True, False]).map(
        lambda ascii_only: json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    )


RAW_BODIES = [
    b"",
    b"{",
    b'{"a": }',
    b"null",
    b"[]",
    b'"text"',
    b"12",
    b"\xff\xfe\x00",
    b"\xef\xbb\xbf{}",  # a byte-order mark before the object
    b'{"text": NaN, "n": Infinity}',
    b'{"a": 1, "a": 2}',
    b'{"text": "\\ud800\\udc00\\udbff"}',
    b"[" * 100_000,  # deep nesting within the body limit
    b'{"a":' * 40_000 + b"1" + b"}" * 40_000,
    json.dumps({"text": "가" * 80_000}).encode(),  # a huge string within the body limit
    b'{"text": "' + b"a" * (MAX_BODY_BYTES + 1024) + b'"}',  # and one above it
    b"username=admin&password=dasan120",
    b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nq,a\r\n--x--\r\n',
]
CONTENT_TYPES = [
    "application/json",
    "application/json",
    "application/json; charset=latin-1",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "text/csv",
    "",
]


def bodies(schema: dict[str, Any] | None, defs: dict[str, Any]) -> st.SearchStrategy[bytes]:
    """Request bodies: mostly JSON objects near the schema, also any JSON, raw bytes, the edge cases."""
    near = objects(schema, defs) if schema else st.dictionaries(text, json_values, max_size=4)
    return st.one_of(
        near.flatmap(encoded_json),
        near.flatmap(encoded_json),
        json_values.flatmap(encoded_json),
        st.sampled_from(RAW_BODIES),
        st.binary(max_size=64),
    )


QUERY_KEYS = [
    "from", "to", "q", "lang", "limit", "format", "state", "queue", "mine", "days", "kind", "period",
    "channel", "language", "category", "agent", "team", "sender", "after", "outdated", "conversation",
    "month", "offset", "base",
]  # fmt: skip


def query_strings(names: list[str]) -> st.SearchStrategy[str]:
    """A percent-encoded query string over the endpoint's own parameters and some common ones."""
    keys = st.sampled_from(sorted(set(names) | set(QUERY_KEYS)))
    dates = st.dates().map(str) | st.datetimes().map(lambda moment: moment.isoformat())
    values = st.one_of(text, dates, numbers.map(str), st.sampled_from(["2026-11-01", "2026-11-30", "2026-11"]))
    pairs = st.lists(st.tuples(keys | text, values), max_size=5)
    return pairs.map(lambda items: "&".join(f"{encode(key)}={encode(value)}" for key, value in items) if items else "")


def encode(value: str) -> str:
    """Percent-encoded UTF-8 (lone surrogates as their raw, invalid bytes)."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def path_values(known: list[str]) -> st.SearchStrategy[str]:
    """A path parameter: an id that exists, or a hostile string."""
    hostile = text.filter(lambda value: value not in ("", ".", ".."))
    return st.sampled_from(known) | hostile if known else hostile


ANONYMOUS_HEADERS = [
    {},
    {"Authorization": "Bearer not-a-token"},
    {"Authorization": "Bearer " + "x" * 4000},
    {"Authorization": "Basic YWRtaW46ZGFzYW4xMjA="},
    {"Authorization": "Bearer"},
    {"Cookie": "dasan_session=forged"},
    {"Cookie": "dasan_session=%00%ff"},
]
