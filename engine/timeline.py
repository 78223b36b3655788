"""A picture of a video's timeline: a strip of frames, cut into N parts, the chosen part highlighted.

`make_strip(video, out)` runs ffmpeg once: `FRAMES` frames spread over the video, each scaled and cropped to one
tile, composed side by side into one JPEG (the strip). It is made once per video and kept; `draw_timeline(strip,
parts, chosen, duration)` then draws any split on it with Pillow in a few milliseconds: the parts' borders,
the other parts dimmed, the chosen part framed, and below the strip its number and time range. The picture
has no words, so it reads the same in every language.
"""

from __future__ import annotations

import asyncio
import io
import shutil
import tempfile
from pathlib import Path

import ffmpeg
from PIL import Image, ImageDraw, ImageFont

from engine.ffmpeg_process import DEFAULT_TIMEOUT, ffmpeg_args, open_input, output_path, run
from engine.probe import VideoInfo, probe
from engine.words import format_time

FRAMES = 10
STRIP_WIDTH = 720
TILE_WIDTH = STRIP_WIDTH // FRAMES
MIN_TILE_HEIGHT, MAX_TILE_HEIGHT = 40, 128
LABEL_HEIGHT = 44
HIGHLIGHT = (255, 196, 0)
BORDER = (255, 255, 255)
DIM = 0.3  # how bright the parts not chosen are
BACKGROUND = (24, 24, 28)


def tile_height(info: VideoInfo) -> int:
    """The tile's height for the video's shape (as displayed), within bounds."""
    if info.width <= 0 or info.height <= 0:
        return 72
    height = round(TILE_WIDTH * info.height / info.width / 2) * 2
    return max(MIN_TILE_HEIGHT, min(MAX_TILE_HEIGHT, height))


def _frames_args(video: Path, info: VideoInfo, pattern: Path, height: int) -> list[str]:
    rate = FRAMES / max(info.duration, 0.1)
    middle_of_first = 0.5 / rate  # each frame from the middle of its slot of time, not its start
    frames = (
        open_input(video, ss=f"{middle_of_first:.3f}")[str(info.video_index)]
        .filter("fps", fps=f"{rate:.6f}")
        .filter("scale", w=TILE_WIDTH, h=height, force_original_aspect_ratio="increase")
        .filter("crop", w=TILE_WIDTH, h=height)
    )
    return ffmpeg_args(ffmpeg.output(frames, str(pattern), vframes=FRAMES, f="image2", **{"q:v": 3}))


async def make_strip(
    video: str | Path,
    out: str | Path,
    *,
    info: VideoInfo | None = None,
    timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
) -> Path:
    """The video's strip of frames as a JPEG at `out` (STRIP_WIDTH wide), from one ffmpeg run."""
    info = info or await probe(video, timeout)
    target = Path(output_path(out))
    height = tile_height(info)
    folder = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="strip-", dir=target.parent))
    try:
        await run(_frames_args(Path(video), info, folder / "frame-%02d.jpg", height), timeout)
        await asyncio.to_thread(_compose, folder, target, height)
    finally:
        await asyncio.to_thread(shutil.rmtree, folder, True)
    return target


def _compose(folder: Path, target: Path, height: int) -> None:
    frames = sorted(folder.glob("frame-*.jpg"))
    strip = Image.new("RGB", (STRIP_WIDTH, height), BACKGROUND)
    if frames:
        width = STRIP_WIDTH / len(frames)  # fewer frames than asked (a very short video): wider tiles
        for index, path in enumerate(frames):
            left, right = round(index * width), round((index + 1) * width)
            with Image.open(path) as frame:
                strip.paste(frame.convert("RGB").resize((right - left, height)), (left, 0))
    strip.save(target, "JPEG", quality=88)


def part_span(parts: int, part: int) -> tuple[int, int]:
    """The chosen part's left and right pixel columns on the strip."""
    return round((part - 1) * STRIP_WIDTH / parts), round(part * STRIP_WIDTH / parts)


def draw_timeline(strip: str | Path, parts: int, chosen: int, duration: float) -> bytes:
    """The strip cut into `parts`, the `chosen` one (from 1) framed and the others dimmed, its number and time
    range below: a JPEG. Blocking (Pillow): call it in a worker thread."""
    with Image.open(strip) as opened:
        image = opened.convert("RGB")
    width, height = image.size
    left, right = part_span(parts, chosen)
    dimmed = Image.eval(image, lambda value: int(value * DIM))
    dimmed.paste(image.crop((left, 0, right, height)), (left, 0))
    canvas = Image.new("RGB", (width, height + LABEL_HEIGHT), BACKGROUND)
    canvas.paste(dimmed, (0, 0))
    draw = ImageDraw.Draw(canvas)
    for index in range(1, parts):
        x = round(index * width / parts)
        draw.line([(x, 0), (x, height - 1)], fill=BORDER, width=2 if parts <= 30 else 1)
    draw.rectangle([left, 0, right - 1, height - 1], outline=HIGHLIGHT, width=4)
    draw.rectangle([left, height, right - 1, height + 5], fill=HIGHLIGHT)  # the chosen span, on the time axis
    start, end = duration * (chosen - 1) / parts, duration * chosen / parts
    label = f"{chosen}/{parts}   {format_time(round(start, 2))} - {format_time(round(end, 2))}"
    font = ImageFont.load_default(size=20)
    text_width = draw.textlength(label, font=font)
    middle = (left + right) / 2
    label_x = min(max(middle - text_width / 2, 6.0), width - text_width - 6.0)
    draw.text((label_x, height + 12), label, fill=(240, 240, 240), font=font)
    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=88)
    return out.getvalue()
