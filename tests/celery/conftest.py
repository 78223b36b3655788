"""Fixtures for workers on other hosts (RUNNER=celery): the test run's Redis as the broker, the test's database
(SQLite, or PostgreSQL with RIFFCUT_TEST_DATABASE_URL), the fake Telegram server, and real `riffcut worker`
processes on the CPU with the tiny model. Jobs are made in the database and queued as a front end queues them
(`jobs.celery_queue.CeleryJobQueue`), or through a real front end (`BotUnderTest`, RUNNER=celery)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.options import UserOptions
from jobs.celery_app import BrokerConfig
from jobs.celery_queue import CeleryJobQueue
from storage import Database, open_database, workers_repo
from storage.jobs_repo import JobRequest, QueueLimits, create_job, get_job
from storage.models import Job
from storage.video_ref import VideoRef
from tests.fake_telegram import Call, FakeTelegram, FakeUser, StoredFile
from tests.scratch_database import scratch_database_url
from tests.workers import FLEET_BACKEND, WorkerProcess, Workers, eventually, fleet

TINY_VIDEO = "h264-no-audio-2s.mp4"
LIMITS = QueueLimits(max_jobs_per_user=2, max_queue=50)


@dataclass
class Fleet:
    """The test's database, its front end's queue, its workers and the fake Telegram server they share."""

    tg: FakeTelegram
    db: Database
    queue: CeleryJobQueue
    workers: Workers
    video: StoredFile

    async def submit(self, user: FakeUser, *, steps: int = 2, previews: int = 0, prompt: str = "calm piano") -> Job:
        """A job of `user` in their private chat (the 2 s video in 2 parts), queued as a front end queues it."""
        self.tg.private_chat(user)
        request = JobRequest(
            user_id=user.id,
            chat_id=user.id,
            video=VideoRef(
                self.video.file_id, self.video.file_unique_id, self.video.file_name, self.video.file_size, 2.0
            ),
            prompt=prompt,
            parts=2,
            part=1,
            options=UserOptions(steps=steps, previews=previews, seed=7),
        )
        job = (await create_job(self.db, request, LIMITS)).job
        await self.queue.submit(job.id)
        return job

    async def job(self, job_id: int) -> Job:
        job = await get_job(self.db, job_id)
        assert job is not None
        return job

    async def wait_job(self, job_id: int, matches: Callable[[Job], bool], what: str) -> Job:
        async def found() -> Job | None:
            job = await self.job(job_id)
            return job if matches(job) else None

        return await eventually(found, f"job {job_id}: {what}")

    async def worker_of(self, job: Job) -> WorkerProcess:
        """The process of the worker that holds the job."""
        assert job.worker_id is not None, f"job {job.id} is held by no worker"
        rows = {worker.id: worker.name for worker in await workers_repo.running_workers(self.db)}
        name = rows[job.worker_id]
        return next(worker for worker in self.workers.started if worker.name == name)

    async def all_delivered(self) -> bool:
        """Every job of the test delivered (one query: the workers need the CPU more than the test)."""
        async with self.db.sessions() as session:
            return not await session.scalar(select(func.count()).where(Job.delivered_at.is_(None)))

    def sent(self, chat: int, method: str) -> list[Call]:
        """The successful calls of `method` to `chat` (what the user received)."""
        return [call for call in self.tg.calls_of(method, chat=chat) if call.ok]


@pytest.fixture
async def fleet_database_url(tmp_path: Path) -> AsyncIterator[str]:
    """The database front ends and workers share: PostgreSQL where the test run has one (the database for more
    than one host), else SQLite; once, not once per backend."""
    async with scratch_database_url(tmp_path, FLEET_BACKEND) as url:
        yield url


@pytest.fixture
async def fleet_of(
    tg: FakeTelegram,
    fleet_database_url: str,
    broker_url: str,
    tiny_model: Path,
    media: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Fleet]:
    url = fleet_database_url
    workers = fleet(monkeypatch, tmp_path, tg, database_url=url, broker_url=broker_url, model=tiny_model)
    db = await open_database(url)
    queue = CeleryJobQueue(db, BrokerConfig(broker_url, 7200.0), LIMITS)
    video = tg.register_file(media / TINY_VIDEO, kind="video")
    try:
        yield Fleet(tg, db, queue, workers, video)
    finally:
        await workers.stop()
        await queue.stop()
        await db.close()
