"""Malformed and hostile input at every endpoint and every webhook: no 5xx, no crash, nothing
half-written.

The endpoints are read off the running app's router, so an endpoint added later is fuzzed without
touching this file; request bodies follow the OpenAPI document's schemas where it has one. Each
provider's webhook is signed the provider's way, so that the cases reach its parser. The number
of cases tried per endpoint is printed when the hub stops.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp
import asyncpg
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from channels.kakao.inbound import SKILL_PATH
from channels.sms.settings import SMS_PATH, STATUS_PATH
from channels.telegram.inbound import SECRET_HEADER
from channels.telegram.settings import WEBHOOK_PATH as TELEGRAM_PATH
from hub.api.openapi import document
from tests.conftest import POSTGRES_ADMIN
from tests.fuzzing import (
    ANONYMOUS_HEADERS,
    API_KEY,
    CONTENT_TYPES,
    KAKAO_BOT,
    KAKAO_TOKEN,
    PUBLIC_URL,
    LiveHub,
    Reply,
    bodies,
    encode,
    encoded_json,
    json_values,
    numbers,
    path_values,
    query_strings,
    text,
    with_extra_keys,
)
from tests.standins.telegram import SECRET as TELEGRAM_SECRET

API_CHANNEL = "/api/v1/channels/api/messages"
KAKAO_SKILL = SKILL_PATH.format(token=KAKAO_TOKEN)
LAST = ("/api/v1/auth/",)
"""Logging in and out goes last: a fuzzed logout ends the admin's session, a fuzzed login may
throttle the address."""


# -- the hub under fire ----------------------------------------------------------------------


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    """One hub with every channel for the whole module, on each engine (PostgreSQL gets fewer cases)."""
    workdir = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    database = None
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir / 'hub.db'}"
    else:
        database = f"dasan_fuzz_{uuid.uuid4().hex[:12]}"
        asyncio.run(_postgres(f'CREATE DATABASE "{database}"'))
        url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{database}"
    hub = LiveHub(url, workdir, share=1.0 if request.param == "sqlite" else 0.25)
    try:
        hub.start()
        yield hub
    finally:
        hub.stop()
        if database is not None:
            asyncio.run(_postgres(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        capture = request.config.pluginmanager.getplugin("capturemanager")
        with capture.global_and_fixture_disabled():
            print(f"\nfuzz cases on {request.param}, per endpoint:")
            for label, count in sorted(hub.cases.items()):
                statuses = " ".join(f"{status}×{n}" for status, n in sorted(hub.statuses.get(label, {}).items()))
                print(f"  {count:5d}  {label}  {statuses}")
            print(f"fuzz cases on {request.param}: {sum(hub.cases.values())} in total")


async def _postgres(statement: str) -> None:
    admin = await asyncpg.connect(POSTGRES_ADMIN)
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


def fuzz(examples: int) -> Callable[[Any], Any]:
    """Hypothesis settings for one endpoint: reproducible, no deadline (the hub is on a shared
    machine), no example database."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        # The first failing case, unshrunk: every request costs, and the cases read plainly as they are.
        phases=(Phase.explicit, Phase.generate),
    )


def survived(reply: Reply, case: object) -> None:
    assert reply.status < 500, f"{reply.status} {reply.body[:500]!r} for {case!r}"


def some_accepted(live: LiveHub, label: str) -> None:
    """Some cases were taken (2xx): the signed ones got past the door to the parser and beyond."""
    statuses = live.statuses.get(label, {})
    assert any(200 <= status < 300 for status in statuses), f"{label}: no case accepted ({dict(statuses)})"


# -- every route of the app --------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    """The route's pattern: `{name}` for each path parameter."""
    parameters: tuple[str, ...]
    body: dict[str, Any] | None
    """The OpenAPI request body schema, when the document has one."""
    query: tuple[str, ...]
    """Query parameters the OpenAPI summary names (`?state=&queue=`)."""

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    def target(self, values: tuple[str, ...], query: str) -> str:
        path = self.path
        for name, value in zip(self.parameters, values, strict=True):
            path = path.replace("{" + name + "}", encode(value), 1)
        return path + (f"?{query}" if query else "")


