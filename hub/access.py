"""Who may read and act on which conversation: the role table of the design, in one place.

An agent reads (and claims, answers, transfers, resolves, flags) the conversations waiting in
the queues of their skills and those offered, assigned or transferred to them, an overflow offer
included: all of these carry the agent as `assigned_agent_id`. A conversation keeps its agent when
it is resolved, so an agent also reads the ones they resolved (their own history, and the contact's
history panel of the console). A conversation handed back to a queue outside their skills, or
taken by another agent, is no longer theirs. Editors read none; supervisors and admins read all.
"""

from __future__ import annotations

from model import CONVERSATION_STATES, Agent, Conversation, ConversationState, Role
from model.errors import forbidden, not_found
from store import contacts, conversations
from store.db import Store

_WAITING = tuple(state.value for state in ConversationState if state.waiting)
NOT_HOLDING = "Only the agent holding this conversation, or a supervisor, transfers it."


def may_read(agent: Agent, conversation: Conversation) -> bool:
    """Supervisors and admins read every conversation; an agent reads those offered, assigned
    or transferred to them (an overflow offer included, and those they resolved) and those
    waiting in their skills' queues; an editor reads none."""
    if agent.role.at_least(Role.SUPERVISOR):
        return True
    if agent.role is not Role.AGENT:
        return False
    if conversation.assigned_agent_id == agent.id:
        return True
    return conversation.state.waiting and conversation.queue in agent.skills


def holding(agent: Agent, conversation: Conversation) -> bool:
    """Whether the agent holds the conversation (offered or assigned to them), or supervises
    every one: who transfers it, and who joins its video call."""
    if agent.role.at_least(Role.SUPERVISOR):
        return True
    return agent.role is Role.AGENT and conversation.assigned_agent_id == agent.id


async def readable(store: Store, agent: Agent, conversation_id: str) -> Conversation:
    """The conversation if the agent may read it: 404 when there is none, 403 when it is not theirs."""
    async with store.read() as session:
        return checked(agent, await conversations.conversation(session, conversation_id))


def checked(agent: Agent, found: Conversation | None) -> Conversation:
    """The conversation found, if the agent may read it: 404 when none was found, 403 when it is not theirs."""
    if found is None:
        raise not_found("The conversation")
    if not may_read(agent, found):
        raise forbidden("This conversation is not in your queues or assigned to you.")
    return found


async def readable_contact(store: Store, agent: Agent, contact_id: str) -> None:
    """Passes when the agent may read one of the contact's conversations (supervisors: any
    contact): 404 when there is no such contact, 403 otherwise."""
    async with store.read() as session:
        if not await contacts.exists(session, contact_id):
            raise not_found("The contact")
        if agent.role.at_least(Role.SUPERVISOR):
            return
        theirs = await conversations.of_contact(session, contact_id)
    if not any(may_read(agent, conversation) for conversation in theirs):
        raise forbidden("None of this contact's conversations is in your queues or assigned to you.")


async def visible(
    store: Store, agent: Agent, states: tuple[str, ...], queues: tuple[str, ...], mine: bool
) -> list[Conversation]:
    """The conversations the agent may read among those asked (states, queues, only theirs),
    selected by the database: supervisors any, an agent those assigned to them (in the order
    of the list) followed by those waiting in their skills' queues."""
    async with store.read() as session:
        if agent.role.at_least(Role.SUPERVISOR):
            return await conversations.list_conversations(session, states, queues, agent.id if mine else None)
        if agent.role is not Role.AGENT:
            return []
        found = await conversations.list_conversations(session, states, queues, agent.id)
        if mine:
            return found
        waiting = tuple(state for state in states or CONVERSATION_STATES if state in _WAITING)
        in_skills = tuple(queue for queue in queues or agent.skills if queue in agent.skills)
        if waiting and in_skills:
            held = {conversation.id for conversation in found}
            found += [
                conversation
                for conversation in await conversations.list_conversations(session, waiting, in_skills)
                if conversation.id not in held
            ]
    return found
