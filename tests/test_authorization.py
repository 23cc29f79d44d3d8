"""The role table of ../shared/DESIGN.md, endpoint by endpoint: every route of the app × every
role × the conversation being the caller's own or another's → the status expected.

The roles: nobody logged in; an agent holding the conversation (`seo`, transport and sign language); an agent with
the queue's skill who does not hold it (`kim`); an agent with neither (`lee`: district, city,
other); an editor (`han`); a supervisor (`jung`); an administrator (`admin`). The conversations:
`held` (assigned to seo, in the transport queue) and `waiting` (queued for transport): an agent
reads the queues of their skills and what is offered, assigned or transferred to them. A
sign-language video call (`held-call`) is held by seo too.

A route the table does not list fails the test, so no endpoint is added without its row. Each
refusal (401, 403) is also asked without a body: authorization is checked before the body is read.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import WSServerHandshakeError
from aiohttp.test_utils import TestClient, TestServer

from hub.agents import NewAgent, add_agent
from hub.core import HUB
from tests.conftest import DEMO_PASSWORD, citizen_says, login, wait_for
from tests.video_pages import video_hub

ROLES = ("anonymous", "holder", "skilled", "stranger", "editor", "supervisor", "admin")
USERNAMES = {"holder": "seo", "skilled": "kim", "stranger": "lee", "editor": "han", "supervisor": "jung",
             "admin": "admin"}  # fmt: skip
TRANSPORT = "버스 노선 문의 상담사 연결해 주세요"
ARTICLE = {
    "category": "transport",
    "variants": {"ko": {"title": "심야버스 노선", "body": "심야버스는 자정부터 운행합니다."}},
}
MONTH = "2026-11"
CANNED = {"code": "메모", "title": "메모", "texts": {"ko": "확인 후 안내해 드리겠습니다."}}

Body = dict[str, Any] | Callable[["World", dict[str, str]], Awaitable[dict[str, Any]]] | None


@dataclass(frozen=True)
class Row:
    method: str
    route: str
    """The route's pattern, as `app.router` names it."""
    scene: str
    """What fills the pattern's {…}: see `World.scene`."""
    statuses: tuple[int, int, int, int, int, int, int]
    """In the order of ROLES: anonymous, holder, skilled, stranger, editor, supervisor, admin."""
    body: Body = None
    query: dict[str, str] = field(default_factory=dict)
    body_names_the_target: bool = False
    """Whose it is is named by the body (a message id), so a refusal needs the body."""


async def _unique_name(world: World, params: dict[str, str]) -> dict[str, Any]:
    return {"name": f"팀{next(world.numbers)}"}


async def _other_contact(world: World, params: dict[str, str]) -> dict[str, Any]:
    """A contact the holder and the skilled agent may read (waiting for transport)."""
    return {"contact_id": (await world.scene("waiting-contact", fresh=True))["id"]}


async def _erasure(world: World, params: dict[str, str]) -> dict[str, Any]:
    return {"reason": "시민이 2026-11-30 전화로 삭제를 요청함", "confirm": params["contact_id"]}


async def _new_agent(world: World, params: dict[str, str]) -> dict[str, Any]:
    return {"username": f"new{next(world.numbers)}", "role": "agent"}


async def _import_file(world: World, params: dict[str, str]) -> dict[str, Any]:
    return {"_raw": world.export_line}


async def _new_department(world: World, params: dict[str, str]) -> dict[str, Any]:
    return {"name": f"부서{next(world.numbers)}", "phone": "02-2133-0000", "email": "dept@seoul.example"}


async def _handover(world: World, params: dict[str, str]) -> dict[str, Any]:
    return {"department": int((await world.scene("department"))["id"]), "need": "민원 이관 요청"}


ANY_AGENT = (401, 200, 200, 200, 403, 200, 200)
"""Every agent, whatever their skills; not editors."""
EVERYONE = (401, 200, 200, 200, 200, 200, 200)
"""Whoever is logged in."""
EDITORS = (401, 403, 403, 403, 200, 200, 200)
"""Editors, supervisors and admins: the knowledge base's workflow."""
SUPERVISORS = (401, 403, 403, 403, 403, 200, 200)
ADMINS = (401, 403, 403, 403, 403, 403, 200)
PUBLIC = (200,) * 7
REDIRECT = (302,) * 7
READ_HELD = (401, 200, 403, 403, 403, 200, 200)
"""The held conversation: its agent, supervisors and admins."""
READ_WAITING = (401, 200, 200, 403, 403, 200, 200)
"""The waiting conversation: agents with the queue's skill, supervisors and admins."""
UNKNOWN = (401, 404, 404, 404, 403, 404, 404)
"""No such conversation or contact: 404 for whoever may read conversations at all."""

