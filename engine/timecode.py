"""Times as people read them: `HH:MM:SS`, with hundredths when there are any."""

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
