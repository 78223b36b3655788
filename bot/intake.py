"""A video arrives: recognise it, check its size before downloading, probe it, apply the part length rule, keep it.

Accepted: a video, a file with a video type, a round video note, and an animation (a sound-less MP4 that
Telegram turned into a GIF). The size is checked against the 20 MB download limit before anything is
downloaded (unless a local Bot API server lifts it). The file is downloaded into a folder of its own under
TEMPORARY_DIRECTORY, probed, its strip of frames made for the status card (bot.card_picture), and removed: the
job downloads it again when it runs, so the video itself is not kept.
A video that no number of parts fits is refused with the rule's own sentence.
`receive_video` is the handlers' one way in (a private chat's video and /riff's): it says each step to the member.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from telegram import Bot, Message
from telegram.error import TelegramError

from bot import refusals
from bot.callbacks import video_tag
from bot.card_picture import keep_strip
from bot.config import PartRule
from bot.context import RiffcutContext
from bot.download import download, safe_name
from bot.refusals import words
from bot.submission import refuse_while_unwritable
from bot.texts import tr
from bot.who import Who
from engine.errors import BadInput
from engine.media_limits import MediaLimits
from engine.parts import check_part_count, valid_part_counts
from engine.probe import VideoInfo, probe
from storage.video_ref import VideoRef
from storage.videos_repo import set_current_video

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".3gp", ".ts", ".flv", ".ogv", ".mpg", ".mpeg"}


@dataclass(frozen=True)
class Incoming:
    """A video-like attachment of a message: the video as Telegram describes it (not probed yet), and its kind."""

    video: VideoRef
    kind: str  # video, document, video_note, animation


def attachment(message: Message) -> Incoming | None:
    """The message's video-like attachment; None when it has none (a document is checked by `is_video`)."""
    if message.video is not None:
        v = message.video
        return Incoming(VideoRef(v.file_id, v.file_unique_id, v.file_name or "video.mp4", v.file_size), "video")
    if message.video_note is not None:
        n = message.video_note
        return Incoming(VideoRef(n.file_id, n.file_unique_id, "video-note.mp4", n.file_size), "video_note")
    if message.animation is not None:
        a = message.animation
        return Incoming(VideoRef(a.file_id, a.file_unique_id, a.file_name or "animation.mp4", a.file_size), "animation")
    if message.document is not None:
        d = message.document
        return Incoming(VideoRef(d.file_id, d.file_unique_id, d.file_name, d.file_size), "document")
    return None


def is_video(message: Message) -> bool:
    if message.document is None:
        return attachment(message) is not None
    mime = (message.document.mime_type or "").lower()
    if mime.startswith("video/"):
        return True
    suffix = Path(message.document.file_name or "").suffix.lower()
    return mime in ("", "application/octet-stream") and suffix in VIDEO_SUFFIXES


def human_limit(limit: int) -> str:
    return f"{limit >> 20} MB"


def check_size(incoming: Incoming, limit: int | None) -> None:
    """Refuse, before downloading, a file over the download limit (None: no limit, a local Bot API server)."""
    size = incoming.video.size_bytes
    if limit is not None and size is not None and size > limit:
        raise BadInput(refusals.TOO_BIG, size=f"{size / (1 << 20):.1f} MB", limit=human_limit(limit))


def fresh_folder(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="intake-", dir=root))


async def fetch_and_probe(
    bot: Bot,
    incoming: Incoming,
    temp_root: Path,
    limits: MediaLimits,
    then: Callable[[Path, VideoInfo], Awaitable[None]] | None = None,
) -> VideoInfo:
    """Download into a fresh folder (a local Bot API server's file is probed where it lies), probe within the
    operator's limits, run `then` on the file while it is there, remove the folder; BadInput for anything that is
    not a usable video (LimitExceeded, naming the limit, for one over MAX_VIDEO_SECONDS, MAX_VIDEO_PIXELS,
    MAX_VIDEO_FRAMES, ...)."""
    folder = fresh_folder(temp_root)
    try:
        path = await download(
            bot, incoming.video.file_id, folder / safe_name(incoming.video.file_name), copy_local=False
        )
        info = await probe(path, limits=limits)
        if then is not None:
            await then(path, info)
        return info
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def first_parts(info: VideoInfo, rule: PartRule) -> int:
    """The number of parts a new video starts with: the smallest that fits (never more than MAX_PARTS).

    BadInput (the rule's sentence) when no number of parts fits this video at all.
    """
    counts = valid_part_counts(info.duration, rule.min_s, rule.max_s, rule.max_parts)
    if not counts:
        check_part_count(info.duration, 1, rule.min_s, rule.max_s, rule.max_parts)  # raises with the right words
    return counts.start


async def accept_video(context: RiffcutContext, me: Who, incoming: Incoming) -> VideoRef:
    """Download, probe, store as the current video with a fitting number of parts; BadInput when unusable."""
    svc = context.services
    config = svc.config
    refuse_while_unwritable(svc.db)
    check_size(incoming, config.download_limit)

    parts = 0

    async def usable(path: Path, info: VideoInfo) -> None:  # a video no part count fits gets no strip
        nonlocal parts
        parts = first_parts(info, config.part_rule)
        tag = video_tag(incoming.video.file_unique_id)
        await keep_strip(config.data_dir, me.chat_id, me.user_id, tag, path, info)

    info = await fetch_and_probe(context.bot, incoming, config.temporary_directory / "intake", config.limits, usable)
    video = incoming.video.probed(info)
    async with svc.locks.hold(me.chat_id, me.user_id):
        await set_current_video(
            svc.db, me.chat_id, me.user_id, video, parts=parts, telegram_language=me.telegram_language
        )
    log.info(
        "user %s in chat %s sent a %s: %.2f s %dx%d, %s bytes",
        me.user_id,
        me.chat_id,
        incoming.kind,
        info.duration,
        info.width,
        info.height,
        info.size_bytes,
    )
    return video


async def receive_video(context: RiffcutContext, me: Who, reply_to: Message, video_message: Message) -> Message | None:
    """Check `video_message`'s attachment and accept it as the member's current video; the "Checking your video…"
    status message (a reply to `reply_to`), or None when it was refused (the refusal is said already)."""
    incoming = attachment(video_message)
    if incoming is None or not is_video(video_message):
        await reply_to.reply_text(tr(me.lang, "That is not a video: send an MP4, MOV, WebM or another video file."))
        return None
    status = await reply_to.reply_text(tr(me.lang, "Checking your video…"))
    try:
        await accept_video(context, me, incoming)
    except BadInput as exc:
        await status.edit_text(words(me.lang, exc))
        return None
    except Exception:  # the error handler apologises; "Checking your video…" must not stay as if still at work
        with contextlib.suppress(TelegramError):
            await status.delete()
        raise
    context.chat.video_messages[me.user_id] = video_message.message_id
    return status