C = "/api/v1/conversations/{id}"
# fmt: off
TABLE: tuple[Row, ...] = (
    # -- conversations ----------------------------------------------- anon seo  kim  lee  han  jung admin
    Row("GET", "/api/v1/conversations", "", ANY_AGENT),
    Row("GET", C, "held", READ_HELD),
    Row("GET", C, "waiting", READ_WAITING),
    Row("GET", C, "unknown", UNKNOWN),
    Row("GET", f"{C}/messages", "held", READ_HELD),
    Row("GET", f"{C}/messages", "waiting", READ_WAITING),
    Row("GET", f"{C}/events", "held", READ_HELD),
    Row("GET", f"{C}/events", "waiting", READ_WAITING),
    # A Korean conversation has nothing to translate: 400 once the caller may act on it.
    Row("POST", f"{C}/translation", "held", (401, 400, 403, 403, 403, 400, 400), {"text": "안녕하세요"}),
    Row("POST", f"{C}/translation", "waiting", (401, 400, 400, 403, 403, 400, 400), {"text": "안녕하세요"}),
    Row("PATCH", C, "held", READ_HELD, {"category": "transport"}),
    Row("PATCH", C, "waiting", READ_WAITING, {"category": "transport"}),
    # Claiming what is assigned is a conflict; the admin has no chat capacity (409).
    Row("POST", f"{C}/claim", "held", (401, 409, 403, 403, 403, 409, 409)),
    Row("POST", f"{C}/claim", "waiting", (401, 200, 200, 403, 403, 200, 409)),
    # Only an offer is declined: conflicts for whoever may act on the conversation.
    Row("POST", f"{C}/decline", "held", (401, 409, 403, 403, 403, 409, 409)),
    Row("POST", f"{C}/decline", "waiting", (401, 409, 409, 403, 403, 409, 409)),
    # Only an assigned conversation is answered or resolved.
    Row("POST", f"{C}/messages", "held", (401, 201, 403, 403, 403, 201, 201), {"text": "안녕하세요"}),
    Row("POST", f"{C}/messages", "waiting", (401, 409, 409, 403, 403, 409, 409), {"text": "안녕하세요"}),
    Row("POST", f"{C}/resolve", "held", READ_HELD, {"disposition": "resolved"}),
    Row("POST", f"{C}/resolve", "waiting", (401, 409, 409, 403, 403, 409, 409), {"disposition": "resolved"}),
    # An agent transfers what they hold; a supervisor anything.
    Row("POST", f"{C}/transfer", "held", READ_HELD, {"queue": "district"}),
    Row("POST", f"{C}/transfer", "waiting", (401, 403, 403, 403, 403, 200, 200), {"queue": "district"}),
    Row("POST", f"{C}/transfer", "unknown", UNKNOWN, {"queue": "district"}),
    Row("POST", f"{C}/flag", "held", READ_HELD, {"reason": "폭언"}),
    Row("POST", f"{C}/flag", "waiting", READ_WAITING, {"reason": "폭언"}),
    # The protection protocol, as reading: the warning; ending once warned enough (409 before).
    Row("POST", f"{C}/warn", "held", (401, 201, 403, 403, 403, 201, 201)),
    Row("POST", f"{C}/warn", "waiting", (401, 201, 201, 403, 403, 201, 201)),
    Row("POST", f"{C}/end-under-protocol", "warned", READ_HELD, {"block_hours": 0}),
    Row("POST", f"{C}/end-under-protocol", "held", (401, 409, 403, 403, 403, 409, 409), {"block_hours": 0}),
    # Revealing personal data: an agent in their own conversations only (audited).
    Row("POST", f"{C}/messages/{{message_id}}/reveal", "held", READ_HELD),
    Row("POST", f"{C}/messages/{{message_id}}/reveal", "waiting", SUPERVISORS),
    # -- contacts: an agent, those with a conversation they may read -----------------------------
    Row("GET", "/api/v1/contacts/{id}/history", "held-contact", READ_HELD),
    Row("GET", "/api/v1/contacts/{id}/history", "waiting-contact", READ_WAITING),
    Row("GET", "/api/v1/contacts/{id}/history", "unknown", UNKNOWN),
    Row("POST", "/api/v1/contacts/{id}/link", "held-contact", READ_HELD, _other_contact),
    Row("POST", "/api/v1/contacts/{id}/link", "waiting-contact", READ_WAITING, _other_contact),
    # A citizen's data request is served by a supervisor.
    Row("GET", "/api/v1/contacts/{contact_id}/data", "held-contact", SUPERVISORS),
    Row("POST", "/api/v1/contacts/{contact_id}/erase", "resolved-contact", SUPERVISORS, _erasure),
    Row("POST", "/api/v1/contacts/{contact_id}/erase", "waiting-contact", (401, 403, 403, 403, 403, 409, 409),
        _erasure),  # an open conversation keeps its contact
    Row("GET", "/api/v1/protection/incidents", "", SUPERVISORS),
    Row("GET", "/api/v1/protection/blocks", "", SUPERVISORS),
    Row("POST", "/api/v1/protection/blocks/{id}/lift", "no-block", (401, 403, 403, 403, 403, 404, 404),
        {"reason": "시민의 이의 제기"}),
    # -- the agent's own ------------------------------------------------------------------------
    Row("POST", "/api/v1/auth/login", "", PUBLIC, {"username": "yoon", "password": DEMO_PASSWORD}),
    Row("POST", "/api/v1/auth/logout", "own-session", EVERYONE),
    Row("POST", "/api/v1/auth/logout-everywhere", "own-session", EVERYONE),
    Row("POST", "/api/v1/agents/{username}/sessions/revoke", "nguyen", ADMINS),
    Row("GET", "/api/v1/me", "", EVERYONE),
    Row("POST", "/api/v1/me/state", "", ANY_AGENT, {"state": "break"}),
    Row("GET", "/api/v1/channels", "", ANY_AGENT),
    Row("POST", "/api/v1/sms/segments", "", ANY_AGENT, {"text": "안녕하세요"}),
    Row("GET", "/api/v1/console/ws", "", (401, 101, 101, 101, 403, 101, 101)),
    # -- figures: an agent their own, supervisors and admins all ------------------------------
    Row("GET", "/api/v1/reports/tables", "", ANY_AGENT),
    Row("GET", "/api/v1/reports/tables", "", SUPERVISORS, query={"agent": "park"}),  # another's figures
    Row("GET", "/api/v1/reports/tables/export", "", ANY_AGENT, query={"format": "csv"}),
    Row("GET", "/api/v1/stats/summary", "", ANY_AGENT),
    Row("GET", "/api/v1/wallboard", "", SUPERVISORS),
    Row("GET", "/api/v1/wallboard/ws", "", (401, 403, 403, 403, 403, 101, 101)),
    Row("POST", "/api/v1/reports/voc", "", (401, 403, 403, 403, 403, 202, 202), {"month": MONTH}),
    Row("GET", "/api/v1/reports/voc/{id}", "voc-job", SUPERVISORS),
    Row("GET", "/api/v1/reports/voc/{id}/{name}", "voc-file", SUPERVISORS),
    Row("GET", "/api/v1/supervisor/overview", "", SUPERVISORS),
    Row("GET", "/api/v1/translation/usage", "", SUPERVISORS),
    Row("GET", "/api/v1/agents", "", SUPERVISORS),
    Row("GET", "/api/v1/audit", "", SUPERVISORS),
    Row("GET", "/api/v1/queues", "", ANY_AGENT),
    # -- administration -----------------------------------------------------------------------
    Row("PATCH", "/api/v1/queues/{name}", "queue", ADMINS, {"label": "상수도"}),
    Row("GET", "/api/v1/teams", "", SUPERVISORS),
    Row("POST", "/api/v1/teams", "", (401, 403, 403, 403, 403, 403, 201), _unique_name),
    Row("PATCH", "/api/v1/teams/{id}", "team", ADMINS, _unique_name),
    Row("DELETE", "/api/v1/teams/{id}", "team", (401, 403, 403, 403, 403, 403, 204)),
    Row("POST", "/api/v1/teams/{id}/parts", "team", (401, 403, 403, 403, 403, 403, 201), _unique_name),
    Row("PATCH", "/api/v1/parts/{id}", "part", ADMINS, _unique_name),
    Row("DELETE", "/api/v1/parts/{id}", "part", (401, 403, 403, 403, 403, 403, 204)),
    Row("PUT", "/api/v1/agents/{username}/part", "kim", ADMINS, {"part": None}),
    # -- the knowledge base: everyone searches, reads and proposes; editors work on articles ----
    Row("GET", "/api/v1/kb/search", "", EVERYONE, query={"q": "버스"}),
    Row("GET", "/api/v1/kb/articles/{id}", "published", EVERYONE),
    Row("POST", "/api/v1/kb/entries", "", (401, 201, 201, 201, 201, 201, 201), ARTICLE),
    Row("GET", "/api/v1/kb/entries", "", EDITORS),
    Row("GET", "/api/v1/kb/entries/{id}", "published", EDITORS),
    Row("PUT", "/api/v1/kb/entries/{id}", "draft", EDITORS, ARTICLE),
    Row("POST", "/api/v1/kb/entries/{id}/submit", "draft", EDITORS),
    Row("POST", "/api/v1/kb/entries/{id}/approve", "review", EDITORS),
    Row("POST", "/api/v1/kb/entries/{id}/return", "review", EDITORS, {"comment": "출처를 적어 주세요"}),
    Row("POST", "/api/v1/kb/entries/{id}/publish", "approved", EDITORS),
    Row("POST", "/api/v1/kb/entries/{id}/archive", "draft", EDITORS),
    Row("GET", "/api/v1/kb/entries/{id}/history", "published", EDITORS),
    Row("GET", "/api/v1/kb/entries/{id}/diff", "published", EDITORS),
    Row("GET", "/api/v1/kb/export", "", EDITORS),
    Row("POST", "/api/v1/kb/import", "", EDITORS, _import_file),
    Row("GET", "/api/v1/kb/questions", "", EDITORS),
    # No question 999999: a 404 once the caller may draft from the questions list.
    Row("POST", "/api/v1/kb/questions/draft", "", (401, 403, 403, 403, 404, 404, 404), {"question_ids": [999999]}),
    # An agent's own reply becomes a draft: its agent's, a supervisor's, an admin's; no editor's.
    Row("POST", "/api/v1/kb/entries/from-message", "", (401, 201, 403, 403, 403, 201, 201),
        lambda world, params: world.reply_by_holder(), body_names_the_target=True),
    # -- the API channel: its key, not a login (an agent's token is not the key) -----------------
    Row("POST", "/api/v1/channels/api/messages", "", (401,) * 7, {"sender": "x", "text": "안녕", "message_id": "m1"}),
    Row("GET", "/api/v1/channels/api/messages", "", (401,) * 7, query={"sender": "x"}),
    # -- pages and public files -----------------------------------------------------------------
    Row("GET", "/", "", REDIRECT),
    Row("GET", "/healthz", "", PUBLIC),
    Row("GET", "/api/v1/openapi.json", "", PUBLIC),
    Row("GET", "/console", "", REDIRECT),
    Row("GET", "/console/", "", PUBLIC),
    Row("GET", "/console/static", "static", PUBLIC),
    Row("GET", "/console/wallboard", "", REDIRECT),
    Row("GET", "/console/wallboard/", "", PUBLIC),
    Row("GET", "/kb", "", REDIRECT),
    Row("GET", "/kb/", "", PUBLIC),
    Row("GET", "/kb/feed.json", "", PUBLIC),
    Row("GET", "/kb/kb.js", "", PUBLIC),
    Row("GET", "/kb/sitemap.xml", "", PUBLIC),
    Row("GET", "/kb/{language}/", "public-language", REDIRECT),
    Row("GET", "/kb/{language}/{article_id}", "public-article", PUBLIC),
    Row("GET", "/webchat/", "", PUBLIC),
    Row("GET", "/webchat/widget.js", "", PUBLIC),
    Row("GET", "/webchat/i18n/{language}.json", "public-language", PUBLIC),
    Row("GET", "/webchat/ws", "", (101,) * 7),
    # A citizen's widget session, not a login, opens a video call: this one has no conversation.
    Row("POST", "/webchat/api/video-code", "", (404,) * 7, {"session": "s" * 43, "language": "ko"}),
    # -- sign-language video: the citizen's page is public; the interpreter's socket is the
    #    holder's and a supervisor's (who joins the call); recordings are for supervisors (this
    #    call has none: 404 once they may look) ---------------------------------------------------
    Row("GET", "/video", "", REDIRECT),
    Row("GET", "/video/", "", PUBLIC),
    Row("GET", "/video/video.js", "", PUBLIC),
    Row("GET", "/video/video.css", "", PUBLIC),
    Row("GET", "/video/i18n/{language}.json", "public-language", PUBLIC),
    Row("POST", "/video/api/calls", "", (201,) * 7, {"language": "ko"}),
    Row("GET", "/video/ws", "", (101,) * 7),
    Row("GET", "/video/agent/ws", "held-call", (401, 101, 403, 403, 403, 101, 101),
        query={"conversation": "{conversation_id}"}),
    Row("GET", "/video/api/conversations/{conversation_id}/recordings", "held-call", SUPERVISORS),
    Row("GET", "/video/api/conversations/{conversation_id}/recordings/{name}", "held-call",
        (401, 403, 403, 403, 403, 404, 404)),
    # -- queue hours and holidays: agents read, admins change ------------------------------------
    Row("GET", "/api/v1/queues/{name}/hours", "queue", ANY_AGENT),
    Row("PUT", "/api/v1/queues/{name}/hours", "queue", ADMINS,
        {"weekly": {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
         "holidays": [["00:00", "24:00"]]}),
    Row("GET", "/api/v1/holidays", "", ANY_AGENT),
    Row("POST", "/api/v1/holidays", "", (401, 403, 403, 403, 403, 403, 201), {"date": "2031-01-02", "name": "휴무일"}),
    Row("DELETE", "/api/v1/holidays/{date}", "holiday", (401, 403, 403, 403, 403, 403, 204)),
    # -- callbacks (재통화) ------------------------------------------------------------------------
    Row("GET", "/api/v1/callbacks", "", ANY_AGENT),
    # A callback of the transport queue: the agent who resolved it, the queue's agents, supervisors.
    Row("POST", "/api/v1/callbacks/{id}/outcome", "callback", (401, 200, 200, 403, 403, 200, 200),
        {"outcome": "reached"}),
    # -- departments (admins change them) and handovers to them -------------------------------
    Row("GET", "/api/v1/departments", "", ANY_AGENT),
    Row("POST", "/api/v1/departments", "", (401, 403, 403, 403, 403, 403, 201), _new_department),
    Row("PATCH", "/api/v1/departments/{id}", "department", (401, 403, 403, 403, 403, 403, 200), {"active": False}),
    Row("DELETE", "/api/v1/departments/{id}", "department", (401, 403, 403, 403, 403, 403, 204)),
    Row("POST", f"{C}/handover", "held", (401, 201, 403, 403, 403, 201, 201), _handover),
    # Only an assigned conversation is handed over.
    Row("POST", f"{C}/handover", "waiting", (401, 409, 409, 403, 403, 409, 409), _handover),
    Row("GET", f"{C}/handovers", "held", READ_HELD),
    Row("GET", f"{C}/handovers", "waiting", READ_WAITING),
    Row("GET", "/api/v1/handovers", "", ANY_AGENT),
    # The handed-over conversation is resolved and stays its agent's.
    Row("POST", "/api/v1/handovers/{id}/answer", "handover", READ_HELD, {"text": "담당 부서 회신: 처리 완료"}),
    # Canned replies: whoever answers citizens uses them and keeps their own; the centre's are the admin's.
    Row("GET", "/api/v1/canned-replies", "", ANY_AGENT),
    Row("POST", "/api/v1/canned-replies", "", (401, 201, 201, 201, 403, 201, 201), CANNED),
    Row("POST", "/api/v1/canned-replies", "", (401, 403, 403, 403, 403, 403, 201), {**CANNED, "scope": "centre"},
        body_names_the_target=True),  # the scope asked for is in the body
    Row("PATCH", "/api/v1/canned-replies/{id}", "canned-personal", (401, 200, 403, 403, 403, 403, 200), {"title": "메모"}),
    Row("PATCH", "/api/v1/canned-replies/{id}", "canned-centre", ADMINS, {"title": "메모"}),
    Row("DELETE", "/api/v1/canned-replies/{id}", "canned-personal", (401, 204, 403, 403, 403, 403, 204)),
    Row("DELETE", "/api/v1/canned-replies/{id}", "canned-centre", (401, 403, 403, 403, 403, 403, 204)),
    # -- administration of agents and channel keys ---------------------------------------------------
    Row("POST", "/api/v1/agents", "", (401, 403, 403, 403, 403, 403, 201), _new_agent),
    Row("PATCH", "/api/v1/agents/{username}", "new-agent", ADMINS, {"display_name": "새 이름"}),
    Row("POST", "/api/v1/agents/{username}/deactivate", "new-agent", ADMINS),
    Row("POST", "/api/v1/agents/{username}/reactivate", "new-agent", ADMINS),
    Row("POST", "/api/v1/agents/{username}/password", "new-agent", ADMINS),
    Row("GET", "/api/v1/channels/keys", "", ADMINS),
    Row("POST", "/api/v1/channels/api/key/rotate", "", ADMINS),
)
# fmt: on


@dataclass
class World:
    """One hub with the demo agents and the conversations, articles and teams the rows name."""

    client: TestClient
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    numbers: itertools.count[int] = field(default_factory=itertools.count)
    cached: dict[str, dict[str, str]] = field(default_factory=dict)
    export_line: bytes = b""

    @classmethod
    async def build(cls, client: TestClient) -> World:
        hub = client.app[HUB]
        await add_agent(hub.store, hub.auth, NewAgent(username="seo", password=DEMO_PASSWORD,
                                                      skills=["transport", "sign_language"],
                                                      capacity={"chat": 1000, "video": 1}))  # fmt: skip
        world = cls(client)
        for role, username in USERNAMES.items():
            world.headers[role] = await login(client, username, available=False)
        world.headers["yoon"] = await login(client, "yoon", available=False)  # a second editor
        exported = await client.get("/api/v1/kb/export", headers=world.headers["admin"])
        world.export_line = (await exported.read()).splitlines()[0]
        return world

    async def call(self, role: str, method: str, path: str, body: Any = None, expect: int | None = None) -> Any:
        """A request as `role`; with `expect`, its status is checked and its JSON returned."""
        self.client.session.cookie_jar.clear()  # logins set the cookie: only the headers say who asks
        headers = dict(self.headers.get(role, {}))
        raw = body.pop("_raw") if isinstance(body, dict) and "_raw" in body else None
        response = await self.client.request(
            method,
            path,
            headers=headers,
            allow_redirects=False,
            **({"data": raw} if raw is not None else {"json": body}),
        )
        if expect is None:
            return response
        assert response.status == expect, f"{method} {path}: {response.status} {await response.text()}"
        return await response.json()

    async def conversation(self, held: bool) -> dict[str, str]:
        sender = f"citizen-{next(self.numbers)}"
        conversation_id = (await citizen_says(self.client, sender, TRANSPORT))["conversation_id"]
        if held:
            await self.call("holder", "POST", f"/api/v1/conversations/{conversation_id}/claim", expect=200)
        found = await self.call("supervisor", "GET", f"/api/v1/conversations/{conversation_id}", expect=200)
        assert found["state"] == ("assigned" if held else "queued") and found["queue"] == "transport"
        return {"id": conversation_id, "contact": found["contact"]["id"], "sender": sender}

    async def article(self, state: str) -> dict[str, str]:
        entry = await self.call("admin", "POST", "/api/v1/kb/entries", dict(ARTICLE), expect=201)
        path = f"/api/v1/kb/entries/{entry['id']}"
        if state in ("review", "approved"):
            await self.call("admin", "POST", f"{path}/submit", expect=200)
        if state == "approved":
            await self.call("yoon", "POST", f"{path}/approve", expect=200)
        return {"id": entry["id"]}

    async def reply_by_holder(self) -> dict[str, Any]:
        """A reply of the holder's in their conversation, after a citizen's question."""
        held = await self.conversation(held=True)
        await citizen_says(self.client, held["sender"], "심야버스는 몇 시부터 다니나요?")
        path = f"/api/v1/conversations/{held['id']}/messages"
        reply = await self.call("holder", "POST", path, {"text": "심야버스는 자정부터 운행합니다."}, expect=201)
        return {"message_id": reply["id"]}

    async def voc_job(self) -> str:
        job = await self.call("supervisor", "POST", "/api/v1/reports/voc", {"month": MONTH}, expect=202)

        async def done() -> bool:
            status = await self.call("supervisor", "GET", f"/api/v1/reports/voc/{job['id']}", expect=200)
            return status["status"] == "done"

        await wait_for(done, timeout=60, failure="the VOC report")
        return str(job["id"])

    async def scene(self, name: str, fresh: bool = False) -> dict[str, str]:
        """The values of a route's {…} for the scene; built once, or anew for a row that changes it."""
        if not fresh and name in self.cached:
            return self.cached[name]
        made: dict[str, str]
        if name in ("held", "waiting", "held-contact", "waiting-contact"):
            conversation = await self.conversation(held=name.startswith("held"))
            if name.endswith("contact"):
                made = {"id": conversation["contact"], "contact_id": conversation["contact"]}
            else:
                path = f"/api/v1/conversations/{conversation['id']}/messages"
                messages = (await self.call("supervisor", "GET", path, expect=200))["messages"]
                made = {"id": conversation["id"], "message_id": str(messages[0]["id"])}
        elif name == "warned":
            made = await self.scene("held", fresh=True)
            for _ in range(self.client.app[HUB].settings.protection.warnings_to_end):
                await self.call("holder", "POST", f"/api/v1/conversations/{made['id']}/warn", expect=201)
        elif name == "resolved-contact":
            conversation = await self.conversation(held=True)
            await self.call("holder", "POST", f"/api/v1/conversations/{conversation['id']}/resolve",
                            {"disposition": "resolved"}, expect=200)  # fmt: skip
            made = {"contact_id": conversation["contact"]}
        elif name == "unknown":
            made = {"id": "no-such-id"}
        elif name == "no-block":
            made = {"id": "999999"}
        elif name in ("draft", "review", "approved"):
            made = await self.article(name)
        elif name in ("published", "public-article"):
            found = await self.call("admin", "GET", "/api/v1/kb/search?q=버스", expect=200)
            made = {"id": found["results"][0]["id"], "article_id": found["results"][0]["id"], "language": "ko"}
        elif name == "team":
            made = {"id": str((await self.call("admin", "POST", "/api/v1/teams", await _unique_name(self, {}),
                                               expect=201))["id"])}  # fmt: skip
        elif name == "part":
            team = (await self.scene("team", fresh=True))["id"]
            part = await self.call("admin", "POST", f"/api/v1/teams/{team}/parts", {"name": "파트"}, expect=201)
            made = {"id": str(part["id"])}
        elif name == "held-call":
            call = await self.call("anonymous", "POST", "/video/api/calls", {"language": "ko"}, expect=201)
            made = {"conversation_id": call["conversation_id"], "name": "call.webm"}
            await self.call("holder", "POST", f"/api/v1/conversations/{call['conversation_id']}/claim", expect=200)
        elif name == "voc-job":
            made = {"id": await self.voc_job()}
        elif name == "voc-file":
            made = {"id": (await self.scene("voc-job"))["id"], "name": "voc.csv"}
        elif name == "holiday":
            day = f"2032-{next(self.numbers) % 12 + 1:02d}-15"
            await self.call("admin", "POST", "/api/v1/holidays", {"date": day, "name": "휴무일"})
            made = {"date": day}
        elif name == "callback":
            conversation = await self.conversation(held=True)
            await self.call("holder", "POST", f"/api/v1/conversations/{conversation['id']}/resolve",
                            {"disposition": "callback"}, expect=200)  # fmt: skip
            tasks = await self.call("supervisor", "GET", "/api/v1/callbacks", expect=200)
            made = {"id": next(t["id"] for t in tasks["callbacks"] if t["conversation_id"] == conversation["id"])}
        elif name == "department":
            department = await self.call("admin", "POST", "/api/v1/departments", await _new_department(self, {}),
                                         expect=201)  # fmt: skip
            made = {"id": str(department["id"])}
        elif name == "handover":
            held = await self.scene("held", fresh=True)
            path = f"/api/v1/conversations/{held['id']}/handover"
            made = {
                "id": (await self.call("holder", "POST", path, await _handover(self, held), expect=201))["handover"][
                    "id"
                ]
            }
        elif name in ("canned-personal", "canned-centre"):
            body = {**CANNED, "code": f"메모{next(self.numbers)}"}
            if name == "canned-centre":
                body["scope"] = "centre"
            author = "holder" if name == "canned-personal" else "admin"
            made = {"id": str((await self.call(author, "POST", "/api/v1/canned-replies", body, expect=201))["id"])}
        elif name == "new-agent":
            made = {"username": f"new{next(self.numbers)}"}
            hub = self.client.app[HUB]
            await add_agent(hub.store, hub.auth, NewAgent(username=made["username"], password=DEMO_PASSWORD))
        else:
            made = {
                "": {},
                "own-session": {},
                "queue": {"name": "water"},
                "kim": {"username": "kim"},
                "nguyen": {"username": "nguyen"},
                "public-language": {"language": "ko"},
                "static": {},
            }[name]
        if not fresh:
            self.cached[name] = made
        return made


def _path(row: Row, params: dict[str, str]) -> str:
    if row.scene == "static":
        return "/console/static/console.js"
    return row.route.format(**params)


async def _status(world: World, row: Row, role: str, with_body: bool) -> int:
    """The status one role gets for the row, in a scene of its own when the row changes it."""
    changes = row.method != "GET" and row.scene not in ("", "unknown", "own-session")
    params = await world.scene(row.scene, fresh=changes)
    path = _path(row, params)
    if row.query:
        path += "?" + "&".join(f"{name}={value.format(**params)}" for name, value in row.query.items())
    if row.route.endswith("/ws"):
        world.client.session.cookie_jar.clear()
        try:
            socket = await world.client.ws_connect(path, headers=world.headers.get(role, {}))
        except WSServerHandshakeError as refused:
            return refused.status
        await socket.close()
        return 101
    body = None
    if with_body:
        body = await row.body(world, params) if callable(row.body) else row.body
    if row.scene == "own-session" and role != "anonymous":
        # Logging out ends the session (everywhere: every session): fresh ones before and after.
        world.headers[role] = await login(world.client, USERNAMES[role], available=False)
        try:
            return (await world.call(role, row.method, path, body)).status
        finally:
            world.headers[role] = await login(world.client, USERNAMES[role], available=False)
    return (await world.call(role, row.method, path, body)).status


def _app_routes(client: TestClient) -> set[tuple[str, str]]:
    """Every method and route pattern the app answers (HEAD goes with its GET)."""
    found = set()
    for route in client.app.router.routes():
        if route.method == "HEAD" or route.resource is None:
            continue
        found.add((route.method, route.resource.canonical))
    return found


@pytest.fixture
async def sqlite_client(tmp_path: Path) -> Any:
    """A hub with every channel, the sign-language video channel included."""
    app = video_hub(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", tmp_path / "recordings", max_calls=16)
    async with TestClient(TestServer(app)) as client:
        yield client


async def test_every_route_has_a_row(sqlite_client: TestClient) -> None:
    listed = {(row.method, row.route) for row in TABLE}
    missing = sorted(_app_routes(sqlite_client) - listed)
    assert not missing, f"routes without a row in the authorization table: {missing}"
    stale = sorted(listed - _app_routes(sqlite_client))
    assert not stale, f"rows for routes the app does not have: {stale}"


async def test_every_route_for_every_role(sqlite_client: TestClient) -> None:
    world = await World.build(sqlite_client)
    wrong = []
    for row in TABLE:
        for role, expected in zip(ROLES, row.statuses, strict=True):
            got = await _status(world, row, role, with_body=True)
            if got != expected:
                wrong.append(f"{row.method} {row.route} [{row.scene}] as {role}: {got}, expected {expected}")
            refused = expected in (401, 403) and row.body is not None and not row.body_names_the_target
            if refused and (got := await _status(world, row, role, with_body=False)) != expected:
                wrong.append(f"{row.method} {row.route} [{row.scene}] as {role} without a body: {got}")
    assert not wrong, "\n".join(wrong)


SMOKE = ("/api/v1/conversations/{id}", "/api/v1/conversations/{id}/transfer", "/api/v1/contacts/{id}/history",
         "/api/v1/conversations", "/api/v1/reports/tables", "/api/v1/audit")  # fmt: skip


async def test_a_few_rows_on_each_database(client: TestClient) -> None:
    world = await World.build(client)
    for row in (row for row in TABLE if row.route in SMOKE):
        got = [await _status(world, row, role, with_body=True) for role in ROLES]
        assert tuple(got) == row.statuses, (row.method, row.route, row.scene)


async def test_an_agent_lists_only_what_they_may_read(client: TestClient) -> None:
    supervisor = await login(client, "jung", available=False)
    kim = await login(client, "kim", available=False)  # every queue
    park = await login(client, "park", available=False)  # foreign_language, transport, city
    lee = await login(client, "lee", available=False)  # district, city, other
    kims = (await citizen_says(client, "c-kims", TRANSPORT))["conversation_id"]
    waiting = (await citizen_says(client, "c-waiting", TRANSPORT))["conversation_id"]
    parks = (await citizen_says(client, "c-parks", TRANSPORT))["conversation_id"]
    with_bot = (await citizen_says(client, "c-bot", "따릉이 대여 방법"))["conversation_id"]
    for headers, conversation_id in ((kim, kims), (park, parks)):
        claimed = await client.post(f"/api/v1/conversations/{conversation_id}/claim", headers=headers)
        assert claimed.status == 200
    resolved = await client.post(
        f"/api/v1/conversations/{parks}/resolve", json={"disposition": "resolved"}, headers=park
    )
    assert resolved.status == 200

    async def listed(headers: dict[str, str], **query: str) -> set[str]:
        response = await client.get("/api/v1/conversations", params=query, headers=headers)
        assert response.status == 200
        return {conversation["id"] for conversation in (await response.json())["conversations"]}

    assert await listed(supervisor) == {kims, waiting, parks, with_bot}
    assert await listed(kim) == {kims, waiting}
    assert await listed(park) == {waiting, parks}  # the one they resolved is still theirs
    assert await listed(lee) == set()
    assert await listed(kim, mine="1") == {kims}
    assert await listed(park, state="resolved") == {parks}
    assert await listed(park, state="queued,assigned") == {waiting}
    assert await listed(kim, queue="district") == set()
    assert await listed(supervisor, mine="1") == set()
