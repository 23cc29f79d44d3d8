"""Handovers to departments (부서이관) and officers (담당자 연결): a real SMTP server (aiosmtpd)
receives the e-mail, a real HTTP server the signed webhook; the citizen is told who will call."""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from hub.cli import main
from hub.delivery import OutboxSettings
from hub.handovers import SIGNATURE_HEADER, HandoverSettings, SmtpSettings
from tests.conftest import api_channel_headers, citizen_says, hub_app, hub_settings, login, wait_for
from tests.services import free_port

ASKS = "버스 노선 문의 상담사 연결해 주세요. 제 주민번호는 900101-1234567 이고 연락처는 010-1234-5678 입니다."
FAST_RETRY = OutboxSettings(max_attempts=50, first_retry_seconds=0.05, max_retry_seconds=0.2, sweep_seconds=0.05)


@dataclass
class Mailbox:
    """An SMTP handler that keeps what it receives."""

    received: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(parsed)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())  # type: ignore[attr-defined]


@asynccontextmanager
async def smtp_server(port: int) -> AsyncIterator[Mailbox]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


@asynccontextmanager
async def running_hub(database_url: str, smtp_port: int) -> AsyncIterator[TestClient]:
    settings = hub_settings(
        database_url, handover=HandoverSettings(smtp=SmtpSettings(host="127.0.0.1", port=smtp_port), retry=FAST_RETRY)
    )
    async with TestClient(TestServer(hub_app(settings))) as client:
        yield client


async def call(
    client: TestClient, headers: dict[str, str], method: str, path: str, expect: int, body: Any = None
) -> Any:
    response = await client.request(method, path, headers=headers, json=body)
    assert response.status == expect, f"{method} {path}: {response.status} {await response.text()}"
    return None if response.status == 204 else await response.json()


async def held_conversation(client: TestClient, agent: dict[str, str], sender: str, text: str = ASKS) -> str:
    """A citizen's conversation, claimed by the agent."""
    conversation_id = (await citizen_says(client, sender, text))["conversation_id"]
    await call(client, agent, "POST", f"/api/v1/conversations/{conversation_id}/claim", 200)
    return str(conversation_id)


async def citizen_reads(client: TestClient, sender: str) -> list[str]:
    response = await client.get(
        "/api/v1/channels/api/messages", params={"sender": sender}, headers=api_channel_headers(client)
    )
    assert response.status == 200
    return [reply["text"] for reply in (await response.json())["messages"]]


async def delivery(client: TestClient, headers: dict[str, str], conversation_id: str) -> dict[str, Any]:
    found = await call(client, headers, "GET", f"/api/v1/conversations/{conversation_id}/handovers", 200)
    [handover] = found["handovers"]
    return dict(handover)


async def test_a_handover_is_mailed_masked_and_the_citizen_told_who_will_call(database_url: str) -> None:
    port = free_port()
    async with smtp_server(port) as mailbox, running_hub(database_url, port) as client:
        admin, kim = await login(client, "admin"), await login(client, "kim")
        water = await call(client, admin, "POST", "/api/v1/departments", 201,
                           {"name": "상수도사업본부 요금과", "phone": "02-3146-1234", "email": "water@seoul.example"})  # fmt: skip
        trusted = await call(client, admin, "POST", "/api/v1/departments", 201,
                             {"name": "복지정책과", "phone": "02-2133-7300", "email": "welfare@seoul.example",
                              "personal_data": True})  # fmt: skip

        masked = await held_conversation(client, kim, "citizen-masked")
        made = await call(client, kim, "POST", f"/api/v1/conversations/{masked}/handover", 201,
                          {"department": water["id"], "need": "수도 요금 이중 청구 확인 요청 (연락처 010-1234-5678)"})  # fmt: skip
        assert made["conversation"]["state"] == "resolved"
        assert made["conversation"]["disposition"] == "transferred"
        assert made["handover"]["delivery"] in ("pending", "sent")

        await wait_for(lambda: len(mailbox.received) == 1, failure="the handover e-mail")
        mail = mailbox.received[0]
        assert mailbox.recipients[0] == ["water@seoul.example"]
        assert "상수도사업본부 요금과" in str(mail["Subject"])
        body = text_of(mail)
        assert "900101-1******" in body and "010-****-5678" in body
        assert "1234567" not in body and "010-1234-5678" not in body
        assert "수도 요금 이중 청구" in body

        async def sent() -> bool:
            return (await delivery(client, kim, masked))["delivery"] == "sent"

        await wait_for(sent, failure="the handover marked sent")
        events = await call(client, kim, "GET", f"/api/v1/conversations/{masked}/events", 200)
        assert {"handed_over", "handover_sent"} <= {event["type"] for event in events["events"]}

        told = await citizen_reads(client, "citizen-masked")
        assert any("상수도사업본부 요금과" in text and "02-3146-1234" in text for text in told), told

        # An officer of a department allowed to receive personal data: the numbers arrive whole.
        whole = await held_conversation(client, kim, "citizen-whole")
        made = await call(client, kim, "POST", f"/api/v1/conversations/{whole}/handover", 201,
                          {"department": trusted["id"], "kind": "officer", "officer_name": "박주무관",
                           "need": "긴급 복지 지원 상담"})  # fmt: skip
        assert made["conversation"]["disposition"] == "connected"
        await wait_for(lambda: len(mailbox.received) == 2, failure="the second handover e-mail")
        body = text_of(mailbox.received[1])
        assert "900101-1234567" in body and "010-1234-5678" in body and "박주무관" in body
        told = await citizen_reads(client, "citizen-whole")
        assert any("복지정책과 박주무관" in text and "02-2133-7300" in text for text in told), told

        # The department's answer, recorded by the agent, lists the handover as answered.
        handover_id = made["handover"]["id"]
        await call(client, kim, "POST", f"/api/v1/handovers/{handover_id}/answer", 200,
                   {"text": "3월 1일 방문 상담 예약 완료"})  # fmt: skip
        answered = await call(client, kim, "GET", "/api/v1/handovers?state=answered", 200)
        assert [h["id"] for h in answered["handovers"]] == [handover_id]
        assert answered["handovers"][0]["answer"] == "3월 1일 방문 상담 예약 완료"
        events = await call(client, kim, "GET", f"/api/v1/conversations/{whole}/events", 200)
        assert "handover_answered" in {event["type"] for event in events["events"]}