def endpoints(live: LiveHub) -> list[Endpoint]:
    """Every method and path the app serves (static folders with a file name to fill in)."""
    described = document()
    found: dict[tuple[str, str], Endpoint] = {}
    for route in live.app.router.routes():
        if route.method == "HEAD":
            continue  # aiohttp adds one to every GET
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("formatter") or info.get("path") or info.get("prefix", "") + "/{filename}"
        path = re.sub(r"\{(\w+):[^}]*\}", r"{\1}", path)
        operation = described["paths"].get(path, {}).get(route.method.lower(), {})
        schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        found[(route.method, path)] = Endpoint(
            method=route.method,
            path=path,
            parameters=tuple(re.findall(r"\{(\w+)\}", path)),
            body=schema,
            query=tuple(re.findall(r"[?&](\w+)=", operation.get("summary", ""))),
        )
    return sorted(found.values(), key=lambda e: (e.path.startswith(LAST), e.path, e.method))


def known_ids(live: LiveHub, admin: dict[str, str]) -> dict[str, list[str]]:
    """Ids that exist, by the collection they were listed in (`conversations`, `teams`, `agents`…),
    read off every list the API gives an admin."""
    live.send_json("POST", "/api/v1/teams", {"name": "Fuzz team"}, admin)
    found: dict[str, set[str]] = {}

    def walk(value: Any, collection: str) -> None:
        if isinstance(value, dict):
            for key in ("id", "username", "name"):
                if isinstance(value.get(key), (str, int)) and not isinstance(value.get(key), bool):
                    found.setdefault(collection, set()).add(str(value[key]))
            for key, inner in value.items():
                walk(inner, key if isinstance(inner, (list, dict)) else collection)
        elif isinstance(value, list):
            for inner in value:
                walk(inner, collection)

    for endpoint in endpoints(live):
        if endpoint.method == "GET" and endpoint.path.startswith("/api/v1/") and not endpoint.parameters:
            reply = live.send("GET", endpoint.path, headers=admin)
            if reply.status == 200 and reply.headers.get("Content-Type", "").startswith("application/json"):
                walk(reply.json(), endpoint.path.rsplit("/", 1)[-1])
    found.setdefault("contacts", set()).update(found.get("contact", set()))
    found.setdefault("articles", set()).update(found.get("entries", set()))
    return {collection: sorted(ids) for collection, ids in found.items()}


def ids_for(endpoint: Endpoint, parameter: str, known: dict[str, list[str]]) -> list[str]:
    """The existing ids a path parameter names: those of the collection before it in the path."""
    parts = endpoint.path.split("/")
    collection = next(parts[i - 1] for i, part in enumerate(parts) if "{" + parameter + "}" in part)
    return known.get(collection) or sorted({value for values in known.values() for value in values})[:50]


@dataclass(frozen=True)
class Case:
    values: tuple[str, ...]
    query: str
    body: bytes | None
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))  # how hypothesis shows a failing case: shortened like repr

    def __repr__(self) -> str:
        body = self.body if self.body is None or len(self.body) < 300 else self.body[:300] + b"..."
        return f"Case({self.values!r}, query={self.query!r}, body={body!r}, {self.content_type!r}, {self.headers!r})"


# Cases the fuzz once found answered with a 5xx, by endpoint: (each path parameter's value, query, body).
REGRESSIONS: dict[str, list[tuple[str, str, bytes | None]]] = {
    # int('²') passed str.isdigit() and failed.
    "DELETE /api/v1/teams/{id}": [("²", "", None)],
    # A part id no 64-bit integer holds.
    "PUT /api/v1/agents/{username}/part": [("kim", "", b'{"part": -9223372036854775809}')],
    # A JSON line nested past Python's recursion limit.
    "POST /api/v1/kb/import": [("", "format=jsonl", b"[" * 5000)],
    # An id no 64-bit integer holds.
    "POST /api/v1/kb/questions/draft": [("", "", b'{"question_ids": [1000000000000000000000000000000]}')],
}


def cases(endpoint: Endpoint, known: dict[str, list[str]], anonymous: bool) -> st.SearchStrategy[Case]:
    values = st.tuples(*(path_values(ids_for(endpoint, name, known)) for name in endpoint.parameters))
    defs = (endpoint.body or {}).get("$defs", {})
    body = bodies(endpoint.body, defs)
    if endpoint.method in ("GET", "DELETE"):
        body = st.none() | st.none() | body
    headers = st.sampled_from(ANONYMOUS_HEADERS).map(lambda h: tuple(h.items())) if anonymous else st.just(())
    return st.builds(Case, values, query_strings(list(endpoint.query)), body, st.sampled_from(CONTENT_TYPES), headers)


