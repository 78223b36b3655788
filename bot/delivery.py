"""Sending a finished job's results as replies to the member's video, each file once.

Order: the chosen part with its new music, once (a playable video: width, height, duration, thumbnail,
streaming; the caption holds the prompt, seed and settings, so the result can be made again, within 1024
characters, and the "new seed" / "another part" / "share" buttons), the music alone for Telegram's player (an
M4A with the prompt as its title, a performer, its duration and the music's spectrogram as its cover), the other
parts' previews as the previews setting says (0 none, 1 each on its own, 2 to 10 per album), the full cut when
asked (opening at the chosen part: start_timestamp, and a frame of that part as its cover), and the zip last.
While a file uploads, the chat shows what is coming ("sending video…"). A job whose takes wait to be picked
gets one clip per take instead, each with its "Use this take" button.

Each file sent is recorded in storage with Telegram's file id as soon as Telegram answers (an album's files in
one transaction), so a delivery started again (after a pause, or a restart) sends only what is missing. Before it
is sent, a file is marked in storage as being sent, by the one delivery that may send it: two processes finishing
the same delivery (a worker taking over from one thought lost) never both send a file. The mark is taken back when
the send fails; a mark left by a process that died is taken back by whoever takes its jobs up (the bot at its next
start; the worker that takes over a lost worker's delivery). A file over the upload limit is not sent: the member
gets a sentence naming the limit and what to do, and the rest is still sent. A member who blocked the bot ends the
delivery quietly.

Each file survives the network on its own (`bot.config.DeliveryPolicy`): a 429 is waited out for as long as
Telegram asks (retry_after), up to MAX_FLOOD_WAIT_SECONDS for one file; a transient error (a 5xx, a timeout, a
dropped or refused connection) is tried again after 1, 2, 4 and 8 s. A file that still fails pauses the
delivery (`DeliveryPaused`): bot.delivery_supervisor tells the member it is still sending and starts it again
later, from the first file not sent. Telegram has no idempotency key: when the answer to an upload is lost after
Telegram took it (a read timeout, a connection dropped after the request was sent, a crash), that one file is
sent again and may arrive twice; nothing already answered is ever sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import html
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiofiles
import httpx
from telegram import Bot, InputFile, InputMediaVideo, Message
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.config import DEFAULT_DELIVERY, DeliveryPolicy
from bot.keyboards import result_keyboard, take_keyboard
from bot.progress import flood_wait_seconds
from bot.texts import human_size, tr, trn
from engine.options import SPECS, UserOptions
from storage.database import Database
from storage.jobs_repo import (
    TAKE_KIND,
    SentFile,
    claim_send,
    mark_delivered,
    record_sent,
    record_sent_files,
    release_send,
)
from storage.models import Job, JobFile, JobState, utcnow

log = logging.getLogger(__name__)

CAPTION_LIMIT = 1024
NEGATIVE_SHOWN = 200  # a long negative prompt is cut in the caption (the job's settings keep it whole)
# What the caption names besides the prompt and seed: every setting that changes the sound.
SOUND_SETTINGS = ("steps", "guidance", "scheduler", "windows", "negative", "remix", "keep_original_db", "exact")
NOTHING_SENT_CAUSES = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.WriteError)
CHAT_ACTION_EVERY_S = 4.0  # Telegram shows a chat action for 5 s
PERFORMER = "Riffcut"  # the music's performer in Telegram's player
TITLE_CHARS = 64


class DeliveryStopped(Exception):
    """The member blocked the bot (or the chat is gone): nothing more can be sent."""


class DeliveryPaused(Exception):
    """A file could not be sent through the network's trouble (its retries, or the flood wait, ran out): the
    delivery is to be started again later; what was sent is recorded."""


class UploadTooBig(Exception):
    """The Bot API server refused an upload as too large (HTTP 413): nothing was sent."""


def settings_words(options: UserOptions) -> str:
    specs = {spec.name: spec for spec in SPECS}
    words = []
    for name in SOUND_SETTINGS:
        value = getattr(options, name)
        if name in ("negative", "remix", "keep_original_db") and not value:
            continue
        if name == "exact" and not value:
            continue
        shown = specs[name].show(value)
        words.append(f"{name} {shown if len(shown) <= NEGATIVE_SHOWN else shown[:NEGATIVE_SHOWN] + '…'}")
    return " · ".join(words)


def caption_length(caption: str) -> int:
    """The length Telegram counts: characters after HTML parsing (`&lt;` is one character)."""
    return len(html.unescape(caption))


def result_caption(lang: str, job: Job, options: UserOptions) -> str:
    """The chosen part's caption: prompt, seed, part, settings; the prompt is shortened to fit 1024 chars.

    The caption is HTML (the prompt and settings escaped); its length is counted as Telegram counts it, after
    parsing, and it is only ever cut in the unescaped prompt, never through an escape.
    """
    seed = job.seed if job.seed is not None else options.seed
    settings = settings_words(options)

    def caption(prompt: str, settings: str = settings) -> str:
        return tr(
            lang,
            "🎵 {prompt}\nseed {seed} · part {part}/{parts} · {settings}",
            prompt=html.escape(prompt),
            seed=seed,
            part=job.part,
            parts=job.parts,
            settings=html.escape(settings),
        )

    if caption_length(caption(job.prompt)) <= CAPTION_LIMIT:
        return caption(job.prompt)
    low, high = 0, len(job.prompt)  # the longest cut of the prompt that fits, found by halving
    while low < high:
        middle = (low + high + 1) // 2
        if caption_length(caption(job.prompt[:middle].rstrip() + "…")) <= CAPTION_LIMIT:
            low = middle
        else:
            high = middle - 1
    shortest = caption(job.prompt[:low].rstrip() + "…")
    if caption_length(shortest) <= CAPTION_LIMIT:
        return shortest
    over = caption_length(shortest) - CAPTION_LIMIT  # the settings alone are too long: cut them (unescaped)
    return caption("…", settings[: max(0, len(settings) - over - 1)] + "…")


def existing(path: object) -> Path | None:
    """A thumbnail's path when the file is there (a missing one is simply left out)."""
    return Path(str(path)) if path and Path(str(path)).is_file() else None


