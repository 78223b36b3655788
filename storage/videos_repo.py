"""The current video per (chat, user), with the prompt, number of parts and chosen part picked for it.

So a user can change the prompt and generate again without sending the video again. Checks that need the model
or the media engine (the prompt's tokens, the part-length rule) are the caller's; here the chosen part is kept
within 1..parts.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.errors import BadInput
from storage import refusals
from storage.database import Database
from storage.models import CurrentVideo
from storage.users import user_row
from storage.video_ref import VideoRef


@dataclass(frozen=True)
class Choice:
    """A member's current video in a chat and what they chose for it (also a finished job's, to run again)."""

    chat_id: int
    user_id: int
    video: VideoRef
    prompt: str | None
    parts: int
    part: int

    @classmethod
    def of(cls, row: CurrentVideo) -> Choice:
        return cls(row.chat_id, row.user_id, row.video, row.prompt, row.parts, row.part)


def _check_split(parts: int, part: int) -> None:
    if parts < 1:
        raise BadInput(refusals.SPLIT_PARTS_BELOW_ONE, parts=parts)
    if not 1 <= part <= parts:
        raise BadInput(refusals.SPLIT_PART_OUT_OF_RANGE, parts=parts, part=part)


async def set_current_video(
    db: Database, chat_id: int, user_id: int, video: VideoRef, *, parts: int = 1, telegram_language: str | None = None
) -> Choice:
    """Make `video` the current one; the prompt is kept, the split starts again from `parts` parts, part 1."""
    _check_split(parts, 1)
    async with db.transaction() as session:
        await user_row(session, user_id, telegram_language)
        row = await session.get(CurrentVideo, (chat_id, user_id), with_for_update=True)
        if row is None:
            row = CurrentVideo(chat_id=chat_id, user_id=user_id, prompt=None)
            session.add(row)
        row.video = video
        row.parts = parts
        row.part = 1
    return Choice.of(row)


async def get_current_video(db: Database, chat_id: int, user_id: int) -> Choice | None:
    async with db.sessions() as session:
        row = await session.get(CurrentVideo, (chat_id, user_id))
        return Choice.of(row) if row is not None else None


async def _update(db: Database, chat_id: int, user_id: int, **values: object) -> Choice:
    async with db.transaction() as session:
        row = await session.get(CurrentVideo, (chat_id, user_id), with_for_update=True)
        if row is None:
            raise BadInput(refusals.NO_CURRENT_VIDEO)
        parts = int(values.get("parts", row.parts))  # type: ignore[call-overload]
        part = int(values.get("part", row.part))  # type: ignore[call-overload]
        _check_split(parts, part)
        for name, value in values.items():
            setattr(row, name, value)
    return Choice.of(row)


async def set_prompt(db: Database, chat_id: int, user_id: int, prompt: str | None) -> Choice:
    """Store the prompt for the current video (checked by the caller with the model's tokenizer)."""
    return await _update(db, chat_id, user_id, prompt=prompt)


async def set_split(db: Database, chat_id: int, user_id: int, parts: int, part: int = 1) -> Choice:
    """Store the number of parts (checked by the caller with engine.parts) and the chosen part (1..parts)."""
    return await _update(db, chat_id, user_id, parts=parts, part=part)


async def set_part(db: Database, chat_id: int, user_id: int, part: int) -> Choice:
    """Choose another part of the same split; BadInput when it is not 1..parts."""
    return await _update(db, chat_id, user_id, part=part)
