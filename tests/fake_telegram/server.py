"""The fake Bot API over HTTP (aiohttp on 127.0.0.1): methods, uploads, downloads, faults, recording."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import math
import mimetypes
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

import aiohttp
from aiohttp import BodyPartReader, web

from .models import JSON, MEDIA_KINDS, ApiError, Call, FakeChat, FakeUser, StoredFile, bad_request
from .text import check_caption, check_reply_markup, check_text
from .world import TelegramWorld

log = logging.getLogger(__name__)

DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile on the cloud Bot API
UPLOAD_LIMIT = 50 * 1024 * 1024  # sendVideo/sendDocument/... on the cloud Bot API
LOCAL_UPLOAD_LIMIT = 2000 * 1024 * 1024  # a local Bot API server (--local)

_JSON_FIELDS = {
    "reply_markup", "reply_parameters", "media", "entities", "caption_entities", "commands", "scope",
    "allowed_updates", "link_preview_options", "results", "button",
}  # fmt: skip
_INT_FIELDS = {
    "message_id", "offset", "limit", "timeout", "duration", "width", "height", "user_id", "reply_to_message_id",
    "cache_time", "message_thread_id", "max_connections", "length", "from_chat_id", "until_date", "start_timestamp",
}  # fmt: skip
_BOOL_FIELDS = {
    "supports_streaming", "disable_notification", "show_alert", "drop_pending_updates", "protect_content",
    "has_spoiler", "disable_content_type_detection", "allow_sending_without_reply", "disable_web_page_preview",
    "show_caption_above_media", "allow_paid_broadcast", "is_personal",
}  # fmt: skip
_CHAT_ACTIONS = {
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice", "upload_document",
    "choose_sticker", "find_location", "record_video_note", "upload_video_note",
}  # fmt: skip
_DEFAULT_UPDATES = {"message_reaction", "message_reaction_count", "chat_member"}  # off unless asked for
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same as a "
    "current content and reply markup of the message"
)

Handler = Callable[[JSON, dict[str, StoredFile]], Awaitable[Any]]


DOWNLOAD = "download"  # the pseudo-method name faults use for file downloads (GET /file/bot<token>/<path>)


class Dropped(Exception):
    """The connection is closed without an answer (a fault): the bot sees a dropped connection."""


@dataclass
class Fault:
    """A rule applied to matching calls: a delay, an error answer, and/or a dropped connection.

    ``drop`` is "before" (the connection closes before the method runs: nothing happened) or "after" (the method
    runs, e.g. the message is posted, and the answer is lost: the bot cannot tell that it arrived).
    A flood with ``retry_after=None`` answers with the seconds left until the flood ends, as Telegram does.
    """

    methods: frozenset[str] | None  # lowercase method names; None: every method but getUpdates and downloads
    chat_id: int | None = None
    remaining: int | None = None  # how many more calls it applies to (None: unlimited)
    until: float | None = None  # time.monotonic() after which it no longer applies
    delay: float = 0.0
    error: ApiError | None = None
    drop: str | None = None  # None, "before" or "after"
    flood_until_end: bool = False  # a 429 whose retry_after is the time left (error is then made per call)
    gate: asyncio.Event | None = None  # matching calls wait (received whole, unanswered) until it is set

    def matches(self, method: str, chat_id: Any, now: float) -> bool:
        if self.until is not None and now >= self.until:
            return False
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.methods is None:
            if method in ("getupdates", DOWNLOAD):
                return False
        elif method not in self.methods:
            return False
        return self.chat_id is None or self.chat_id == chat_id


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})


def _drop_connection(request: web.Request) -> web.Response:
    """Close the connection without an answer (the client sees it dropped mid-request)."""
    if request.transport is not None:
        request.transport.abort()
    return web.Response(status=499)  # never reaches the client


def _method_set(method: str | Iterable[str] | None) -> frozenset[str] | None:
    if method is None:
        return None
    return frozenset([method.lower()] if isinstance(method, str) else [m.lower() for m in method])


def _decode(name: str, value: str) -> Any:
    if name in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError as exc:
            raise bad_request(f"can't parse {name} JSON object") from exc
    if name == "chat_id" or name in _INT_FIELDS:
        try:
            return int(value)
        except ValueError:
            if name == "chat_id":
                return value  # "@channelusername"
            raise bad_request(f"invalid {name} specified") from None
    if name in _BOOL_FIELDS:
        return value.lower() in ("true", "1")
    return value


class FakeTelegram(TelegramWorld):
    """A fake Telegram Bot API server for end-to-end tests; see the package docstring for usage."""

    def __init__(
        self,
        token: str = "123456789:AAFakeTokenForRiffcutTests_0123456789",
        bot_username: str = "RiffcutTestBot",
        *,
        root: Path | None = None,
        local_mode: bool = False,
    ) -> None:
        self._own_root = root is None
        super().__init__(token, bot_username, Path(tempfile.mkdtemp(prefix="fake-telegram-")) if root is None else root)
        self.local_mode = local_mode  # getFile answers absolute paths and has no size limit, like --local
        self.download_limit = DOWNLOAD_LIMIT
        self.upload_limit = LOCAL_UPLOAD_LIMIT if local_mode else UPLOAD_LIMIT
        self.faults: list[Fault] = []
        self.unknown_methods: list[str] = []
        self.downloads: list[str] = []  # file_path of every download served
        self.failed_downloads: list[tuple[str, int]] = []  # (file_path, HTTP status or 0: dropped) made to fail
        self.chat_actions: list[tuple[int | str, str]] = []
        self.commands: dict[str, list[JSON]] = {}  # scope/language key -> commands
        self.descriptions: dict[tuple[str, str], str] = {}  # (description | short_description, language) -> text
        self.webhook: JSON = {}
        self.allowed_updates: list[str] | None = None
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._poll_generation = 0
        self._closing = False
        self._upload_numbers = itertools.count(1)
        self._downloadable: set[str] = set()
        self._webhook_task: asyncio.Task[None] | None = None
        self.webhook_deliveries: list[tuple[int, int]] = []  # (update_id, HTTP status or 0) per webhook POST
        self.webhook_retry_delay = 0.2
        self._methods: dict[str, tuple[str, Handler]] = {}
        for name, handler in self._handlers().items():
            self._methods[name.lower()] = (name, handler)

    # ---- lifecycle ------------------------------------------------------------------------------------------

    async def start(self, port: int = 0) -> FakeTelegram:
        """Serve on 127.0.0.1, on `port` (0: a free one; a given one: a server that comes up where a bot waits)."""
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_download)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def stop(self) -> None:
        self._closing = True
        self._notify()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)`` / ``Bot(base_url=...)`` (PTB appends the token)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    # ---- fault injection ------------------------------------------------------------------------------------

    def flood(
        self,
        method: str | Iterable[str] | None = None,
        *,
        times: int | None = 1,
        retry_after: int | None = 1,
        seconds: float | None = None,
        chat: FakeChat | FakeUser | int | None = None,
    ) -> Fault:
        """Answer the next ``times`` matching calls (or all of them for ``seconds``) with 429 and retry_after.

        ``method=None`` means every method except getUpdates. With ``seconds`` set and ``times`` left at 1,
        the count is unlimited. ``retry_after=None`` (with ``seconds``): each 429 asks to wait until the flood
        ends, as Telegram does in a long flood (``flood(seconds=95, retry_after=None)``: "retry after 95").
        """
        if retry_after is None:
            if seconds is None:
                raise ValueError("a flood that says how long it lasts (retry_after=None) needs seconds=")
            fault = self._add_fault(method, chat, times, seconds)
            fault.flood_until_end = True
            return fault
        return self._add_fault(method, chat, times, seconds, error=too_many_requests(retry_after))

    def fail(
        self,
        method: str | Iterable[str] | None,
        *,
        error_code: int = 400,
        description: str = "Bad Request: something went wrong",
        times: int | None = 1,
        seconds: float | None = None,
        chat: FakeChat | FakeUser | int | None = None,
    ) -> Fault:
        """Answer matching calls with the given error (e.g. 403 "Forbidden: bot was blocked by the user")."""
        return self._add_fault(method, chat, times, seconds, error=ApiError(error_code, description))

    def slow(
        self,
        method: str | Iterable[str] | None = None,
        *,
        delay: float,
        times: int | None = None,
        seconds: float | None = None,
        chat: FakeChat | FakeUser | int | None = None,
    ) -> Fault:
        """Answer matching calls ``delay`` seconds late (all of them unless ``times``/``seconds`` limit it)."""
        return self._add_fault(method, chat, times, seconds, delay=delay)

    def hold(
        self,
        method: str | Iterable[str] | None = None,
        *,
        times: int | None = 1,
        chat: FakeChat | FakeUser | int | None = None,
    ) -> asyncio.Event:
        """Hold matching calls, received whole and unanswered, until the returned event is set; then they run and
        are answered (a client gone meanwhile, as a killed bot, never reads the answer: Telegram took the call)."""
        fault = self._add_fault(method, chat, times, None)
        fault.gate = asyncio.Event()
        return fault.gate

    def drop(
        self,
        method: str | Iterable[str] | None = None,
        *,
        times: int | None = 1,
        seconds: float | None = None,
        chat: FakeChat | FakeUser | int | None = None,
        handled: bool = False,
    ) -> Fault:
        """Close the connection of matching calls without an answer (``method="download"``: file downloads).

        ``handled=False``: before the method runs, so nothing happened; ``handled=True``: after it ran (a message
        is posted) and only the answer is lost.
        """
        return self._add_fault(method, chat, times, seconds, drop="after" if handled else "before")

    def clear_faults(self) -> None:
        self.faults.clear()

    def _add_fault(
        self,
        method: str | Iterable[str] | None,
        chat: FakeChat | FakeUser | int | None,
        times: int | None,
        seconds: float | None,
        *,
        delay: float = 0.0,
        error: ApiError | None = None,
        drop: str | None = None,
    ) -> Fault:
        if seconds is not None and times == 1:
            times = None
        fault = Fault(
            methods=_method_set(method),
            chat_id=chat.id if isinstance(chat, FakeChat | FakeUser) else chat,  # a user: their private chat
            remaining=times,
            until=None if seconds is None else time.monotonic() + seconds,
            delay=delay,
            error=error,
            drop=drop,
        )
        self.faults.append(fault)
        return fault

    async def _apply_faults(self, method: str, params: JSON) -> str | None:
        """Delay and/or raise the matching faults' error (Dropped for a drop before the method runs); returns
        "after" when the answer is to be dropped once the method has run.

        Every matching delay applies; of the faults that answer instead of the method (an error, a flood, a
        drop) only the first that matches does, and only it counts the call: faults added one after another
        take their turns (``fail(...)`` then ``drop(...)``: the first call fails, the second is dropped).
        """
        now = time.monotonic()
        delay = 0.0
        error: ApiError | None = None
        drop: str | None = None
        gates: list[asyncio.Event] = []
        for fault in self.faults:
            if not fault.matches(method, params.get("chat_id"), now):
                continue
            answers = fault.error is not None or fault.flood_until_end or fault.drop is not None
            if answers and (error is not None or drop is not None):
                continue
            if fault.remaining is not None:
                fault.remaining -= 1
            delay += fault.delay
            if fault.gate is not None:
                gates.append(fault.gate)
            if fault.flood_until_end:
                assert fault.until is not None
                error = too_many_requests(max(1, math.ceil(fault.until - now)))
            error = error or fault.error
            drop = drop or fault.drop
        if delay:
            await asyncio.sleep(delay)
        for gate in gates:
            await gate.wait()
        if drop == "before":
            raise Dropped
        if error is not None:
            raise error
        return drop

    # ---- HTTP -------------------------------------------------------------------------------------------------

    async def _handle_method(self, request: web.Request) -> web.Response:
        name = request.match_info["method"]
        known = self._methods.get(name.lower())
        call = Call(
            index=len(self.calls),
            method=known[0] if known else name,
            params={},
            files={},
            started=time.monotonic(),
            content_type=request.content_type,
        )
        self.calls.append(call)
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            too_big = await self._read_request(request, call)
            self._notify()  # received whole: a test may wait for a request in flight (params read, no status)
            if too_big:
                raise ApiError(413, "Request Entity Too Large")
            if known is None:
                self.unknown_methods.append(name)
                raise ApiError(404, "Not Found")
            drop = await self._apply_faults(name.lower(), call.params)
            result = await known[1](call.params, call.files)
            status, body = 200, {"ok": True, "result": result}
            call.result = result
            if drop == "after":
                raise Dropped
        except Dropped:
            call.status, call.error, call.finished = 0, "connection dropped", time.monotonic()
            self._notify()
            return _drop_connection(request)
        except ApiError as exc:
            status, body = exc.error_code, exc.payload()
            call.error = exc.description
        except Exception as exc:  # a bug in the fake itself: make it loud in the bot's log and the test
            log.exception("fake Telegram failed on %s", name)
            status, body = 500, {"ok": False, "error_code": 500, "description": f"Internal fake server error: {exc!r}"}
            call.error = body["description"]
        call.status = status
        call.finished = time.monotonic()
        self._notify()
        return web.json_response(body, status=status)

    async def _read_request(self, request: web.Request, call: Call) -> bool:
        """Fills call.params/files from the query string and the body; True when a file is over the upload limit."""
        raw: dict[str, Any] = dict(request.query)
        too_big = False
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                if part.filename is None:
                    raw[part.name] = (await part.read()).decode("utf-8")
                    continue
                number, path = self._upload_slot(part.filename)
                size = 0
                with path.open("wb") as out:
                    while chunk := await part.read_chunk(1 << 20):
                        size += len(chunk)
                        if size <= self.upload_limit:
                            out.write(chunk)
                if size > self.upload_limit:
                    too_big = True
                    path.unlink(missing_ok=True)
                    continue
                mime_type = part.headers.get("Content-Type", "application/octet-stream")
                stored = self._uploaded(number, path, part.filename, mime_type, part.name)
                call.files[part.name] = stored
        elif request.content_type == "application/json":
            body = await request.json() if request.can_read_body else {}
            call.params = {**raw, **body}
            return False
        elif request.can_read_body:
            raw.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
        call.params = {k: _decode(k, v) for k, v in raw.items()}
        return too_big

    async def _handle_download(self, request: web.Request) -> web.StreamResponse:
        file_path = request.match_info["file_path"]
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        stored = self.files_by_path.get(file_path)
        if stored is None or file_path not in self._downloadable:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        try:
            await self._apply_faults(DOWNLOAD, {})
        except Dropped:
            self.failed_downloads.append((file_path, 0))
            self._notify()
            return _drop_connection(request)
        except ApiError as exc:
            self.failed_downloads.append((file_path, exc.error_code))
            self._notify()
            return web.json_response(exc.payload(), status=exc.error_code)
        self.downloads.append(file_path)
        self._notify()
        return web.FileResponse(stored.path)

    # ---- helpers for the methods -------------------------------------------------------------------------

    def _chat(self, params: JSON, *, sending: bool = True) -> FakeChat:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        chat = self.chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None and chat_id in self.users:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        if chat is None:
            raise bad_request("chat not found")
        if sending and chat.type == "private" and chat.id in self.blocked_by:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _reply_target(self, chat: FakeChat, params: JSON) -> JSON | None:
        reply = params.get("reply_parameters")
        allow_missing = bool(params.get("allow_sending_without_reply"))
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow_missing = allow_missing or bool(reply.get("allow_sending_without_reply"))
            if reply.get("chat_id") not in (None, chat.id):
                raise bad_request("replies to other chats are not supported by the fake server")
        else:
            message_id = params.get("reply_to_message_id")
        if message_id is None:
            return None
        target = chat.live_message(int(message_id))
        if target is None and not allow_missing:
            raise bad_request("message to be replied not found")
        return target

    def _post(self, chat: FakeChat, params: JSON, content: JSON, reply: JSON | None, markup: JSON | None) -> JSON:
        message: JSON = {
            "message_id": chat.take_message_id(),
            "from": self.bot_user,
            "chat": chat.to_dict(),
            "date": int(time.time()),
            **content,
        }
        if reply is not None:
            message["reply_to_message"] = {k: v for k, v in reply.items() if k != "reply_to_message"}
        if markup and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        chat.messages[message["message_id"]] = message
        self._notify()
        return message

    def _input_file(self, value: Any, files: dict[str, StoredFile], field: str) -> StoredFile:
        """The file a media parameter names: an upload in the field itself, an attach:// part, or a file_id."""
        if value is None and field in files:
            return files[field]
        if isinstance(value, str):
            if value.startswith("attach://"):
                name = value.removeprefix("attach://")
                if name in files:
                    return files[name]
                raise bad_request(f"file {name!r} must be uploaded as a part of the request (attach://{name})")
            if value in self.files:
                return self.files[value]
            if value.startswith("file://") and self.local_mode:
                files[field] = self._local_upload(value, field)
                return files[field]
            if value.startswith(("http://", "https://")):
                raise bad_request("failed to get HTTP URL content")
        if value is None:
            raise bad_request(f"there is no {field} in the request")
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _local_upload(self, uri: str, field: str) -> StoredFile:
        """A local Bot API server reads a file:// path itself; the fake copies it, as the bot may delete it."""
        source = Path(url2pathname(urlparse(uri).path))
        if not source.is_file():
            raise bad_request(f"file not found: {source}")
        number, path = self._upload_slot(source.name)
        shutil.copyfile(source, path)
        mime_type = mimetypes.guess_type(source.name)[0] or "application/octet-stream"
        return self._uploaded(number, path, source.name, mime_type, field)

    def _upload_slot(self, file_name: str) -> tuple[int, Path]:
        number = next(self._upload_numbers)
        path = self.root / "uploads" / f"{number}_{Path(file_name).name or 'file'}"
        path.parent.mkdir(parents=True, exist_ok=True)
        return number, path

    @staticmethod
    def _uploaded(number: int, path: Path, file_name: str, mime_type: str, field: str) -> StoredFile:
        return StoredFile(
            file_id=f"FAKE-up-{number}-{secrets.token_hex(6)}",
            file_unique_id=f"B{number:06d}",
            path=path,
            file_size=path.stat().st_size,
            file_path="",
            file_name=file_name,
            mime_type=mime_type,
            origin="bot",
            field_name=field,
        )

    def _adopt(self, stored: StoredFile, kind: str) -> StoredFile:
        if stored.file_id not in self.files or not stored.file_path:
            self._index_file(stored, kind)
        return stored

    def _thumbnail(self, value: Any, files: dict[str, StoredFile]) -> JSON | None:
        if value is None and "thumbnail" not in files:
            return None
        thumb = self._adopt(self._input_file(value, files, "thumbnail"), "thumbnail")
        return {
            "file_id": thumb.file_id,
            "file_unique_id": thumb.file_unique_id,
            "file_size": thumb.file_size,
            "width": 320,
            "height": 320,
        }

    def _media_object(self, kind: str, item: JSON, files: dict[str, StoredFile], value: Any) -> JSON:
        stored = self._adopt(self._input_file(value, files, kind), kind)
        media: JSON = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
        }
        if kind == "photo":
            return {**media, "width": 1280, "height": 720}
        if kind in ("video", "animation"):
            media.update(width=item.get("width", 0), height=item.get("height", 0), duration=item.get("duration", 0))
        if kind == "video" and (item.get("cover") is not None or "cover" in files):
            cover = self._adopt(self._input_file(item.get("cover"), files, "cover"), "photo")
            media["cover"] = [{"file_id": cover.file_id, "file_unique_id": cover.file_unique_id,
                               "file_size": cover.file_size, "width": 320, "height": 320}]  # fmt: skip
        if kind == "video" and item.get("start_timestamp") is not None:
            start = int(item["start_timestamp"])
            if start < 0 or (item.get("duration") and start > int(item["duration"])):
                raise bad_request("start_timestamp must be within the video")
            media["start_timestamp"] = start
        if kind == "video_note":
            media.update(length=item.get("length", 0), duration=item.get("duration", 0))
        if kind in ("audio", "voice"):
            media["duration"] = item.get("duration", 0)
            for key in ("performer", "title"):
                if item.get(key):
                    media[key] = item[key]
        if kind not in ("video_note", "voice"):
            media["file_name"] = stored.file_name
        media["mime_type"] = stored.mime_type
        thumbnail = self._thumbnail(item.get("thumbnail"), files) if kind != "photo" else None
        if thumbnail:
            media["thumbnail"] = thumbnail
        return media

    def _edit_target(self, params: JSON) -> tuple[FakeChat, JSON]:
        if params.get("inline_message_id"):
            raise bad_request("inline messages are not supported by the fake server")
        chat = self._chat(params)
        if params.get("message_id") is None:
            raise bad_request("message identifier is not specified")
        message = chat.live_message(int(params["message_id"]))
        if message is None:
            raise bad_request("message to edit not found")
        if (message.get("from") or {}).get("id") != self.bot_id:
            raise bad_request("message can't be edited")
        return chat, message

    def _edited(self, chat: FakeChat, message: JSON) -> JSON:
        message["edit_date"] = int(time.time())
        key = (chat.id, message["message_id"])
        self._edits[key] = self._edits.get(key, 0) + 1
        self._notify()
        return message

    # ---- Bot API methods -----------------------------------------------------------------------------------

    def _handlers(self) -> dict[str, Handler]:
        return {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "editMessageMedia": self._edit_message_media,
            "answerInlineQuery": self._answer_inline_query,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "sendVideo": self._sender("video"),
            "sendAudio": self._sender("audio"),
            "sendDocument": self._sender("document"),
            "sendAnimation": self._sender("animation"),
            "sendVoice": self._sender("voice"),
            "sendVideoNote": self._sender("video_note"),
            "sendPhoto": self._sender("photo"),
            "sendMediaGroup": self._send_media_group,
            "getFile": self._get_file,
            "getChatMember": self._get_chat_member,
            "getChat": self._get_chat,
            "setMyCommands": self._set_my_commands,
            "setMyDescription": self._set_description("description", 512),
            "getMyDescription": self._get_description("description"),
            "setMyShortDescription": self._set_description("short_description", 120),
            "getMyShortDescription": self._get_description("short_description"),
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "close": self._true,
            "logOut": self._true,
        }

    async def _true(self, params: JSON, files: dict[str, StoredFile]) -> bool:
        return True

    async def _get_me(self, params: JSON, files: dict[str, StoredFile]) -> JSON:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: JSON, files: dict[str, StoredFile]) -> list[JSON]:
        if self.webhook.get("url"):
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()  # an older long poll still waiting is terminated (409), as on Telegram
        offset = params.get("offset")
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        if isinstance(params.get("allowed_updates"), list):
            self.allowed_updates = params["allowed_updates"] or None
        if offset:
            if offset > 0:
                for update in self.updates:
                    if update.update_id < offset:
                        update.confirmed = True
            else:
                for update in self.pending_updates()[:offset]:
                    update.confirmed = True
        deadline = time.monotonic() + timeout
        while True:
            event = self._changed
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                )
            ready = [u for u in self.pending_updates() if self._wanted(u.kind)][:limit]
            remaining = deadline - time.monotonic()
            if ready or remaining <= 0 or self._closing:
                now = time.monotonic()
                for update in ready:
                    update.delivered = update.delivered or now
                return [u.payload for u in ready]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    def _wanted(self, kind: str) -> bool:
        if self.allowed_updates is None:
            return kind not in _DEFAULT_UPDATES
        return kind in self.allowed_updates

    async def _send_message(self, params: JSON, files: dict[str, StoredFile]) -> JSON:
        chat = self._chat(params)
        text = check_text(params.get("text"), params.get("parse_mode"))
        markup = check_reply_markup(params.get("reply_markup"))
        reply = self._reply_target(chat, params)
        return self._post(chat, params, {"text": text}, reply, markup)

    async def _edit_message_text(self, params: JSON, files: dict[str, StoredFile]) -> JSON:
        chat, message = self._edit_target(params)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        text = check_text(params.get("text"), params.get("parse_mode"))
        markup = check_reply_markup(params.get("reply_markup"))
        new_markup = markup if markup and "inline_keyboard" in markup else None
        if text == message["text"] and new_markup == message.get("reply_markup"):
            raise bad_request(_NOT_MODIFIED)
        message["text"] = text
        self._set_markup(message, new_markup)
        return self._edited(chat, message)

    async def _edit_message_caption(self, params: JSON, files: dict[str, StoredFile]) -> JSON:
        chat, message = self._edit_target(params)
        if "text" in message:
            raise bad_request("there is no caption in the message to edit")
        caption = check_caption(params.get("caption"), params.get("parse_mode"))
        markup = check_reply_markup(params.get("reply_markup"))
        new_markup = markup if markup and "inline_keyboard" in markup else None
        if caption == message.get("caption") and new_markup == message.get("reply_markup"):
            raise bad_request(_NOT_MODIFIED)
        if caption is None:
            message.pop("caption", None)
        else:
            message["caption"] = caption
        self._set_markup(message, new_markup)
        return self._edited(chat, message)

    async def _edit_message_reply_markup(self, params: JSON, files: dict[str, StoredFile]) -> JSON:
        chat, message = self._edit_target(params)
        markup = check_reply_markup(params.get("reply_markup"))
        new_markup = markup if markup and "inline_keyboard" in markup else None
        if new_markup == message.get("reply_markup"):
            raise bad_request(_NOT_MODIFIED)
        self._set_markup(message, new_markup)
        return self._edited(chat, message)

    async def _edit_message_media(self, params: JSON, files: dict[str, StoredFile]) -> JSON:
        """A message's photo, video, audio or document replaced (with its caption), as editMessageMedia does."""
        chat, message = self._edit_target(params)
        if "text" in message:
            raise bad_request("there is no media in the message to edit")
        media = params.get("media")
        kind = media.get("type") if isinstance(media, dict) else None
        if not isinstance(media, dict) or kind not in ("photo", "video", "animation", "audio", "document"):
            raise bad_request("can't parse InputMedia")
        caption = check_caption(media.get("caption"), media.get("parse_mode"))
        markup = check_reply_markup(params.get("reply_markup"))
        new = self._media_object(str(kind), media, files, media.get("media"))
        for old in MEDIA_KINDS:
            message.pop(old, None)
        message[str(kind)] = [new] if kind == "photo" else new
        if caption:
            message["caption"] = caption
        else:
            message.pop("caption", None)
        self._set_markup(message, markup if markup and "inline_keyboard" in markup else None)
        return self._edited(chat, message)

    async def _answer_inline_query(self, params: JSON, files: dict[str, StoredFile]) -> bool:
        """Checks the results as Telegram does (ids unique, at most 50, cached files known) and keeps them."""
        query_id = str(params.get("inline_query_id", ""))
        if query_id not in self.inline_queries or query_id in self.inline_answers:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        results = params.get("results")
        if not isinstance(results, list) or len(results) > 50:
            raise bad_request("RESULTS_TOO_MUCH")
        ids = [str(result.get("id", "")) for result in results]
        if len(set(ids)) != len(ids) or not all(1 <= len(i.encode()) <= 64 for i in ids):
            raise bad_request("RESULT_ID_DUPLICATE")
        for result in results:
            for field in ("video_file_id", "audio_file_id", "document_file_id", "photo_file_id"):
                if field in result and str(result[field]) not in self.files:
                    raise bad_request("wrong file identifier specified")
            if result.get("type") in ("video", "document") and not result.get("title"):
                raise bad_request("RESULT_TITLE_EMPTY")
            if result.get("reply_markup") is not None:
                check_reply_markup(result["reply_markup"])
        self.inline_answers[query_id] = {k: v for k, v in params.items() if k != "inline_query_id"}
        self._notify()
        return True

    @staticmethod
    def _set_markup(message: JSON, markup: JSON | None) -> None:
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup

    async def _delete_message(self, params: JSON, files: dict[str, StoredFile]) -> bool:
        chat = self._chat(params)
        message_id = params.get("message_id")
        if message_id is None or chat.live_message(int(message_id)) is None:
            raise bad_request("message to delete not found")
        chat.deleted.add(int(message_id))
        self._notify()
        return True

    async def _answer_callback_query(self, params: JSON, files: dict[str, StoredFile]) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if query_id not in self.callback_queries or query_id in self.callback_answers:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        self.callback_answers[query_id] = {k: v for k, v in params.items() if k != "callback_query_id"}
        self._notify()
        return True

    async def _send_chat_action(self, params: JSON, files: dict[str, StoredFile]) -> bool:
        chat = self._chat(params)
        action = params.get("action")
        if action not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self.chat_actions.append((chat.id, str(action)))
        return True

    def _sender(self, kind: str) -> Handler:
        async def send(params: JSON, files: dict[str, StoredFile]) -> JSON:
            chat = self._chat(params)
            caption = check_caption(params.get("caption"), params.get("parse_mode")) if kind != "video_note" else None
            markup = check_reply_markup(params.get("reply_markup"))
            reply = self._reply_target(chat, params)
            media = self._media_object(kind, params, files, params.get(kind))
            content: JSON = {kind: [media] if kind == "photo" else media}
            if kind == "animation":
                content["document"] = {
                    k: media[k]
                    for k in ("file_id", "file_unique_id", "file_name", "mime_type", "file_size")
                    if k in media
                }
            if caption:
                content["caption"] = caption
            return self._post(chat, params, content, reply, markup)

        send.__name__ = f"send_{kind}"
        return send

    async def _send_media_group(self, params: JSON, files: dict[str, StoredFile]) -> list[JSON]:
        chat = self._chat(params)
        items = params.get("media")
        if not isinstance(items, list) or not 2 <= len(items) <= 10:
            raise bad_request("wrong number of media items: a media group holds 2 to 10")
        if not all(isinstance(item, dict) for item in items):
            raise bad_request("can't parse InputMedia: media must be an array of objects")
        kinds = {item.get("type") for item in items}
        if not kinds <= {"photo", "video", "audio", "document"}:
            raise bad_request("can't parse InputMedia: unsupported media type")
        if len(kinds) > 1 and kinds & {"audio", "document"}:
            raise bad_request("MEDIA_GROUP_INVALID: audio and documents can only be grouped with their own type")
        reply = self._reply_target(chat, params)
        prepared = []
        for item in items:
            caption = check_caption(item.get("caption"), item.get("parse_mode"))
            media = self._media_object(item["type"], item, files, item.get("media"))
            content: JSON = {item["type"]: [media] if item["type"] == "photo" else media}
            if caption:
                content["caption"] = caption
            prepared.append(content)
        group_id = str(secrets.randbits(60))
        return [self._post(chat, params, {**content, "media_group_id": group_id}, reply, None) for content in prepared]

    async def _get_file(self, params: JSON, files: dict[str, StoredFile]) -> JSON:
        file_id = params.get("file_id")
        stored = self.files.get(str(file_id)) if file_id else None
        if stored is None:
            raise bad_request("wrong file_id or the file is temporarily unavailable")
        if not self.local_mode and stored.file_size > self.download_limit:
            raise bad_request("file is too big")
        self._downloadable.add(stored.file_path)
        path = str(stored.path) if self.local_mode else stored.file_path
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "file_path": path,
        }

    async def _get_chat_member(self, params: JSON, files: dict[str, StoredFile]) -> JSON:
        chat = self._chat(params, sending=False)
        user_id = params.get("user_id")
        if user_id == self.bot_id:
            return {"status": "administrator", "user": self.bot_user, **self._admin_rights()}
        user = self.users.get(int(user_id)) if user_id is not None else None
        if user is None:
            raise bad_request("user not found")
        status = chat.members.get(user.id, "left")
        member: JSON = {"status": status, "user": user.to_dict()}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update(self._admin_rights())
        return member

    @staticmethod
    def _admin_rights() -> JSON:
        rights = (
            "can_manage_chat",
            "can_delete_messages",
            "can_manage_video_chats",
            "can_restrict_members",
            "can_change_info",
            "can_invite_users",
            "can_post_stories",
            "can_edit_stories",
            "can_delete_stories",
            "can_pin_messages",
        )
        return {
            "can_be_edited": False,
            "is_anonymous": False,
            "can_promote_members": False,
            **dict.fromkeys(rights, True),
        }

    async def _get_chat(self, params: JSON, files: dict[str, StoredFile]) -> JSON:
        chat = self._chat(params, sending=False)
        return {
            **chat.to_dict(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
            },
        }

    @staticmethod
    def _commands_key(params: JSON) -> str:
        scope = params.get("scope") or {"type": "default"}
        return f"{json.dumps(scope, sort_keys=True)}|{params.get('language_code') or ''}"

    async def _set_my_commands(self, params: JSON, files: dict[str, StoredFile]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_RE.match(str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("command description must be 1 to 256 characters")
        self.commands[self._commands_key(params)] = commands
        return True

    async def _get_my_commands(self, params: JSON, files: dict[str, StoredFile]) -> list[JSON]:
        return self.commands.get(self._commands_key(params), [])

    async def _delete_my_commands(self, params: JSON, files: dict[str, StoredFile]) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    def _set_description(self, kind: str, limit: int) -> Handler:
        async def set_description(params: JSON, files: dict[str, StoredFile]) -> bool:
            text = str(params.get(kind) or "")
            if len(text) > limit:
                raise bad_request(f"{kind} must be at most {limit} characters")
            self.descriptions[(kind, str(params.get("language_code") or ""))] = text
            return True

        return set_description

    def _get_description(self, kind: str) -> Handler:
        async def get_description(params: JSON, files: dict[str, StoredFile]) -> JSON:
            language = str(params.get("language_code") or "")
            return {kind: self.descriptions.get((kind, language), "")}

        return get_description

    def commands_for(self, scope: str, language_code: str | None = None) -> list[JSON]:
        """The commands set for a scope type ("all_private_chats", "all_group_chats", "default") and language."""
        return self.commands.get(self._commands_key({"scope": {"type": scope}, "language_code": language_code}), [])

    def default_commands(self) -> list[str]:
        """The command names set with setMyCommands for the default scope and language."""
        return [c["command"] for c in self.commands.get(self._commands_key({}), [])]

    async def _set_webhook(self, params: JSON, files: dict[str, StoredFile]) -> bool:
        url = str(params.get("url") or "")
        if url and not url.startswith(("https://", "http://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if params.get("drop_pending_updates"):
            for update in self.pending_updates():
                update.confirmed = True
        if isinstance(params.get("allowed_updates"), list):
            self.allowed_updates = params["allowed_updates"] or None
        self.webhook = (
            {
                "url": url,
                "secret_token": params.get("secret_token"),
                "max_connections": params.get("max_connections", 40),
            }
            if url
            else {}
        )
        self._poll_generation += 1  # a waiting getUpdates ends
        if url and (self._webhook_task is None or self._webhook_task.done()):
            self._webhook_task = asyncio.create_task(self._deliver_webhooks(), name="fake-telegram-webhook")
        self._notify()
        return True

    async def _deliver_webhooks(self) -> None:
        """POSTs pending updates one at a time to the webhook, in order, with the secret token header.

        An update counts as delivered on a 2xx answer; otherwise (or on a connection error) it is retried after
        ``webhook_retry_delay`` seconds and getWebhookInfo reports the last error, as Telegram does.
        """
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            while not self._closing and self.webhook.get("url"):
                event = self._changed
                ready = [u for u in self.pending_updates() if self._wanted(u.kind)]
                if not ready:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(event.wait(), 1.0)
                    continue
                update = ready[0]
                headers = {}
                if self.webhook.get("secret_token"):
                    headers["X-Telegram-Bot-Api-Secret-Token"] = str(self.webhook["secret_token"])
                update.delivered = update.delivered or time.monotonic()
                try:
                    async with session.post(self.webhook["url"], json=update.payload, headers=headers) as response:
                        status = response.status
                        await response.read()
                except (aiohttp.ClientError, TimeoutError) as exc:
                    status, error = 0, f"Connection failed: {exc!r}"
                else:
                    error = f"Wrong response from the webhook: {status} {HTTPStatus(status).phrase}"
                self.webhook_deliveries.append((update.update_id, status))
                if 200 <= status < 300:
                    update.confirmed = True
                    self._notify()
                    continue
                self.webhook["last_error_date"] = int(time.time())
                self.webhook["last_error_message"] = error
                self._notify()
                await asyncio.sleep(self.webhook_retry_delay)

    async def _delete_webhook(self, params: JSON, files: dict[str, StoredFile]) -> bool:
        if params.get("drop_pending_updates"):
            for update in self.pending_updates():
                update.confirmed = True
        self.webhook = {}
        return True

    async def _get_webhook_info(self, params: JSON, files: dict[str, StoredFile]) -> JSON:
        info: JSON = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self.pending_updates()),
        }
        if self.webhook:
            info["max_connections"] = self.webhook["max_connections"]
            for key in ("last_error_date", "last_error_message"):
                if key in self.webhook:
                    info[key] = self.webhook[key]
            if self.allowed_updates:
                info["allowed_updates"] = self.allowed_updates
        return info
