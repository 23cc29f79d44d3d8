"""Who may read and act on which conversation: the role table of the design, in one place."""

from __future__ import annotations

from model import Agent, Conversation, Role
from model.errors import forbidden, not_found
from store import conversations
from store.db import Store


def may_read(agent: Agent, conversation: Conversation) -> bool:
    """Supervisors and admins read every conversation; an agent reads those offered, assigned
    or transferred to them (an overflow offer included) and those waiting in their skills'
    queues; an editor reads none."""
    if agent.role.at_least(Role.SUPERVISOR):
        return True
    if agent.role is not Role.AGENT:
        return False
    if conversation.assigned_agent_id == agent.id:
        return True
    return conversation.state.waiting and conversation.queue in agent.skills


async def readable(store: Store, agent: Agent, conversation_id: str) -> Conversation:
    """The conversation if the agent may read it: 404 when there is none, 403 when it is not theirs."""
    async with store.read() as session:
        found = await conversations.conversation(session, conversation_id)
    if found is None:
        raise not_found("The conversation")
    if not may_read(agent, found):
        raise forbidden("This conversation is not in your queues or assigned to you.")
    return found
