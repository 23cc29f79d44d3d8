"""Personal data an agent sees masked (`Message.for_agent`) and may reveal, each reveal audited."""

from __future__ import annotations

from aiohttp import web

from hub import access
from hub.core import HUB
from model import Agent, Conversation, ConversationState, Role
from model.audit import AuditAction
from model.clock import utcnow
from model.errors import forbidden, not_found
from model.masking import find_personal_data
from store import audit, conversations

routes = web.RouteTableDef()

_MAX_MESSAGE_ID = 2**31 - 1
"""Message ids are the store's 32-bit integers: anything else names no message."""


def may_reveal(agent: Agent, conversation: Conversation) -> bool:
    """The design's role table: supervisors and admins reveal on every conversation, an agent on
    their own (assigned to them, or resolved by them; an offer not yet accepted is not theirs)."""
    if agent.role.at_least(Role.SUPERVISOR):
        return True
    return (
        agent.role is Role.AGENT
        and conversation.assigned_agent_id == agent.id
        and conversation.state is not ConversationState.OFFERED
    )


@routes.post("/api/v1/conversations/{id}/messages/{message_id}/reveal")
async def reveal(request: web.Request) -> web.Response:
    """The message's `text` and `translation` unmasked; the reveal goes to the audit log, with
    the kinds of personal data it showed, in the same transaction as the message is read."""
    hub = request.app[HUB]
    agent = await hub.auth.agent(request)
    conversation = await access.readable(hub.store, agent, request.match_info["id"])
    if not may_reveal(agent, conversation):
        raise forbidden("Only the agent who holds the conversation, or a supervisor, reveals its personal data.")
    message_id = request.match_info["message_id"]
    async with hub.store.write() as session:
        found = await conversations.messages_by_id(session, [message_id]) if _is_message_id(message_id) else []
        if not found or found[0].conversation_id != conversation.id:
            raise not_found("The message")
        message = found[0]
        texts = (message.text, message.translation or "")
        kinds = sorted({data.kind.value for text in texts for data in find_personal_data(text)})
        audit.record(
            session,
            f"agent:{agent.username}",
            AuditAction.PERSONAL_DATA_REVEALED,
            f"message:{message.id}",
            utcnow(),
            {"conversation_id": conversation.id, "kinds": kinds},
        )
    return web.json_response({"id": message.id, "text": message.text, "translation": message.translation})


def _is_message_id(value: str) -> bool:
    return value.isascii() and value.isdigit() and int(value) <= _MAX_MESSAGE_ID
