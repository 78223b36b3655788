"""What a video is: duration, display size, frame rate, codecs, rotation, size, frame count.

The video stream is found by type (never "stream 0"), skipping cover art. The duration is the video stream's,
measured from its packets (one ffprobe pass that reads packet headers only, no decoding: about 0.1 s for the
10 s 1080p sample), because headers lie: one sample states 1132 s and holds 1.5 s, another states nothing.
A file whose packets end far before its stated length is truncated, and is refused unless the caller allows
it. Anything that is not a video (an image, text, an empty file, a playlist) is `BadInput` with one sentence.

The packets are read as ffprobe prints them, a batch of lines at a time, keeping three numbers (first time
stamp, end, count): memory stays flat however many there are (a 19.5 MB file can hold 1.5 million). Given
`MediaLimits`, the probe stops reading at `max_frames` packets, gives up after `probe_seconds`, and refuses a
video over any other limit (`engine.media_limits.check_video`), each with `LimitExceeded`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import os
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from engine import refusals
from engine.errors import BadInput, FfmpegError, FfmpegTimeout, Refusal
from engine.ffmpeg_process import input_path, probe_args, run_full, run_lines
from engine.media_limits import MediaLimits, check_video, too_many_frames, too_slow_to_probe

PROBE_TIMEOUT = 120.0
# A file is truncated when its video ends this much before the length its header states.
TRUNCATED_MIN_GAP_S = 2.0
TRUNCATED_MIN_GAP_FRACTION = 0.10
# Packets whose time stamps are kept to find the usual gap between frames (for packets without a duration).
GAP_SAMPLE = 2048
PACKET_ENTRIES = "packet=pts_time,dts_time,duration_time"


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
    time_base: Fraction | None = None  # the video stream's: its time stamps are whole multiples of it
    frames: int = 0  # the video stream's packets (0: not counted)

    @property
    def has_audio(self) -> bool:
        return self.audio_codec is not None

    @property
    def timeline_start(self) -> float:
        """Where the video begins on ffmpeg's time line of the file, which counts from its earliest stream:
        add it to a time within the video to seek (`-ss`) or cut (`-segment_times`) there."""
        return max(0.0, self.start_time - self.container_start)

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


def _fraction(text: Any) -> Fraction | None:
    try:
        value = Fraction(str(text))
    except (ValueError, ZeroDivisionError):
        return None
    return value if value > 0 else None


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


def _seconds(text: bytes) -> float | None:
    try:
        value = float(text)
    except ValueError:  # N/A
        return None
    return value if math.isfinite(value) else None


class PacketScan:
    """The span of a stream's packets from ffprobe's `compact` lines (pts_time=..|dts_time=..|duration_time=..),
    fed a batch at a time: first time stamp, end of the last packet, count. Nothing else is kept but the first
    `GAP_SAMPLE` time stamps, when the frame length is not known, to find the usual gap between frames."""

    def __init__(self, frame: float | None, max_packets: int | None = None) -> None:
        self.frame = frame  # the length of a packet that states none; None: the usual gap
        self.max_packets = max_packets
        self.first = math.inf
        self.end = -math.inf  # of the packets that state a length
        self.last_bare = -math.inf  # the latest time stamp of a packet that states none
        self.count = 0
        self.without_pts = 0  # packets timed by their decoding time stamp alone
        self.stamps: list[float] = []

    def feed(self, lines: list[bytes]) -> bool:
        """Take a batch of lines; False once there are more than `max_packets` packets (stop reading)."""
        for line in lines:
            stamp, length, has_pts = self._parse(line)
            if stamp is None:
                continue
            self.count += 1
            self.without_pts += not has_pts
            self.first = min(self.first, stamp)
            if length is not None and length > 0:
                self.end = max(self.end, stamp + length)
            else:
                self.last_bare = max(self.last_bare, stamp)
            if self.frame is None and len(self.stamps) < GAP_SAMPLE:
                self.stamps.append(stamp)
        return self.max_packets is None or self.count <= self.max_packets

    @staticmethod
    def _parse(line: bytes) -> tuple[float | None, float | None, bool]:
        """(time stamp, length, whether the stamp is a presentation time) of one packet's line."""
        fields = dict(field.partition(b"=")[::2] for field in line.strip().split(b"|"))
        stamp = _seconds(fields.get(b"pts_time", b""))
        has_pts = stamp is not None
        if stamp is None:
            stamp = _seconds(fields.get(b"dts_time", b""))
        return stamp, _seconds(fields.get(b"duration_time", b"")), has_pts

    def _gap(self) -> float:
        """The usual time between frames: the median gap between the kept time stamps."""
        stamps = sorted(self.stamps)
        gaps = sorted(b - a for a, b in itertools.pairwise(stamps) if b > a)
        return gaps[len(gaps) // 2] if gaps else 0.0

    @property
    def frame_length(self) -> float:
        return self.frame if self.frame is not None else self._gap()

    @property
    def duration(self) -> float:
        if not self.count:
            return 0.0
        return max(0.0, max(self.end, self.last_bare + self.frame_length) - self.first)


async def _scan_packets(
    path: str,
    stream: str,
    scan: PacketScan,
    timeout: float,  # noqa: ASYNC109
) -> bool:
    """Feed `scan` the packets of `stream` ("0", "v:0"); False when it asked to stop."""
    args = probe_args(path, "-select_streams", stream, "-show_entries", PACKET_ENTRIES, "-of", "compact=p=0")
    return await run_lines(args, scan.feed, timeout)


async def probe(
    path: str | Path,
    timeout: float = PROBE_TIMEOUT,  # noqa: ASYNC109
    *,
    allow_truncated: bool = False,
    limits: MediaLimits | None = None,
) -> VideoInfo:
    """Probe `path`. BadInput when it is missing, not a video, or (unless allowed) truncated; LimitExceeded when
    it takes longer than `timeout` (and `limits.probe_seconds`) to read, or is over one of `limits`."""
    name = Path(path).name
    limit = min(timeout, limits.probe_seconds) if limits is not None else timeout
    try:
        async with asyncio.timeout(limit):
            info = await _probe(path, name, limit, allow_truncated, limits)
    except (TimeoutError, FfmpegTimeout):
        raise too_slow_to_probe(name, limit) from None
    if limits is not None:
        check_video(info.duration, info.width, info.height, info.frames, limits, name)
    return info


async def _probe(
    path: str | Path,
    name: str,
    timeout: float,  # noqa: ASYNC109
    allow_truncated: bool,
    limits: MediaLimits | None,
) -> VideoInfo:
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
    scan = PacketScan(1 / fps if fps else 0.04, limits.max_frames if limits is not None else None)
    try:
        complete = await _scan_packets(full, str(video["index"]), scan, timeout)
    except FfmpegError as exc:
        raise BadInput(refusals.VIDEO_UNREADABLE, name=name, detail=exc.message) from None
    if not complete and limits is not None:
        raise too_many_frames(name, scan.count, limits, at_least=True)
    count = scan.count
    if count == 0:
        raise BadInput(refusals.VIDEO_NO_FRAMES, name=name)
    first, duration = scan.first, scan.duration
    delay = int(_float(video.get("has_b_frames")) or 0)
    if scan.without_pts == count and delay > 0:
        # No presentation times (H.264 with B-frames in AVI): the decoder shows each frame `delay` frames after
        # its decoding time, and ffmpeg's cuts and frame times go by what it shows.
        first += delay * scan.frame_length
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
        time_base=_fraction(video.get("time_base")),
        frames=count,
    )


async def video_duration(path: str | Path, timeout: float = PROBE_TIMEOUT) -> float:  # noqa: ASYNC109
    """The first video stream's duration from its packets, in one ffprobe pass: for files we wrote ourselves
    (split parts), where there is no cover art to skip and nothing to refuse."""
    scan = PacketScan(None)
    try:
        await _scan_packets(input_path(path), "v:0", scan, timeout)
    except FfmpegError as exc:
        raise BadInput(refusals.PART_UNREADABLE, name=Path(path).name, detail=exc.message) from None
    return round(scan.duration, 6)
