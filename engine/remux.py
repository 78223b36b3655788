"""Putting new sound on a part: the music replaces (or goes over) the part's audio, in an MP4, in one ffmpeg run.

- What the part is (codecs, where its video starts and ends) comes from `info`: the split's `SplitPart.info`
  for the parts it made, so nothing is probed again; without it (`riffcut remux` on any file) the part is probed.
- The sound is made in numpy (`engine.soundtrack`): the music's loudness set to `loudness_lufs` (EBU R128),
  the part's own sound mixed under it when `keep_original_db` asks (-60 to 0 dB below the music; off by
  default), fades, exactly as long as the part's video from time 0 to its end (padded with silence or
  trimmed: never `-shortest`, which would cut the video instead). Mono music alone stays mono.
- The music is read with the stdlib when it is 16-bit WAV (what the generator writes), through ffmpeg
  otherwise; the part's own sound is decoded once, at the music's rate, only when it is kept.
- One ffmpeg run writes the part: the video copied when it is H.264 or HEVC (re-encoded to H.264, yuv420p,
  even dimensions, otherwise), the sound fed raw on stdin (made while ffmpeg starts), resampled and encoded
  to AAC 48 kHz, `+faststart` so it plays while loading. A part with no audio track gets the new one added.
"""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import Any

import ffmpeg
import numpy as np

from engine import refusals, soundtrack
from engine.errors import BadInput
from engine.ffmpeg_process import DEFAULT_TIMEOUT, ffmpeg_args, input_path, open_input, output_path, run
from engine.options import KEEP_DB_MAX, KEEP_DB_MIN
from engine.probe import VideoInfo, probe
from engine.rates import OUTPUT_RATE
from engine.sound_read import decode_sound, read_wav
from engine.split import H264_OPTIONS, even_size

COPYABLE_VIDEO = {"h264", "hevc"}
# AAC bitrate by channel count: 128k for mono (more than each channel of 192k stereo gets; ffmpeg's encoder
# spends three times as long on a mono channel at 192k for nothing a listener hears).
REMUX_AAC_BITRATE = {1: "128k", 2: "192k"}
LUFS_MIN, LUFS_MAX = -70.0, -5.0


def _mp4_target(out: str | Path) -> Path:
    target = Path(output_path(out))
    if target.suffix.lower() != ".mp4":
        raise BadInput(refusals.OUTPUT_NOT_MP4, name=target.name)
    return target


def check_keep_db(keep_original_db: float | None) -> float | None:
    if keep_original_db is None:
        return None
    if not math.isfinite(keep_original_db) or not KEEP_DB_MIN <= keep_original_db <= KEEP_DB_MAX:
        raise BadInput(refusals.KEEP_DB_OUT_OF_RANGE, low=KEEP_DB_MIN, high=KEEP_DB_MAX, value=keep_original_db)
    return float(keep_original_db)


def video_end(info: VideoInfo) -> float:
    """Where the part's video ends on ffmpeg's time line of it (which counts from the file's earliest stream):
    the new sound runs from 0 to here."""
    return info.timeline_start + info.duration


async def read_music(path: str, timeout: float) -> tuple[np.ndarray, int]:  # noqa: ASYNC109
    """(samples (channels, n) float32, rate) of a sound file: 16-bit WAV directly, anything else via ffmpeg."""
    try:
        samples, rate = await asyncio.to_thread(read_wav, path)
    except BadInput:
        samples = await decode_sound(path, channels=2, rate=OUTPUT_RATE, timeout=timeout)
        return samples, OUTPUT_RATE
    if samples.shape[1] == 0:
        raise BadInput(refusals.NO_SOUND, name=Path(path).name)
    return samples, rate


async def _track_bytes(
    part: str,
    info: VideoInfo,
    music: np.ndarray,
    rate: int,
    keep_db: float | None,
    loudness_lufs: float,
    timeout: float,  # noqa: ASYNC109
) -> bytes:
    """The new sound (`engine.soundtrack`) as raw little-endian float, interleaved, at the music's rate."""
    length = round(video_end(info) * rate)
    own = None
    if keep_db is not None and info.audio_index is not None:
        # The part's own sound from time 0, aligned with its video, decoded once.
        own = await decode_sound(
            part, channels=2, stream=str(info.audio_index), duration=length / rate, rate=rate, timeout=timeout
        )

    def make() -> bytes:
        track = soundtrack.make_track(music, rate, length, loudness_lufs, own, keep_db)
        return np.ascontiguousarray(track.T, dtype="<f4").tobytes()

    return await asyncio.to_thread(make)


def remux_args(part: str, info: VideoInfo, target: Path, rate: int, channels: int, threads: int | None) -> list[str]:
    """The one ffmpeg run: the part's video (copied where it can be) and the raw sound from stdin, to AAC 48 kHz."""
    video_in = open_input(part)
    sound = ffmpeg.input("pipe:0", f="f32le", ar=rate, ac=channels)["a"]
    options: dict[str, Any] = {
        "c:a": "aac",
        "b:a": REMUX_AAC_BITRATE[channels],
        "ar": OUTPUT_RATE,
        "movflags": "+faststart",
    }
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
    return ffmpeg_args(ffmpeg.output(video, sound, str(target), f="mp4", **options))


async def replace_audio(
    part: str | Path,
    audio: str | Path,
    out: str | Path,
    *,
    info: VideoInfo | None = None,
    keep_original_db: float | None = None,
    loudness_lufs: float = -14.0,
    threads: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
) -> Path:
    """Write `out` (MP4): `part`'s video with `audio` as its sound, per this module's rules.

    `info` is what the part is (`SplitPart.info`); None probes it.
    """
    keep_db = check_keep_db(keep_original_db)
    if not LUFS_MIN <= loudness_lufs <= LUFS_MAX:
        raise BadInput(refusals.LOUDNESS_OUT_OF_RANGE, low=LUFS_MIN, high=LUFS_MAX, value=loudness_lufs)
    target = _mp4_target(out)
    part_path = input_path(part)
    music_path = input_path(audio)
    if info is None:
        info = await probe(part_path, timeout)
    music, rate = await read_music(music_path, timeout)
    if keep_db is None or info.audio_index is None:
        keep_db = None  # nothing of the part's own to keep
    channels = soundtrack.track_channels(music, keep_db is not None)
    await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
    # ffmpeg starts on the part while the sound is made, then reads it from stdin.
    sound = _track_bytes(part_path, info, music, rate, keep_db, loudness_lufs, timeout)
    await run(remux_args(part_path, info, target, rate, channels, threads), timeout, stdin=sound)
    return target
