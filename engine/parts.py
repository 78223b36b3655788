"""The part length rule and the plan of a split: one place, used by the CLI, the render summary and the bot.

A video of duration D cut into N parts gives parts of D / N seconds; that must lie between the minimum and the
maximum part length (MIN_PART_SECONDS, MAX_PART_SECONDS). So N may go from ceil(D / max) to floor(D / min).
A refusal names that range, or says the video is too short or too long for any N. The operator's MAX_PARTS
(`max_parts`, from `engine.media_limits.MediaLimits`) caps N: more is refused as too many parts, whatever the
video. Pure arithmetic: no ffmpeg.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine import refusals
from engine.errors import BadInput
from engine.media_limits import too_many_parts
from engine.words import format_time

# Durations are measured to the millisecond; a part exactly at a limit must not be refused by rounding noise.
_EPS = 1e-6


def valid_part_counts(duration: float, min_s: float, max_s: float, max_parts: int | None = None) -> range:
    """Every N (up to `max_parts`) whose parts last between `min_s` and `max_s` seconds; empty when none."""
    if duration <= 0 or min_s <= 0 or max_s < min_s:
        return range(0)
    low = max(1, math.ceil(duration / max_s - _EPS))
    high = math.floor(duration / min_s + _EPS)
    if max_parts is not None:
        high = min(high, max_parts)
    return range(low, high + 1) if high >= low else range(0)


def _whole(value: object) -> int | None:
    """`value` as an int when it is a whole number (an int of any size, or a whole finite float)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None


def check_part_count(duration: float, parts: object, min_s: float, max_s: float, max_parts: int | None = None) -> int:
    """Return `parts` as an int if it obeys the rule (and is at most `max_parts`); otherwise raise BadInput
    saying what would work (`LimitExceeded` for more than `max_parts`)."""
    count = _whole(parts)
    if count is None:
        raise BadInput(refusals.PARTS_NOT_WHOLE, value=repr(parts))
    if max_parts is not None and count > max_parts:
        raise too_many_parts(count, max_parts)
    counts = valid_part_counts(duration, min_s, max_s, max_parts)
    if not counts:
        if duration < min_s:
            raise BadInput(refusals.VIDEO_TOO_SHORT_TO_SPLIT, duration=duration, min_s=min_s)
        if max_parts is not None and duration / max_s > max_parts + _EPS:
            raise BadInput(refusals.VIDEO_TOO_LONG_FOR_MAX_PARTS, duration=duration, max_parts=max_parts, max_s=max_s)
        raise BadInput(refusals.VIDEO_TOO_LONG_TO_SPLIT, duration=duration, min_s=min_s, max_s=max_s)
    span = (counts.start, counts.stop - 1)
    if count < 1:
        raise BadInput(refusals.PARTS_BELOW_ONE, counts=span)
    if count not in counts:
        each = duration / count
        refusal = refusals.PARTS_TOO_SHORT if each < min_s else refusals.PARTS_TOO_LONG
        raise BadInput(refusal, count=count, each=each, min_s=min_s, max_s=max_s, duration=duration, counts=span)
    return count


@dataclass(frozen=True)
class PartPlan:
    """How a video of `duration` seconds is cut into `parts` equal parts, and which one gets new music."""

    duration: float
    parts: int
    chosen: int  # from 1
    part_duration: float
    ranges: tuple[tuple[float, float], ...]  # every part's (start, end), in seconds

    @property
    def chosen_range(self) -> tuple[float, float]:
        return self.ranges[self.chosen - 1]

    def chosen_range_text(self) -> str:
        start, end = self.chosen_range
        return f"{format_time(start)} - {format_time(end)}"


def split_points(duration: float, parts: int) -> tuple[tuple[float, float], ...]:
    """(start, end) of each of `parts` equal parts of `duration`; the last ends exactly at `duration`."""
    step = duration / parts
    return tuple((index * step, duration if index == parts - 1 else (index + 1) * step) for index in range(parts))


def plan(
    duration: float, parts: object, chosen: object, min_s: float, max_s: float, max_parts: int | None = None
) -> PartPlan:
    """Check the part count and the chosen part (1..N) and lay out the parts; BadInput when either is wrong."""
    count = check_part_count(duration, parts, min_s, max_s, max_parts)
    pick = _whole(chosen)
    if pick is None:
        raise BadInput(refusals.PART_NOT_WHOLE, parts=count, value=repr(chosen))
    if not 1 <= pick <= count:
        raise BadInput(refusals.PART_OUT_OF_RANGE, parts=count, part=pick)
    return PartPlan(duration, count, pick, duration / count, split_points(duration, count))
