"""Cutting a video into N parts of equal duration, in one ffmpeg pass (the segment muxer).

The split times come from the measured video duration (`VideoInfo.duration`), i * D / N.

- *fast*: stream copy into a container that can hold the codecs (H.264/HEVC/AAC -> MP4, VP8/VP9/Opus/Vorbis
  -> WebM, anything else -> MOV for QuickTime sources, Matroska otherwise). Cuts land on keyframes, so every
  part is measured afterwards (from the segment muxer's record of where it cut: see `_run_split`); when
  there are fewer than N parts or one is off its target by more than max(0.5 s, 10 %), the split is done
  again exactly and the result says so (`fell_back`).
- *exact*: one decode and one encode to H.264 (yuv420p, even dimensions, at least 2x2) + AAC in MP4, with
  keyframes forced at the split times and the source's frame time stamps kept (VFR stays VFR, no frame is
  dropped or repeated): every source frame lands in exactly one part, each lasting the target within a frame.

Only the first video stream and the first audio stream (if any) are kept: subtitles and font attachments
break a plain `-map 0`. Parts are named `part-01-of-04.mp4`, padded to the width of N.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import ffmpeg

from engine.errors import EngineFailure
from engine.ffmpeg_process import DEFAULT_TIMEOUT, ffmpeg_args, gather_or_cancel, open_input, run
from engine.parts import split_points
from engine.probe import VideoInfo, video_duration

log = logging.getLogger(__name__)

SplitMode = Literal["fast", "exact"]
PartSpan = tuple[float, float]  # where a part begins in the source, and how long it lasts (seconds)

# The encoder settings of the exact split (and of every re-encode in the engine).
X264_PRESET = "veryfast"
X264_CRF = 22
AAC_BITRATE = "160k"
# Even dimensions, at least 2x2, as H.264 in yuv420p needs.
EVEN_SCALE = "scale=w='max(2,trunc(iw/2)*2)':h='max(2,trunc(ih/2)*2)'"
# Every H.264 encode in the engine (exact split, remux and preview of other codecs, full cut).
H264_OPTIONS: dict[str, Any] = {"c:v": "libx264", "preset": X264_PRESET, "crf": X264_CRF, "pix_fmt": "yuv420p"}


def even_size(stream: Any) -> Any:
    """`stream` scaled to even dimensions (at least 2x2), as H.264 in yuv420p needs."""
    return stream.filter("scale", w="max(2,trunc(iw/2)*2)", h="max(2,trunc(ih/2)*2)")


# The segment muxer cuts at the first keyframe at or after each time. The exact split forces a keyframe on the
# first frame at or after each time (see `_keyframe_times`); the muxer is given each time a millisecond early
# so that decimal rounding can never make it pass over that keyframe.
CUT_EARLY = 0.001
# A frame this close before a split time counts as on it: probed times are rounded to the microsecond.
TIME_SLACK = 3e-6

MP4_VIDEO = {"h264", "hevc", "mpeg4", "av1"}
MP4_AUDIO = {"aac", "mp3", "ac3", "eac3", "alac"}
WEBM_VIDEO = {"vp8", "vp9", "av1"}
WEBM_AUDIO = {"vorbis", "opus"}
MUXERS = {".mp4": "mp4", ".webm": "webm", ".mov": "mov", ".mkv": "matroska"}
MP4_FORMAT_NAME = "mov,mp4,m4a,3gp,3g2,mj2"  # what ffprobe calls the demuxer of MP4 and MOV files


@dataclass(frozen=True)
class SplitPart:
    index: int  # from 1
    path: Path
    start: float  # where the part begins in the source, seconds
    duration: float  # its video's measured duration
    # What the part is, as the split made it (codecs, size, where its video starts on its own time line), so that
    # the remux need not probe it; None where the split cannot tell (Matroska and WebM muxers shift a part's
    # time stamps by what its first packets hold).
    info: VideoInfo | None = None


@dataclass(frozen=True)
class SplitResult:
    parts: list[SplitPart]
    mode: SplitMode  # how the parts were actually made
    fell_back: bool  # fast was asked, exact was used

    def lines(self) -> list[dict[str, Any]]:
        """One JSON-ready object per part, as `riffcut split` prints them."""
        return [
            {
                "index": part.index,
                "path": str(part.path),
                "start": round(part.start, 3),
                "duration": round(part.duration, 3),
                "mode": self.mode,
                "fell_back": self.fell_back,
            }
            for part in self.parts
        ]


def part_name(index: int, parts: int, suffix: str, extra: str = "") -> str:
    """`part-02-of-04.webm`; with `extra="new-music"`: `part-02-of-04-new-music.webm`."""
    width = len(str(parts))
    tail = f"-{extra}" if extra else ""
    return f"part-{index:0{width}d}-of-{parts:0{width}d}{tail}{suffix}"


def copy_container(info: VideoInfo) -> str:
    """The file suffix of a container that can hold the source's codecs as they are."""
    audio = info.audio_codec
    if info.video_codec in MP4_VIDEO and (audio is None or audio in MP4_AUDIO):
        return ".mp4"
    if info.video_codec in WEBM_VIDEO and (audio is None or audio in WEBM_AUDIO):
        return ".webm"
    if info.format_name.startswith("mov"):
        return ".mov"
    return ".mkv"


