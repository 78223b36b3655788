"""`CeleryJobQueue`: the `JobQueue` of a front end whose jobs run on workers elsewhere (RUNNER=celery).

A front end talks to Telegram and the database, and hands each job's turn to the broker; it never loads the model
and never holds a video or a result. Several may run at once (webhooks behind a load balancer): everything they
share is in the database and the broker.

- `submit`: the job (already in the database, made by `storage.jobs_repo.create_job` within the limits) gets a
  turn in the broker. If the broker cannot be reached, the job still waits in the database: an idle worker finds
  it there and gives it a turn once the broker is back.
- `cancel`: a waiting job is cancelled at once (its progress message says so from here); a running one is asked
  to stop, and its worker stops it at the next diffusion step or ffmpeg call and says so.
- `position`: from the database (`jobs.fleet`); positions that change with a submit or cancel made here are
  announced as events from here, those that change as workers take and end jobs by the workers.
- The results of finished jobs are delivered by the workers, so `start` offers none.
- From `start` to `stop` it looks every `database_check_s` whether the database can be written
  (`storage.database.watch_writable`): after an unwritable moment (a PostgreSQL failover, say) the bot takes new
  videos and jobs again once it can.
"""

from __future__ import annotations

import asyncio
import logging

from celery import Celery

from jobs.celery_app import BrokerConfig, broker_problem, enqueue, make_celery
from jobs.chat_slots import RedisChatSlots
from jobs.config import RunnerConfig
from jobs.events import EventHub, StateChanged, Subscription
from jobs.fleet import current_positions, refresh_positions, worker_statuses
from jobs.queue import WorkerStatus
from storage import claims
from storage.database import Database, watch_writable
from storage.jobs_repo import QueueLimits, get_job
from storage.models import JobState

log = logging.getLogger(__name__)


class CeleryJobQueue:
    def __init__(
        self,
        db: Database,
        broker: BrokerConfig,
        limits: QueueLimits,
        app: Celery | None = None,
        *,
        database_check_s: float = RunnerConfig.database_check_seconds,
    ) -> None:
        self._db = db
        self._broker = broker
        self._limits = limits
        self._app = app or make_celery(broker)
        self._database_check_s = database_check_s
        self._watch: asyncio.Task[None] | None = None
        self._hub = EventHub()
        self.chat_slots = RedisChatSlots(broker.url)  # for the bot's progress board: edits within chats' budgets

    @property
    def limits(self) -> QueueLimits:
        return self._limits

    def subscribe(self) -> Subscription:
        return self._hub.subscribe()

    async def start(self) -> list[int]:
        self._watch = asyncio.create_task(
            watch_writable(self._db, self._database_check_s), name="front-end-database-watch"
        )
        problem = await asyncio.to_thread(broker_problem, self._broker)
        if problem:
            log.warning(
                "job queue: the broker at %s cannot be reached (%s); jobs wait in the database until it can",
                self._broker.shown_url,
                problem,
            )
        workers = await worker_statuses(self._db)
        log.info("job queue: Celery through %s, %d worker(s) online", self._broker.shown_url, len(workers))
        return []

    async def stop(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            await asyncio.gather(self._watch, return_exceptions=True)
        self._hub.close()
        await self.chat_slots.close()
        await asyncio.to_thread(self._app.close)

    async def submit(self, job_id: int) -> int | None:
        job = await get_job(self._db, job_id)
        if job is None or job.state != JobState.QUEUED:
            return None
        try:
            await asyncio.to_thread(enqueue, self._app, job_id)
        except Exception as exc:
            log.warning(
                "job %s: the broker at %s cannot be reached (%s); the job waits in the database for a worker",
                job_id,
                self._broker.shown_url,
                exc,
            )
        return (await refresh_positions(self._db, self._hub.publish)).get(job_id)

    async def cancel(self, job_id: int) -> bool:
        outcome = await claims.request_cancel(self._db, job_id)
        if outcome is JobState.CANCELLED:
            job = await get_job(self._db, job_id)
            if job is not None:
                self._hub.publish(StateChanged(job.id, job.user_id, job.chat_id, JobState.CANCELLED))
            await refresh_positions(self._db, self._hub.publish)
        return outcome is not None

    async def position(self, job_id: int) -> int | None:
        _, now = await current_positions(self._db)
        return now.get(job_id)

    async def workers(self) -> list[WorkerStatus]:
        return await worker_statuses(self._db)