def fire(live: LiveHub, endpoint: Endpoint, case: Case, auth: dict[str, str], label: str) -> Reply:
    headers = {**auth, **dict(case.headers)}
    if case.content_type:
        headers["Content-Type"] = case.content_type
    return live.tried_with(label, endpoint.method, endpoint.target(case.values, case.query), case.body, headers)


def attack(live: LiveHub, endpoint: Endpoint, known: dict[str, list[str]], admin: dict[str, str] | None) -> None:
    """Fuzz one endpoint as the admin, or anonymously (`admin` None) with forged credentials."""
    label = f"{endpoint.label} ({'admin' if admin else 'anonymous'})"

    @fuzz(live.examples(10 if admin else 3))
    @given(cases(endpoint, known, anonymous=admin is None))
    def one(case: Case) -> None:
        survived(fire(live, endpoint, case, admin or {}, label), case)

    for value, query, body in REGRESSIONS.get(endpoint.label, []):
        one = example(Case((value,) * len(endpoint.parameters), query, body, "application/json"))(one)
    one()


def test_every_endpoint_answers_hostile_requests_without_a_5xx(live: LiveHub) -> None:
    admin = live.login()
    seed_conversations(live)
    known = known_ids(live, admin)
    routes = endpoints(live)
    assert len(routes) > 60, "the router lists fewer routes than the hub has"
    failures = []
    for endpoint in routes:
        for auth in (admin, None):
            try:
                attack(live, endpoint, known, auth)
            except AssertionError as failure:  # every endpoint still gets its turn; all failures are listed
                failures.append(f"{endpoint.label} ({'admin' if auth else 'anonymous'}): {failure}")
        assert live.healthy(), f"the hub stopped answering after {endpoint.label}"
        if live.send("GET", "/api/v1/me", headers=admin).status == 401:
            admin = live.login()  # a fuzzed logout or token revocation ended the session
    assert not failures, "\n".join(failures)
    assert_nothing_half_written(live)


# -- the providers' webhooks, signed ----------------------------------------------------------


def seed_conversations(live: LiveHub) -> None:
    for number in range(3):
        reply = live.send_json(
            "POST",
            API_CHANNEL,
            {"sender": f"seed-{number}", "text": "따릉이 대여 방법 알려주세요", "message_id": f"seed-{number}"},
            {"Authorization": f"Bearer {API_KEY}"},
        )
        assert reply.status == 200, reply.body
        live.acknowledge(reply.json())


api_fields = {
    "sender": st.sampled_from(["citizen-1", "citizen-2"]) | st.uuids().map(str) | text,
    "text": st.sampled_from(["따릉이 대여 방법", "상담원 연결", "water bill"]) | text,
    "message_id": st.sampled_from(["m-1", "m-2"]) | st.uuids().map(str) | text,
}
api_messages = st.one_of(
    with_extra_keys(
        st.fixed_dictionaries(
            api_fields,
            optional={
                "language": st.sampled_from(["ko", "en", "zh", "ja", "vi", "mn"]) | text,
                "metadata": json_values,
            },
        )
    ),
    st.fixed_dictionaries({}, optional=api_fields),
)


def test_the_api_channel_stores_each_acknowledged_message_once(live: LiveHub) -> None:
    key = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}

    @fuzz(live.examples(80))
    @given(api_messages.flatmap(lambda message: st.tuples(st.just(message), encoded_json(message))))
    def post(case: tuple[dict[str, Any], bytes]) -> None:
        message, body = case
        reply = live.tried_with(f"POST {API_CHANNEL} (with the key)", "POST", API_CHANNEL, body, key)
        survived(reply, message)
        if reply.status == 200:
            live.acknowledge(reply.json())

    @fuzz(live.examples(20))
    @given(query_strings(["sender", "after"]))
    @example("sender=citizen-1&after=%C2%B2")  # '²': str.isdigit() says yes, int() says no
    @example("sender=citizen-1&after=99999999999999999999999999")  # past the store's integers
    def poll(query: str) -> None:
        survived(
            live.tried_with(f"GET {API_CHANNEL} (with the key)", "GET", f"{API_CHANNEL}?{query}", None, key), query
        )

    post()
    poll()
    some_accepted(live, f"POST {API_CHANNEL} (with the key)")
    before = live.count("SELECT count(*) FROM messages")
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": API_KEY}):
        reply = live.send_json("POST", API_CHANNEL, {"sender": "x", "text": "y", "message_id": "z"}, headers)
        assert reply.status == 401, reply.body
    assert live.count("SELECT count(*) FROM messages") == before
    assert_nothing_half_written(live)


