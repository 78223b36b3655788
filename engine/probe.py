"""What a video is: duration, display size, frame rate, codecs, rotation, size.

The video stream is found by type (never "stream 0"), skipping cover art. The duration is the video stream's,
measured from its packets (one ffprobe pass that reads packet headers only, no decoding: about 0.1 s for the
10 s 1080p sample), because headers lie: one sample states 1132 s and holds 1.5 s, another states nothing.
A file whose packets end far before its stated length is truncated, and is refused unless the caller allows
it. Anything that is not a video (an image, text, an empty file, a playlist) is `BadInput` with one sentence.
"""

from __future__ import annotations

import itertools
import json
import math
import os
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from engine import refusals
from engine.errors import BadInput, FfmpegError, Refusal
from engine.ffmpeg_process import input_path, probe_args, run_full

PROBE_TIMEOUT = 120.0
# A file is truncated when its video ends this much before the length its header states.
TRUNCATED_MIN_GAP_S = 2.0
TRUNCATED_MIN_GAP_FRACTION = 0.10


@dataclass(frozen=True)
class VideoInfo:
    """A probed video. Sizes are as displayed (after rotation); durations in seconds."""

    duration: float  # the video stream's, from its packets
    width: int
    height: int
    fps: float
    rotation: int  # degrees, as the file's display matrix states it (-90 for the usual phone video)
    video_codec: str
    audio_codec: str | None
    size_bytes: int
    format_name: str
    truncated: bool = False
    stated_duration: float | None = None  # what the header claims, if anything
    video_index: int = 0  # absolute stream indexes, for `-map 0:N`
    audio_index: int | None = None
    pix_fmt: str | None = None
    start_time: float = 0.0  # the first video packet's time stamp
    container_start: float = 0.0  # the file's start (its earliest stream's); ffmpeg counts output time from it

    @property
    def has_audio(self) -> bool:
        return self.audio_codec is not None

    def summary(self) -> dict[str, Any]:
        """The fields `riffcut probe` prints."""
        data = asdict(self)
        keys = ("duration", "width", "height", "fps", "rotation", "video_codec", "audio_codec", "size_bytes")
        return {key: data[key] for key in keys}


def _sniff(path: str) -> Refusal | None:
    """What a file that ffprobe refused looks like, for a clearer sentence."""
    with open(path, "rb") as handle:
        head = handle.read(2048)
    if not head:
        return refusals.FILE_EMPTY
    if head.lstrip().upper().startswith(b"#EXTM3U") or head.lstrip().startswith(b"[playlist]"):
        return refusals.FILE_IS_PLAYLIST
    images = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*")
    if head.startswith(images) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return refusals.FILE_IS_IMAGE
    if (head[:4] == b"RIFF" and head[8:12] == b"WAVE") or head.startswith((b"ID3", b"fLaC")):
        return refusals.FILE_IS_SOUND
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return refusals.FILE_IS_TEXT
    return None


def _refusal(name: str, path: str, error: FfmpegError) -> BadInput:
    what = _sniff(path)
    if what:
        return BadInput(what, name=name)
    reason = error.stderr.lower()
    if "moov atom not found" in reason or "ebml header" in reason or "truncat" in reason:
        return BadInput(refusals.FILE_DAMAGED, name=name)
    return BadInput(refusals.FILE_NOT_VIDEO, name=name)


def _rate(text: str | None) -> float:
    if not text or text in ("0/0", "N/A"):
        return 0.0
    try:
        value = float(Fraction(text))
    except (ValueError, ZeroDivisionError):
        return 0.0
    return value if math.isfinite(value) and value > 0 else 0.0


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _rotation(stream: dict[str, Any]) -> int:
    for side in stream.get("side_data_list") or []:
        if "rotation" in side:
            angle = round(float(side["rotation"]))
            break
    else:
        # Older files: a clockwise `rotate` tag; the display matrix counts the other way.
        tag = (stream.get("tags") or {}).get("rotate")
        angle = -int(float(tag)) if tag else 0
    angle %= 360
    return angle - 360 if angle > 180 else angle


def _packet_span(rows: list[dict[str, Any]], frame: float) -> tuple[float, float, int]:
    """(first time stamp, end of the last packet, packet count) of the video stream's packets."""
    first = math.inf
    end = -math.inf
    count = 0
    for row in rows:
        stamp = _float(row.get("pts_time"))
        if stamp is None:
            stamp = _float(row.get("dts_time"))
        if stamp is None:
            continue
        length = _float(row.get("duration_time"))
        count += 1
        first = min(first, stamp)
        end = max(end, stamp + (length if length and length > 0 else frame))
    return first, end, count