async def test_a_handover_waits_while_the_mail_server_is_down(database_url: str) -> None:
    port = free_port()  # nothing listens yet
    async with running_hub(database_url, port) as client:
        admin, kim = await login(client, "admin"), await login(client, "kim")
        roads = await call(client, admin, "POST", "/api/v1/departments", 201,
                           {"name": "도로관리과", "phone": "02-2133-8000", "email": "roads@seoul.example"})  # fmt: skip
        conversation_id = await held_conversation(client, kim, "citizen-down")
        await call(client, kim, "POST", f"/api/v1/conversations/{conversation_id}/handover", 201,
                   {"department": roads["id"], "need": "도로 파손 보수 요청"})  # fmt: skip

        async def retried() -> dict[str, Any] | None:
            found = await delivery(client, kim, conversation_id)
            return found if found["attempts"] >= 2 else None

        waiting = await wait_for(retried, failure="failed attempts")
        assert waiting["delivery"] == "pending" and "unreachable" in waiting["last_error"]
        pending = await call(client, kim, "GET", "/api/v1/handovers?state=pending", 200)
        assert [h["id"] for h in pending["handovers"]] == [waiting["id"]]

        async with smtp_server(port) as mailbox:
            await wait_for(lambda: mailbox.received, failure="the e-mail after the server came up")

            async def sent() -> bool:
                return (await delivery(client, kim, conversation_id))["delivery"] == "sent"

            await wait_for(sent, failure="the handover marked sent")
        assert "도로 파손 보수 요청" in text_of(mailbox.received[0])


@pytest.fixture
def sqlite_url(tmp_path: Any) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"


async def test_a_webhook_department_gets_a_signed_post(sqlite_url: str) -> None:
    posts: list[tuple[bytes, str]] = []

    async def receive(request: web.Request) -> web.Response:
        posts.append((await request.read(), request.headers.get(SIGNATURE_HEADER, "")))
        return web.json_response({"ok": True})

    receiver = web.Application()
    receiver.router.add_post("/handovers", receive)
    async with TestServer(receiver) as server, running_hub(sqlite_url, free_port()) as client:
        admin, kim = await login(client, "admin"), await login(client, "kim")
        url = str(server.make_url("/handovers"))
        department = await call(client, admin, "POST", "/api/v1/departments", 201,
                                {"name": "교통정책과", "phone": "02-2133-2200", "webhook_url": url})  # fmt: skip
        secret = department["webhook_secret"]
        assert secret and len(secret) >= 32
        listed = await call(client, kim, "GET", "/api/v1/departments?active=1", 200)
        assert "webhook_secret" not in next(d for d in listed["departments"] if d["id"] == department["id"])

        conversation_id = await held_conversation(client, kim, "citizen-hook")
        await call(client, kim, "POST", f"/api/v1/conversations/{conversation_id}/handover", 201,
                   {"department": department["id"], "need": "버스 노선 변경 민원"})  # fmt: skip
        await wait_for(lambda: posts, failure="the webhook call")
        body, signed = posts[0]
        assert signed == "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        sent = json.loads(body)
        assert sent["department"] == "교통정책과" and sent["need"] == "버스 노선 변경 민원"
        assert sent["conversation"]["id"] == conversation_id
        citizen_texts = " ".join(m["text"] for m in sent["messages"] if m["author"] == "citizen")
        assert "900101-1******" in citizen_texts and "1234567" not in citizen_texts

        async def sent_via_webhook() -> bool:
            found = await delivery(client, kim, conversation_id)
            return found["delivery"] == "sent" and found["via"] == "webhook"

        await wait_for(sent_via_webhook, failure="the handover marked sent")


