"""`CeleryWorker`: what one `riffcut worker` process does with the turns Celery hands it (RUNNER=celery).

The worker's process (composed in riffcut/, which also loads the model once and tells users about their jobs)
runs an event loop in a thread of its own; Celery's solo pool calls `turn(job_id)` in the main thread for each
message and acknowledges the message when it returns. A turn:

1. claims the oldest waiting job whose user has nothing running (`storage.claims.claim_next`), normally the job the
   message names; while only jobs of busy users wait it waits for one to become free; with nothing waiting (the
   job was cancelled, or a duplicate turn) it ends at once;
2. runs the job through the same JobRunner as one machine (`run_claimed`: fetch, the render pipeline, the time
   limit, results kept in the shared folder), with a `JobLedger` that changes only jobs this worker holds, while
   a watcher asks the database every `cancel_poll_s` whether its user cancelled it;
3. waits until its results are delivered and its progress message shows the last word (`wait_reported`, the
   bot's side, handed in by the composition root): the message is acknowledged only then.

Beside the turns, every `heartbeat_s` the worker beats in the database (a worker found marked lost stops), and
looks after the others: a worker silent for longer than its `lost_after_s` is marked lost; its running job is put
back in the queue, in its place, with a new turn (or fails, interrupted `max_attempts` times), and its finished
job's delivery is taken over here (the delivery sends only what was not sent). An idle worker that sees a job
that could start wait through two looks gives it a turn (a turn lost with the broker, or never sent).

Every step may happen twice (Celery delivers at least once): a claim, a recovery and a takeover are compare-and-
set in the database, and a result file is sent by whoever first marks it as being sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from celery import Celery

from jobs import refusals
from jobs.celery_app import enqueue
from jobs.events import FailureReason, ReadyToDeliver, StateChanged, Subscription
from jobs.fleet import refresh_positions, worker_statuses
from jobs.local_runner import JobRunner
from jobs.queue import WorkerStatus
from jobs.queue_order import Waiting, next_to_start
from storage import claims, workers_repo
from storage.claims import Recovery, StopWanted
from storage.database import Database
from storage.jobs_repo import QueueLimits, get_job
from storage.models import Job, JobState
from storage.results import remove_tree

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerConfig:
    worker_id: int  # its row in the workers table (storage.workers_repo.register)
    name: str
    heartbeat_s: float = 5.0
    max_attempts: int = 2  # a job interrupted this many times while running ends failed
    cancel_poll_s: float = 0.5
    wait_poll_s: float = 1.0  # how often a turn that found only busy users' jobs looks again


async def _nothing() -> None:
    return None


class CeleryWorker:
    """One worker process's turns and housekeeping; the `JobQueue` its bot side (progress, delivery) reads."""

    def __init__(self, db: Database, runner: JobRunner, app: Celery, config: WorkerConfig) -> None:
        self._db = db
        self._runner = runner
        self._app = app
        self._config = config
        self.wait_reported: Callable[[], Awaitable[None]] = _nothing  # until every event so far is reported
        self.on_stop: Callable[[], None] = lambda: None  # tells Celery to stop taking messages
        self._celery_stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._background: list[asyncio.Task[None]] = []
        self._wake = asyncio.Event()
        self._stopping = False
        self.lost = False  # marked lost by another worker: this process must end
        self.consuming = False  # Celery is taking messages (set by the composition root)
        self._current: int | None = None
        self._in_turn = False
        self._idle_since = time.monotonic()
        self._seen_waiting: set[int] = set()  # jobs that could start, at the last look while idle
        self.stop_requested = asyncio.Event()

    @property
    def worker_id(self) -> int:
        return self._config.worker_id

    # --- the JobQueue the bot's side reads -------------------------------------------------------------

    @property
    def limits(self) -> QueueLimits:
        return self._runner.limits

    def subscribe(self) -> Subscription:
        return self._runner.subscribe()

    async def start(self) -> list[int]:
        self._loop = asyncio.get_running_loop()
        await self._runner.start()
        self._background = [
            asyncio.create_task(self._heartbeat(), name="worker-heartbeat"),
            asyncio.create_task(self._look_after_others(), name="worker-janitor"),
        ]
        return []

    async def stop(self) -> None:
        """Put back the job running here (its attempt forgiven) and mark this worker stopped."""
        self._stopping = True
        self._wake.set()
        current = self._current
        await self._runner.stop()
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        if current is not None:
            await self._give_turn_back(current)
        if not self.lost:
            with contextlib.suppress(Exception):
                await workers_repo.stopped(self._db, self.worker_id)

    async def submit(self, job_id: int) -> int | None:
        return None  # jobs come to a worker as turns, never submitted here

    async def cancel(self, job_id: int) -> bool:
        return await self._runner.cancel(job_id)

    async def position(self, job_id: int) -> int | None:
        return None

    async def workers(self) -> list[WorkerStatus]:
        return await worker_statuses(self._db)

    # --- turns ---------------------------------------------------------------------------------------------

    def turn(self, job_id: int) -> None:
        """Celery's task body (the main thread): take the turn in the worker's loop, until the job is reported."""
        assert self._loop is not None, "the worker is not started"
        future = asyncio.run_coroutine_threadsafe(self.take_turn(job_id), self._loop)
        try:
            future.result()
        except BaseException:  # a cold shutdown: the job is put back by stop()
            future.cancel()
            raise

    def request_stop(self) -> None:
        """From Celery's shutdown (any thread): stop taking turns, put back the job running here."""
        self._celery_stopping = True
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._begin_stop)

    def _begin_stop(self) -> None:
        if not self.stop_requested.is_set():
            running = f"; job {self._current} goes back to the queue" if self._current is not None else ""
            log.info("worker %s: stopping%s", self._config.name, running)
            self.stop_requested.set()
            self._stopping = True
            self._wake.set()
            asyncio.get_running_loop().create_task(self._runner.stop(), name="worker-stop-runner")
            if not self._celery_stopping:
                self.on_stop()

    async def take_turn(self, job_id: int) -> None:
        self._in_turn = True
        try:
            job = await self._claim(job_id)
            if job is not None:
                await self._run(job)
        finally:
            self._in_turn = False
            self._idle_since = time.monotonic()
            self._seen_waiting.clear()

    async def _claim(self, named: int) -> Job | None:
        while not self._stopping:
            job = await claims.claim_next(self._db, self.worker_id)
            if job is not None:
                return job
            if not await claims.any_waiting(self._db):
                log.info("turn of job %s: nothing is waiting (it was cancelled, or taken with another turn)", named)
                return None
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._config.wait_poll_s)
        await self._give_turn_back(named)  # stopping while holding a turn that a waiting job needs
        return None

    async def _run(self, job: Job) -> None:
        log.info("job %s: taken by %s (attempt %d)", job.id, self._config.name, job.attempts)
        self._current = job.id
        await self._beat()
        await self._refresh_positions()
        watcher = asyncio.create_task(self._watch(job.id), name=f"job-{job.id}-watch")
        try:
            await self._runner.run_claimed(job)
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
        await self.wait_reported()  # delivered, and the progress message's last word shown
        self._current = None
        after = await get_job(self._db, job.id)
        if after is not None and after.state == JobState.QUEUED:  # put back by a stop: it needs a new turn
            await self._give_turn_back(job.id)
        elif after is not None and after.worker_id == self.worker_id:
            await workers_repo.count_done(self._db, self.worker_id)
        await self._beat()
        await self._refresh_positions()

    async def _watch(self, job_id: int) -> None:
        """Stop the job when its user cancels it (or it was taken over: this worker was thought lost)."""
        while True:
            await asyncio.sleep(self._config.cancel_poll_s)
            try:
                wanted = await claims.cancel_wanted(self._db, job_id, self.worker_id)
            except Exception:
                log.warning("job %s: could not ask the database about a cancel", job_id, exc_info=True)
                continue
            if wanted is StopWanted.CANCEL:
                log.info("job %s: cancelled by its user; stopping it", job_id)
                await self._runner.cancel(job_id)
                return
            if wanted is StopWanted.LOST:
                self._marked_lost(f"job {job_id} was taken over")
                return

    async def _give_turn_back(self, job_id: int) -> None:
        try:
            await asyncio.to_thread(enqueue, self._app, job_id)
        except Exception as exc:
            log.warning("job %s: could not give its turn back to the broker (%s); an idle worker will", job_id, exc)

    # --- heartbeat and the others ------------------------------------------------------------------------

    async def _beat(self) -> None:
        try:
            alive = await workers_repo.beat(self._db, self.worker_id, self._current)
        except Exception:
            log.warning("worker %s: heartbeat failed", self._config.name, exc_info=True)
            return
        if not alive:
            self._marked_lost("its heartbeat found it marked lost")

    def _marked_lost(self, why: str) -> None:
        if self.lost:
            return
        self.lost = True
        log.error(
            "worker %s: another worker thought it lost (%s); stopping at once (its job runs elsewhere)",
            self._config.name,
            why,
        )
        self._begin_stop()

    async def _heartbeat(self) -> None:
        while True:
            await self._beat()
            await asyncio.sleep(self._config.heartbeat_s)

    async def _look_after_others(self) -> None:
        while True:
            await asyncio.sleep(self._config.heartbeat_s)
            try:
                await self.look_after_others()
            except Exception:
                log.warning("worker %s: looking after the other workers failed", self._config.name, exc_info=True)

    async def look_after_others(self) -> None:
        """One look: lost workers marked, their jobs requeued (or failed) and deliveries taken over; turns that
        went missing given again."""
        changed = False
        for lost in await workers_repo.mark_lost(self._db):
            log.warning("worker %s (%d, on %s) is lost: silent since %s", lost.name, lost.id, lost.host, lost.seen_at)
        live = {worker.id for worker in await workers_repo.running_workers(self._db)}
        failure = FailureReason.of(refusals.INTERRUPTED_TWICE)
        for job in await claims.interrupted_jobs(self._db, live):
            outcome = await claims.recover_interrupted(
                self._db, job.id, job.worker_id, max_attempts=self._config.max_attempts, failure=failure.message
            )
            if outcome is Recovery.REQUEUED:
                log.info("job %s: its worker was lost (attempt %d); queued again", job.id, job.attempts)
                await self._give_turn_back(job.id)
                changed = True
            elif outcome is Recovery.FAILED:
                log.warning("job %s: interrupted %d times while running; failed", job.id, job.attempts)
                self._runner.publish(StateChanged(job.id, job.user_id, job.chat_id, JobState.FAILED, failure))
                await remove_tree(job.result_dir)  # first results kept before the interruptions
                changed = True
        for job in await claims.orphaned_deliveries(self._db, live):
            if await claims.take_delivery(self._db, job.id, job.worker_id, self.worker_id):
                log.info("job %s: its worker was lost before delivering it all; delivering the rest", job.id)
                self._runner.publish(ReadyToDeliver(job.id, job.user_id, job.chat_id))
        await self._give_missing_turns()
        if changed:
            await self._refresh_positions()
            self._wake.set()

    async def _give_missing_turns(self) -> None:
        """Idle through two looks while a job that could start waited through both: its turn is missing."""
        if self._in_turn or self._stopping or not self.consuming:
            self._seen_waiting.clear()
            return
        snapshot = await claims.queue_snapshot(self._db)
        waiting = [Waiting(job.id, job.user_id) for job in snapshot.waiting]
        pick = next_to_start(waiting, snapshot.running_users)
        startable = {pick.job_id} if pick is not None else set()
        idle_long = time.monotonic() - self._idle_since >= self._config.heartbeat_s
        missing = startable & self._seen_waiting if idle_long else set()
        for job_id in missing:
            log.warning("job %s: waited while this worker was idle, so its turn was lost; giving it one", job_id)
            await self._give_turn_back(job_id)
        self._seen_waiting = startable - missing

    async def _refresh_positions(self) -> None:
        try:
            await refresh_positions(self._db, self._runner.publish)
        except Exception:
            log.warning("could not refresh the queue positions", exc_info=True)
