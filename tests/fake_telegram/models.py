"""Plain records kept by the fake Bot API server: users, chats, files, recorded calls, chat views."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

JSON = dict[str, Any]


class ApiError(Exception):
    """An error answer of the Bot API: ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(self, error_code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(f"{error_code} {description}")
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def payload(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(text: str) -> ApiError:
    return ApiError(400, f"Bad Request: {text}")


@dataclass(frozen=True)
class FakeUser:
    """A Telegram user the scenario drives."""

    id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = "en"
    is_bot: bool = False

    def to_dict(self) -> JSON:
        data: JSON = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass
class FakeChat:
    """A private chat, group or supergroup, with its messages as Bot API dicts."""

    id: int
    type: str  # "private" | "group" | "supergroup"
    title: str | None = None
    user: FakeUser | None = None  # the other side of a private chat
    members: dict[int, str] = field(default_factory=dict)  # user id -> "creator" | "administrator" | "member"
    privacy: bool = True  # groups only: the bot sees commands and replies to its own messages
    messages: dict[int, JSON] = field(default_factory=dict)
    deleted: set[int] = field(default_factory=set)
    next_message_id: int = 1

    def to_dict(self) -> JSON:
        if self.type == "private":
            assert self.user is not None
            data: JSON = {"id": self.id, "type": "private", "first_name": self.user.first_name}
            if self.user.username:
                data["username"] = self.user.username
            return data
        return {"id": self.id, "type": self.type, "title": self.title or f"Group {self.id}"}

    def take_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def live_message(self, message_id: int) -> JSON | None:
        if message_id in self.deleted:
            return None
        return self.messages.get(message_id)


@dataclass
class StoredFile:
    """A file the server knows: uploaded by the bot, or registered by a test as a user's file."""

    file_id: str
    file_unique_id: str
    path: Path  # where the bytes are on disk (a registered path is used in place, never copied)
    file_size: int  # the size Telegram reports (a test may declare more than the bytes on disk)
    file_path: str  # the relative path getFile returns, e.g. "videos/file_u3.mp4"
    file_name: str | None = None
    mime_type: str | None = None
    origin: str = "user"  # "user" (registered by the test) or "bot" (uploaded by the bot)
    field_name: str | None = None  # the multipart field it arrived in

    @property
    def data(self) -> bytes:
        return self.path.read_bytes()


@dataclass
class Call:
    """One HTTP request the bot made, as received and as answered."""

    index: int
    method: str  # canonical Bot API name, e.g. "sendMessage" (as sent, for unknown methods)
    params: JSON  # form fields decoded: ints, bools, JSON objects (reply_markup, media, ...)
    files: dict[str, StoredFile]  # multipart uploads by field name
    started: float  # time.monotonic() when the request arrived
    finished: float | None = None
    status: int | None = None  # HTTP status of the answer
    result: Any = None  # the "result" of a successful answer
    error: str | None = None  # the "description" of a failed answer
    content_type: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def chat_id(self) -> int | str | None:
        value = self.params.get("chat_id")
        return value if isinstance(value, int | str) else None

    @property
    def text(self) -> str | None:
        value = self.params.get("text", self.params.get("caption"))
        return value if isinstance(value, str) else None

    @property
    def content(self) -> str:
        """The text or caption sent, or ""."""
        return self.text or ""

    @property
    def latency(self) -> float | None:
        return None if self.finished is None else self.finished - self.started

    def __repr__(self) -> str:
        brief = {k: v for k, v in self.params.items() if k in ("chat_id", "message_id", "text", "caption")}
        return f"<Call #{self.index} {self.method} {brief} -> {self.status} {self.error or ''}>"


@dataclass
class QueuedUpdate:
    update_id: int
    payload: JSON  # the whole Update object
    enqueued: float = field(default_factory=time.monotonic)
    delivered: float | None = None  # first time a getUpdates answer (or webhook post) carried it
    confirmed: bool = False

    @property
    def kind(self) -> str:
        return next(k for k in self.payload if k != "update_id")


MEDIA_KINDS = ("video", "animation", "video_note", "audio", "voice", "document", "photo", "sticker")


@dataclass(frozen=True)
class ViewMessage:
    """A message as the user sees it in the chat (after edits), a snapshot: call ``tg.message()`` again for later."""

    chat_id: int
    message_id: int
    from_bot: bool
    sender_id: int | None
    text: str | None
    caption: str | None
    media_type: str | None
    media: JSON | None  # the media object (for "photo": the largest size)
    reply_markup: JSON | None
    reply_to_message_id: int | None
    media_group_id: str | None
    edits: int
    raw: JSON

    @classmethod
    def from_message(cls, chat_id: int, message: JSON, edits: int = 0) -> ViewMessage:
        media_type = next((k for k in MEDIA_KINDS if k in message), None)
        media = message.get(media_type) if media_type else None
        if isinstance(media, list):
            media = media[-1] if media else None
        sender = message.get("from") or {}
        reply = message.get("reply_to_message")
        return cls(
            chat_id=chat_id,
            message_id=message["message_id"],
            from_bot=bool(sender.get("is_bot")),
            sender_id=sender.get("id"),
            text=message.get("text"),
            caption=message.get("caption"),
            media_type=media_type,
            media=media,
            reply_markup=message.get("reply_markup"),
            reply_to_message_id=reply["message_id"] if reply else None,
            media_group_id=message.get("media_group_id"),
            edits=edits,
            raw=dict(message),
        )

    @property
    def content(self) -> str:
        """The text, or the caption, or ""."""
        return self.text if self.text is not None else (self.caption or "")

    @property
    def file_id(self) -> str | None:
        return self.media.get("file_id") if self.media else None

    @property
    def buttons(self) -> list[list[JSON]]:
        """The inline keyboard's rows of buttons (empty when there is none)."""
        markup = self.reply_markup or {}
        return [list(row) for row in markup.get("inline_keyboard", [])]

    @property
    def button_texts(self) -> list[str]:
        return [button["text"] for row in self.buttons for button in row]

    def button(self, text: str) -> JSON:
        """The button whose text equals ``text`` or, failing that, the only one that contains it."""
        flat = [button for row in self.buttons for button in row]
        exact = [b for b in flat if b["text"] == text]
        if exact:
            return exact[0]
        partial = [b for b in flat if text.lower() in b["text"].lower()]
        if len(partial) == 1:
            return partial[0]
        raise LookupError(f"no single button {text!r} on message {self.message_id}; buttons: {self.button_texts}")
