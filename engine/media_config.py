"""The media settings engine functions' callers pass on (the composition root builds it: `Settings.media_config()`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.media_limits import MediaLimits


@dataclass(frozen=True)
class MediaConfig:
    threads: int | None = None  # ffmpeg threads; None lets ffmpeg choose
    timeout: float = 600.0  # seconds for one ffmpeg command
    min_part_seconds: float = 1.0
    max_part_seconds: float = 60.0
    loudness_lufs: float = -14.0  # integrated loudness of the new music (EBU R128)
    limits: MediaLimits = field(default_factory=MediaLimits)  # the most work one video may ask for
