"""Bringing a video from Telegram to disk: getFile, then the file download path (or a copy in local mode).

Both requests are tried again on Telegram's transient trouble (a 5xx, a timeout, a dropped or refused
connection) after 1, 2, 4 and 8 s, and after a 429 as long as it asks (up to a minute at a time); when the tries
run out the member is told, in one sentence, that Telegram did not hand the video over and to try again later.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import aiofiles
import aiofiles.os
from telegram import Bot
from telegram.error import BadRequest, NetworkError, RetryAfter

from bot import refusals
from bot.config import DEFAULT_DELIVERY, DOWNLOAD_LIMIT_BYTES
from bot.progress import flood_wait_seconds
from engine.errors import BadInput
from jobs.results import copy_chunks

log = logging.getLogger(__name__)

SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
ATTEMPTS = DEFAULT_DELIVERY.file_attempts  # tries of getFile and of the download each, 1, 2, 4, 8 s apart
BACKOFF_S = DEFAULT_DELIVERY.file_backoff_s
MAX_FLOOD_WAIT_S = 60.0

T = TypeVar("T")


async def patiently(what: str, call: Callable[[], Awaitable[T]]) -> T:
    """`call()` until Telegram answers it; transient errors tried again, BadInput(telegram_unavailable) when the
    tries run out. A BadRequest (Telegram's considered answer) is raised as is."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await call()
        except BadRequest:
            raise
        except RetryAfter as exc:
            wait = min(flood_wait_seconds(exc), MAX_FLOOD_WAIT_S)
            cause: Exception = exc
        except NetworkError as exc:  # TimedOut included
            wait = BACKOFF_S * 2 ** (attempt - 1)
            cause = exc
        if attempt == ATTEMPTS:
            log.warning("%s: Telegram failed %d times, last: %s", what, ATTEMPTS, cause)
            break
        log.info("%s: %s; trying again in %.0f s", what, cause, wait)
        await asyncio.sleep(wait)
    raise BadInput(refusals.TELEGRAM_UNAVAILABLE)


def safe_name(name: str | None, default: str = "video.mp4") -> str:
    """A plain file name from what the user's client called the file (no folders, no leading dash)."""
    cleaned = SAFE_NAME.sub("_", Path(name or "").name).strip("._-")[:80]
    return cleaned or default


async def download(bot: Bot, file_id: str, dest: Path, *, copy_local: bool = True) -> Path:
    """Download one file to `dest`; BadInput when Telegram refuses it (too big for a bot, gone).

    With a local Bot API server the file is already on this machine: `copy_local=False` (a probe that only
    reads it) returns its own path instead of copying up to 2 GB.
    """
    try:
        telegram_file = await patiently("getFile", lambda: bot.get_file(file_id))
    except BadRequest as exc:
        if "too big" in exc.message.lower():
            raise BadInput(refusals.DOWNLOAD_TOO_BIG, limit=DOWNLOAD_LIMIT_BYTES >> 20) from None
        raise BadInput(refusals.DOWNLOAD_REFUSED, reason=exc.message) from None
    await aiofiles.os.makedirs(dest.parent, exist_ok=True)
    # Not `download_to_drive`: it copies a local Bot API server's file (up to 2 GB) and writes a downloaded one
    # inside the event loop, which would stall every other chat meanwhile; aiofiles does the disk work in a thread.
    local = telegram_file.file_path if bot.local_mode and telegram_file.file_path else None
    if local is not None and Path(local).is_absolute():  # a local Bot API server names the file on disk
        if not copy_local:
            return Path(local)
        await copy_chunks(Path(local), dest)
    else:
        data = await patiently("download", telegram_file.download_as_bytearray)
        async with aiofiles.open(dest, "wb") as writer:
            await writer.write(data)
    log.debug("downloaded %s to %s", file_id, dest)
    return dest
