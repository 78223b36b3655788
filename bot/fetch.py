"""The job runner's `FetchVideo` for the bot: a job's video brought from Telegram into the job's folder."""

from __future__ import annotations

from pathlib import Path

from telegram import Bot

from bot import refusals
from bot.download import download, safe_name
from engine.errors import BadInput
from storage.video_ref import VideoRef


class TelegramFetch:
    """`await fetch(video, dest_dir)`: refuses a video over the download limit before asking Telegram for it."""

    def __init__(self, bot: Bot, download_limit: int | None) -> None:
        self.bot = bot
        self.download_limit = download_limit

    async def __call__(self, video: VideoRef, dest_dir: Path) -> Path:
        limit = self.download_limit
        if limit is not None and video.size_bytes and video.size_bytes > limit:
            raise BadInput(refusals.DOWNLOAD_TOO_BIG, limit=limit >> 20)
        return await download(self.bot, video.file_id, dest_dir / safe_name(video.file_name))
