"""Putting new sound on a part: the music replaces (or goes over) the part's audio, in an MP4.

- The video is copied when it is H.264 or HEVC, re-encoded to H.264 (yuv420p, even dimensions) otherwise.
- The new track lasts exactly as long as the part's video: padded with silence or trimmed (never `-shortest`,
  which would cut the video instead).
- Loudness is normalised to `loudness_lufs` integrated (EBU R128) in two passes: the first measures, the
  second applies one linear gain (loudnorm's linear mode; it falls back to its dynamic mode by itself only
  when the gain would push the true peak over -1.5 dBTP). loudnorm works at 192 kHz, so the track is
  resampled to 48 kHz after it. Silence is left as it is.
- A 10 ms fade in and a 30 ms fade out against clicks; AAC; `+faststart` so it plays while loading.
- `keep_original_db` keeps the part's own sound under the music: it is set that many dB (-60 to 0) below
  the music's loudness, then the two are mixed. Off by default (plain replacement). A part with no audio
  track gets the new one added.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import ffmpeg

from engine import refusals
from engine.errors import BadInput, FfmpegError
from engine.ffmpeg_process import (
    AUDIO_FORMATS,
    DEFAULT_TIMEOUT,
    ffmpeg_args,
    gather_or_cancel,
    input_path,
    open_input,
    output_path,
    probe_args,
    run,
    run_full,
)
from engine.options import KEEP_DB_MAX, KEEP_DB_MIN
from engine.probe import VideoInfo, probe
from engine.split import H264_OPTIONS, even_size

COPYABLE_VIDEO = {"h264", "hevc"}
SAMPLE_RATE = 48000
FADE_IN_S = 0.010
FADE_OUT_S = 0.030
TRUE_PEAK_DB = -1.5
LOUDNESS_RANGE = 11.0
# Quieter than this (LUFS) counts as silence: no gain is applied to it.
SILENCE_LUFS = -70.0
REMUX_AAC_BITRATE = "192k"
LUFS_MIN, LUFS_MAX = -70.0, -5.0


@dataclass(frozen=True)
class Loudness:
    """loudnorm's first-pass measurement."""

    input_i: float
    input_tp: float
    input_lra: float
    input_thresh: float
    target_offset: float

    @property
    def silent(self) -> bool:
        return not math.isfinite(self.input_i) or self.input_i <= SILENCE_LUFS


def _parse_loudness(stderr: str) -> Loudness:
    start, end = stderr.rfind("{"), stderr.rfind("}")
    if start < 0 or end < start:
        raise FfmpegError("loudnorm printed no measurement", 0, stderr[-2000:])
    data = json.loads(stderr[start : end + 1])

    def number(key: str) -> float:
        try:
            return float(data[key])
        except (KeyError, ValueError):
            return -math.inf

    return Loudness(
        number("input_i"), number("input_tp"), number("input_lra"), number("input_thresh"), number("target_offset")
    )


async def _audio_codec(path: str, limit: float) -> str | None:
    """The codec of the first audio stream of `path`, None when it has none; BadInput when unreadable."""
    try:
        out, _ = await run_full(
            probe_args(path, "-select_streams", "a:0", "-show_entries", "stream=codec_name", formats=AUDIO_FORMATS),
            limit,
        )
    except FfmpegError:
        raise BadInput(refusals.AUDIO_UNREADABLE, name=Path(path).name) from None
    streams = json.loads(out or b"{}").get("streams") or []
    return str(streams[0].get("codec_name")) if streams else None


async def measure_loudness(
    path: str | Path, stream: str, span: float, target: float, formats: str, limit: float
) -> Loudness:
    """Pass one of loudnorm over the first `span` seconds of `stream` ("a:0") of `path`."""
    source = open_input(path, formats=formats)[stream]
    graph = (
        source.filter("atrim", end=f"{span:.6f}")
        .filter("loudnorm", I=target, TP=TRUE_PEAK_DB, LRA=LOUDNESS_RANGE, print_format="json")
        .output("-", f="null")
    )
    _, stderr = await run_full(ffmpeg_args(graph, loglevel="info"), limit)
    return _parse_loudness(stderr)


def _normalised(stream: Any, measured: Loudness, target: float) -> Any:
    if measured.silent:
        return stream
    return stream.filter(
        "loudnorm",
        I=target,
        TP=TRUE_PEAK_DB,
        # Linear mode needs a target range at least as wide as the measured one.
        LRA=min(20.0, max(LOUDNESS_RANGE, measured.input_lra + 1)) if math.isfinite(measured.input_lra) else 11,
        measured_I=f"{measured.input_i:.2f}",
        measured_TP=f"{measured.input_tp:.2f}",
        measured_LRA=f"{max(measured.input_lra, 0.0):.2f}",
        measured_thresh=f"{measured.input_thresh:.2f}",
        offset=f"{measured.target_offset:.2f}",
        linear="true",
    )


