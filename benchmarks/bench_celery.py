"""Workers on other hosts (RUNNER=celery) with the tiny model on the CPU, one torch thread per worker process:
jobs per minute with 1 and with 2 `riffcut worker` processes, and the time Celery adds to one job against the
in-process runner.

    .venv/bin/python benchmarks/bench_celery.py [--jobs 24] [--steps 10] [--overhead-jobs 5] [--pin]

Everything is local and temporary: a Redis of its own (Debian's redis-server, append-only as in production), a
SQLite database per run (PostgreSQL with RIFFCUT_TEST_DATABASE_URL, as the tests), the fake Telegram server over
HTTP (every result is really uploaded to it), the tiny model.

Throughput: `--jobs` jobs of as many users, queued at once, from the first submit to the last delivery; the
2-worker figure over the 1-worker figure is the scaling. With each, the CPU seconds the workers (and their ffmpeg
children) spent per job and the cores they had on average: on a machine shared with other work, two workers get
fewer than two cores, and the CPU per job shows what the fleet itself costs. One worker alone keeps more than one
core busy (its ffmpeg children run beside the diffusion), so on two cores two workers cannot double it; `--pin`
gives each worker one core of its own (as each has a GPU of its own in production), which measures the fleet's
scaling rather than the machine's.

The time Celery adds: jobs run one at a time on each side, and for each the time around its render (submit to
delivered, less started to finished: queueing, the claim, the delivery) is compared, median against median, so
the render's own noise cancels out. Cancel: how long a job diffusing on a worker takes to stop once its cancel is
asked for (the front end's `cancel` to the job's row saying cancelled). The machine's load average is printed
before and after: on a shared machine every figure moves.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MEDIA = Path(os.environ.get("RIFFCUT_TEST_MEDIA", ROOT / "tests" / "data"))
VIDEO = "h264-no-audio-2s.mp4"


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A Redis of the benchmark's own on loopback (the compose file's persistence flags); its URL."""
    from tests.net import free_port

    folder.mkdir(parents=True)
    port = free_port()
    command = ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--dir", str(folder)]
    command += ["--appendonly", "yes", "--appendfsync", "always", "--save", ""]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL), f"redis://127.0.0.1:{port}/0"


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and of its children it has waited for (ffmpeg), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
    return (utime + stime + cutime + cstime) / os.sysconf("SC_CLK_TCK")


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def seconds(later: datetime | None, earlier: datetime | None) -> float:
    assert later is not None and earlier is not None
    return (later - earlier).total_seconds()


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 1800.0, every: float = 0.02) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError("the jobs did not finish")
        await asyncio.sleep(every)


