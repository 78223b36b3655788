"""The fake Telegram's state and the helpers a scenario uses to act as users and to look at the chats."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import mimetypes
import secrets
import subprocess
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from .models import JSON, Call, FakeChat, FakeUser, QueuedUpdate, StoredFile, ViewMessage
from .text import command_entities, command_target

T = TypeVar("T")

FileSource = bytes | str | Path | StoredFile

_KIND_DIRS = {
    "video": "videos", "animation": "animations", "video_note": "video_notes", "audio": "music",
    "voice": "voice", "document": "documents", "photo": "photos", "thumbnail": "thumbnails",
}  # fmt: skip


def probe_video(path: Path) -> tuple[int, int, int]:
    """(duration in whole seconds, display width, display height) as Telegram's clients report; zeros if unknown."""
    stat = path.stat()
    return _probe_cached(path, stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=256)
def _probe_cached(path: Path, size: int, mtime_ns: int) -> tuple[int, int, int]:
    try:
        out = subprocess.run(
            ["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format", str(path)],
            capture_output=True,
            check=True,
            timeout=20,
        ).stdout
        info = json.loads(out)
    except (OSError, subprocess.SubprocessError, ValueError):
        return 0, 0, 0
    video: JSON = next((s for s in info.get("streams", []) if s.get("codec_type") == "video"), {})
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    rotation = int(float(video.get("tags", {}).get("rotate", 0) or 0))
    for side in video.get("side_data_list", []):
        rotation = int(float(side.get("rotation", rotation) or 0))
    if abs(rotation) % 180 == 90:
        width, height = height, width
    duration = float(info.get("format", {}).get("duration") or video.get("duration") or 0)
    return round(duration), width, height


