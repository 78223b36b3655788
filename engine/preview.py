"""Telegram-ready previews of a part: a video chat clients play inline, and a small thumbnail.

A part that is already H.264 (yuv420p) with AAC or no sound, in MP4, is its own preview. Any other part gets an
MP4 copy: the video stream copied when it is H.264 yuv420p, re-encoded to H.264 (yuv420p, even dimensions)
otherwise; the sound copied when it is AAC, re-encoded to AAC otherwise. The reported width and height are as
displayed (after rotation), as Telegram's sendVideo wants them. The thumbnail is a JPEG of at most 320 px a
side (Telegram's limit for video thumbnails).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg

from engine.ffmpeg_process import DEFAULT_TIMEOUT, ffmpeg_args, open_input, output_path, run
from engine.probe import VideoInfo, probe
from engine.split import H264_OPTIONS, even_size

THUMBNAIL_MAX_SIDE = 320
PLAYABLE_AUDIO = {"aac"}


@dataclass(frozen=True)
class Preview:
    path: Path  # the MP4 to send (the part itself when it already plays inline)
    width: int  # as displayed
    height: int
    duration: float
    thumbnail: Path  # JPEG, at most 320 px a side


def plays_inline(info: VideoInfo, path: Path) -> bool:
    """H.264 yuv420p + AAC (or no sound) in an .mp4 file: what every Telegram client plays in the chat."""
    return (
        path.suffix.lower() == ".mp4"
        and info.format_name.startswith("mov")
        and info.video_codec == "h264"
        and info.pix_fmt == "yuv420p"
        and (info.audio_codec is None or info.audio_codec in PLAYABLE_AUDIO)
    )


def _preview_args(src: Path, info: VideoInfo, out: Path, threads: int | None) -> list[str]:
    source = open_input(src)
    streams: list[Any] = []
    options: dict[str, Any] = {"movflags": "+faststart", "f": "mp4"}
    if info.video_codec == "h264" and info.pix_fmt == "yuv420p":
        streams.append(source[str(info.video_index)])
        options["c:v"] = "copy"
    else:
        streams.append(even_size(source[str(info.video_index)]))
        options.update({**H264_OPTIONS, "fps_mode": "passthrough"})
    if info.audio_index is not None:
        streams.append(source[str(info.audio_index)])
        if info.audio_codec in PLAYABLE_AUDIO:
            options["c:a"] = "copy"
        else:
            options.update({"c:a": "aac", "b:a": "160k"})
    if threads:
        options["threads"] = threads
    return ffmpeg_args(ffmpeg.output(*streams, str(out), **options))


def _thumbnail_args(src: Path, info: VideoInfo, out: Path) -> list[str]:
    at = min(1.0, info.duration / 2)
    frame = open_input(src, ss=f"{at:.3f}")[str(info.video_index)].filter(
        "scale", w=THUMBNAIL_MAX_SIDE, h=THUMBNAIL_MAX_SIDE, force_original_aspect_ratio="decrease"
    )
    return ffmpeg_args(ffmpeg.output(frame, str(out), vframes=1, f="image2", **{"q:v": 4}))


async def make_thumbnail(
    part: str | Path,
    out: str | Path,
    *,
    info: VideoInfo | None = None,
    timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
) -> Path:
    """A JPEG of one frame of `part` (a second in, or its middle), at most 320 px a side."""
    info = info or await probe(part, timeout, allow_truncated=True)
    target = Path(output_path(out))
    await run(_thumbnail_args(Path(part), info, target), timeout)
    return target


async def make_preview(
    part: str | Path,
    out_dir: str | Path,
    *,
    threads: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
) -> Preview:
    """The preview of `part`, with its copy (when one is needed) and thumbnail written into `out_dir`."""
    src = Path(part)
    folder = Path(output_path(out_dir))
    _make_folder(folder)
    info = await probe(src, timeout, allow_truncated=True)
    thumbnail = await make_thumbnail(src, folder / f"{src.stem}-thumb.jpg", info=info, timeout=timeout)
    if plays_inline(info, src):
        return Preview(src, info.width, info.height, info.duration, thumbnail)
    out = folder / f"{src.stem}-preview.mp4"
    await run(_preview_args(src, info, out, threads), timeout)
    shown = await probe(out, timeout, allow_truncated=True)
    return Preview(out, shown.width, shown.height, shown.duration, thumbnail)


def _make_folder(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
