"""How long a user waits for the first result and for the last: one job through the in-process runner.

The 30 s WebM in tests/data, 4 parts, part 2 (7.5 s of music: two windows), the tiny model, 20 steps by default,
on the CPU: the job goes through `jobs.local_runner.JobRunner` with the render work, as the bot's jobs do, and
the times are taken from the runner's own events, from the submit: the first results kept for delivery
(`FirstResultsReady`: the chosen part with its new music, and the music) and the rest (`ReadyToDeliver`). A
runner without early results announces everything at the end: both times are then the same. Each stage's
start and end are printed on a time line, so stages that overlap show as such.

Run: .venv/bin/python benchmarks/bench_first_result.py [--steps 20] [--parts 4] [--part 2] [--previews 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

for _name, _value in (("TRANSFORMERS_VERBOSITY", "error"), ("HF_HUB_DISABLE_PROGRESS_BARS", "1")):
    os.environ.setdefault(_name, _value)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from engine.generator import Generator  # noqa: E402
from engine.media_config import MediaConfig  # noqa: E402
from engine.options import UserOptions  # noqa: E402
from engine.tiny_model import write_tiny_model  # noqa: E402
from jobs import events as job_events  # noqa: E402
from jobs.config import RunnerConfig  # noqa: E402
from jobs.local_runner import JobRunner  # noqa: E402
from jobs.render_work import render_work  # noqa: E402
from storage import open_database  # noqa: E402
from storage.jobs_repo import JobRequest, QueueLimits, create_job  # noqa: E402
from storage.video_ref import VideoRef  # noqa: E402

MEDIA = ROOT / "tests" / "data" / "vp8-vorbis-720p-30s.webm"


async def run(args: argparse.Namespace, folder: Path) -> None:
    from diffusers.utils import logging as diffusers_logging

    diffusers_logging.disable_progress_bar()
    generator = Generator.load(str(write_tiny_model(folder / "tiny")), "cpu", 512)
    db = await open_database(f"sqlite+aiosqlite:///{folder / 'bench.db'}")

    async def fetch(video: VideoRef, dest_dir: Path) -> Path:
        target = dest_dir / MEDIA.name
        await asyncio.to_thread(shutil.copyfile, MEDIA, target)
        return target

    config = RunnerConfig(
        temporary_directory=folder / "jobs",
        data_dir=folder / "data",
        concurrent_jobs=1,
        job_time_limit_seconds=3600,
        min_free_disk_mb=1,
        limits=QueueLimits(1, 10),
    )
    runner = JobRunner(db, fetch, render_work(generator, MediaConfig()), config)
    subscription = runner.subscribe()
    await runner.start()
    options = UserOptions(steps=args.steps, seed=1, previews=args.previews, exact=args.exact)
    request = JobRequest(1, 1, VideoRef("bench"), "lofi hip hop beat", args.parts, args.part, options)
    job = (await create_job(db, request, QueueLimits(1, 10))).job
    first_kind = getattr(job_events, "FirstResultsReady", None)  # absent before issue 11's work
    ended = getattr(job_events, "StageEnded", None)
    started = time.perf_counter()
    await runner.submit(job.id)
    first = last = 0.0
    timeline: list[str] = []
    async for event in subscription:
        now = time.perf_counter() - started
        if isinstance(event, job_events.StageStarted):
            timeline.append(f"{now:7.1f} s  {event.stage} starts")
        elif ended is not None and isinstance(event, ended):
            timeline.append(f"{now:7.1f} s  {event.stage} ends")
        elif first_kind is not None and isinstance(event, first_kind):
            first = first or now
            timeline.append(f"{now:7.1f} s  first results ready for delivery")
        elif isinstance(event, job_events.ReadyToDeliver):
            last = now
            timeline.append(f"{now:7.1f} s  everything ready for delivery")
            break
        elif isinstance(event, job_events.StateChanged) and event.state in ("failed", "cancelled"):
            raise SystemExit(f"the job ended {event.state}: {event.reason}")
    await runner.stop()
    await db.close()
    print(f"torch threads {torch.get_num_threads()}, tiny model, {MEDIA.name}, {args.parts} parts, part {args.part}, "
          f"{args.steps} steps, previews {args.previews}{', exact split' if args.exact else ''}")  # fmt: skip
    print("\n".join(timeline))
    print(f"time to the first result: {first or last:.1f} s; to the last: {last:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--parts", type=int, default=4)
    parser.add_argument("--part", type=int, default=2)
    parser.add_argument("--previews", type=int, default=3, help="the bot's default: parts' previews in albums")
    parser.add_argument("--exact", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args, Path(tmp)))


if __name__ == "__main__":
    main()
