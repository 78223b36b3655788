"""The video a user sent: one type for it, kept with a member's current video and with every job made from it."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from engine.probe import VideoInfo


@dataclass(frozen=True)
class VideoRef:
    """Telegram's handle on a video (file id, unique id, name, size) and what the probe measured of it.

    Before the probe only the Telegram fields are known (duration, width and height 0, `has_audio` None);
    `probed(info)` adds the rest. `storage.models` maps every field to a column of `current_videos` and of `jobs`
    (one list of columns for both, checked against these fields), so a new field is this line, its column and a
    migration.
    """

    file_id: str
    file_unique_id: str | None = None
    file_name: str | None = None
    size_bytes: int | None = None
    duration: float = 0.0  # seconds, the video stream's (as the probe measures it)
    width: int = 0  # as displayed (after rotation)
    height: int = 0
    has_audio: bool | None = None  # None: not known (a row stored before it was kept)

    def probed(self, info: VideoInfo) -> VideoRef:
        return replace(
            self,
            size_bytes=self.size_bytes or info.size_bytes,
            duration=info.duration,
            width=info.width,
            height=info.height,
            has_audio=info.has_audio,
        )

    @property
    def identity(self) -> str:
        """What tells two videos apart (Telegram's unique id, the same for the same file from any chat)."""
        return self.file_unique_id or self.file_id

    # --- as columns (storage.models.video_columns maps each field, in this order) ---------------------------

    def __composite_values__(self) -> tuple[Any, ...]:
        return tuple(getattr(self, item.name) for item in fields(self))

    @classmethod
    def from_columns(cls, *values: Any) -> VideoRef:
        """From the stored columns; the NULLs of rows stored before a column existed read as "not known"."""
        ref = cls(*values)
        return replace(ref, duration=float(ref.duration or 0.0), width=int(ref.width or 0), height=int(ref.height or 0))
