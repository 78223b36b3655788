"""The music as people play it: an M4A (AAC) file for Telegram's player, and its cover.

`encode_m4a(wav, out)` runs ffmpeg once (AAC 192 kb/s, the moov atom first, the title in its tags);
`spectrogram_cover(image, out)` is the music's own picture, its spectrogram, cropped square from its start and
at most 320 px a side (the largest thumbnail Telegram takes for audio), as a JPEG.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import ffmpeg
import numpy as np
from PIL import Image

from engine.ffmpeg_process import AUDIO_FORMATS, DEFAULT_TIMEOUT, ffmpeg_args, open_input, output_path, run

COVER_SIDE = 320
AAC_BITRATE = "192k"


async def encode_m4a(
    wav: str | Path,
    out: str | Path,
    *,
    title: str = "",
    artist: str = "",
    timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
) -> Path:
    """`wav` as an M4A (AAC in MP4) that Telegram's player plays, with `title` and `artist` in its tags."""
    target = Path(output_path(out))
    metadata = [f"title={title}"] if title else []
    metadata += [f"artist={artist}"] if artist else []
    stream = ffmpeg.output(
        open_input(wav, formats=AUDIO_FORMATS)["a:0"],
        str(target),
        f="mp4",
        movflags="+faststart",
        **{"c:a": "aac", "b:a": AAC_BITRATE, "map_metadata": "-1"},
    )
    args = ffmpeg_args(stream)
    at = args.index(str(target))  # ffmpeg-python cannot repeat an option: each tag goes in before the output
    for tag in metadata:
        args[at:at] = ["-metadata", tag]
    await run(args, timeout)
    return target


def _cover(image: np.ndarray, target: Path) -> Path:
    picture = Image.fromarray(np.asarray(image, dtype=np.uint8)).convert("RGB")
    side = min(picture.width, picture.height)
    square = picture.crop((0, (picture.height - side) // 2, side, (picture.height - side) // 2 + side))
    if side > COVER_SIDE:
        square = square.resize((COVER_SIDE, COVER_SIDE), Image.Resampling.LANCZOS)
    square.save(target, "JPEG", quality=90)
    return target


async def spectrogram_cover(image: np.ndarray, out: str | Path) -> Path:
    """The spectrogram `image` (rows x columns x 3) as a square JPEG cover of at most 320 px a side."""
    return await asyncio.to_thread(_cover, image, Path(output_path(out)))