async def probe(path: str | Path, timeout: float = PROBE_TIMEOUT, *, allow_truncated: bool = False) -> VideoInfo:  # noqa: ASYNC109
    """Probe `path`. BadInput when it is missing, not a video, or (unless allowed) truncated."""
    name = Path(path).name
    full = input_path(path)
    size = os.stat(full).st_size
    if size == 0:
        raise BadInput(refusals.FILE_EMPTY, name=name)
    try:
        out, _ = await run_full(probe_args(full, "-show_format", "-show_streams"), timeout)
    except FfmpegError as exc:
        raise _refusal(name, full, exc) from None
    data = json.loads(out or b"{}")
    streams = data.get("streams") or []
    fmt = data.get("format") or {}
    videos = [
        s for s in streams
        if s.get("codec_type") == "video" and not (s.get("disposition") or {}).get("attached_pic")
    ]  # fmt: skip
    if not videos:
        what = _sniff(full)
        if what:
            raise BadInput(what, name=name)
        sound_only = any(s.get("codec_type") == "audio" for s in streams)
        raise BadInput(refusals.VIDEO_SOUND_ONLY if sound_only else refusals.VIDEO_NO_STREAM, name=name)
    video = videos[0]
    audios = [s for s in streams if s.get("codec_type") == "audio"]
    audio = audios[0] if audios else None

    fps = _rate(video.get("avg_frame_rate")) or _rate(video.get("r_frame_rate"))
    try:
        packets_out, _ = await run_full(
            probe_args(
                full, "-select_streams", str(video["index"]),
                "-show_entries", "packet=pts_time,dts_time,duration_time",
            ),
            timeout,
        )  # fmt: skip
    except FfmpegError as exc:
        raise BadInput(refusals.VIDEO_UNREADABLE, name=name, detail=exc.message) from None
    rows = json.loads(packets_out or b"{}").get("packets") or []
    first, end, count = _packet_span(rows, 1 / fps if fps else 0.04)
    if count == 0:
        raise BadInput(refusals.VIDEO_NO_FRAMES, name=name)
    duration = max(0.0, end - first)
    if not fps:
        fps = count / duration if duration > 0 else 0.0

    stated = _float(fmt.get("duration"))
    if stated is None:
        stated = _float(video.get("duration"))
    truncated = False
    if stated is not None and stated > 0:
        gap = stated - duration
        truncated = gap > max(TRUNCATED_MIN_GAP_S, TRUNCATED_MIN_GAP_FRACTION * stated)
    if truncated and not allow_truncated:
        raise BadInput(refusals.VIDEO_TRUNCATED, name=name, stated=stated or 0.0, duration=duration)

    rotation = _rotation(video)
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    if width <= 0 or height <= 0:
        raise BadInput(refusals.VIDEO_NO_SIZE, name=name)
    if abs(rotation) % 180 == 90:
        width, height = height, width
    return VideoInfo(
        duration=round(duration, 6),
        width=width,
        height=height,
        fps=round(fps, 3),
        rotation=rotation,
        video_codec=str(video.get("codec_name") or "unknown"),
        audio_codec=str(audio.get("codec_name") or "unknown") if audio else None,
        size_bytes=size,
        format_name=str(fmt.get("format_name") or ""),
        truncated=truncated,
        stated_duration=stated,
        video_index=int(video["index"]),
        audio_index=int(audio["index"]) if audio else None,
        pix_fmt=video.get("pix_fmt"),
        start_time=round(first, 6),
        container_start=_float(fmt.get("start_time")) or 0.0,
    )


async def video_duration(path: str | Path, timeout: float = PROBE_TIMEOUT) -> float:  # noqa: ASYNC109
    """The first video stream's duration from its packets, in one ffprobe pass: for files we wrote ourselves
    (split parts), where there is no cover art to skip and nothing to refuse."""
    full = input_path(path)
    try:
        out, _ = await run_full(
            probe_args(full, "-select_streams", "v:0", "-show_entries", "packet=pts_time,dts_time,duration_time"),
            timeout,
        )
    except FfmpegError as exc:
        raise BadInput(refusals.PART_UNREADABLE, name=Path(path).name, detail=exc.message) from None
    rows = json.loads(out or b"{}").get("packets") or []
    first, end, count = _packet_span(rows, _typical_gap(rows))
    return round(max(0.0, end - first), 6) if count else 0.0


def _typical_gap(rows: list[dict[str, Any]]) -> float:
    """The median time between frames: the length of a packet that does not state its own."""
    stamps = sorted(t for t in (_float(row.get("pts_time")) for row in rows) if t is not None)
    gaps = sorted(b - a for a, b in itertools.pairwise(stamps) if b > a)
    return gaps[len(gaps) // 2] if gaps else 0.0