def twilio_post(live: LiveHub, path: str, form: dict[str, str], token: str | None = None) -> Reply:
    """A form posted as Twilio does, signed with the account's auth token (or `token`)."""
    signature = RequestValidator(token or live.twilio_token).compute_signature(PUBLIC_URL + path, form)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
    return live.tried_with(f"POST {path} (signed)", "POST", path, urlencode(list(form.items())).encode(), headers)


form_text = text.map(lambda value: value.encode("utf-8", "replace").decode())
"""What a form can carry: no lone surrogates."""
sms_forms = st.fixed_dictionaries(
    {
        "From": st.sampled_from(["+821012345678", "+821099998888"]) | form_text,
        "MessageSid": st.uuids().map(lambda u: f"SM{u.hex}") | form_text,
        "Body": form_text,
    },
    optional={
        "To": form_text,
        "AccountSid": form_text,
        "NumMedia": st.sampled_from(["0", "1", "3", "11", "-1", "x", "1" * 5000]) | form_text,
        "MediaUrl0": st.sampled_from(["https://api.twilio.com/media/1", "http://127.0.0.1:1/x", "file:///etc/passwd"]),
        "MediaContentType0": st.sampled_from(["image/jpeg", "text/vcard", ""]) | form_text,
        "SmsStatus": form_text,
    },
).flatmap(lambda form: st.dictionaries(form_text, form_text, max_size=2).map(lambda extra: {**extra, **form}))
status_forms = st.fixed_dictionaries(
    {},
    optional={
        "MessageSid": form_text,
        "MessageStatus": st.sampled_from(["delivered", "failed", "undelivered", "sent", "read"]) | form_text,
        "SmsStatus": form_text,
        "ErrorCode": st.sampled_from(["0", "30003", "21610"]) | form_text,
    },
)


def test_signed_twilio_webhooks_reach_the_parser_and_never_fail(live: LiveHub) -> None:
    @fuzz(live.examples(60))
    @given(sms_forms)
    def inbound(form: dict[str, str]) -> None:
        reply = twilio_post(live, SMS_PATH, form)
        survived(reply, form)
        assert reply.status != 403, "a signed request was refused: the cases never reach the parser"

    @fuzz(live.examples(25))
    @given(status_forms)
    @example({"MessageSid": "SM\x00", "MessageStatus": "failed"})  # NUL: PostgreSQL refused it with a 500
    def status(form: dict[str, str]) -> None:
        reply = twilio_post(live, STATUS_PATH, form)
        survived(reply, form)
        assert reply.status != 403

    inbound()
    status()
    some_accepted(live, f"POST {SMS_PATH} (signed)")
    some_accepted(live, f"POST {STATUS_PATH} (signed)")
    form = {"From": "+821055554444", "Body": "unsigned", "MessageSid": "SMunsigned"}
    assert twilio_post(live, SMS_PATH, form, token="0" * 32).status == 403
    assert (
        live.send(
            "POST", SMS_PATH, urlencode(form).encode(), {"Content-Type": "application/x-www-form-urlencoded"}
        ).status
        == 403
    )
    assert live.count("SELECT count(*) FROM messages WHERE provider_message_id = 'SMunsigned'") == 0
    assert_nothing_half_written(live)


def telegram_user(chat: Any) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"id": st.just(chat), "is_bot": st.booleans(), "first_name": text},
        optional={"language_code": st.sampled_from(["ko", "en", "zh-hans", "mn"]) | text, "username": text},
    )