def tolerance(target: float) -> float:
    """How far a fast part may be off its target before the split is redone exactly."""
    return max(0.5, 0.1 * target)


def _times(info: VideoInfo, parts: int, early: float = 0.0) -> str:
    """The split times i * D / N, on ffmpeg's output time line."""
    offset = info.timeline_start
    points = split_points(info.duration, parts)
    return ",".join(f"{max(0.0, offset + start - early):.6f}" for start, _ in points[1:])


def _keyframe_times(info: VideoInfo, parts: int) -> str:
    """The split times for `-force_key_frames`, each rounded up to a tick of the encoder's time base.

    ffmpeg (5.1) rounds a listed time to the nearest tick of the encoder's time base, which is the source's
    (`enc_time_base -1`) and its frames' stamps are whole ticks. Where a tick is a whole frame (AVI, 1/30 s) a
    time in the first half of a frame rounded down onto the frame before it: the keyframe landed before the
    muxer's cut, the muxer passed it by, and a part went missing. Rounded up, the keyframe is the first frame
    at or after the time, whatever the time base. Times go to ffmpeg in microseconds, rounded up as well.
    """
    offset = info.timeline_start
    tick = info.time_base
    times = []
    for start, _ in split_points(info.duration, parts)[1:]:
        at = offset + start
        if tick:
            at = float(math.ceil((at - TIME_SLACK) / float(tick)) * tick)
        times.append(f"{math.ceil(round(at * 1e6, 3)) / 1e6:.6f}")
    return ",".join(times)


def _maps(source: Any, info: VideoInfo) -> list[Any]:
    streams = [source[str(info.video_index)]]
    if info.audio_index is not None:
        streams.append(source[str(info.audio_index)])
    return streams


def _segment_options(parts: int, suffix: str, times: str, segment_list: Path) -> dict[str, Any]:
    options: dict[str, Any] = {
        "f": "segment",
        "segment_format": MUXERS[suffix],
        "segment_start_number": 1,
        "segment_list": str(segment_list),
        "segment_list_type": "csv",
        # Every part's time stamps start at zero...
        "reset_timestamps": 1,
        # ...and are not shifted first to hide B-frame delay or audio priming: the split times are compared
        # with the source's own time line, and (for MP4) the parts' edit lists keep the true start.
        "avoid_negative_ts": "disabled",
    }
    # One part: a cut beyond the end, or the muxer would cut every 2 s (its default segment_time).
    options["segment_times"] = times if parts > 1 else "1000000000"
    if suffix in (".mp4", ".mov"):
        options["segment_format_options"] = "movflags=+faststart:avoid_negative_ts=disabled"
    return options


