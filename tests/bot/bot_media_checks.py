"""What a user would check in the results: each part's length, and that the chosen part's sound is new."""

from __future__ import annotations

import asyncio
import io
import zipfile
from pathlib import Path

from engine.probe import VideoInfo, probe


async def audio_span(path: Path) -> float:
    """Seconds from the first to the end of the last audio packet (ffprobe, packet headers only)."""
    process = await asyncio.create_subprocess_exec(
        "ffprobe",
        "-v",
        "error",
        "-select_streams",
        "a:0",
        "-show_entries",
        "packet=pts_time,duration_time",
        "-of",
        "csv=p=0",
        str(path),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    rows = [line.split(",") for line in out.decode().split() if line and "N/A" not in line]
    if not rows:
        return 0.0
    starts = [float(r[0]) for r in rows]
    return max(float(r[0]) + float(r[1]) for r in rows) - min(starts)


def unpack(zip_bytes: bytes, into: Path) -> dict[str, Path]:
    into.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        names = archive.namelist()
        assert all(not name.startswith("/") and ".." not in name for name in names), names
        archive.extractall(into)
    return {name: into / name for name in names}


async def probe_all(paths: dict[str, Path]) -> dict[str, VideoInfo]:
    return {name: await probe(path) for name, path in paths.items() if not name.endswith(".json")}


async def pcm(path: Path, rate: int = 8000) -> bytes:
    """The whole sound of `path`, decoded to `rate` Hz mono 16-bit little-endian."""
    process = await asyncio.create_subprocess_exec(
        "ffmpeg", "-v", "error", "-nostdin", "-i", str(path), "-vn", "-ac", "1", "-ar", str(rate),
        "-f", "s16le", "-",
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await process.communicate()
    return out


async def sound_likeness(a: Path, b: Path) -> float:
    """The normalised correlation (-1..1) of two files' sounds from their start: near 1 for the same sound at
    any level, near 0 for unrelated sounds."""
    import numpy as np

    from tests.media.measure import likeness

    return likeness(np.frombuffer(await pcm(a), dtype="<i2"), np.frombuffer(await pcm(b), dtype="<i2"))
