"""The current video per (chat, user), with the prompt, number of parts and chosen part picked for it.

So a user can change the prompt and generate again without sending the video again. Checks that need the model
or the media engine (the prompt's tokens, the part-length rule) are the caller's; here the chosen part is kept
within 1..parts.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select

from engine.errors import BadInput
from storage.database import Database
from storage.models import CurrentVideo
from storage.users import user_row

NO_VIDEO = "Send a video first."


@dataclass(frozen=True)
class VideoRecord:
    """What Telegram and the probe said about a video."""

    file_id: str
    file_unique_id: str | None = None
    file_name: str | None = None
    size_bytes: int | None = None
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    has_audio: bool | None = None  # whether the probe found a sound track; None: not known


def _check_split(parts: int, part: int) -> None:
    if parts < 1:
        raise BadInput(f"The number of parts must be 1 or more; {parts} is not.")
    if not 1 <= part <= parts:
        raise BadInput(f"The part must be 1 to {parts}; {part} is out of range.")


async def set_current_video(
    db: Database, chat_id: int, user_id: int, video: VideoRecord, *, telegram_language: str | None = None
) -> CurrentVideo:
    """Make `video` the current one; the prompt is kept, the split goes back to 1 part (the demo's default)."""
    async with db.transaction() as session:
        await user_row(session, user_id, telegram_language)
        row = await session.get(CurrentVideo, (chat_id, user_id), with_for_update=True)
        if row is None:
            row = CurrentVideo(chat_id=chat_id, user_id=user_id, prompt=None)
            session.add(row)
        row.file_id = video.file_id
        row.file_unique_id = video.file_unique_id
        row.file_name = video.file_name
        row.size_bytes = video.size_bytes
        row.duration = video.duration
        row.width = video.width
        row.height = video.height
        row.has_audio = video.has_audio
        row.parts = 1
        row.part = 1
    return row


async def get_current_video(db: Database, chat_id: int, user_id: int) -> CurrentVideo | None:
    async with db.sessions() as session:
        return await session.get(CurrentVideo, (chat_id, user_id))


async def _update(db: Database, chat_id: int, user_id: int, **values: object) -> CurrentVideo:
    async with db.transaction() as session:
        row = await session.get(CurrentVideo, (chat_id, user_id), with_for_update=True)
        if row is None:
            raise BadInput(NO_VIDEO)
        parts = int(values.get("parts", row.parts))  # type: ignore[call-overload]
        part = int(values.get("part", row.part))  # type: ignore[call-overload]
        _check_split(parts, part)
        for name, value in values.items():
            setattr(row, name, value)
    return row


async def set_prompt(db: Database, chat_id: int, user_id: int, prompt: str | None) -> CurrentVideo:
    """Store the prompt for the current video (checked by the caller with the model's tokenizer)."""
    return await _update(db, chat_id, user_id, prompt=prompt)


async def set_split(db: Database, chat_id: int, user_id: int, parts: int, part: int = 1) -> CurrentVideo:
    """Store the number of parts (checked by the caller with engine.parts) and the chosen part (1..parts)."""
    return await _update(db, chat_id, user_id, parts=parts, part=part)


async def set_part(db: Database, chat_id: int, user_id: int, part: int) -> CurrentVideo:
    """Choose another part of the same split; BadInput when it is not 1..parts."""
    return await _update(db, chat_id, user_id, part=part)


async def clear_current_video(db: Database, chat_id: int, user_id: int) -> bool:
    async with db.transaction() as session:
        result = await session.execute(
            delete(CurrentVideo).where(CurrentVideo.chat_id == chat_id, CurrentVideo.user_id == user_id)
        )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def list_current_videos(db: Database, user_id: int) -> list[CurrentVideo]:
    async with db.sessions() as session:
        rows = await session.execute(select(CurrentVideo).where(CurrentVideo.user_id == user_id))
        return list(rows.scalars())
