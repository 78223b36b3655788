"""Bringing a video from Telegram to disk: getFile, then the file download path (or a copy in local mode)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import aiofiles
import aiofiles.os
from telegram import Bot
from telegram.error import BadRequest

from bot import refusals
from bot.config import DOWNLOAD_LIMIT_BYTES
from engine.errors import BadInput

log = logging.getLogger(__name__)

SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
CHUNK_BYTES = 1 << 20


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
        telegram_file = await bot.get_file(file_id)
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
        async with aiofiles.open(local, "rb") as reader, aiofiles.open(dest, "wb") as writer:
            while chunk := await reader.read(CHUNK_BYTES):
                await writer.write(chunk)
    else:
        data = await telegram_file.download_as_bytearray()
        async with aiofiles.open(dest, "wb") as writer:
            await writer.write(data)
    log.debug("downloaded %s to %s", file_id, dest)
    return dest
