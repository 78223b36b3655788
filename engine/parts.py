"""The part length rule and the plan of a split: one place, used by the CLI, the render summary and the bot.

A video of duration D cut into N parts gives parts of D / N seconds; that must lie between the minimum and the
maximum part length (MIN_PART_SECONDS, MAX_PART_SECONDS). So N may go from ceil(D / max) to floor(D / min).
A refusal names that range, or says the video is too short or too long for any N. Pure arithmetic: no ffmpeg.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine import refusals
from engine.errors import BadInput
from engine.words import format_time

# Durations are measured to the millisecond; a part exactly at a limit must not be refused by rounding noise.
_EPS = 1e-6


def valid_part_counts(duration: float, min_s: float, max_s: float) -> range:
    """Every N whose parts last between `min_s` and `max_s` seconds; empty when there is none."""
    if duration <= 0 or min_s <= 0 or max_s < min_s:
        return range(0)
    low = max(1, math.ceil(duration / max_s - _EPS))
    high = math.floor(duration / min_s + _EPS)
    return range(low, high + 1) if high >= low else range(0)


def check_part_count(duration: float, parts: object, min_s: float, max_s: float) -> int:
    """Return `parts` as an int if it obeys the rule; otherwise raise BadInput saying what would work."""
    if isinstance(parts, bool) or not isinstance(parts, int | float) or float(parts) != int(parts):
        raise BadInput(refusals.PARTS_NOT_WHOLE, value=repr(parts))
    count = int(parts)
    counts = valid_part_counts(duration, min_s, max_s)
    if not counts:
        if duration < min_s:
            raise BadInput(refusals.VIDEO_TOO_SHORT_TO_SPLIT, duration=duration, min_s=min_s)
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


def plan(duration: float, parts: object, chosen: object, min_s: float, max_s: float) -> PartPlan:
    """Check the part count and the chosen part (1..N) and lay out the parts; BadInput when either is wrong."""
    count = check_part_count(duration, parts, min_s, max_s)
    if isinstance(chosen, bool) or not isinstance(chosen, int | float) or float(chosen) != int(chosen):
        raise BadInput(refusals.PART_NOT_WHOLE, parts=count, value=repr(chosen))
    pick = int(chosen)
    if not 1 <= pick <= count:
        raise BadInput(refusals.PART_OUT_OF_RANGE, parts=count, part=pick)
    return PartPlan(duration, count, pick, duration / count, split_points(duration, count))