chats = st.sampled_from([5550001, 5550002]) | numbers | text
telegram_messages = chats.flatmap(
    lambda chat: with_extra_keys(
        st.fixed_dictionaries(
            {
                "message_id": st.integers(min_value=1, max_value=10**6) | numbers,
                "date": st.integers(min_value=0, max_value=2**31) | numbers | text,
                "chat": st.fixed_dictionaries(
                    {"id": st.just(chat), "type": st.sampled_from(["private", "group"]) | text}
                ),
            },
            optional={
                "from": telegram_user(chat),
                "text": text,
                "caption": text,
                "photo": st.lists(
                    st.fixed_dictionaries(
                        {"file_id": text, "file_unique_id": text, "width": numbers, "height": numbers}
                    )
                ),
                "location": st.fixed_dictionaries({"latitude": numbers, "longitude": numbers}),
                "entities": st.lists(st.fixed_dictionaries({"type": text, "offset": numbers, "length": numbers})),
                "contact": json_values,
            },
        )
    )
)
telegram_updates = with_extra_keys(
    st.fixed_dictionaries(
        {"update_id": st.integers(min_value=1, max_value=2**31) | numbers | text},
        optional={
            "message": telegram_messages,
            "edited_message": telegram_messages,
            "callback_query": st.fixed_dictionaries(
                {"id": text, "from": telegram_user(5550001), "chat_instance": text},
                optional={"data": text, "message": telegram_messages},
            ),
        },
    )
)


def test_telegram_updates_with_the_secret_reach_the_parser_and_never_fail(live: LiveHub) -> None:
    headers = {SECRET_HEADER: TELEGRAM_SECRET, "Content-Type": "application/json"}

    @fuzz(live.examples(80))
    @given(telegram_updates.flatmap(encoded_json) | json_values.flatmap(encoded_json))
    # Dates past the platform's clock: OverflowError, then OSError (EOVERFLOW).
    @example(b'{"update_id": 1, "message": {"message_id": 1, "date": -9223372036854775809, "chat": {"id": 1}}}')
    @example(b'{"update_id": 1, "message": {"message_id": 1, "date": 100000000000000000, "chat": {"id": 1}}}')
    def update(body: bytes) -> None:
        reply = live.tried_with(f"POST {TELEGRAM_PATH} (with the secret)", "POST", TELEGRAM_PATH, body, headers)
        survived(reply, body)
        assert reply.status != 403

    update()
    some_accepted(live, f"POST {TELEGRAM_PATH} (with the secret)")
    good = {"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "text": "x"}}
    for wrong in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: ""}):
        assert live.send_json("POST", TELEGRAM_PATH, good, wrong).status == 403
    assert_nothing_half_written(live)


def kakao_payload(bot: Any) -> st.SearchStrategy[dict[str, Any]]:
    user = st.fixed_dictionaries(
        {"id": st.sampled_from(["kakao-user-1", "kakao-user-2"]) | text, "type": st.just("botUserKey") | text},
        optional={"properties": json_values},
    )
    request = st.fixed_dictionaries(
        {"utterance": text, "user": user | json_values},
        optional={
            "timezone": text,
            "lang": text,
            "block": st.fixed_dictionaries({"id": text, "name": text}) | json_values,
            "params": json_values,
            "callbackUrl": st.sampled_from(["http://127.0.0.1:1/callback", "not a url", "file:///etc/passwd"]) | text,
        },
    )
    return with_extra_keys(
        st.fixed_dictionaries(
            {"bot": st.fixed_dictionaries({"id": st.just(bot), "name": text}), "userRequest": request | json_values},
            optional={"intent": json_values, "action": json_values, "contexts": json_values},
        )
    )


def test_kakao_skill_requests_from_the_bot_reach_the_parser_and_never_fail(live: LiveHub) -> None:
    @fuzz(live.examples(60))
    @given(kakao_payload(KAKAO_BOT).flatmap(encoded_json))
    # Unpaired surrogates (raw UTF-8 and escaped), in the text and in the sender: no database stores them.
    @example(b'{"bot": {"id": "dasan-bot-fuzz"}, "userRequest": {"utterance": "\xed\xbf\xbf", "user": {"id": "k"}}}')
    @example(b'{"bot": {"id": "dasan-bot-fuzz"}, "userRequest": {"utterance": "hi", "user": {"id": "\\ud800"}}}')
    def skill(body: bytes) -> None:
        headers = {"Content-Type": "application/json"}
        reply = live.tried_with(f"POST {SKILL_PATH} (the bot's)", "POST", KAKAO_SKILL, body, headers)
        survived(reply, body)
        assert reply.status != 403, reply.body

    skill()
    some_accepted(live, f"POST {SKILL_PATH} (the bot's)")
    before = live.count("SELECT count(*) FROM messages")
    good = {"bot": {"id": KAKAO_BOT}, "userRequest": {"utterance": "x", "user": {"id": "kakao-refused"}}}
    assert live.send_json("POST", SKILL_PATH.format(token="wrong-token-" + "x" * 20), good).status == 403
    assert live.send_json("POST", KAKAO_SKILL, {**good, "bot": {"id": "another-bot"}}).status == 403
    assert live.count("SELECT count(*) FROM messages") == before
    assert_nothing_half_written(live)


