"""The status card's picture: the member's current video as a strip of frames, cut into the chosen parts.

The strip is made once, when the video arrives (`engine.timeline.make_strip`, while the download is still
there), and kept with the member's current video as DATA_DIR/cards/<chat>/<user>-<video tag>.jpg; a newer video
replaces it, /forget removes it. Every card then draws the parts on it (`engine.timeline.draw_timeline`, in a
worker thread): nothing is read from the video again. A video whose strip could not be made (or one kept from
before strips existed) gets its card without a picture.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path

from engine.probe import VideoInfo
from engine.timeline import draw_timeline, make_strip

log = logging.getLogger(__name__)

FOLDER = "cards"


@dataclass(frozen=True)
class Picture:
    """A drawn card picture and what it shows (a card whose split has not changed keeps its picture)."""

    jpeg: bytes
    shows: tuple[str, int, int]  # video tag, parts, chosen part


def strip_path(data_dir: Path, chat_id: int, user_id: int, tag: str) -> Path:
    return data_dir / FOLDER / str(chat_id) / f"{user_id}-{tag}.jpg"


async def keep_strip(data_dir: Path, chat_id: int, user_id: int, tag: str, video: Path, info: VideoInfo) -> None:
    """Make the strip of the member's new current video, and drop the strip of the one before."""
    target = strip_path(data_dir, chat_id, user_id, tag)
    try:
        await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
        await make_strip(video, target, info=info)
    except Exception:  # the card goes without a picture; the video itself is fine
        log.warning("no strip of frames for user %s's video in chat %s", user_id, chat_id, exc_info=True)
        return
    await asyncio.to_thread(_drop_others, target)


def _drop_others(keep: Path) -> None:
    user = keep.name.split("-", 1)[0]
    for path in keep.parent.glob(f"{user}-*.jpg"):
        if path != keep:
            with contextlib.suppress(OSError):
                path.unlink()


async def draw(data_dir: Path, chat_id: int, user_id: int, tag: str, parts: int, part: int, duration: float) -> (
    Picture | None
):  # fmt: skip
    """The card's picture for this split, or None when the video has no strip."""
    strip = strip_path(data_dir, chat_id, user_id, tag)
    if not parts or not 1 <= part <= parts or not await asyncio.to_thread(strip.is_file):
        return None
    try:
        jpeg = await asyncio.to_thread(draw_timeline, strip, parts, part, duration)
    except OSError:
        log.warning("the strip %s could not be read", strip, exc_info=True)
        return None
    return Picture(jpeg, (tag, parts, part))


def forget_pictures(data_dir: Path, user_id: int) -> int:
    """Remove every strip of the member's videos, in every chat (blocking); how many were removed."""
    removed = 0
    for path in (data_dir / FOLDER).glob(f"*/{user_id}-*.jpg"):
        with contextlib.suppress(OSError):
            path.unlink()
            removed += 1
    return removed
