"""The sign-language video call's way out: the interpreter's written replies, and the call's
place in the queue, reach the citizen's page over its socket (stored first, like every
channel's replies, and handed over by the outbox)."""

from __future__ import annotations

from channels.base import MAX_REPLY_CHARS, Delivered
from model import Author, Channel, Conversation, ConversationState, Message, MessageStatus
from sign_video import signalling
from sign_video.calls import Calls


class VideoOutbound:
    send_timeout = 5.0
    sends_per_second = 1000.0
    max_text_chars = min(signalling.MAX_CHAT_CHARS, MAX_REPLY_CHARS)

    def __init__(self, calls: Calls) -> None:
        self._calls = calls

    async def start(self) -> None:
        """Nothing to open: the pages' sockets are the inbound side's."""

    async def deliver(self, conversation: Conversation, message: Message) -> Delivered:
        """Show a reply beside the call: DELIVERED when the page had it, SENT when it will get
        it on connecting; a call already ended keeps it in the conversation's history."""
        call = self._calls.by_sender(conversation.sender)
        if call is None:
            return Delivered(MessageStatus.SENT)
        author = "interpreter" if message.author is Author.AGENT else None
        # Agents' replies are refused above the limit; the hub's own notices are far shorter.
        shown = await call.to_citizen(signalling.Chat(message.text[: signalling.MAX_CHAT_CHARS], author))
        return Delivered(MessageStatus.DELIVERED if shown else MessageStatus.SENT)

    async def conversation_changed(self, conversation: Conversation) -> None:
        """The citizen sees their place while waiting, and when an interpreter takes the call;
        a call resolved ends, and an interpreter the conversation left is let go."""
        if conversation.channel is not Channel.SIGN_VIDEO:
            return
        call = self._calls.by_sender(conversation.sender)
        if call is None:
            return
        await call.show(conversation)
        if conversation.state is ConversationState.RESOLVED:
            await self._calls.end(call)
        elif call.interpreter_id is not None and (
            conversation.state is not ConversationState.ASSIGNED
            or conversation.assigned_agent_id != call.interpreter_id
        ):
            await call.drop_interpreter()

    async def close(self) -> None:
        """Nothing to close: the inbound side ends the calls."""
