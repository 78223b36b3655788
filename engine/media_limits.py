"""The operator's limits on the work one video may cost, and the checks that refuse what is over them.

A small file can hold a great deal of work: 1.5 million 2x2 frames in 19.5 MB, a 16000x16000 picture in 751 KB,
three hours in 139 KB. `check_video` refuses such a video once it is probed (the probe itself stops reading at
`max_frames` packets and after `probe_seconds`: see `engine.probe.probe`), and `engine.parts` refuses more than
`max_parts` parts. Each refusal is `LimitExceeded` (a `BadInput`, its codes in `engine.refusals`) whose one
sentence states the limit, and whose `limit` is the name of the setting (MAX_VIDEO_SECONDS, ...) that raises it.

Defaults, and why:
- 600 s of video. The bot downloads at most 20 MB, which over 10 minutes is still watchable video; every
  stage's work (the exact split, previews, the full cut) grows with the length.
- 9,437,184 pixels a frame (4096 x 2304): the largest frame of H.264 level 5.1, which phones and browsers
  decode in hardware. 4K UHD (3840 x 2160) and DCI 4K (4096 x 2160) fit, either way up.
- 8192 pixels a side at most, 16 at least, and at most 10 to 1 between the sides: the encoder's and players'
  range (a 1x30000 picture passes no H.264 decoder), with room for panoramas and 32:9 screens. Odd sizes are
  accepted: every re-encode in the engine rounds them down to even, as yuv420p H.264 needs.
- 100,000 frames: 10 minutes at 166 fps (slow motion from phones included); bounds the probe's work too.
- 60 parts: six albums of ten previews; with 1 s to 60 s parts, a 10-minute video in 10 s parts.
- 30 s to probe a video: a real one takes a fraction of a second (0.1 s for 10 s of 1080p).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from engine import refusals
from engine.errors import LimitExceeded


class Limit(StrEnum):
    """Each limit, named as its setting is (those without one are engine defaults)."""

    VIDEO_SECONDS = "MAX_VIDEO_SECONDS"
    VIDEO_PIXELS = "MAX_VIDEO_PIXELS"
    VIDEO_SIDE = "MAX_VIDEO_SIDE"
    VIDEO_MIN_SIDE = "MIN_VIDEO_SIDE"
    VIDEO_ASPECT = "MAX_VIDEO_ASPECT"
    VIDEO_FRAMES = "MAX_VIDEO_FRAMES"
    PARTS = "MAX_PARTS"
    PROBE_SECONDS = "MAX_PROBE_SECONDS"


@dataclass(frozen=True)
class MediaLimits:
    """The most work one video may ask for (see the module's notes for the defaults)."""

    max_seconds: float = 600.0
    max_pixels: int = 4096 * 2304
    max_side: int = 8192
    min_side: int = 16
    max_aspect: float = 10.0
    max_frames: int = 100_000
    max_parts: int = 60
    probe_seconds: float = 30.0


def check_video(
    duration: float, width: int, height: int, frames: int, limits: MediaLimits, what: str = "The video"
) -> None:
    """Refuse a video (as probed: displayed size, frame count) that is over a limit; `what` begins the sentence.

    `frames` 0 means unknown and is not checked.
    """
    if duration > limits.max_seconds:
        raise LimitExceeded(
            refusals.VIDEO_TOO_LONG, limit=Limit.VIDEO_SECONDS, value=duration, allowed=limits.max_seconds, what=what
        )
    if frames > limits.max_frames:
        raise too_many_frames(what, frames, limits)
    if width * height > limits.max_pixels:
        raise LimitExceeded(
            refusals.VIDEO_TOO_MANY_PIXELS,
            limit=Limit.VIDEO_PIXELS, value=width * height, allowed=limits.max_pixels,
            what=what, width=width, height=height,
        )  # fmt: skip
    if max(width, height) > limits.max_side:
        raise LimitExceeded(
            refusals.VIDEO_SIDE_TOO_LONG,
            limit=Limit.VIDEO_SIDE, value=max(width, height), allowed=limits.max_side,
            what=what, width=width, height=height,
        )  # fmt: skip
    if min(width, height) < limits.min_side:
        raise LimitExceeded(
            refusals.VIDEO_SIDE_TOO_SHORT,
            limit=Limit.VIDEO_MIN_SIDE, value=min(width, height), allowed=limits.min_side,
            what=what, width=width, height=height,
        )  # fmt: skip
    ratio = max(width, height) / min(width, height)
    if ratio > limits.max_aspect:
        raise LimitExceeded(
            refusals.VIDEO_TOO_ELONGATED,
            limit=Limit.VIDEO_ASPECT, value=ratio, allowed=limits.max_aspect,
            ratio=round(ratio, 1), what=what, width=width, height=height,
        )  # fmt: skip


def too_many_frames(what: str, frames: int, limits: MediaLimits, *, at_least: bool = False) -> LimitExceeded:
    """The frame limit's refusal; `at_least` when counting stopped at the limit (the video has more)."""
    refusal = refusals.VIDEO_FRAMES_OVER_LIMIT if at_least else refusals.VIDEO_TOO_MANY_FRAMES
    return LimitExceeded(refusal, limit=Limit.VIDEO_FRAMES, value=frames, allowed=limits.max_frames, what=what)


def too_many_parts(parts: int, max_parts: int) -> LimitExceeded:
    return LimitExceeded(refusals.TOO_MANY_PARTS, limit=Limit.PARTS, value=parts, allowed=max_parts)


def too_slow_to_probe(what: str, limits_seconds: float) -> LimitExceeded:
    return LimitExceeded(
        refusals.PROBE_TOO_SLOW, limit=Limit.PROBE_SECONDS, value=limits_seconds, allowed=limits_seconds, what=what
    )