async def test_departments_seeded_changed_by_admins_only_and_audited(sqlite_url: str) -> None:
    async with running_hub(sqlite_url, free_port()) as client:
        admin, kim, lee = await login(client, "admin"), await login(client, "kim"), await login(client, "lee")
        editor, supervisor = await login(client, "han", available=False), await login(client, "jung")
        seeded = (await call(client, kim, "GET", "/api/v1/departments", 200))["departments"]
        mapo = next(d for d in seeded if d["name"] == "마포구청")
        assert mapo["phone"] == "02-3153-8114" and mapo["email"] == "mapo-gu-office@departments.invalid"
        assert mapo["placeholder_email"] and not mapo["personal_data"]
        assert not any(d["phone"] in ("112", "119", "120") for d in seeded)  # no emergency lines, not the centre

        await call(client, editor, "GET", "/api/v1/departments", 403)
        new = {"name": "주택정책과", "phone": "02-2133-7000", "email": "housing@seoul.example"}
        for refused in (kim, supervisor):
            await call(client, refused, "POST", "/api/v1/departments", 403, new)
            await call(client, refused, "PATCH", f"/api/v1/departments/{mapo['id']}", 403, {"active": False})
        await call(client, admin, "POST", "/api/v1/departments", 400, {**new, "webhook_url": "ftp://x"})
        housing = await call(client, admin, "POST", "/api/v1/departments", 201, new)
        await call(client, admin, "POST", "/api/v1/departments", 409, new)
        changed = await call(client, admin, "PATCH", f"/api/v1/departments/{mapo['id']}", 200,
                             {"email": "minwon@mapo.example", "personal_data": True})  # fmt: skip
        assert changed["email"] == "minwon@mapo.example" and not changed["placeholder_email"]
        await call(client, admin, "DELETE", f"/api/v1/departments/{housing['id']}", 204)

        entries = (await call(client, admin, "GET", "/api/v1/audit?action=department_changed", 200))["entries"]
        assert [(e["detail"]["change"], e["target"], e["actor"]) for e in entries] == [
            ("removed", f"department:{housing['id']}", "agent:admin"),
            ("changed", f"department:{mapo['id']}", "agent:admin"),
            ("added", f"department:{housing['id']}", "agent:admin"),
        ]
        assert entries[1]["detail"]["email"] == ["mapo-gu-office@departments.invalid", "minwon@mapo.example"]

        # Only the agent holding the conversation (or a supervisor) hands it over; a
        # department with handovers is deactivated, not removed.
        conversation_id = await held_conversation(client, kim, "citizen-roles")
        handover = {"department": mapo["id"], "need": "구청 민원 이관"}
        await call(client, lee, "POST", f"/api/v1/conversations/{conversation_id}/handover", 403, handover)
        await call(client, kim, "POST", f"/api/v1/conversations/{conversation_id}/handover", 400,
                   {**handover, "kind": "officer"})  # fmt: skip
        blank = await call(client, kim, "POST", f"/api/v1/conversations/{conversation_id}/handover", 400,
                           {**handover, "need": "   "})  # fmt: skip
        assert "need" in blank["error"]["message"]
        await call(client, admin, "PATCH", f"/api/v1/departments/{housing['id'] + 1000}", 404, {"active": False})
        made = await call(client, kim, "POST", f"/api/v1/conversations/{conversation_id}/handover", 201, handover)
        await call(client, kim, "POST", f"/api/v1/conversations/{conversation_id}/handover", 409, handover)
        await call(client, admin, "DELETE", f"/api/v1/departments/{mapo['id']}", 409)
        await call(client, lee, "POST", f"/api/v1/handovers/{made['handover']['id']}/answer", 403, {"text": "완료"})
        assert (await call(client, lee, "GET", "/api/v1/handovers", 200))["handovers"] == []
        everyone = await call(client, supervisor, "GET", f"/api/v1/handovers?department={mapo['id']}", 200)
        assert [h["id"] for h in everyone["handovers"]] == [made["handover"]["id"]]


def test_the_command_line_manages_departments(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    database = ["--database", f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"]
    assert main([*database, "departments", "add", "주택정책과", "--phone", "02-2133-7000",
                 "--webhook", "https://housing.example/handovers"]) == 0  # fmt: skip
    added = capsys.readouterr().out
    assert "added department 주택정책과" in added and "webhook secret: " in added
    department_id = added.split("(")[1].split(")")[0]
    assert main([*database, "departments", "set", department_id, "--webhook", "none", "--email",
                 "housing@seoul.example", "--personal-data", "yes"]) == 0  # fmt: skip
    assert main([*database, "departments", "list"]) == 0
    listed = capsys.readouterr().out
    assert "주택정책과  02-2133-7000  housing@seoul.example [personal data]" in listed
    assert "마포구청  02-3153-8114  mapo-gu-office@departments.invalid" in listed  # seeded from the directory
    assert main([*database, "departments", "add", "주택정책과", "--phone", "02-2133-7000"]) == 2
    assert "exists already" in capsys.readouterr().err
    assert main([*database, "departments", "remove", department_id]) == 0
    assert main([*database, "audit", "--action", "department_changed"]) == 0
    changes = capsys.readouterr().out
    assert (
        changes.count("cli  department_changed") == 3
        and '"webhook_url": ["https://housing.example/handovers", null]' in changes
    )
