"""Bringing a video from Telegram to disk: getFile, then the file download path (or a copy in local mode)."""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
from pathlib import Path

from telegram import Bot
from telegram.error import BadRequest

from engine.errors import BadInput

log = logging.getLogger(__name__)

SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


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
            raise BadInput("This video is over the 20 MB a bot can download from Telegram.") from None
        raise BadInput(f"Telegram would not give me this video ({exc.message}); please send it again.") from None
    dest.parent.mkdir(parents=True, exist_ok=True)
    # Not `download_to_drive`: it copies a local Bot API server's file (up to 2 GB) and writes a downloaded one
    # inside the event loop, which would stall every other chat meanwhile; the disk work goes to a thread.
    local = telegram_file.file_path if bot.local_mode and telegram_file.file_path else None
    if local is not None and Path(local).is_absolute():  # a local Bot API server names the file on disk
        if not copy_local:
            return Path(local)
        await asyncio.to_thread(shutil.copyfile, local, dest)
    else:
        data = await telegram_file.download_as_bytearray()
        await asyncio.to_thread(dest.write_bytes, data)
    log.debug("downloaded %s to %s", file_id, dest)
    return dest
