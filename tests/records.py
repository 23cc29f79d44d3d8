"""Model records for tests of pure decisions, with only what a test says differently."""

from __future__ import annotations

from datetime import datetime, timezone

from model import Channel, Contact, Conversation, ConversationState

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)


def conversation(state: ConversationState = ConversationState.BOT, **fields: object) -> Conversation:
    """A Korean SMS conversation created at `NOW`, in `state`."""
    values: dict[str, object] = dict(
        id="c1",
        channel=Channel.SMS,
        state=state,
        contact=Contact("k1", "시민"),
        sender="+821012345678",
        language="ko",
        category=None,
        queue=None,
        priority=0,
        assigned_agent=None,
        created_at=NOW,
    )
    values.update(fields)
    return Conversation(**values)  # type: ignore[arg-type]