class TelegramWorld:
    """Users, chats, messages, files and the update queue; no HTTP here."""

    def __init__(self, token: str, bot_username: str, root: Path) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_id = int(token.split(":", 1)[0])
        self.root = root
        self.users: dict[int, FakeUser] = {}
        self.chats: dict[int, FakeChat] = {}
        self.files: dict[str, StoredFile] = {}  # by file_id
        self.files_by_path: dict[str, StoredFile] = {}  # by getFile's file_path
        self.updates: list[QueuedUpdate] = []
        self.calls: list[Call] = []
        self.callback_queries: dict[str, JSON] = {}
        self.callback_answers: dict[str, JSON] = {}
        self.inline_queries: dict[str, JSON] = {}
        self.inline_answers: dict[str, JSON] = {}  # query id -> answerInlineQuery's parameters (results, ...)
        self.undelivered: list[JSON] = []  # group messages the bot's privacy mode kept from it
        self.blocked_by: set[int] = set()  # users who blocked the bot
        self._edits: dict[tuple[int, int], int] = {}
        self._user_ids = itertools.count(1001)
        self._group_ids = itertools.count(1)
        self._update_ids = itertools.count(500_000_001)
        self._file_numbers = itertools.count(1)
        self._changed = asyncio.Event()

    # ---- notification --------------------------------------------------------------------------------------

    def _notify(self) -> None:
        """Wakes every waiter (long polls, wait_for); each waiter re-checks its own condition."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_until(self, check: Callable[[], T | None], timeout: float = 10.0, what: str = "") -> T:  # noqa: ASYNC109
        """Waits until ``check()`` returns something truthy and returns it; AssertionError after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            event = self._changed
            value = check()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                recent = "\n  ".join(repr(c) for c in self.calls[-12:])
                raise AssertionError(
                    f"timed out after {timeout} s waiting for {what or check}; last calls:\n  {recent}"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), min(remaining, 0.5))

    async def wait_for(self, predicate: Callable[[Call], bool], timeout: float = 10.0, since: int = 0) -> Call:  # noqa: ASYNC109
        """The first finished call (index >= ``since``) that satisfies ``predicate``; waits for it if needed."""

        def find() -> Call | None:
            return next((c for c in self.calls[since:] if c.status is not None and predicate(c)), None)

        return await self.wait_until(find, timeout, what=getattr(predicate, "__name__", "a matching call"))

    async def wait_for_call(
        self,
        method: str,
        *,
        chat: int | FakeChat | None = None,
        since: int = 0,
        ok: bool | None = True,
        where: Callable[[Call], bool] | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> Call:
        """The first call of ``method`` (to ``chat``; successful unless ok=None/False) from index ``since`` on."""
        chat_id = chat.id if isinstance(chat, FakeChat) else chat
        lowered = method.lower()

        def match(c: Call) -> bool:
            return (
                c.method.lower() == lowered
                and (chat_id is None or c.chat_id == chat_id)
                and (ok is None or c.ok == ok)
                and (where is None or where(c))
            )

        match.__name__ = f"{method}(chat={chat_id}, ok={ok})"
        return await self.wait_for(match, timeout, since)

    def mark(self) -> int:
        """The index the next call will get: pass it as ``since`` to wait only for what happens after now."""
        return len(self.calls)

    def calls_of(self, method: str, *, chat: int | FakeChat | None = None, ok: bool | None = None) -> list[Call]:
        chat_id = chat.id if isinstance(chat, FakeChat) else chat
        return [
            c
            for c in self.calls
            if c.method.lower() == method.lower()
            and (chat_id is None or c.chat_id == chat_id)
            and (ok is None or c.ok == ok)
        ]

    # ---- users and chats -----------------------------------------------------------------------------------

    @property
    def bot_user(self) -> JSON:
        return {"id": self.bot_id, "is_bot": True, "first_name": "Riffcut", "username": self.bot_username}

    def add_user(
        self,
        first_name: str = "Alice",
        *,
        username: str | None = None,
        user_id: int | None = None,
        language_code: str | None = "en",
    ) -> FakeUser:
        user = FakeUser(user_id or next(self._user_ids), first_name, username=username, language_code=language_code)
        self.users[user.id] = user
        return user

    def private_chat(self, user: FakeUser) -> FakeChat:
        chat = self.chats.get(user.id)
        if chat is None:
            chat = self.chats[user.id] = FakeChat(id=user.id, type="private", user=user, members={user.id: "member"})
        return chat

    def add_group(
        self,
        title: str = "Riff group",
        *,
        members: Iterable[FakeUser] = (),
        admins: Iterable[FakeUser] = (),
        creator: FakeUser | None = None,
        supergroup: bool = True,
        privacy: bool = True,
    ) -> FakeChat:
        """A group with the bot in it; ``admins`` (and the creator) are what getChatMember reports as such."""
        number = next(self._group_ids)
        chat_id = -(1_000_000_000_000 + number) if supergroup else -(4_000_000 + number)
        chat = FakeChat(id=chat_id, type="supergroup" if supergroup else "group", title=title, privacy=privacy)
        for user in members:
            chat.members[user.id] = "member"
        for user in admins:
            chat.members[user.id] = "administrator"
        if creator is not None:
            chat.members[creator.id] = "creator"
        self.chats[chat_id] = chat
        return chat

    def block_bot(self, user: FakeUser | int, blocked: bool = True) -> None:
        """The user blocks the bot: every call to their private chat answers 403 "bot was blocked by the user"."""
        user_id = user if isinstance(user, int) else user.id
        (self.blocked_by.add if blocked else self.blocked_by.discard)(user_id)

    def _chat_of(self, user: FakeUser, chat: FakeChat | int | None) -> FakeChat:
        if chat is None:
            return self.private_chat(user)
        found = self.chats[chat] if isinstance(chat, int) else chat
        if found.type != "private" and user.id not in found.members:
            found.members[user.id] = "member"
        return found

    # ---- files ---------------------------------------------------------------------------------------------

    def register_file(
        self,
        source: bytes | str | Path,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        file_size: int | None = None,
        kind: str = "document",
    ) -> StoredFile:
        """A user's file the bot can getFile and download; a path is served in place (never copied).

        ``file_size`` declares the size Telegram reports (e.g. 25 MB to hit the 20 MB getFile limit with a small
        file); by default the real size.
        """
        number = next(self._file_numbers)
        if isinstance(source, bytes):
            name = file_name or f"file_{number}.bin"
            path = self.root / "registered" / f"{number}_{Path(name).name}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(source)
        else:
            path = Path(source).resolve()
            if not path.is_file():
                raise FileNotFoundError(path)
            name = file_name or path.name
        stored = StoredFile(
            file_id=f"FAKE-{kind}-{number}-{secrets.token_hex(6)}",
            file_unique_id=f"U{number:06d}",
            path=path,
            file_size=file_size if file_size is not None else path.stat().st_size,
            file_path="",
            file_name=name,
            mime_type=mime_type or mimetypes.guess_type(name)[0] or "application/octet-stream",
            origin="user",
        )
        self._index_file(stored, kind)
        return stored

    def _index_file(self, stored: StoredFile, kind: str) -> None:
        if stored.file_path:
            self.files_by_path.pop(stored.file_path, None)
        suffix = Path(stored.file_name or "").suffix or mimetypes.guess_extension(stored.mime_type or "") or ""
        # The unique id's letter keeps users' files (U...) and the bot's uploads (B...) apart.
        unique = stored.file_unique_id
        folder = _KIND_DIRS.get(kind, "documents")
        stored.file_path = f"{folder}/file_{unique[0].lower()}{unique[1:].lstrip('0')}{suffix}"
        self.files[stored.file_id] = stored
        self.files_by_path[stored.file_path] = stored

    def file(self, file_id: str) -> StoredFile:
        """The stored file behind a file_id (uploaded by the bot or registered by the test)."""
        return self.files[file_id]

    def _as_stored(
        self, source: FileSource, kind: str, file_name: str | None, mime_type: str | None, file_size: int | None
    ) -> StoredFile:
        if isinstance(source, StoredFile):
            return source
        if isinstance(source, str) and source in self.files:
            return self.files[source]
        return self.register_file(source, file_name=file_name, mime_type=mime_type, file_size=file_size, kind=kind)

    # ---- users acting ---------------------------------------------------------------------------------------

    def send_text(
        self,
        user: FakeUser,
        text: str,
        *,
        chat: FakeChat | int | None = None,
        reply_to: ViewMessage | int | None = None,
    ) -> ViewMessage:
        """The user sends a text (a leading /command gets its bot_command entity, /cmd@BotName too)."""
        content: JSON = {"text": text}
        entities = command_entities(text)
        if entities:
            content["entities"] = entities
        return self._user_message(user, chat, content, reply_to)

    def send_video(
        self,
        user: FakeUser,
        video: FileSource,
        *,
        caption: str | None = None,
        chat: FakeChat | int | None = None,
        reply_to: ViewMessage | int | None = None,
        duration: int | None = None,
        width: int | None = None,
        height: int | None = None,
        file_size: int | None = None,
        mime_type: str | None = None,
        file_name: str | None = None,
    ) -> ViewMessage:
        """The user sends a video (duration/width/height probed from the file unless given)."""
        stored = self._as_stored(video, "video", file_name, mime_type or "video/mp4", file_size)
        media = self._video_object(stored, duration, width, height)
        media["mime_type"] = mime_type or stored.mime_type
        if stored.file_name:
            media["file_name"] = stored.file_name
        return self._user_message(user, chat, {"video": media, **self._caption(caption)}, reply_to)

    def send_document(
        self,
        user: FakeUser,
        document: FileSource,
        *,
        caption: str | None = None,
        chat: FakeChat | int | None = None,
        reply_to: ViewMessage | int | None = None,
        file_size: int | None = None,
        mime_type: str | None = None,
        file_name: str | None = None,
    ) -> ViewMessage:
        """The user sends a file (e.g. a video sent "as a file": mime_type video/mp4 or video/quicktime)."""
        stored = self._as_stored(document, "document", file_name, mime_type, file_size)
        media = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": file_name or stored.file_name,
            "mime_type": mime_type or stored.mime_type,
            "file_size": stored.file_size,
        }
        return self._user_message(user, chat, {"document": media, **self._caption(caption)}, reply_to)

    def send_video_note(
        self,
        user: FakeUser,
        video: FileSource,
        *,
        chat: FakeChat | int | None = None,
        reply_to: ViewMessage | int | None = None,
        duration: int | None = None,
        length: int | None = None,
        file_size: int | None = None,
    ) -> ViewMessage:
        """The user sends a round video note (no caption, no mime type, a square ``length``)."""
        stored = self._as_stored(video, "video_note", None, "video/mp4", file_size)
        probed = self._video_object(stored, duration, None, None)
        media = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "length": length if length is not None else min(probed["width"], probed["height"]),
            "duration": probed["duration"],
            "file_size": stored.file_size,
        }
        return self._user_message(user, chat, {"video_note": media}, reply_to)

    def send_animation(
        self,
        user: FakeUser,
        animation: FileSource,
        *,
        caption: str | None = None,
        chat: FakeChat | int | None = None,
        reply_to: ViewMessage | int | None = None,
        file_size: int | None = None,
        file_name: str | None = None,
    ) -> ViewMessage:
        """The user sends a GIF-like animation (a sound-less MP4); like Telegram, ``document`` is set too."""
        stored = self._as_stored(animation, "animation", file_name, "video/mp4", file_size)
        media = self._video_object(stored, None, None, None)
        media.update({"mime_type": "video/mp4", "file_name": file_name or stored.file_name})
        document = {k: media[k] for k in ("file_id", "file_unique_id", "file_name", "mime_type", "file_size")}
        content = {"animation": media, "document": document, **self._caption(caption)}
        return self._user_message(user, chat, content, reply_to)

    def press(
        self, user: FakeUser, message: ViewMessage | int, button_text: str, *, chat: FakeChat | int | None = None
    ) -> str:
        """The user presses the inline button (found by its text) on a bot message; returns the callback id.

        The button is looked up on the message as it is now (after edits); pressing a button that is gone
        raises LookupError, as a user could not press it.
        """
        if isinstance(message, ViewMessage):
            chat_obj = self.chats[message.chat_id]
            message_id = message.message_id
        else:
            chat_obj = self._chat_of(user, chat)
            message_id = message
        raw = chat_obj.live_message(message_id)
        if raw is None:
            raise LookupError(f"message {message_id} is not in chat {chat_obj.id} (deleted?)")
        view = ViewMessage.from_message(chat_obj.id, raw)
        button = view.button(button_text)
        if "callback_data" not in button:
            raise LookupError(f"button {button['text']!r} is not a callback button: {button}")
        query_id = str(secrets.randbits(62))
        query: JSON = {
            "id": query_id,
            "from": user.to_dict(),
            "message": dict(raw),  # as it was when pressed
            "chat_instance": str(abs(chat_obj.id) * 7919 + 13),
            "data": button["callback_data"],
        }
        self.callback_queries[query_id] = query
        self._enqueue({"callback_query": query})
        return query_id

    def forge_press(
        self,
        user: FakeUser,
        data: str | None,
        message: ViewMessage | int | None = None,
        *,
        chat: FakeChat | int | None = None,
    ) -> str:
        """A callback query with any data, as a hostile or outdated client may send: on `message` (pressed even if
        the message no longer shows such a button), or with no message at all (an inline message's button, or a
        message too old for Telegram to include). Returns the callback id."""
        query_id = str(secrets.randbits(62))
        chat_obj = self._chat_of(user, chat if not isinstance(message, ViewMessage) else message.chat_id)
        query: JSON = {"id": query_id, "from": user.to_dict(), "chat_instance": str(abs(chat_obj.id) * 7919 + 13)}
        if message is None:
            query["inline_message_id"] = f"inline-{query_id}"
        else:
            message_id = message.message_id if isinstance(message, ViewMessage) else message
            raw = chat_obj.live_message(message_id)
            if raw is None:
                raise LookupError(f"message {message_id} is not in chat {chat_obj.id} (deleted?)")
            query["message"] = dict(raw)
        if data is not None:
            query["data"] = data
        self.callback_queries[query_id] = query
        self._enqueue({"callback_query": query})
        return query_id

    def _caption(self, caption: str | None) -> JSON:
        if not caption:
            return {}
        content: JSON = {"caption": caption}
        entities = command_entities(caption)
        if entities:
            content["caption_entities"] = entities
        return content

    def _video_object(self, stored: StoredFile, duration: int | None, width: int | None, height: int | None) -> JSON:
        if None in (duration, width, height):
            probed = probe_video(stored.path)
            duration = probed[0] if duration is None else duration
            width = probed[1] if width is None else width
            height = probed[2] if height is None else height
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": width,
            "height": height,
            "duration": duration,
            "file_size": stored.file_size,
        }

    def _user_message(
        self, user: FakeUser, chat: FakeChat | int | None, content: JSON, reply_to: ViewMessage | int | None
    ) -> ViewMessage:
        target = self._chat_of(user, chat)
        message: JSON = {
            "message_id": target.take_message_id(),
            "from": user.to_dict(),
            "chat": target.to_dict(),
            "date": int(time.time()),
            **content,
        }
        if reply_to is not None:
            reply_id = reply_to.message_id if isinstance(reply_to, ViewMessage) else reply_to
            replied = target.live_message(reply_id)
            if replied is None:
                raise LookupError(f"message {reply_id} is not in chat {target.id}")
            message["reply_to_message"] = {k: v for k, v in replied.items() if k != "reply_to_message"}
        target.messages[message["message_id"]] = message
        if self._bot_sees(target, message):
            self._enqueue({"message": message})
        else:
            self.undelivered.append(message)
            self._notify()
        return ViewMessage.from_message(target.id, message)

    def send_inline_query(self, user: FakeUser, query: str = "", *, chat_type: str = "sender") -> str:
        """The user types "@bot QUERY" in a chat (its type as Telegram names it); returns the query's id."""
        query_id = str(secrets.randbits(63))
        body: JSON = {"id": query_id, "from": user.to_dict(), "query": query, "offset": "", "chat_type": chat_type}
        self.inline_queries[query_id] = body
        self._enqueue({"inline_query": body})
        return query_id

    async def inline_answer(self, query_id: str, timeout: float = 10.0) -> JSON:  # noqa: ASYNC109
        """What answerInlineQuery said to this query (waits for it)."""
        return await self.wait_until(lambda: self.inline_answers.get(query_id), timeout, what="an inline answer")

    def _bot_sees(self, chat: FakeChat, message: JSON) -> bool:
        """Privacy mode: in a group the bot gets commands (not those for another bot) and replies to itself."""
        if chat.type == "private" or not chat.privacy:
            return True
        reply = message.get("reply_to_message") or {}
        if (reply.get("from") or {}).get("id") == self.bot_id:
            return True
        command = command_target(message.get("text") or message.get("caption"))
        return command is not None and (command[1] is None or command[1].lower() == self.bot_username.lower())

    def _enqueue(self, body: JSON) -> QueuedUpdate:
        update = QueuedUpdate(update_id=next(self._update_ids), payload={})
        update.payload = {"update_id": update.update_id, **body}
        self.updates.append(update)
        self._notify()
        return update

    # ---- what the users see -------------------------------------------------------------------------------

    def _chat_obj(self, chat: FakeChat | FakeUser | int) -> FakeChat:
        if isinstance(chat, FakeUser):
            return self.private_chat(chat)
        return self.chats[chat] if isinstance(chat, int) else chat

    def chat_view(self, chat: FakeChat | FakeUser | int) -> list[ViewMessage]:
        """The chat's messages in order as its members see them now (edits applied, deleted ones gone)."""
        obj = self._chat_obj(chat)
        return [
            ViewMessage.from_message(obj.id, raw, self._edits.get((obj.id, mid), 0))
            for mid, raw in sorted(obj.messages.items())
            if mid not in obj.deleted
        ]

    def bot_messages(self, chat: FakeChat | FakeUser | int) -> list[ViewMessage]:
        return [m for m in self.chat_view(chat) if m.from_bot]

    def last_bot_message(self, chat: FakeChat | FakeUser | int) -> ViewMessage | None:
        messages = self.bot_messages(chat)
        return messages[-1] if messages else None

    def message(self, chat: FakeChat | FakeUser | int, message_id: int) -> ViewMessage:
        obj = self._chat_obj(chat)
        raw = obj.live_message(message_id)
        if raw is None:
            raise LookupError(f"message {message_id} is not in chat {obj.id}")
        return ViewMessage.from_message(obj.id, raw, self._edits.get((obj.id, message_id), 0))

    async def wait_for_bot_message(
        self,
        chat: FakeChat | FakeUser | int,
        where: Callable[[ViewMessage], Any] = lambda m: True,
        timeout: float = 10.0,  # noqa: ASYNC109
        after: ViewMessage | int | None = None,
    ) -> ViewMessage:
        """The first bot message in the chat (after message ``after``) that satisfies ``where``, as it is now.

        Also matches a message that gets edited into shape: e.g. ``where=lambda m: "done" in m.content``.
        """
        after_id = after.message_id if isinstance(after, ViewMessage) else (after or 0)

        def find() -> ViewMessage | None:
            return next((m for m in self.bot_messages(chat) if m.message_id > after_id and where(m)), None)

        return await self.wait_until(find, timeout, what=f"a bot message in {chat} matching {where}")

    def sent_at(self, message: ViewMessage) -> float:
        """time.monotonic() when the user's message was handed to the bot's queue (for reply latencies)."""
        for update in self.updates:
            body = update.payload.get("message") or {}
            if body.get("message_id") == message.message_id and body.get("chat", {}).get("id") == message.chat_id:
                return update.enqueued
        raise LookupError(f"message {message.message_id} in chat {message.chat_id} was not sent to the bot")

    async def wait_for_reply(
        self,
        message: ViewMessage,
        methods: Iterable[str] = ("sendMessage", "editMessageText", "sendVideo", "sendDocument", "sendAudio"),
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> tuple[Call, float]:
        """The bot's first successful answer in the message's chat after it was sent, and the seconds it took
        (from the update entering the queue to the end of the answering request)."""
        sent = self.sent_at(message)
        wanted = {m.lower() for m in methods}

        def answered(call: Call) -> bool:
            return (
                call.ok and call.method.lower() in wanted and call.chat_id == message.chat_id and call.started >= sent
            )

        answered.__name__ = f"a reply to message {message.message_id} in chat {message.chat_id}"
        call = await self.wait_for(answered, timeout)
        assert call.finished is not None
        return call, call.finished - sent

    def callback_answer(self, query_id: str) -> JSON | None:
        """What answerCallbackQuery said to this press (None while unanswered)."""
        return self.callback_answers.get(query_id)

    def pending_updates(self) -> list[QueuedUpdate]:
        return [u for u in self.updates if not u.confirmed]