async def read_bytes(path: str | Path) -> bytes:
    """A file's bytes, read without stalling the event loop (aiofiles reads in a worker thread)."""
    async with aiofiles.open(path, "rb") as reader:
        return await reader.read()


@dataclass
class Delivery:
    """One job's delivery to one chat."""

    bot: Bot
    db: Database
    job: Job
    lang: str
    upload_limit: int
    in_group: bool
    policy: DeliveryPolicy = DEFAULT_DELIVERY

    @property
    def chat_id(self) -> int:
        return self.job.chat_id

    def reply_kwargs(self) -> dict[str, Any]:
        return {
            "reply_to_message_id": self.job.reply_to_message_id,
            "allow_sending_without_reply": True,
        }

    async def send(self, what: str, call: Callable[[], Awaitable[Any]]) -> Any:
        """Run one send until Telegram answers it: 429s waited out, transient errors tried again with backoff.

        DeliveryPaused when the flood outlasts MAX_FLOOD_WAIT_SECONDS or the tries run out; DeliveryStopped when
        the member cannot be reached; UploadTooBig on a 413; a BadRequest (a bug on our side) is raised as is.
        """
        policy = self.policy
        started = time.monotonic()
        failures = 0
        while True:
            try:
                return await call()
            except RetryAfter as exc:  # the rate limiter's own retries ran out: nothing was sent, wait and go on
                wait = flood_wait_seconds(exc)
                flooded = time.monotonic() - started
                if flooded + wait > policy.max_flood_wait_s:
                    raise DeliveryPaused(f"{what}: flood-limited {flooded:.0f} s, asked for {wait:.0f} s more") from exc
                log.info("job %s: %s flood-limited, waiting %.0f s as asked", self.job.id, what, wait)
                await asyncio.sleep(wait)
            except Forbidden as exc:
                raise DeliveryStopped(exc.message) from exc
            except BadRequest:
                raise
            except NetworkError as exc:  # TimedOut included: a 5xx, a timeout, a dropped or refused connection
                if "too large" in str(exc).lower() or "too big" in str(exc).lower():
                    raise UploadTooBig(str(exc)) from exc
                failures += 1
                if failures >= policy.file_attempts:
                    raise DeliveryPaused(f"{what}: {exc} ({failures} tries)") from exc
                wait = policy.file_backoff_s * 2 ** (failures - 1)
                if isinstance(exc.__cause__, NOTHING_SENT_CAUSES) or not isinstance(exc.__cause__, httpx.HTTPError):
                    log.info("job %s: %s not sent (%s); trying again in %.0f s", self.job.id, what, exc, wait)
                else:  # the request may have reached Telegram before the answer was lost
                    log.warning(
                        "job %s: %s: %s; sending it again in %.0f s (it may arrive twice)", self.job.id, what, exc, wait
                    )
                await asyncio.sleep(wait)

    @contextlib.asynccontextmanager
    async def showing(self, action: ChatAction) -> AsyncIterator[None]:
        """The chat shows `action` ("sending video…") while the upload in the block runs (Telegram shows an
        action for 5 s, or until a message comes: it is said again every few seconds)."""

        async def keep_saying() -> None:
            while True:
                with contextlib.suppress(TelegramError):
                    await self.bot.send_chat_action(self.chat_id, action)
                await asyncio.sleep(CHAT_ACTION_EVERY_S)

        saying = asyncio.create_task(keep_saying(), name=f"job-{self.job.id}-chat-action")
        try:
            yield
        finally:
            saying.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await saying

    async def note(self, file: JobFile, message: Message | None, file_id: str | None) -> None:
        """Record the file as sent (a restart will not send it again), here and in storage."""
        await record_sent(
            self.db, file.id, telegram_file_id=file_id, message_id=message.message_id if message else None
        )
        file.telegram_file_id = file_id
        file.sent_at = utcnow()

    async def too_big(self, file: JobFile, what: str, *, refused: bool = False) -> None:
        """Tell the member a file was not sent and why (`refused`: the server said 413, under our limit)."""
        size = human_size(file.size_bytes)
        if refused:
            text = tr(
                self.lang,
                "Telegram refused the {what} ({size}) as too large, so I did not send it. Use a shorter video "
                "or more parts, or ask the operator to run a local Bot API server.",
                what=what,
                size=size,
            )
        else:
            limit = human_size(self.upload_limit).replace(".0 MB", " MB")
            text = tr(
                self.lang,
                "The {what} is {size}, over the {limit} a bot can upload to Telegram, so I did not send it. Use "
                "a shorter video or more parts, or ask the operator to run a local Bot API server.",
                what=what,
                size=size,
                limit=limit,
            )
        message = await self.send(
            "a size notice", lambda: self.bot.send_message(self.chat_id, text, **self.reply_kwargs())
        )
        await self.note(file, message, None)

    async def upload(self, path: str | Path) -> Path | InputFile:
        """What to upload: a local Bot API server takes the path itself (file://); otherwise the file's bytes,
        read with aiofiles (given a Path, python-telegram-bot reads up to 50 MB inside the event loop)."""
        path = Path(path)
        if self.bot.local_mode:
            return path
        return InputFile(await read_bytes(path), filename=path.name)

    def fits(self, file: JobFile) -> bool:
        return file.size_bytes <= self.upload_limit

    async def video(
        self,
        file: JobFile,
        caption: str | None,
        keyboard: Any = None,
        *,
        start: float | None = None,
        cover: Path | None = None,
    ) -> None:
        """A playable video; `start`: where it opens (start_timestamp), `cover`: the picture shown before it plays."""
        meta = file.meta or {}
        thumb = meta.get("thumbnail")
        thumbnail = existing(thumb)

        async def call() -> Message:
            return await self.bot.send_video(
                self.chat_id,
                video=await self.upload(file.path),
                caption=caption,
                parse_mode=ParseMode.HTML if caption else None,
                duration=round(float(meta["duration"])) if meta.get("duration") else None,
                width=int(meta["width"]) if meta.get("width") else None,
                height=int(meta["height"]) if meta.get("height") else None,
                thumbnail=thumbnail,
                cover=cover,  # small pictures: python-telegram-bot attaches them (attach://) as thumbnails
                start_timestamp=int(start) if start else None,
                supports_streaming=True,
                reply_markup=keyboard,
                **self.reply_kwargs(),
            )

        async with self.showing(ChatAction.UPLOAD_VIDEO):
            message = await self.send(f"video {Path(file.path).name}", call)
        await self.note(file, message, message.video.file_id if message and message.video else None)

    async def audio(self, file: JobFile) -> None:
        """The music for Telegram's player: the prompt as its title, a performer, its duration, its cover."""
        meta = file.meta or {}
        cover = existing(meta.get("cover"))
        title = self.job.prompt if len(self.job.prompt) <= TITLE_CHARS else self.job.prompt[: TITLE_CHARS - 1] + "…"

        async def call() -> Message:
            return await self.bot.send_audio(
                self.chat_id,
                audio=await self.upload(file.path),
                title=title,
                performer=PERFORMER,
                duration=round(float(meta["duration"])) if meta.get("duration") else None,
                thumbnail=cover,
                **self.reply_kwargs(),
            )

        async with self.showing(ChatAction.UPLOAD_VOICE):
            message = await self.send("music", call)
        file_id = None
        if message is not None:
            media = message.audio or message.document or message.voice
            file_id = media.file_id if media else None
        await self.note(file, message, file_id)

    async def document(self, file: JobFile, caption: str) -> None:
        async def call() -> Message:
            return await self.bot.send_document(
                self.chat_id, document=await self.upload(file.path), caption=caption, **self.reply_kwargs()
            )

        async with self.showing(ChatAction.UPLOAD_DOCUMENT):
            message = await self.send("zip", call)
        await self.note(file, message, message.document.file_id if message and message.document else None)

    def part_caption(self, file: JobFile) -> str | None:
        """A preview's caption: its part among the job's parts ("2/5")."""
        return f"{file.part}/{self.job.parts}" if file.part else None

    async def album(self, files: Sequence[JobFile]) -> None:
        """One album of previews, each file recorded as sent once Telegram answers."""
        media = []
        for file in files:
            meta = file.meta or {}
            # In an album, python-telegram-bot takes a Path for a local Bot API server's file:// only: send bytes.
            thumb = existing(meta.get("thumbnail"))
            media.append(
                InputMediaVideo(
                    media=await read_bytes(file.path),
                    filename=Path(file.path).name,
                    caption=self.part_caption(file),
                    duration=round(float(meta["duration"])) if meta.get("duration") else None,
                    width=int(meta["width"]) if meta.get("width") else None,
                    height=int(meta["height"]) if meta.get("height") else None,
                    thumbnail=await read_bytes(thumb) if thumb else None,
                    supports_streaming=True,
                )
            )

        async def call() -> tuple[Message, ...]:
            return await self.bot.send_media_group(self.chat_id, media, **self.reply_kwargs())

        async with self.showing(ChatAction.UPLOAD_VIDEO):
            messages = await self.send("album", call)
        sent: list[tuple[JobFile, SentFile]] = []
        for index, file in enumerate(files):
            message = messages[index] if messages and index < len(messages) else None
            file_id = message.video.file_id if message and message.video else None
            sent.append((file, SentFile(file.id, file_id, message.message_id if message else None)))
        await record_sent_files(self.db, [entry for _, entry in sent])  # one transaction: all or none
        now = utcnow()
        for file, entry in sent:
            file.telegram_file_id, file.sent_at = entry.telegram_file_id, now

    async def previews(self, previews: Sequence[JobFile], per_album: int) -> None:
        """The other parts in order, `per_album` to an album (1: each alone); the chosen part is not among them."""
        items: list[JobFile] = []
        for file in sorted(previews, key=lambda f: f.part or 0):
            if not self.fits(file):
                what = tr(self.lang, "preview of part {index}", index=file.part)
                await self.each(file, what, lambda f: self.video(f, None))  # too big: its notice instead
                continue
            items.append(file)

        if per_album <= 1:
            for file in items:
                what = tr(self.lang, "preview of part {index}", index=file.part)
                await self.each(file, what, lambda f: self.video(f, self.part_caption(f)))
            return
        for start in range(0, len(items), per_album):

            async def send_chunk(chunk: list[JobFile]) -> None:
                if len(chunk) == 1:
                    await self.video(chunk[0], self.part_caption(chunk[0]))
                else:
                    await self.album(chunk)

            await self.sending(items[start : start + per_album], send_chunk)

    async def sending(self, files: Sequence[JobFile], send: Callable[[list[JobFile]], Awaitable[None]]) -> None:
        """`send` the files that this delivery may send (not sent, not being sent elsewhere), marked first as being
        sent; the marks are taken back when the send raises (nothing reached Telegram, or the delivery stopped)."""
        claimed = [file for file in files if file.sent_at is None and await claim_send(self.db, file.id)]
        if not claimed:
            return
        try:
            await send(claimed)
        except BaseException:
            for file in claimed:
                with contextlib.suppress(Exception):
                    await release_send(self.db, file.id)
            raise

    async def each(self, file: JobFile | None, what: str, send: Callable[[JobFile], Awaitable[None]]) -> None:
        """Send one file unless it was sent before (or is being sent elsewhere); over the limit (ours or the
        server's), say so instead."""
        if file is None:
            return

        async def one(_: list[JobFile]) -> None:
            if not self.fits(file):
                await self.too_big(file, what)
                return
            try:
                await send(file)
            except UploadTooBig:
                await self.too_big(file, what, refused=True)

        await self.sending([file], one)

    async def takes(self, takes: Sequence[JobFile]) -> None:
        """One clip per take of the chosen part, each with its "Use this take" button."""
        for file in sorted(takes, key=lambda f: f.part or 0):
            meta = file.meta or {}
            number, count = file.part or 1, int(meta.get("takes") or len(takes))
            caption = tr(self.lang, "🎧 Take {take} of {takes} · seed {seed}", take=number, takes=count,
                         seed=meta.get("seed"))  # fmt: skip
            keyboard = take_keyboard(self.lang, self.job.id, number)
            what = tr(self.lang, "take {take}", take=number)
            await self.each(file, what, functools.partial(self.video, caption=caption, keyboard=keyboard))

    async def run(self, *, final: bool = True) -> None:
        """Send every file not sent yet, in order; `final`: the job is done, mark it delivered."""
        job = self.job
        options = job.options
        by_kind: dict[str, list[JobFile]] = {}
        for file in job.files:
            by_kind.setdefault(file.kind, []).append(file)
        if job.state == JobState.CHOOSING:
            await self.takes(by_kind.get(TAKE_KIND, []))
            await mark_delivered(self.db, job.id)
            return
        result = next(iter(by_kind.get("result", [])), None)
        caption = result_caption(self.lang, job, options)
        keyboard = result_keyboard(self.lang, job.id, job.parts)
        await self.each(result, tr(self.lang, "part with new music"), lambda f: self.video(f, caption, keyboard))
        for file in by_kind.get("music", []):
            await self.each(file, tr(self.lang, "music"), self.audio)
        previews = by_kind.get("preview", [])
        if options.previews > 0 and previews:
            try:
                await self.previews(previews, options.previews)
            except UploadTooBig:  # an album over the server's limit: each preview on its own, with notices
                await self.previews(previews, 1)
        cover = existing((result.meta or {}).get("thumbnail")) if result is not None else None
        full_caption = tr(self.lang, "The whole video with part {part}'s new music.", part=job.part)

        async def full_cut(file: JobFile) -> None:
            start = float((file.meta or {}).get("start") or 0.0)
            await self.video(file, full_caption, start=start, cover=cover)

        for file in by_kind.get("full_cut", []):
            await self.each(file, tr(self.lang, "full cut"), full_cut)
        zip_caption = trn(
            self.lang,
            "{n} part; part {part} with new music.",
            "All {n} parts; part {part} with new music.",
            job.parts,
            part=job.part,
        )
        for file in by_kind.get("zip", []):
            await self.each(file, tr(self.lang, "zip"), lambda f: self.document(f, zip_caption))
        if final:
            await mark_delivered(self.db, job.id)