# -- the sockets ------------------------------------------------------------------------------------


webchat_messages = with_extra_keys(
    st.fixed_dictionaries(
        {
            "type": st.just("message"),
            "text": st.sampled_from(["따릉이 대여 방법", "상담원 연결"]) | text,
            "client_id": st.uuids().map(str) | text,
        },
        optional={"language": st.sampled_from(["ko", "en", "vi"]) | text},
    )
)
webchat_frames = st.one_of(
    webchat_messages.flatmap(encoded_json),
    with_extra_keys(
        st.fixed_dictionaries(
            {"type": st.sampled_from(["message", "message", "ping", "end"]) | text},
            optional={
                "text": text | json_values,
                "client_id": st.uuids().map(str) | text | json_values,
                "language": st.sampled_from(["ko", "en", "vi"]) | text | json_values,
            },
        )
    ).flatmap(encoded_json),
    json_values.flatmap(encoded_json),
    st.sampled_from([b"{", b"[]", b"null", b'"message"', b"[" * 20_000, b'{"type": "message", "text": NaN}']),
    st.binary(max_size=64),
).map(lambda raw: raw.decode("utf-8", "surrogateescape"))


class Socket:
    """A socket that must survive every frame: after each one a probe must still be answered."""

    def __init__(self, live: LiveHub, socket: aiohttp.ClientWebSocketResponse, label: str) -> None:
        self.live, self.socket, self.label, self.probes = live, socket, label, 0

    def survives(self, frame: str) -> None:
        self.live.cases[self.label] += 1
        self.probes += 1
        self.live.call(self._send_and_probe(frame, f"probe-{self.probes}"))

    async def _send_and_probe(self, frame: str, probe: str) -> None:
        try:
            await self.socket.send_str(frame)
        except UnicodeEncodeError:
            await self.socket.send_bytes(frame.encode("utf-8", "surrogateescape"))
        await self.socket.send_str(json.dumps({"type": probe}))
        async with asyncio.timeout(30):
            async for message in self.socket:
                if message.type is not aiohttp.WSMsgType.TEXT:
                    break
                if probe in message.data:
                    return
        raise AssertionError(f"the socket closed ({self.socket.close_code}) after the frame {frame[:300]!r}")


def test_webchat_frames_never_break_the_socket(live: LiveHub) -> None:
    async def connect(session: str) -> aiohttp.ClientWebSocketResponse:
        socket = await live.session.ws_connect(live.url + "/webchat/ws", max_msg_size=0)
        await socket.send_json({"session": session})
        welcome = await socket.receive_json(timeout=30)
        assert welcome["type"] == "welcome"
        return socket

    socket = live.call(connect("w" * 40))
    probe = Socket(live, socket, "WS /webchat/ws (frames)")

    @fuzz(live.examples(80))
    @given(webchat_frames)
    @example("[" * 20_000)  # nested past the recursion limit: the socket died
    def frame(raw: str) -> None:
        probe.survives(raw)

    frame()
    live.call(socket.close())
    assert live.count("SELECT count(*) FROM messages WHERE channel = 'webchat' AND author = 'citizen'") > 0

    @fuzz(live.examples(15))
    @given(json_values.flatmap(encoded_json) | st.binary(max_size=64))
    def hello(raw: bytes) -> None:
        live.cases["WS /webchat/ws (hello)"] += 1

        async def greet() -> None:
            socket = await live.session.ws_connect(live.url + "/webchat/ws")
            await socket.send_str(raw.decode("utf-8", "replace"))
            first = await socket.receive(timeout=30)
            # A hello that is no JSON object is refused; anything else gets a new session.
            assert (
                first.type is aiohttp.WSMsgType.CLOSE
                and first.data == 4400
                or json.loads(first.data)["type"] == "welcome"
            )
            await socket.close()

        live.call(greet())

    hello()
    assert_nothing_half_written(live)


