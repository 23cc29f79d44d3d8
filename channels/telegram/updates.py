"""Telegram updates as the hub sees them: a citizen's message, a /start, or nothing to store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import Chat, Message, Update, User

from model import LANGUAGES, Attachment, Channel, Inbound

START = "/start"


@dataclass(frozen=True)
class CitizenMessage:
    """Something the citizen said (typed, sent or tapped), ready for `HubPort.receive`."""

    inbound: Inbound
    callback_query_id: str | None = None
    """Set when the citizen tapped an inline button: Telegram waits for an answer to it."""


@dataclass(frozen=True)
class StartCommand:
    """The citizen opened the bot (or sent /start again): greet them, store nothing."""

    chat_id: int
    message_id: int
    language: str | None
    """The citizen's app language when the hub speaks it."""


def locale_of(user: User | None) -> str | None:
    """The hub language of the user's Telegram app (`zh-hans` → zh), if it is one of ours."""
    code = (user.language_code or "") if user else ""
    primary = code.replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else None


def read_update(update: Update) -> CitizenMessage | StartCommand | None:
    """What an update means for the hub; None for what it ignores.

    Only private chats are served: in a group several citizens would share one conversation.
    Edited messages, channel posts and the like are ignored.
    """
    if update.message is not None:
        return _read_message(update.message)
    if update.callback_query is not None:
        return _read_tap(update)
    return None


def _is_start(text: str | None) -> bool:
    # "/start", "/start@dasan120_bot" and deep links ("/start campaign") all open the bot.
    if not text or not text.startswith(START):
        return False
    return text.split(maxsplit=1)[0].split("@", 1)[0] == START


def _read_message(message: Message) -> CitizenMessage | StartCommand | None:
    if message.chat.type != Chat.PRIVATE:
        return None
    if _is_start(message.text):
        return StartCommand(message.chat.id, message.message_id, locale_of(message.from_user))
    attachments = _attachments(message)
    text = message.text or message.caption or ""
    own_phone = _own_phone_number(message)
    if own_phone:
        attachments = (*attachments, Attachment(kind="contact", data={"phone_number": own_phone}))
    if not text.strip() and not attachments:
        return None  # stickers, polls, someone else's contact…: nothing the hub can show an agent yet
    return CitizenMessage(
        Inbound(
            channel=Channel.TELEGRAM,
            sender=str(message.chat.id),
            text=text,
            # A message id is unique within its chat, and a webhook retry or a re-polled update
            # carries the same one: the hub stores it once.
            provider_message_id=f"{message.chat.id}:{message.message_id}",
            display_name=_name(message.from_user),
            metadata=_metadata(message.from_user),
            attachments=attachments,
            verified_phone=own_phone,
        )
    )


def _own_phone_number(message: Message) -> str | None:
    """The number of a contact the citizen shared of themselves: Telegram has verified it."""
    contact = message.contact
    if contact is None or message.from_user is None or contact.user_id != message.from_user.id:
        return None
    return contact.phone_number


def _read_tap(update: Update) -> CitizenMessage | None:
    query = update.callback_query
    assert query is not None
    chat = query.message.chat if query.message is not None else None
    if not isinstance(query.data, str | None):
        raise TypeError(f"callback_query.data is {type(query.data).__name__}, not a string")
    if not query.data or (chat is not None and chat.type != Chat.PRIVATE):
        return None
    # In a private chat the chat id is the user's id, should the old message be gone.
    sender = str(chat.id if chat is not None else query.from_user.id)
    return CitizenMessage(
        Inbound(
            channel=Channel.TELEGRAM,
            sender=sender,
            text=query.data,
            provider_message_id=f"callback:{query.id}",
            display_name=_name(query.from_user),
            metadata=_metadata(query.from_user),
        ),
        callback_query_id=query.id,
    )


def _name(user: User | None) -> str | None:
    return user.full_name if user is not None and user.full_name.strip() else None


def _metadata(user: User | None) -> dict[str, Any]:
    # The app's language is a hint for agents, not the message's language: a Korean phone
    # often writes in Vietnamese, so language identification still decides.
    locale = locale_of(user)
    return {"locale": locale} if locale else {}


def _attachments(message: Message) -> tuple[Attachment, ...]:
    found: list[Attachment] = []
    if message.photo:
        # Telegram sends every size it made; the largest is the one an agent wants to see.
        largest = max(message.photo, key=lambda size: size.width * size.height)
        found.append(
            Attachment(
                kind="image",
                data={
                    "file_id": largest.file_id,
                    "file_unique_id": largest.file_unique_id,
                    "width": largest.width,
                    "height": largest.height,
                },
            )
        )
    for kind, media in (
        ("file", message.document),
        ("audio", message.voice),
        ("audio", message.audio),
        ("video", message.video),
    ):
        if media is not None:
            data: dict[str, Any] = {"file_id": media.file_id, "file_unique_id": media.file_unique_id}
            if getattr(media, "file_name", None):
                data["file_name"] = media.file_name  # type: ignore[union-attr]
            found.append(Attachment(kind=kind, content_type=getattr(media, "mime_type", None), data=data))
    if message.location is not None:
        place: dict[str, Any] = {
            "latitude": message.location.latitude,
            "longitude": message.location.longitude,
        }
        if message.venue is not None:
            place.update(title=message.venue.title, address=message.venue.address)
        found.append(Attachment(kind="location", data=place))
    return tuple(found)
