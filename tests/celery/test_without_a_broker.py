"""Parts of front ends and workers that need no broker: a front end finds its database writable again by itself,
and a worker that fails a lost worker's job for good removes the first results that job kept."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update

from engine.options import UserOptions
from jobs.celery_app import BrokerConfig, make_celery
from jobs.celery_queue import CeleryJobQueue
from jobs.celery_worker import CeleryWorker, WorkerConfig
from jobs.local_runner import JobRunner
from jobs.work import JobOutput, JobSpec, KeepEarly, ProgressReport
from storage import Database, claims, workers_repo
from storage.jobs_repo import JobRequest, QueueLimits, create_job, get_job
from storage.models import Job, JobState, Worker, utcnow
from storage.video_ref import VideoRef
from storage.workers_repo import NewWorker
from tests.runner.runner_helpers import config, copy_fetch
from tests.workers import eventually

NO_BROKER = BrokerConfig("redis://127.0.0.1:1/0", 7200.0)  # nothing listens there: the broker cannot be reached


async def no_work(
    spec: JobSpec, video: Path, workdir: Path, report: ProgressReport, early: KeepEarly | None = None
) -> JobOutput:
    raise AssertionError("no job runs here")


async def test_a_front_end_finds_its_database_writable_again(db: Database) -> None:
    queue = CeleryJobQueue(db, NO_BROKER, QueueLimits(), database_check_s=0.05)
    db.health.unwritable("test", "a moment of failover")  # as a transaction that failed on it notes it
    await queue.start()
    try:

        async def writable() -> bool:
            return db.health.writable

        await eventually(writable, "the front end's watch finds the database writable", timeout=10.0)
    finally:
        await queue.stop()


async def test_a_job_failed_for_good_after_its_worker_was_lost_loses_its_first_results(
    db: Database, tmp_path: Path
) -> None:
    request = JobRequest(1, 1, VideoRef("video-1"), "jazz", 2, 1, UserOptions())
    job = (await create_job(db, request, QueueLimits())).job
    lost = await workers_repo.register(db, NewWorker("w1", "host", 1, "cpu", 30.0))
    here = await workers_repo.register(db, NewWorker("w2", "host", 1, "cpu", 30.0))
    assert await claims.claim_next(db, lost) is not None
    first_results = tmp_path / "shared" / "results" / f"{job.id}-w{lost}"
    first_results.mkdir(parents=True)
    (first_results / "part-1.mp4").write_bytes(b"early")
    async with db.transaction() as session:
        await session.execute(update(Job).where(Job.id == job.id).values(result_dir=str(first_results)))
        silent = utcnow() - timedelta(minutes=1)
        await session.execute(update(Worker).where(Worker.id == lost).values(seen_at=silent, lost_after_s=5.0))
    runner = JobRunner(db, copy_fetch(), no_work, config(tmp_path), recover=False)
    worker = CeleryWorker(db, runner, make_celery(NO_BROKER), WorkerConfig(here, "w2", max_attempts=1))

    await worker.look_after_others()  # w1 marked lost; its job, interrupted once of max_attempts=1, fails

    failed = await get_job(db, job.id)
    assert failed is not None and failed.state is JobState.FAILED
    assert not await asyncio.to_thread(first_results.exists)