def _pattern(out_dir: Path, parts: int, suffix: str) -> str:
    width = len(str(parts))
    folder = str(out_dir.resolve()).replace("%", "%%")
    return f"{folder}/part-%0{width}d-of-{parts:0{width}d}{suffix}"


def fast_args(src: Path, info: VideoInfo, parts: int, out_dir: Path, segment_list: Path) -> list[str]:
    suffix = copy_container(info)
    source = open_input(src)
    options = _segment_options(parts, suffix, _times(info, parts, CUT_EARLY), segment_list)
    if info.video_codec == "hevc" and suffix == ".mp4":
        options["tag:v"] = "hvc1"  # the tag Apple players want
    out = ffmpeg.output(*_maps(source, info), _pattern(out_dir, parts, suffix), c="copy", **options)
    return ffmpeg_args(out)


def exact_args(
    src: Path, info: VideoInfo, parts: int, out_dir: Path, segment_list: Path, threads: int | None
) -> list[str]:
    source = open_input(src)
    options = _segment_options(parts, ".mp4", _times(info, parts, CUT_EARLY), segment_list)
    options.update(
        {
            **H264_OPTIONS,
            "vf": EVEN_SCALE,
            "fps_mode": "passthrough",  # every frame, at its own time: VFR stays VFR
            "enc_time_base:v": -1,  # the source's time base, so no time stamp is rounded onto another
        }
    )
    if parts > 1:
        options["force_key_frames"] = _keyframe_times(info, parts)
    if info.audio_index is not None:
        options.update({"c:a": "aac", "b:a": AAC_BITRATE})
    if threads:
        options["threads"] = threads
    out = ffmpeg.output(*_maps(source, info), _pattern(out_dir, parts, ".mp4"), **options)
    return ffmpeg_args(out)


async def _measure(paths: list[Path], limit: float) -> list[float]:
    return await gather_or_cancel([video_duration(path, limit) for path in paths])


def _outputs(out_dir: Path, parts: int) -> list[Path]:
    width = len(str(parts))
    suffix_of = f"-of-{parts:0{width}d}"
    found = [p for p in out_dir.iterdir() if p.name.startswith("part-") and p.stem.endswith(suffix_of)]
    return sorted(found)


