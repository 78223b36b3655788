"""Media engine figures, each measured side by side with its plain-ffmpeg baseline in the same run.

    .venv/bin/python benchmarks/bench_media.py [--repeat 3] [--media tests/data]

Prints, for each pair, the median wall time of the engine's operation, of the baseline, and their ratio:
- fast split of the 1080p MP4 in 4 (segment muxer, stream copy, every part measured) over a plain stream
  copy of the whole file;
- exact split of the 30 s WebM and of the 1080p MP4 in 4 (one encode, keyframes forced, parts measured) over
  a plain re-encode of the whole file with the same encoder settings;
- replacing a part's sound over a plain stream copy of the part: with the split's knowledge of the part (one
  ffmpeg run: the render's way), and probing the part first (`riffcut remux` on any file);
- and how long probing takes (two ffprobe passes, one reading every video packet header).
Runs alternate (engine, baseline, engine, ...) so that load on a shared machine falls on both alike.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.probe import probe  # noqa: E402
from engine.remux import replace_audio  # noqa: E402
from engine.split import AAC_BITRATE, EVEN_SCALE, X264_CRF, X264_PRESET, split_video  # noqa: E402

HD = "h264-aac-1080p-10s.mp4"
WEBM = "vp8-vorbis-720p-30s.webm"


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def plain_copy(src: Path, out: Path) -> None:
    ffmpeg("-i", str(src), "-map", "0:v:0", "-map", "0:a:0?", "-c", "copy", str(out))


def plain_encode(src: Path, out: Path) -> None:
    ffmpeg(
        "-i", str(src), "-map", "0:v:0", "-map", "0:a:0?", "-c:v", "libx264", "-preset", X264_PRESET,
        "-crf", str(X264_CRF), "-pix_fmt", "yuv420p", "-vf", EVEN_SCALE, "-fps_mode", "passthrough",
        "-enc_time_base:v", "-1", "-c:a", "aac", "-b:a", AAC_BITRATE, str(out),
    )  # fmt: skip


async def timed(action: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await action()
    return time.perf_counter() - start


async def pair(
    label: str, engine: Callable[[], Awaitable[object]], baseline: Callable[[], object], repeat: int
) -> None:
    ours: list[float] = []
    plain: list[float] = []

    async def run_baseline() -> object:
        return await asyncio.to_thread(baseline)

    for _ in range(repeat):
        ours.append(await timed(engine))
        plain.append(await timed(run_baseline))
    a, b = statistics.median(ours), statistics.median(plain)
    print(f"{label:<58} {a:7.2f} s  {b:7.2f} s  {a / b:5.2f}x", flush=True)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--media", type=Path, default=ROOT / "tests" / "data")
    args = parser.parse_args()
    media: Path = args.media.resolve()
    work = Path(tempfile.mkdtemp(prefix="bench-media-"))
    try:
        hd, webm = media / HD, media / WEBM
        hd_info, webm_info = await probe(hd), await probe(webm)
        music = work / "music.wav"
        # What the generator writes: mono, 44.1 kHz, 16-bit WAV.
        ffmpeg("-f", "lavfi", "-i", "sine=f=440:d=5:r=44100", "-ac", "1", "-c:a", "pcm_s16le", str(music))
        print(f"ffmpeg threads: default; repeat {args.repeat}, median wall time")
        print(f"{'':<58} {'engine':>9}  {'baseline':>9}  ratio")
        await pair(
            f"probe {HD} vs ffprobe -show_streams only",
            lambda: probe(hd),
            lambda: subprocess.run(["ffprobe", "-v", "error", "-show_streams", str(hd)], capture_output=True),
            args.repeat,
        )
        await pair(
            f"fast split {HD} in 4 vs stream copy",
            lambda: split_video(hd, hd_info, 4, work / "fast"),
            lambda: plain_copy(hd, work / "copy.mp4"),
            args.repeat,
        )
        result = await split_video(hd, hd_info, 4, work / "fast")
        print(f"  (fast split mode: {result.mode}, parts {[round(p.duration, 2) for p in result.parts]})")
        await pair(
            f"exact split {WEBM} in 4 vs re-encode",
            lambda: split_video(webm, webm_info, 4, work / "exact-webm", exact=True),
            lambda: plain_encode(webm, work / "encoded-webm.mp4"),
            args.repeat,
        )
        await pair(
            f"exact split {HD} in 4 vs re-encode",
            lambda: split_video(hd, hd_info, 4, work / "exact-hd", exact=True),
            lambda: plain_encode(hd, work / "encoded-hd.mp4"),
            args.repeat,
        )
        part, part_info = result.parts[1].path, result.parts[1].info
        await pair(
            f"replace sound of part 2 ({result.parts[1].duration:.1f} s) vs stream copy",
            lambda: replace_audio(part, music, work / "new.mp4", info=part_info),
            lambda: plain_copy(part, work / "part-copy.mp4"),
            args.repeat,
        )
        await pair(
            "  the same, probing the part first (riffcut remux)",
            lambda: replace_audio(part, music, work / "new.mp4"),
            lambda: plain_copy(part, work / "part-copy.mp4"),
            args.repeat,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