def _fit(stream: Any, span: float) -> Any:
    """48 kHz stereo, padded with silence or trimmed to exactly `span` seconds."""
    return (
        stream.filter("aresample", SAMPLE_RATE)
        .filter("aformat", sample_rates=SAMPLE_RATE, channel_layouts="stereo")
        .filter("apad", whole_dur=f"{span:.6f}")
        .filter("atrim", end=f"{span:.6f}")
    )


def _mp4_target(out: str | Path) -> Path:
    target = Path(output_path(out))
    if target.suffix.lower() != ".mp4":
        raise BadInput(refusals.OUTPUT_NOT_MP4, name=target.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def check_keep_db(keep_original_db: float | None) -> float | None:
    if keep_original_db is None:
        return None
    if not math.isfinite(keep_original_db) or not KEEP_DB_MIN <= keep_original_db <= KEEP_DB_MAX:
        raise BadInput(refusals.KEEP_DB_OUT_OF_RANGE, low=KEEP_DB_MIN, high=KEEP_DB_MAX, value=keep_original_db)
    return float(keep_original_db)


async def replace_audio(
    part: str | Path,
    audio: str | Path,
    out: str | Path,
    *,
    keep_original_db: float | None = None,
    loudness_lufs: float = -14.0,
    threads: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
) -> Path:
    """Write `out` (MP4): `part`'s video with `audio` as its sound, per this module's rules."""
    keep_db = check_keep_db(keep_original_db)
    if not LUFS_MIN <= loudness_lufs <= LUFS_MAX:
        raise BadInput(refusals.LOUDNESS_OUT_OF_RANGE, low=LUFS_MIN, high=LUFS_MAX, value=loudness_lufs)
    target = _mp4_target(out)
    music_path = input_path(audio)
    probed, codec = await gather_or_cancel([probe(part, timeout), _audio_codec(music_path, timeout)])
    info, music_codec = cast(VideoInfo, probed), cast("str | None", codec)
    if music_codec is None:
        raise BadInput(refusals.NO_SOUND, name=Path(audio).name)
    # The audio runs from 0 to the end of the video (the first part's video may start a frame or two late).
    span = info.start_time + info.duration
    keep = keep_db is not None and info.audio_index is not None

    measured = await gather_or_cancel(
        [
            measure_loudness(music_path, "a:0", span, loudness_lufs, AUDIO_FORMATS, timeout),
            measure_loudness(part, str(info.audio_index), span, loudness_lufs, AUDIO_FORMATS, timeout)
            if keep
            else _none(),
        ]
    )
    music_loudness, original_loudness = cast(Loudness, measured[0]), measured[1]

    video_in = open_input(part)
    music = open_input(music_path, formats=AUDIO_FORMATS)["a:0"].filter("atrim", end=f"{span:.6f}")
    track = _fit(_normalised(music, music_loudness, loudness_lufs), span)
    if keep and original_loudness is not None and not original_loudness.silent and keep_db is not None:
        # The music ends up at the target; the original sits keep_db below that.
        level = loudness_lufs + keep_db
        gain = level - original_loudness.input_i
        own = video_in[str(info.audio_index)].filter("atrim", end=f"{span:.6f}").filter("volume", f"{gain:.2f}dB")
        track = ffmpeg.filter([track, _fit(own, span)], "amix", inputs=2, duration="first", normalize=0)
    track = track.filter("afade", t="in", d=FADE_IN_S).filter(
        "afade", t="out", st=f"{max(0.0, span - FADE_OUT_S):.6f}", d=FADE_OUT_S
    )

    options: dict[str, Any] = {"c:a": "aac", "b:a": REMUX_AAC_BITRATE, "ar": SAMPLE_RATE, "movflags": "+faststart"}
    if info.video_codec in COPYABLE_VIDEO:
        options["c:v"] = "copy"
        if info.video_codec == "hevc":
            options["tag:v"] = "hvc1"
        video = video_in[str(info.video_index)]
    else:
        video = even_size(video_in[str(info.video_index)])
        options.update({**H264_OPTIONS, "fps_mode": "passthrough"})
    if threads:
        options["threads"] = threads
    await run(ffmpeg_args(ffmpeg.output(video, track, str(target), f="mp4", **options)), timeout)
    return target


async def _none() -> None:
    return None
