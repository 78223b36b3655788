"""The job runner's throughput with the tiny model: jobs per minute through the runner (CONCURRENT_JOBS at
once, one on the GPU lane) against the same jobs rendered one after another, and the GPU lane's idle share.

    .venv/bin/python benchmarks/bench_runner.py [--jobs 8] [--concurrent 3] [--steps 2] [--device cpu]

Both runs use the same generator, videos (tests/data) and settings, measured side by side in one process
after one warm-up job. The GPU lane is the generator's blocking call (diffusion and Griffin-Lim), watched with
tests.gpu_lane.GpuLaneWatch; idle share = 1 - busy time / wall time. On a CPU-only machine the "GPU" lane and
ffmpeg share the same cores, so overlap helps less than it does with a real GPU.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MEDIA = Path(os.environ.get("RIFFCUT_TEST_MEDIA", ROOT / "tests" / "data"))
VIDEOS = ("h264-aac-320x240-7s.mp4", "h264-no-audio-2s.mp4")


async def main(args: argparse.Namespace) -> None:
    from engine.generator import Generator, load_pipeline, resolve_device
    from engine.media_config import MediaConfig
    from engine.options import UserOptions
    from engine.render import RenderRequest, render
    from engine.tiny_model import write_tiny_model
    from jobs.config import RunnerConfig
    from jobs.events import StateChanged
    from jobs.local_runner import JobRunner
    from jobs.render_work import render_work
    from storage import open_database
    from storage.jobs_repo import JobRequest, QueueLimits, create_job
    from storage.models import JobState
    from storage.video_ref import VideoRef
    from tests.gpu_lane import GpuLaneWatch

    root = Path(tempfile.mkdtemp(prefix="bench-runner-"))
    try:
        model = args.model or str(write_tiny_model(root / "tiny-model"))
        device = resolve_device(args.device)
        generator = Generator(load_pipeline(model, device), device, max_image_width=512, model=model)
        media_config = MediaConfig()
        options = UserOptions(steps=args.steps, seed=1, previews=1)
        videos = [MEDIA / VIDEOS[n % len(VIDEOS)] for n in range(args.jobs)]

        # Warm-up (first diffusion call, ffmpeg caches): not measured.
        await render(videos[0], root / "warm", RenderRequest("warm up", 2, 1, options), generator, media_config)

        # 1. The same jobs one after another, straight through render().
        watch = GpuLaneWatch(generator)
        started = time.monotonic()
        for n, video in enumerate(videos):
            await render(video, root / f"seq-{n}", RenderRequest(f"song {n}", 2, 1, options), generator, media_config)
        seq_wall = time.monotonic() - started
        seq_busy = watch.busy_seconds(started, started + seq_wall)
        watch.detach()

        # 2. Through the runner: a real SQLite file, CONCURRENT_JOBS at once.
        db = await open_database(f"sqlite+aiosqlite:///{root / 'data' / 'bench.db'}")
        by_file: dict[str, Path] = {}

        async def fetch(video: VideoRef, dest_dir: Path) -> Path:
            target = dest_dir / by_file[video.file_id].name
            await asyncio.to_thread(shutil.copyfile, by_file[video.file_id], target)
            return target

        config = RunnerConfig(
            temporary_directory=root / "jobs",
            data_dir=root / "data",
            concurrent_jobs=args.concurrent,
            min_free_disk_mb=1,
            limits=QueueLimits(2, max(50, args.jobs)),
        )
        runner = JobRunner(db, fetch, render_work(generator, media_config), config)
        subscription = runner.subscribe()
        for n, video in enumerate(videos):
            job = (
                await create_job(
                    db,
                    JobRequest(
                        user_id=n + 1,
                        chat_id=n + 1,
                        video=VideoRef(f"v{n}"),
                        prompt=f"song {n}",
                        parts=2,
                        part=1,
                        options=options,
                    ),
                    config.limits,
                )
            ).job
            by_file[job.video.file_id] = video
            await runner.submit(job.id)
        watch = GpuLaneWatch(generator)
        started = time.monotonic()
        await runner.start()
        await runner.wait_idle()
        run_wall = time.monotonic() - started
        run_busy = watch.busy_seconds(started, started + run_wall)
        watch.detach()
        states = []
        while (event := subscription.get_nowait()) is not None:
            if isinstance(event, StateChanged) and event.state in (JobState.DONE, JobState.FAILED):
                states.append(event.state)
        await runner.stop()
        await db.close()
        if states.count(JobState.DONE) != args.jobs:
            raise SystemExit(f"only {states.count(JobState.DONE)} of {args.jobs} jobs finished: {states}")

        print(
            f"{args.jobs} jobs ({', '.join(VIDEOS)} alternately, 2 parts, {args.steps} steps), device {device}, "
            f"{os.cpu_count()} CPUs"
        )
        print(f"{'':34}{'wall s':>8}{'jobs/min':>10}{'GPU lane busy s':>17}{'GPU idle share':>16}")
        for name, wall, busy in (
            ("one after another (render())", seq_wall, seq_busy),
            (f"runner, {args.concurrent} at once", run_wall, run_busy),
        ):
            print(f"{name:34}{wall:8.1f}{args.jobs / wall * 60:10.1f}{busy:17.1f}{1 - busy / wall:16.0%}")
        print(
            f"speed-up: {seq_wall / run_wall:.2f}x; the GPU lane never ran two jobs at once: "
            f"max concurrent = {watch.max_concurrent}"
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--concurrent", type=int, default=3)
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--model", help="a model folder or hub id (default: a tiny model made on the spot)")
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main(parser.parse_args()))
