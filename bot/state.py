"""The bot's view of one member's current video in one chat, read from storage.

Storage keeps the Telegram file id, the probed numbers and the prompt/parts/part choices (storage.videos_repo).
Whether the video has a sound track is stored with it, so a silent video with remix on is refused on the card even
after a restart; `has_audio` is None (not known) only for a video stored before that column existed, or for a
finished job's video run again (jobs do not keep it).
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.models import CurrentVideo


@dataclass(frozen=True)
class VideoChoice:
    chat_id: int
    user_id: int
    file_id: str
    file_unique_id: str | None
    file_name: str | None
    size_bytes: int | None
    duration: float
    width: int
    height: int
    prompt: str | None
    parts: int
    part: int
    has_audio: bool | None

    @classmethod
    def of(cls, row: CurrentVideo) -> VideoChoice:
        return cls(
            chat_id=row.chat_id,
            user_id=row.user_id,
            file_id=row.file_id,
            file_unique_id=row.file_unique_id,
            file_name=row.file_name,
            size_bytes=row.size_bytes,
            duration=float(row.duration or 0.0),
            width=int(row.width or 0),
            height=int(row.height or 0),
            prompt=row.prompt,
            parts=row.parts,
            part=row.part,
            has_audio=row.has_audio,
        )
