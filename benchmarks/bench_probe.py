"""Probing a hostile file: 1.5 million 2x2 frames in 19.5 MB (issue 13), in bounded memory and time.

    .venv/bin/python benchmarks/bench_probe.py [--frames 1500000] [--keep FILE]

Builds the file with ffmpeg (about 10 s; `--keep` keeps it, and reuses it when it is there), then probes it in a
fresh interpreter each time and prints the wall time, the probe's peak memory (the Python process) and
ffprobe's (the largest child): without limits (every packet counted) and with the default MediaLimits (the
probe stops at MAX_VIDEO_FRAMES and refuses). Holding every packet, the probe took 12.6 s and 1,113 MB here.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests" / "data" / "h264-no-audio-2s.mp4"

PROBE = """
import asyncio, json, resource, sys, time
sys.path.insert(0, sys.argv[2])
from engine.errors import BadInput
from engine.media_limits import MediaLimits
from engine.probe import probe
limits = MediaLimits() if sys.argv[3] == "limits" else None
start = time.perf_counter()
try:
    info = asyncio.run(probe(sys.argv[1], limits=limits))
    outcome = f"{info.frames:,} frames, {info.duration:.1f} s"
except BadInput as exc:
    outcome = exc.message
print(json.dumps({
    "wall": time.perf_counter() - start,
    "self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "child_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    "outcome": outcome,
}))
"""


def build(path: Path, frames: int) -> None:
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", f"color=black:s=2x2:r=1000:d={frames / 1000}",
         "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", str(path)],
        check=True,
    )  # fmt: skip


def measure(path: Path, mode: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(path), str(ROOT), mode], capture_output=True, text=True, check=True
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1_500_000)
    parser.add_argument("--keep", type=Path, help="build the file here (or reuse it) and keep it")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-probe-"))
    path = args.keep or folder / "many-frames.mp4"
    if not path.is_file():
        started = time.perf_counter()
        build(path, args.frames)
        print(f"built {path.name}: {args.frames:,} frames of 2x2 px, {path.stat().st_size / 1e6:.1f} MB, "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
    print(f"{'':34}{'wall s':>8}{'probe MB':>10}{'ffprobe MB':>12}  outcome")
    for label, target, mode in (
        ("small file (2 s, 50 frames)", SMALL, "none"),
        ("many frames, no limits", path, "none"),
        ("many frames, default MediaLimits", path, "limits"),
    ):
        row = measure(target, mode)
        print(f"{label:34}{row['wall']:8.2f}{row['self_mb']:10.0f}{row['child_mb']:12.0f}  {row['outcome']}")
    if args.keep is None:
        path.unlink(missing_ok=True)
        folder.rmdir()


if __name__ == "__main__":
    main()
