"""A whole render with the tiny model: seconds per stage, and the share of the job that is not diffusion.

The 30 s WebM in tests/data, 4 parts, part 2 (7.5 s of music: two windows of 512 columns or fewer), the
demo's 50 steps by default. The generate stage is split into the diffusion itself (from the stage's start to
the last diffusion step, as the progress events show it) and the rest (Griffin-Lim, WAV). With the tiny model
diffusion is nearly free, so the non-diffusion share here is what a real model on a GPU adds around its steps.

Run: .venv/bin/python benchmarks/bench_render.py [--steps 50] [--parts 4] [--part 2] [--exact]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.generator import Generator  # noqa: E402
from engine.media_config import MediaConfig  # noqa: E402
from engine.options import UserOptions  # noqa: E402
from engine.render import RenderEvent, RenderRequest, render  # noqa: E402
from engine.stages import Stage  # noqa: E402
from engine.tiny_model import write_tiny_model  # noqa: E402

MEDIA = ROOT / "tests" / "data" / "vp8-vorbis-720p-30s.webm"


async def run(args: argparse.Namespace, folder: Path) -> None:
    generator = Generator.load(str(write_tiny_model(folder / "tiny")), "cpu", 512)
    marks: dict[str, float] = {}

    def on_event(event: RenderEvent) -> None:
        now = time.perf_counter()
        if event.stage == Stage.GENERATE and event.step is None and not event.done:
            marks["generate_start"] = now
        if event.step is not None:
            marks["last_step"] = now

    options = UserOptions(steps=args.steps, seed=1, exact=args.exact, full_cut=args.full_cut)
    request = RenderRequest("lofi hip hop beat", args.parts, args.part, options)
    started = time.perf_counter()
    result = await render(MEDIA, folder / "job", request, generator, MediaConfig(), on_event)
    wall = time.perf_counter() - started
    diffusion = marks["last_step"] - marks["generate_start"]
    print(f"torch threads {torch.get_num_threads()}, tiny model, {MEDIA.name}, {args.parts} parts, "
          f"part {args.part}, {args.steps} steps, "
          f"split {result.split.mode}{' (fell back)' if result.split.fell_back else ''}, "
          f"{result.split.parts[args.part - 1].duration:.2f} s of music")  # fmt: skip
    for name, seconds in result.timings.items():
        print(f"  {name:<9} {seconds:7.2f} s")
    rest = result.timings["generate"] - diffusion
    print(f"  {'(diffusion':<9} {diffusion:7.2f} s of generate; Griffin-Lim and WAV {rest:.2f} s)")
    print(f"  {'total':<9} {wall:7.2f} s; not diffusion: {100 * (wall - diffusion) / wall:.0f} %")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--parts", type=int, default=4)
    parser.add_argument("--part", type=int, default=2)
    parser.add_argument("--exact", action="store_true")
    parser.add_argument("--full-cut", action="store_true")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's own choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args, Path(tmp)))


if __name__ == "__main__":
    main()