async def main(args: argparse.Namespace) -> None:
    import torch
    from sqlalchemy import func, select

    from bot.app import build_client
    from bot.bounded import BoundedDict
    from bot.fetch import TelegramFetch
    from bot.job_events import job_reporting
    from bot.progress import ProgressBoard
    from engine.generator import Generator
    from engine.options import UserOptions
    from engine.tiny_model import write_tiny_model
    from jobs.celery_app import BrokerConfig
    from jobs.celery_queue import CeleryJobQueue
    from jobs.local_runner import JobRunner
    from jobs.render_work import render_work
    from riffcut.settings import load_settings
    from riffcut.wiring import bot_config, runner_config
    from storage import Database, open_database
    from storage.jobs_repo import JobRequest, QueueLimits, create_job, get_job
    from storage.models import Job, utcnow
    from storage.video_ref import VideoRef
    from tests.fake_telegram import FakeTelegram
    from tests.scratch_database import scratch_database_url
    from tests.workers import FLEET_BACKEND, Workers, celery_env, flush_redis

    root = Path(tempfile.mkdtemp(prefix="bench-celery-"))
    redis_server, broker_url = start_redis(root / "redis")
    print(f"before: {load()}")
    try:
        model = write_tiny_model(root / "tiny-model")
        os.environ.update({"TEMPORARY_DIRECTORY": str(root / "jobs"), "DATA_DIR": str(root / "data")})
        async with contextlib.AsyncExitStack() as stack, FakeTelegram(root=root / "telegram") as tg:
            video = tg.register_file(MEDIA / VIDEO, kind="video")
            limits = QueueLimits(max_jobs_per_user=2, max_queue=500)

            def request(user_id: int) -> JobRequest:
                tg.private_chat(tg.add_user(f"U{user_id}", user_id=user_id))
                ref = VideoRef(video.file_id, video.file_unique_id, video.file_name, video.file_size, 2.0)
                return JobRequest(
                    user_id, user_id, ref, "calm piano", 2, 1, UserOptions(steps=args.steps, previews=0, seed=1)
                )

            users = iter(range(100_000, 200_000))

            async def fresh_database(name: str) -> tuple[str, Database]:
                url = await stack.enter_async_context(scratch_database_url(root / name, FLEET_BACKEND))
                return url, await open_database(url)

            env = {
                "TELEGRAM_BOT_TOKEN": tg.token,
                "TELEGRAM_API_BASE_URL": tg.base_url,
                "TELEGRAM_FILE_BASE_URL": tg.base_file_url,
            }

            # --- 1. throughput: 1 worker, then 2 ----------------------------------------------------------
            rates: dict[int, float] = {}
            for count in (1, 2):
                flush_redis(broker_url)
                url, db = await fresh_database(f"throughput-{count}")
                settings_env = celery_env(
                    database_url=url, broker_url=broker_url, model=model, shared=root / f"shared-{count}"
                )
                workers = Workers(root / f"workers-{count}", {**settings_env, **env})
                queue = CeleryJobQueue(db, BrokerConfig(broker_url, 7200.0), limits)
                try:
                    started = [workers.spawn(f"w{n}") for n in range(1, count + 1)]
                    if args.pin:  # one core each, as one GPU each: ffmpeg children inherit it
                        for core, worker in enumerate(started):
                            os.sched_setaffinity(worker.pid, {core % (os.cpu_count() or 1)})
                    for worker in started:
                        await workers.wait_ready(worker)
                    jobs = [(await create_job(db, request(next(users)), limits)).job for _ in range(args.jobs)]
                    cpu_before = sum(cpu_seconds(worker.pid) for worker in started)
                    own_before = time.process_time()
                    began = time.monotonic()
                    for job in jobs:
                        await queue.submit(job.id)

                    async def delivered(db: Database = db) -> bool:
                        async with db.sessions() as session:
                            waiting = await session.scalar(select(func.count()).where(Job.delivered_at.is_(None)))
                        return waiting == 0

                    await until(delivered, every=0.1)  # one count: the benchmark's own CPU stays small
                    wall = time.monotonic() - began
                    cpu = sum(cpu_seconds(worker.pid) for worker in started) - cpu_before
                    own = time.process_time() - own_before
                    rates[count] = args.jobs / wall * 60
                    print(
                        f"{count} worker(s): {args.jobs} jobs in {wall:.1f} s = {rates[count]:.1f} jobs/min; "
                        f"{cpu / args.jobs:.2f} CPU s per job, {cpu / wall:.2f} cores busy on average "
                        f"(besides {own / wall:.2f} for the fake Telegram server and this script)"
                    )
                finally:
                    await workers.stop()
                    await queue.stop()
                    await db.close()
            print(f"scaling, 2 workers over 1: {rates[2] / rates[1]:.2f}x")

            # --- 2. the time around a job: in-process runner against one worker -----------------------------
            async def around(jobs: list[Job], db: Database, submitted: dict[int, datetime]) -> list[float]:
                rows = [await get_job(db, job.id) for job in jobs]
                return [
                    seconds(row.delivered_at, submitted[row.id]) - seconds(row.finished_at, row.started_at)
                    for row in rows
                    if row is not None
                ]

            torch.set_num_threads(1)  # as each worker process (OMP_NUM_THREADS=1)
            url, db = await fresh_database("local")
            os.environ.update({**celery_env(database_url=url, broker_url=broker_url, model=model, shared=root), **env})
            settings = load_settings(runner="local")
            config = bot_config(settings)
            client = build_client(config)
            await client.initialize()
            generator = Generator.load(str(model), "cpu", 512)
            runner = JobRunner(
                db,
                TelegramFetch(client.bot, config.download_limit),
                render_work(generator, settings.media_config()),
                runner_config(settings),
            )
            events = job_reporting(
                client.bot, db, runner, ProgressBoard(client.bot), BoundedDict(1000), config.upload_limit
            )
            await events.start()

            async def one_by_one(db: Database, submit: Callable[[int], Awaitable[object]]) -> list[float]:
                """Jobs one after another, the first to warm up; each one's time around its render."""
                jobs: list[Job] = []
                submitted: dict[int, datetime] = {}
                for _ in range(args.overhead_jobs + 1):
                    job = (await create_job(db, request(next(users)), limits)).job
                    submitted[job.id] = utcnow()
                    await submit(job.id)
                    await until(functools.partial(_delivered, db, job.id))
                    jobs.append(job)
                return await around(jobs[1:], db, submitted)

            local = await one_by_one(db, runner.submit)
            await events.stop()
            await client.shutdown()
            await db.close()

            flush_redis(broker_url)
            url, db = await fresh_database("celery")
            settings_env = celery_env(database_url=url, broker_url=broker_url, model=model, shared=root / "shared")
            workers = Workers(root / "workers-overhead", {**settings_env, **env})
            queue = CeleryJobQueue(db, BrokerConfig(broker_url, 7200.0), limits)
            try:
                await workers.start("w1")
                remote = await one_by_one(db, queue.submit)
                stops: list[float] = []
                for _ in range(3):
                    long_request = request(next(users))
                    long_request = replace(long_request, options=UserOptions(steps=100, previews=0, seed=1))
                    job = (await create_job(db, long_request, limits)).job
                    await queue.submit(job.id)
                    await until(functools.partial(_diffusing, db, job.id))
                    asked = time.monotonic()
                    await queue.cancel(job.id)
                    await until(functools.partial(_cancelled, db, job.id))
                    stops.append(time.monotonic() - asked)
            finally:
                await workers.stop()
                await queue.stop()
                await db.close()
            print(
                f"time around a job's render (submit to delivered, less the render), median of {args.overhead_jobs}: "
                f"in-process {statistics.median(local):.3f} s, on a worker {statistics.median(remote):.3f} s"
            )
            print(f"time Celery adds to one job: {statistics.median(remote) - statistics.median(local):.3f} s")
            print(f"cancel of a job diffusing on a worker, until it stopped: {', '.join(f'{s:.2f}' for s in stops)} s")
    finally:
        redis_server.kill()
        redis_server.wait()
        shutil.rmtree(root, ignore_errors=True)
        print(f"after: {load()}")


async def _diffusing(db: object, job_id: int) -> bool:
    from engine.stages import Stage
    from storage.database import Database
    from storage.jobs_repo import get_job

    assert isinstance(db, Database)
    row = await get_job(db, job_id)
    return row is not None and row.stage is Stage.GENERATE


async def _cancelled(db: object, job_id: int) -> bool:
    from storage.database import Database
    from storage.jobs_repo import get_job
    from storage.models import JobState

    assert isinstance(db, Database)
    row = await get_job(db, job_id)
    return row is not None and row.state is JobState.CANCELLED


async def _delivered(db: object, job_id: int) -> bool:
    from storage.database import Database
    from storage.jobs_repo import get_job

    assert isinstance(db, Database)
    row = await get_job(db, job_id)
    return row is not None and row.delivered_at is not None


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=24, help="jobs per throughput run (one user each)")
    parser.add_argument("--steps", type=int, default=10, help="diffusion steps per job")
    parser.add_argument("--overhead-jobs", type=int, default=5, help="jobs per side for the time Celery adds")
    parser.add_argument(
        "--pin", action="store_true", help="each worker on a core of its own (as each on a GPU of its own)"
    )
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main(parser.parse_args()))
