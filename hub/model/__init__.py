"""The common conversation model every other part of the hub speaks."""

from hub.model.records import (
    Agent,
    Article,
    ChannelIdentity,
    Contact,
    Conversation,
    Event,
    Inbound,
    IngestResult,
    Message,
    Queue,
    QuickReply,
    Reply,
    iso,
)
from hub.model.vocabulary import (
    QUEUE_NAMES,
    SPECIAL_QUEUES,
    AgentState,
    Author,
    Category,
    Channel,
    ConversationState,
    Direction,
    Disposition,
    EventType,
    Language,
    MessageStatus,
    Role,
)

__all__ = [
    "Agent", "AgentState", "Article", "Author", "Category", "Channel", "ChannelIdentity", "Contact",
    "Conversation", "ConversationState", "Direction", "Disposition", "Event", "EventType",
    "Inbound", "IngestResult", "Language", "Message", "MessageStatus", "QUEUE_NAMES",
    "Queue", "QuickReply", "Reply", "Role", "SPECIAL_QUEUES", "iso",
]
