"""The full cut: every part joined back into one MP4 (the chosen part carrying its new sound).

Parts may differ in container and codecs (fast WebM parts next to the remuxed MP4), so everything is decoded
and joined with the concat filter into H.264 (yuv420p) + AAC 48 kHz stereo: each part's picture is fitted to
the first part's display size (letterboxed if it differs), a part with no sound gets silence, and every
part's sound is padded or trimmed to its video so that picture and sound stay together across the joins.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ffmpeg

from engine.errors import EngineFailure
from engine.ffmpeg_process import DEFAULT_TIMEOUT, ffmpeg_args, gather_or_cancel, open_input, output_path, run
from engine.probe import probe
from engine.rates import OUTPUT_RATE
from engine.split import H264_OPTIONS


async def join_parts(
    parts: list[Path],
    out: str | Path,
    *,
    threads: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
) -> Path:
    """Join `parts`, in order, into the MP4 `out`."""
    if not parts:
        raise EngineFailure("There are no parts to join.")
    infos = await gather_or_cancel([probe(part, timeout, allow_truncated=True) for part in parts])
    width = max(2, infos[0].width // 2 * 2)
    height = max(2, infos[0].height // 2 * 2)
    pieces: list[Any] = []
    for part, info in zip(parts, infos, strict=True):
        span = f"{info.start_time + info.duration:.6f}"
        source = open_input(part)
        video = (
            source[str(info.video_index)]
            .filter("scale", w=width, h=height, force_original_aspect_ratio="decrease")
            .filter("pad", w=width, h=height, x="(ow-iw)/2", y="(oh-ih)/2")
            .filter("setsar", 1)
            .filter("format", "yuv420p")
        )
        if info.audio_index is not None:
            sound = source[str(info.audio_index)]
        else:
            sound = ffmpeg.input(f"anullsrc=r={OUTPUT_RATE}:cl=stereo", f="lavfi")["a"]
        sound = (
            sound.filter("aresample", OUTPUT_RATE)
            .filter("aformat", sample_rates=OUTPUT_RATE, channel_layouts="stereo")
            .filter("apad", whole_dur=span)
            .filter("atrim", end=span)
        )
        pieces += [video, sound]
    joined = ffmpeg.concat(*pieces, v=1, a=1).node
    options: dict[str, Any] = {
        **H264_OPTIONS, "c:a": "aac", "b:a": "192k", "movflags": "+faststart", "f": "mp4",
        "fps_mode": "vfr",  # the parts' own frame times; CFR would invent a rate from the time base
    }  # fmt: skip
    if threads:
        options["threads"] = threads
    target = Path(output_path(out))
    await run(ffmpeg_args(ffmpeg.output(joined[0], joined[1], str(target), **options)), timeout)
    return target
