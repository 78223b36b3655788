"""How times, lengths and part ranges read in an English sentence (refusals, the render summary, the card).

Pure functions of numbers; other languages word the same values themselves (see `engine.errors.Refusal`).
"""

from __future__ import annotations

import math


def format_time(seconds: float) -> str:
    """`HH:MM:SS`, with hundredths when they are not zero: 75.5 -> `00:01:15.50`, 3600 -> `01:00:00`."""
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"not a time: {seconds!r}")
    hundredths = round(seconds * 100)
    whole, frac = divmod(hundredths, 100)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{text}.{frac:02d}" if frac else text


def seconds_words(value: float) -> str:
    """`5 s`, or `75 s (00:01:15)` from a minute up."""
    return f"{value:g} s" if value < 60 else f"{value:g} s ({format_time(value)})"


def part_range_words(low: int, high: int) -> str:
    """`exactly 1 part`, `exactly 3 parts`, or `2 to 6 parts`."""
    if low == high:
        return f"exactly {low} part" + ("" if low == 1 else "s")
    return f"{low} to {high} parts"


def megapixels_words(pixels: float) -> str:
    """`2.1 megapixels` for 2,073,600 pixels."""
    return f"{pixels / 1e6:.1f} megapixels"
