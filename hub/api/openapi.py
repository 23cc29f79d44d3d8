"""`GET /api/v1/openapi.json`: the API described for integrators and their tools."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel

from channels.api.inbound import InboundBody
from hub.agent_admin import AgentCreation, AgentProfile
from hub.api.agent_admin import PasswordBody
from hub.api.callbacks import OutcomeBody
from hub.api.canned import CannedChangeBody, NewCannedBody
from hub.api.conversations import (
    CorrectionBody,
    FlagBody,
    LinkBody,
    ReplyBody,
    ResolveBody,
    SegmentsBody,
    TransferBody,
    TranslationBody,
)
from hub.api.data_requests import EraseBody
from hub.api.handovers import AnswerBody, DepartmentBody, DepartmentChange, HandoverBody
from hub.api.hours import HolidayBody, HoursBody
from hub.api.knowledge import CommentBody, ContentBody
from hub.api.protection import EndBody, LiftBody, WarnBody
from hub.api.questions import DraftBody, FromMessageBody
from hub.api.session import LoginBody, PresenceBody
from hub.api.supervision import QueueBody
from hub.api.teams import AgentPartBody, NameBody
from hub.api.voc import VocRequest

routes = web.RouteTableDef()

# (method, path, summary, request body, needs an agent's token)
ENDPOINTS: list[tuple[str, str, str, type[BaseModel] | None, bool]] = [
    ("get", "/healthz", "Health: 200 once the store is open", None, False),
    (
        "post",
        "/api/v1/channels/api/messages",
        "A citizen's message through the generic API channel (bearer: the channel's key)",
        InboundBody,
        False,
    ),
    ("get", "/api/v1/channels/api/messages", "Replies for a sender after a message id (?sender=&after=)", None, False),
    ("post", "/api/v1/auth/login", "Log in; returns a bearer token and sets the console cookie", LoginBody, False),
    ("post", "/api/v1/auth/logout", "Log out", None, True),
    ("post", "/api/v1/auth/logout-everywhere", "End every session of the logged-in agent", None, True),
    ("post", "/api/v1/agents/{username}/sessions/revoke", "End every session of an agent (audited, admin)", None, True),
    ("get", "/api/v1/me", "The logged-in agent", None, True),
    ("post", "/api/v1/me/state", "Set presence: available, break, offline", PresenceBody, True),
    ("get", "/api/v1/conversations", "Conversations (?state=&queue=&mine=1)", None, True),
    ("get", "/api/v1/conversations/{id}", "One conversation", None, True),
    ("patch", "/api/v1/conversations/{id}", "Correct language or category; set priority", CorrectionBody, True),
    ("get", "/api/v1/conversations/{id}/messages", "A conversation's messages", None, True),
    ("get", "/api/v1/conversations/{id}/events", "Why the conversation went where it went", None, True),
    ("post", "/api/v1/conversations/{id}/claim", "Accept an offer or take from a queue", None, True),
    ("post", "/api/v1/conversations/{id}/decline", "Decline an offer: back to the front of the queue", None, True),
    (
        "post",
        "/api/v1/conversations/{id}/messages",
        "Reply to the citizen (translate: send the Korean machine-translated)",
        ReplyBody,
        True,
    ),
    ("post", "/api/v1/conversations/{id}/translation", "Preview a reply's machine translation", TranslationBody, True),
    ("post", "/api/v1/conversations/{id}/transfer", "Transfer to a queue or an agent", TransferBody, True),
    ("post", "/api/v1/conversations/{id}/resolve", "Resolve with a disposition", ResolveBody, True),
    ("post", "/api/v1/conversations/{id}/flag", "Record an abuse incident", FlagBody, True),
    ("post", "/api/v1/conversations/{id}/warn", "Send the protocol's standard warning", WarnBody, True),
    (
        "post",
        "/api/v1/conversations/{id}/end-under-protocol",
        "End under the protection protocol after the warnings; block the contact for block_hours",
        EndBody,
        True,
    ),
    ("get", "/api/v1/protection/incidents", "A month's abuse incidents (?month=, supervisor)", None, True),
    ("get", "/api/v1/protection/blocks", "Contact blocks, newest first (?active=1, supervisor)", None, True),
    ("post", "/api/v1/protection/blocks/{id}/lift", "Lift a block on appeal (audited, supervisor)", LiftBody, True),
    (
        "post",
        "/api/v1/conversations/{id}/messages/{message_id}/reveal",
        "A message's personal data unmasked (audited)",
        None,
        True,
    ),
    ("get", "/api/v1/contacts/{id}/history", "A contact's conversations across channels", None, True),
    ("post", "/api/v1/contacts/{id}/link", "Link another contact (the same citizen) into this one", LinkBody, True),
    ("get", "/api/v1/contacts/{id}/data", "Everything held on a contact, unmasked (?format=zip; PIPA)", None, True),
    ("post", "/api/v1/contacts/{id}/erase", "Erase a contact's personal data (PIPA)", EraseBody, True),
    ("get", "/api/v1/channels", "The running channels: name, label for agents, longest reply", None, True),
    ("post", "/api/v1/sms/segments", "What a text costs as SMS (segments, encoding)", SegmentsBody, True),
    ("get", "/api/v1/queues", "Queues with waiting counts", None, True),
    ("patch", "/api/v1/queues/{name}", "Change a queue (admin)", QueueBody, True),
    ("get", "/api/v1/agents", "Agents (supervisor)", None, True),
    ("get", "/api/v1/supervisor/overview", "Agents, queues, today's first-contact resolution (supervisor)", None, True),
    ("get", "/api/v1/kb/search", "Search the knowledge base (?q=&lang=&limit=)", None, True),
    ("get", "/api/v1/kb/articles/{id}", "One knowledge-base article in one language (?lang=ko)", None, True),
    ("get", "/api/v1/kb/entries", "Articles in the workflow (?state=&q=&outdated=true, editor)", None, True),
    ("post", "/api/v1/kb/entries", "Propose a draft article (anyone; editors edit it)", ContentBody, True),
    ("get", "/api/v1/kb/entries/{id}", "An article's newest revision, approvals and rights (editor)", None, True),
    (
        "put",
        "/api/v1/kb/entries/{id}",
        "Save the article's next revision (base: the revision edited)",
        ContentBody,
        True,
    ),
    ("post", "/api/v1/kb/entries/{id}/submit", "Ask for review (editor)", None, True),
    ("post", "/api/v1/kb/entries/{id}/approve", "Approve the newest revision (editor)", CommentBody, True),
    ("post", "/api/v1/kb/entries/{id}/return", "Send back to draft with a comment (editor)", CommentBody, True),
    ("post", "/api/v1/kb/entries/{id}/publish", "Publish: an editor needs someone else's approval", None, True),
    ("post", "/api/v1/kb/entries/{id}/archive", "Withdraw the article (editor)", CommentBody, True),
    ("get", "/api/v1/kb/entries/{id}/history", "Who did what to the article, when (editor)", None, True),
    ("get", "/api/v1/kb/entries/{id}/diff", "Differences between two revisions (?from=&to=, editor)", None, True),
    ("get", "/api/v1/kb/export", "The published articles as a file (?format=jsonl|csv|xlsx, editor)", None, True),
    ("post", "/api/v1/kb/import", "Publish the articles of a file (?format=jsonl|csv|xlsx, editor)", None, True),
    ("get", "/api/v1/kb/questions", "Questions to write articles for, grouped (?days=30&kind=, editor)", None, True),
    ("post", "/api/v1/kb/questions/draft", "A draft article for a group of questions (editor)", DraftBody, True),
    ("post", "/api/v1/kb/entries/from-message", "An agent's reply as a draft article", FromMessageBody, True),
    ("get", "/api/v1/stats/summary", "The report's figures from events (?from=&to=; an agent's own)", None, True),
    (
        "get",
        "/api/v1/reports/tables",
        "The report's tables (?from=&to=&period=day|week|month&channel=&language=&category=&queue=&agent=&team=)",
        None,
        True,
    ),
    ("get", "/api/v1/teams", "Teams with their parts and agents (supervisor)", None, True),
    ("post", "/api/v1/teams", "Add a team (admin)", NameBody, True),
    ("patch", "/api/v1/teams/{id}", "Rename a team (admin)", NameBody, True),
    ("delete", "/api/v1/teams/{id}", "Remove a team and its parts (admin)", None, True),
    ("post", "/api/v1/teams/{id}/parts", "Add a part to a team (admin)", NameBody, True),
    ("patch", "/api/v1/parts/{id}", "Rename a part (admin)", NameBody, True),
    ("delete", "/api/v1/parts/{id}", "Remove a part (admin)", None, True),
    ("put", "/api/v1/agents/{username}/part", "Put an agent in a part, or none (admin)", AgentPartBody, True),
    (
        "get",
        "/api/v1/reports/tables/export",
        "The report's tables as HTML, CSV or XLSX (?format=; an agent's own)",
        None,
        True,
    ),
    (
        "get",
        "/api/v1/wallboard",
        "The wallboard's figures now (supervisor; pushed on /api/v1/wallboard/ws)",
        None,
        True,
    ),
    ("post", "/api/v1/reports/voc", "Start the monthly VOC report (supervisor)", VocRequest, True),
    ("get", "/api/v1/reports/voc/{id}", "A VOC report's progress and files (supervisor)", None, True),
    ("get", "/api/v1/audit", "The audit log, newest first (?target=&action=&since=&limit=, supervisor)", None, True),
    ("get", "/api/v1/translation/usage", "Machine translation per engine and day (?from=&to=, supervisor)", None, True),
    ("get", "/api/v1/queues/{name}/hours", "A queue's hours, after-hours queue and whether it is open", None, True),
    ("put", "/api/v1/queues/{name}/hours", "Set a queue's hours and after-hours queue (admin)", HoursBody, True),
    ("get", "/api/v1/holidays", "The centre's holidays of a year (?year=)", None, True),
    ("post", "/api/v1/holidays", "Add a holiday, or rename it or change its hours (admin)", HolidayBody, True),
    ("delete", "/api/v1/holidays/{date}", "Remove a holiday (admin)", None, True),
    (
        "get",
        "/api/v1/callbacks",
        "Callback tasks and outcomes counted (?state=&queue=&month=YYYY-MM; supervisors all, agents their queues)",
        None,
        True,
    ),
    ("post", "/api/v1/callbacks/{id}/outcome", "Record how a callback went (no_answer retries)", OutcomeBody, True),
    ("get", "/api/v1/departments", "Departments handovers go to (?active=1; agents)", None, True),
    ("post", "/api/v1/departments", "Add a department (audited, admin)", DepartmentBody, True),
    ("patch", "/api/v1/departments/{id}", "Change a department (audited, admin)", DepartmentChange, True),
    ("delete", "/api/v1/departments/{id}", "Remove a department no handover names (audited, admin)", None, True),
    (
        "post",
        "/api/v1/conversations/{id}/handover",
        "Hand over to a department or connect to its officer; tells the citizen, resolves",
        HandoverBody,
        True,
    ),
    ("get", "/api/v1/conversations/{id}/handovers", "A conversation's handovers and their delivery", None, True),
    ("get", "/api/v1/handovers", "Handovers (?state=&department=; a supervisor's all, an agent's own)", None, True),
    ("post", "/api/v1/handovers/{id}/answer", "Record the department's answer", AnswerBody, True),
    (
        "get",
        "/api/v1/canned-replies",
        "Canned replies the agent may use (?q=code prefix or words; ?conversation=: rendered for it)",
        None,
        True,
    ),
    (
        "post",
        "/api/v1/canned-replies",
        "Add a canned reply: personal, a team's (supervisor), the centre's (admin)",
        NewCannedBody,
        True,
    ),
    (
        "patch",
        "/api/v1/canned-replies/{id}",
        "Change a canned reply (its owner, team supervisor, admin)",
        CannedChangeBody,
        True,
    ),
    ("delete", "/api/v1/canned-replies/{id}", "Remove a canned reply (its owner, team supervisor, admin)", None, True),
    ("post", "/api/v1/agents", "Add an agent; the generated password is shown once (admin)", AgentCreation, True),
    (
        "patch",
        "/api/v1/agents/{username}",
        "Change an agent's name, role, skills, languages, capacity (admin)",
        AgentProfile,
        True,
    ),  # fmt: skip
    (
        "post",
        "/api/v1/agents/{username}/deactivate",
        "No more logins or offers; held work requeued (admin)",
        None,
        True,
    ),
    ("post", "/api/v1/agents/{username}/reactivate", "Let a deactivated agent log in again (admin)", None, True),
    ("post", "/api/v1/agents/{username}/password", "Reset a password; sessions end (admin)", PasswordBody, True),
    ("get", "/api/v1/channels/keys", "Which channels hold a key and where from, never the key (admin)", None, True),
    ("post", "/api/v1/channels/api/key/rotate", "A new API channel key, shown once (admin)", None, True),
]

ERROR = {
    "type": "object",
    "properties": {
        "error": {"type": "object", "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}
    },
}


def document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for method, path, summary, body, secured in ENDPOINTS:
        operation: dict[str, Any] = {
            "summary": summary,
            "responses": {
                "200": {"description": "OK"},
                "4XX": {"description": "Refused", "content": {"application/json": {"schema": ERROR}}},
            },
        }
        if body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": body.model_json_schema()}},
            }
        if secured:
            operation["security"] = [{"bearer": []}, {"cookie": []}]
        parameters = [part[1:-1] for part in path.split("/") if part.startswith("{")]
        if parameters:
            operation["parameters"] = [
                {"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in parameters
            ]
        paths.setdefault(path, {})[method] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Dasan Hub",
            "version": "1",
            "description": "Omnichannel contact hub for a citizen call centre.",
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "dasan_session"},
            }
        },
    }


@routes.get("/api/v1/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(document())
