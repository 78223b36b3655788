"""Measuring the engine's outputs with plain ffprobe/ffmpeg, independently of the engine's own probe."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np


def ffprobe(path: Path, *options: str) -> dict[str, Any]:
    """Plain ffprobe JSON, independent of the engine's own probe."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-of", "json", *options, str(path)], capture_output=True, check=True, text=True
    ).stdout
    result: dict[str, Any] = json.loads(out)
    return result


def streams(path: Path) -> list[dict[str, Any]]:
    return list(ffprobe(path, "-show_streams")["streams"])


def stream_end(path: Path, kind: str) -> float:
    """When the first stream of `kind` ("v" or "a") ends: the end of its last packet, in seconds."""
    packets = ffprobe(path, "-select_streams", f"{kind}:0", "-show_entries", "packet=pts_time,duration_time")["packets"]
    return max(float(p["pts_time"]) + float(p.get("duration_time", 0) or 0) for p in packets)


def frame_count(path: Path) -> int:
    data = ffprobe(path, "-select_streams", "v:0", "-count_packets", "-show_entries", "stream=nb_read_packets")
    return int(data["streams"][0]["nb_read_packets"])


def loudness(path: Path) -> float:
    """Integrated loudness (LUFS) of the file's sound, by ffmpeg's ebur128 filter."""
    err = subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-i", str(path), "-map", "0:a:0", "-af", "ebur128", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    ).stderr  # fmt: skip
    summary = err[err.rindex("Summary:") :]
    line = next(line for line in summary.splitlines() if line.strip().startswith("I:"))
    return float(line.split()[1])


def likeness(a: np.ndarray, b: np.ndarray) -> float:
    """Normalised correlation of two signals from their start: 1 for the same sound at any level, ~0 unrelated."""
    n = min(len(a), len(b))
    x, y = a[:n].astype(np.float64), b[:n].astype(np.float64)
    norm = float(np.sqrt(np.dot(x, x) * np.dot(y, y)))
    return float(np.dot(x, y)) / norm if norm else 0.0