SDP = (
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendrecv\r\n"
    "a=rtpmap:96 VP8/90000\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
    "a=fingerprint:sha-256 00:11\r\na=setup:actpass\r\n"
)
video_frames = st.one_of(
    with_extra_keys(
        st.fixed_dictionaries(
            {"type": st.sampled_from(["offer", "chat", "hello", "answer", "config", "state"]) | text},
            optional={
                "sdp": st.sampled_from([SDP, SDP.replace("VP8", "\u0000"), SDP[:60], "v=0\r\n" * 1000]) | text,
                "text": text,
                "author": st.sampled_from(["citizen", "interpreter"]) | text,
                "token": text,
            },
        )
    ).flatmap(encoded_json),
    json_values.flatmap(encoded_json),
    st.sampled_from([b"{", b"[]", b"[" * 20_000]),
).map(lambda raw: raw.decode("utf-8", "surrogateescape"))


def test_sign_video_signalling_never_breaks_the_call(live: LiveHub) -> None:
    @fuzz(live.examples(25))
    @given(
        bodies(
            {
                "properties": {
                    "language": {"type": "string"},
                    "consent": {"type": "boolean"},
                    "code": {"type": "string"},
                }
            },
            {},
        )
    )
    def new_call(body: bytes) -> None:
        headers = {"Content-Type": "application/json"}
        survived(live.tried_with("POST /video/api/calls (bodies)", "POST", "/video/api/calls", body, headers), body)

    new_call()
    some_accepted(live, "POST /video/api/calls (bodies)")
    call = live.send_json("POST", "/video/api/calls", {"language": "ko"})
    assert call.status == 201, call.body

    async def connect() -> aiohttp.ClientWebSocketResponse:
        socket = await live.session.ws_connect(live.url + "/video/ws", max_msg_size=0)
        await socket.send_json({"type": "hello", "token": call.json()["token"]})
        assert (await socket.receive_json(timeout=30))["type"] == "config"
        return socket

    socket = live.call(connect())
    probe = Socket(live, socket, "WS /video/ws (frames)")

    @fuzz(live.examples(40))
    @given(video_frames)
    @example(json.dumps({"type": "e" + "\u0301" * 300}))  # echoed in an error frame past its length limit
    def frame(raw: str) -> None:
        probe.survives(raw)

    frame()

    async def hang_up() -> None:
        await socket.send_json({"type": "hangup"})
        async with asyncio.timeout(30):
            async for _ in socket:  # the hub closes the socket once the call has ended
                pass

    live.call(hang_up())
    assert socket.closed

    async def stranger() -> Any:
        socket = await live.session.ws_connect(live.url + "/video/ws")
        await socket.send_json({"type": "hello", "token": "x" * 43})
        closed = await socket.receive(timeout=30)
        await socket.close()
        return closed.data

    assert live.call(stranger()) == 4401, "a socket without a call's token was let in"
    assert_nothing_half_written(live)


# -- nothing half-written -------------------------------------------------------------------------


def assert_nothing_half_written(live: LiveHub) -> None:
    """The database holds only whole things, and exactly the API channel messages acknowledged."""
    orphans = {
        "messages without their conversation": "SELECT count(*) FROM messages m"
        " WHERE NOT EXISTS (SELECT 1 FROM conversations c WHERE c.id = m.conversation_id)",
        "events without their conversation": "SELECT count(*) FROM events e"
        " WHERE NOT EXISTS (SELECT 1 FROM conversations c WHERE c.id = e.conversation_id)",
        "conversations without a contact": "SELECT count(*) FROM conversations c"
        " WHERE NOT EXISTS (SELECT 1 FROM contacts k WHERE k.id = c.contact_id)",
        "conversations without a created event": "SELECT count(*) FROM conversations c WHERE NOT EXISTS"
        " (SELECT 1 FROM events e WHERE e.conversation_id = c.id AND e.type = 'created')",
        "conversations without a message": "SELECT count(*) FROM conversations c"
        " WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id)",
        "identities without a contact": "SELECT count(*) FROM channel_identities i"
        " WHERE NOT EXISTS (SELECT 1 FROM contacts k WHERE k.id = i.contact_id)",
    }
    found = {what: live.count(query) for what, query in orphans.items()}
    assert found == dict.fromkeys(orphans, 0)
    stored = live.count("SELECT count(*) FROM messages WHERE channel = 'api' AND author = 'citizen'")
    assert stored == len(live.acknowledged), "API channel messages stored differ from those acknowledged"
    assert live.healthy()
