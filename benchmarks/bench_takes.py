"""What 2 and 4 takes cost against 1: `Generator.generate_takes` on the tiny model, on the CPU.

The takes of a part are diffused in one batch (one pipeline call), then each is turned into sound (Griffin-Lim,
batched). Measured side by side in one run, interleaved, best of `--repeat`: CPU seconds (all threads) and
wall seconds, and each as a ratio to one take. The tiny model's UNet is small, so the fixed costs (the text
encoder, the scheduler, Griffin-Lim) weigh more here than with the real checkpoint on a GPU: these ratios say
what batching does on this machine, not what a GPU will show (bench_gpu.py is for that).

Run: .venv/bin/python benchmarks/bench_takes.py [--seconds 5] [--steps 10] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.generator import GenerationRequest, Generator, load_pipeline, resolve_device  # noqa: E402
from engine.options import UserOptions  # noqa: E402
from engine.tiny_model import write_tiny_model  # noqa: E402


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="music per take (one window up to 5.12 s)")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--takes", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        model = write_tiny_model(Path(folder) / "tiny")
        device = resolve_device("cpu")
        generator = Generator(load_pipeline(str(model), device), device, max_image_width=512, model=str(model))
        request = GenerationRequest("calm piano", args.seconds, UserOptions(steps=args.steps), seed=7)
        await generator.generate_takes(request, 1)  # warm up
        best: dict[int, tuple[float, float]] = {}
        for _ in range(args.repeat):
            for takes in args.takes:
                cpu0, wall0 = time.process_time(), time.perf_counter()
                made = await generator.generate_takes(request, takes)
                cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
                assert len(made) == takes
                old = best.get(takes, (float("inf"), float("inf")))
                best[takes] = (min(old[0], cpu), min(old[1], wall))
    one_cpu, one_wall = best[args.takes[0]]
    print(f"tiny model, CPU, {args.seconds:g} s of music per take, {args.steps} steps, best of {args.repeat}")
    print(f"{'takes':>5}  {'CPU s':>7}  {'x 1 take':>8}  {'wall s':>7}  {'x 1 take':>8}  {'wall per take':>13}")
    for takes in args.takes:
        cpu, wall = best[takes]
        print(
            f"{takes:>5}  {cpu:7.2f}  {cpu / one_cpu:8.2f}  {wall:7.2f}  {wall / one_wall:8.2f}  {wall / takes:13.2f}"
        )


if __name__ == "__main__":
    asyncio.run(main())