def _prepare(folder: Path, parts: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    _clear(_outputs(folder, parts))
    return folder


def _clear(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _read_list(segment_list: Path) -> dict[str, float]:
    """The segment muxer's record of where each part begins (name,start,end per line), then deleted."""
    starts: dict[str, float] = {}
    if segment_list.is_file():
        for line in segment_list.read_text().splitlines():
            fields = line.rsplit(",", 2)
            if len(fields) == 3:
                starts[Path(fields[0].strip('"')).name] = float(fields[1])
        segment_list.unlink()
    return starts


async def _run_split(
    args: list[str], info: VideoInfo, folder: Path, parts: int, segment_list: Path, limit: float, exact: bool
) -> list[SplitPart]:
    """Run the split and measure what it made.

    The muxer records the time of each cut, the keyframe that opened each part, on the source's time line;
    a part's video lasts until the next one's cut, the last until the source's video ends. That measures
    the parts without a process per part. Should the record miss a part, the files are probed instead.
    """
    await run(args, limit)
    paths = _outputs(folder, parts)
    listed = _read_list(segment_list)
    measured = bool(paths) and all(path.name in listed for path in paths)
    if measured:
        # The first part opens where the video begins; times are then counted from there.
        offset = info.timeline_start
        starts = [0.0, *(listed[path.name] - offset for path in paths[1:])]
        durations = [max(0.0, end - start) for start, end in zip(starts, [*starts[1:], info.duration], strict=True)]
    else:
        durations = await _measure(paths, limit)
        starts = list(itertools.accumulate([0.0, *durations[:-1]])) if paths else []
    made = []
    for index, (path, start, duration) in enumerate(zip(paths, starts, durations, strict=True), start=1):
        part_info = _part_info(info, path, index, round(duration, 6), exact) if measured else None
        made.append(SplitPart(index, path, round(start, 6), round(duration, 6), part_info))
    return made


def _part_info(source: VideoInfo, path: Path, index: int, duration: float, exact: bool) -> VideoInfo | None:
    """The part as written: the exact split's H.264 (upright, even size) + AAC, or the source's streams copied.

    Only for MP4 and MOV parts, whose time stamps the muxer keeps as they are (`avoid_negative_ts` disabled):
    the first part's video starts where the source's did on ffmpeg's time line, every other part's at 0 (the
    muxer reset the clock at the keyframe that opened it), and each ends `duration` later.
    """
    if path.suffix not in (".mp4", ".mov"):
        return None
    pix_fmt: str | None
    if exact:
        width, height = max(2, source.width // 2 * 2), max(2, source.height // 2 * 2)
        rotation, video_codec, pix_fmt = 0, "h264", "yuv420p"
        audio_codec = "aac" if source.has_audio else None
    else:
        width, height, rotation = source.width, source.height, source.rotation
        video_codec, pix_fmt, audio_codec = source.video_codec, source.pix_fmt, source.audio_codec
    return VideoInfo(
        duration=duration,
        width=width,
        height=height,
        fps=source.fps,
        rotation=rotation,
        video_codec=video_codec,
        audio_codec=audio_codec,
        size_bytes=path.stat().st_size,
        format_name=MP4_FORMAT_NAME,
        video_index=0,
        audio_index=1 if audio_codec is not None else None,
        pix_fmt=pix_fmt,
        start_time=round(source.timeline_start, 6) if index == 1 else 0.0,
    )


async def split_video(
    src: str | Path,
    info: VideoInfo,
    parts: int,
    out_dir: str | Path,
    *,
    exact: bool = False,
    threads: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
    on_spans: Callable[[tuple[PartSpan, ...]], None] | None = None,
) -> SplitResult:
    """Split `src` (probed as `info`) into `parts` equal parts in `out_dir`.

    The part count must already satisfy the length rule (`engine.parts.check_part_count`). `on_spans` is told
    each part's (start, duration) as soon as they are known, before the split is over: after the fast split's
    stream copy, or before the exact split's encode begins (its parts are the planned ones), so that work that
    needs only the lengths (the music) can start while the parts are still being made.
    """
    if parts < 1:
        raise ValueError("parts must be at least 1")
    folder = _prepare(Path(out_dir), parts)
    segment_list = folder / f".segments-{parts}.csv"
    target = info.duration / parts
    if not exact:
        args = fast_args(Path(src), info, parts, folder, segment_list)
        made = await _run_split(args, info, folder, parts, segment_list, timeout, exact=False)
        worst = max((abs(part.duration - target) for part in made), default=0.0)
        if len(made) == parts and worst <= tolerance(target):
            if on_spans is not None:
                on_spans(tuple((part.start, part.duration) for part in made))
            return SplitResult(made, "fast", fell_back=False)
        log.info(
            "fast split of %s gave %d of %d parts, worst %.2f s off a %.2f s target: splitting exactly",
            Path(src).name, len(made), parts, worst, target,
        )  # fmt: skip
        _clear([part.path for part in made])
    if on_spans is not None:
        on_spans(tuple((start, end - start) for start, end in split_points(info.duration, parts)))
    args = exact_args(Path(src), info, parts, folder, segment_list, threads)
    made = await _run_split(args, info, folder, parts, segment_list, timeout, exact=True)
    if len(made) != parts:
        _clear([part.path for part in made])
        raise EngineFailure(f"The exact split made {len(made)} parts instead of {parts}.")
    return SplitResult(made, "exact", fell_back=not exact)
