"""`JobRunner`: the in-process `JobQueue`. One per process, it feeds queued jobs through the work, sharing one GPU
fairly.

It knows nothing of Telegram. Its owner (the composition root, `riffcut.wiring`) gives it the database, a
`FetchVideo` that brings a job's video into the job's folder (the bot downloads it from Telegram), the work to do
with it (`jobs.render_work.render_work(generator, media_config)`: the whole render pipeline) and a `RunnerConfig`.

- The queue is the job table: `start()` queues again the jobs left queued, retries the jobs left running by a
  process that died (attempts counted; a job interrupted twice ends failed with a reason for its user), and
  offers finished, undelivered jobs for delivery again (`ReadyToDeliver` events, and the ids it returns).
- Up to CONCURRENT_JOBS jobs run at once, so their CPU stages (fetch, probe, split, remux, previews, zip)
  overlap; the generator's own lock lets one job at a time on the GPU, in the order they ask.
- First come, first served, except that a user's jobs never run at the same time: a user's second job waits
  for the first without holding anyone else up (`jobs.queue_order`). The limits (MAX_JOBS_PER_USER, MAX_QUEUE)
  are checked when a job is made (`storage.jobs_repo.create_job(db, request, runner.limits)`).
- `cancel` takes a waiting job out at once; a running job's task is cancelled, which stops it at the next
  diffusion step or ffmpeg call, without the caller waiting: its `StateChanged(CANCELLED)` event says when it
  has stopped; its folder is removed and the next job starts.
- A failure (bad video, ffmpeg error, out of GPU memory, the time limit, a bug) ends that job only, with a
  reason for its user (`jobs.events.FailureReason`: a code and its English sentence); the job's folder is
  removed in every case; free disk space is checked before a job starts. Results move to
  DATA_DIR/results/<job id>/ (`jobs.results`) and are recorded in the job's row until delivered.
- Stages may overlap (the render makes the music while the split runs): each stage's start and end are events
  (`StageStarted`, `StageEnded`, each with the stages under way), and each stage's own seconds are recorded.
- The first results (the chosen part with its new music, and the music) are copied into the results folder
  and recorded as soon as the work has them, and offered for delivery at once (`FirstResultsReady`); the rest
  follows with `ReadyToDeliver`. A job run again after an interruption keeps the first results it had recorded
  (and their seed: `jobs.work.JobSpec.of`), so each file is still delivered once.
- Events (`jobs.events`) go to `subscribe()`rs without ever waiting.

A worker on another host (`jobs.celery_worker`) runs its jobs through a JobRunner too: made with its own
`JobLedger` (changes only to jobs it holds, results in the shared folder) and `recover=False` (the queue in the
database is not its alone), it is handed each job it has claimed with `run_claimed`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import BadInput, EngineFailure, JobCancelled, disk_full
from engine.stages import Stage
from engine.workspace import JobWorkspace
from jobs import refusals
from jobs.config import RunnerConfig
from jobs.events import (
    AnyEvent,
    EventHub,
    FailureReason,
    FirstResultsReady,
    PositionChanged,
    ReadyToDeliver,
    StageEnded,
    StageStarted,
    StateChanged,
    StepDone,
    Subscription,
)
from jobs.failures import failure_reason
from jobs.ledger import JobLedger
from jobs.queue import WorkerStatus
from jobs.queue_order import Waiting, next_to_start, positions
from jobs.results import keep_results
from jobs.work import FetchVideo, JobOutput, JobSpec, JobWork, OutputFile, Progress
from storage import jobs_repo
from storage.database import Database, DatabaseUnwritable, watch_writable
from storage.jobs_repo import QueueLimits
from storage.models import Job, JobState
from storage.results import remove_tree
from storage.retention import remove_expired_results

log = logging.getLogger(__name__)

PROGRESS_WRITE_SECONDS = 1.0  # a running job's progress is written to the database at most this often


def time_limit(seconds: float) -> FailureReason:
    if seconds >= 60:
        return FailureReason.of(refusals.TIME_LIMIT_MINUTES, minutes=seconds / 60)
    return FailureReason.of(refusals.TIME_LIMIT_SECONDS, seconds=seconds)


@dataclass(eq=False)
class _Entry:
    job_id: int
    user_id: int
    chat_id: int
    task: asyncio.Task[None] | None = None
    inner: asyncio.Task[JobOutput] | None = None
    cancel_requested: bool = False
    timed_out: bool = False
    running: dict[Stage, float] = field(default_factory=dict)  # stages under way, when each started (in order)
    stage_seconds: dict[Stage, float] = field(default_factory=dict)
    progress: float = 0.0
    last_write: float = 0.0
    ended: bool = False
    kept_early: set[Path] = field(default_factory=set)  # files of the work's output already kept (first results)
    has_early_results: bool = False  # the results folder holds recorded files: do not empty it

    @property
    def stage(self) -> Stage | None:
        """The stage that started last of those under way (the one the database shows)."""
        return next(reversed(self.running), None)

    def start_stage(self, stage: Stage) -> None:
        self.running[stage] = time.monotonic()

    def end_stage(self, stage: Stage) -> None:
        since = self.running.pop(stage)
        self.stage_seconds[stage] = self.stage_seconds.get(stage, 0.0) + time.monotonic() - since

    def end_stages(self) -> None:
        for stage in list(self.running):
            self.end_stage(stage)


class JobRunner:
    """The in-process `JobQueue`. Call `await start()` once, `await stop()` at shutdown."""

    def __init__(
        self,
        db: Database,
        fetch: FetchVideo,
        work: JobWork,
        config: RunnerConfig,
        *,
        ledger: JobLedger | None = None,
        recover: bool = True,
    ) -> None:
        self._db = db
        self._fetch = fetch
        self._work = work
        self._config = config
        self._ledger = ledger or JobLedger(db, config.data_dir)
        self._recover = recover  # take up the queue, interrupted and undelivered jobs left in the database
        self._hub = EventHub()
        self._queue: list[_Entry] = []  # waiting, oldest first
        self._running: dict[int, _Entry] = {}  # in the order they started
        self._positions: dict[int, int] = {}
        self._dirty: dict[int, tuple[Stage | None, float]] = {}
        self._dirty_event = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._background: list[asyncio.Task[None]] = []
        self._started = False
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0

    # --- the JobQueue interface ------------------------------------------------------------------------

    @property
    def limits(self) -> QueueLimits:
        return self._config.limits

    @property
    def config(self) -> RunnerConfig:
        return self._config

    def subscribe(self) -> Subscription:
        """Events from now on; subscribe before `start()` to receive the re-offered deliveries too."""
        return self._hub.subscribe()

    async def start(self) -> list[int]:
        """Take up the queue left in the database; returns the ids of finished jobs waiting for delivery."""
        if self._started:
            raise RuntimeError("the job runner is already started")
        self._started = True
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        await asyncio.to_thread(self._remove_stale_workspaces)
        undelivered = await self._take_up_the_database() if self._recover else []
        await self.remove_expired_results()
        self._background = [
            asyncio.create_task(self._write_progress(), name="runner-progress-writer"),
            asyncio.create_task(self._keep_retention(), name="runner-retention"),
            asyncio.create_task(
                watch_writable(self._db, self._config.database_check_seconds, self._dispatch_waiting),
                name="runner-database-watch",
            ),
        ]
        log.info(
            "job runner: %d queued, %d finished awaiting delivery, %d at once",
            len(self._queue),
            len(undelivered),
            self._config.concurrent_jobs,
        )
        self._dispatch()
        return [job.id for job in undelivered]

    async def _take_up_the_database(self) -> list[Job]:
        """Interrupted jobs queued again (or failed), queued ones taken up; the undelivered offered again."""
        for job in await jobs_repo.jobs_in_state(self._db, JobState.RUNNING):
            if job.attempts >= self._config.max_attempts:
                log.warning("job %s: interrupted %d times while running; failing it", job.id, job.attempts)
                reason = FailureReason.of(refusals.INTERRUPTED_TWICE)
                if await jobs_repo.finish_failed(self._db, job.id, reason.message):
                    self._publish(StateChanged(job.id, job.user_id, job.chat_id, JobState.FAILED, reason))
                await remove_tree(job.result_dir)  # first results kept before the interruptions
            else:
                log.info("job %s: interrupted while running (attempt %d); queued again", job.id, job.attempts)
                await jobs_repo.requeue(self._db, job.id)
        known = {entry.job_id for entry in self._queue}  # submitted before start()
        for job in await jobs_repo.jobs_in_state(self._db, JobState.QUEUED):
            if job.id not in known:
                self._queue.append(_entry_of(job))
        self._queue.sort(key=lambda item: item.job_id)
        dropped = await jobs_repo.drop_send_marks(self._db)  # this process is the only one: any mark is a dead one's
        if dropped:
            log.info(
                "%d file(s) were being sent when the bot stopped: sending them again (each may arrive twice)", dropped
            )
        undelivered = await jobs_repo.undelivered_jobs(self._db)
        for job in undelivered:
            self._publish(ReadyToDeliver(job.id, job.user_id, job.chat_id))
        return undelivered

    async def stop(self) -> None:
        """Stop every running job (each is queued again for the next start) and the background tasks."""
        self._stopping = True
        running = list(self._running.values())
        for entry in running:
            if entry.inner is not None:
                entry.inner.cancel()
        await asyncio.gather(*(e.task for e in running if e.task is not None), return_exceptions=True)
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        self._hub.close()

    async def submit(self, job_id: int) -> int | None:
        """Queue a job made by `create_job` (again: no harm); returns its position, None if it is not queued."""
        if job_id in self._running:
            return None
        if any(entry.job_id == job_id for entry in self._queue):
            return self._positions.get(job_id)
        if self._stopping:
            return None
        job = await jobs_repo.get_job(self._db, job_id)
        if job is None or job.state != JobState.QUEUED:
            return None
        if job_id in self._running or any(entry.job_id == job_id for entry in self._queue):
            return self._positions.get(job_id)
        entry = _entry_of(job)
        self._queue.append(entry)
        self._queue.sort(key=lambda item: item.job_id)
        self._idle.clear()
        self._publish_state(entry, JobState.QUEUED)
        self._dispatch()
        return self._positions.get(job_id)

    async def cancel(self, job_id: int) -> bool:
        """Ask for a job to be cancelled; True when it was unfinished. A running job stops soon after (its
        CANCELLED event says when); this does not wait for it."""
        for entry in self._queue:
            if entry.job_id == job_id:
                self._queue.remove(entry)
                self._positions.pop(job_id, None)
                cancelled = await self._ledger.cancelled(job_id)
                self._publish_state(entry, JobState.CANCELLED)
                self._dispatch()
                return cancelled
        running = self._running.get(job_id)
        if running is not None:
            if running.ended:
                return False
            running.cancel_requested = True
            if running.inner is not None:
                running.inner.cancel()
            return True
        return await self._ledger.cancelled(job_id)  # queued in the database, never submitted

    async def position(self, job_id: int) -> int | None:
        """How many jobs will start before this waiting one; None when it is not waiting."""
        return self._positions.get(job_id)

    async def workers(self) -> list[WorkerStatus] | None:
        """None: the jobs run in this process."""
        return None

    def publish(self, event: AnyEvent) -> None:
        """Hand subscribers an event about a job this runner does not run (a worker's delivery taken over)."""
        self._publish(event)

    async def run_claimed(self, job: Job) -> None:
        """Run a job its ledger already made running (a worker's claim) now, beside the local queue; returns when
        it has ended (done, failed, cancelled, or put back by `stop`)."""
        entry = _entry_of(job)
        self._running[job.id] = entry
        self._idle.clear()
        self._publish_state(entry, JobState.RUNNING)
        entry.task = asyncio.create_task(self._supervise(entry, job), name=f"job-{job.id}-supervisor")
        await asyncio.shield(entry.task)

    # --- for tests, benchmarks and a graceful drain -------------------------------------------------------

    def queued_ids(self) -> list[int]:
        return [entry.job_id for entry in self._queue]

    def running_ids(self) -> list[int]:
        return list(self._running)

    async def wait_idle(self) -> None:
        """Until nothing is waiting or running (each job's folder removed, its last event published)."""
        await self._idle.wait()

    # --- scheduling ----------------------------------------------------------------------------------

    def _dispatch(self) -> None:
        """Start waiting jobs while a slot is free (no await in here: nothing can change halfway); none while the
        database cannot be written (they wait, queued, until it can)."""
        if self._stopping or not self._db.health.writable:
            return
        while self._started and len(self._running) < self._config.concurrent_jobs:
            busy = {entry.user_id for entry in self._running.values()}
            pick = next_to_start([Waiting(e.job_id, e.user_id) for e in self._queue], busy)
            if pick is None:
                break
            entry = next(e for e in self._queue if e.job_id == pick.job_id)
            self._queue.remove(entry)
            self._running[entry.job_id] = entry
            self._positions.pop(entry.job_id, None)
            self._publish_state(entry, JobState.RUNNING)
            entry.task = asyncio.create_task(self._supervise(entry), name=f"job-{entry.job_id}-supervisor")
        self._publish_positions()
        if not self._queue and not self._running and self._started:
            self._idle.set()
        else:
            self._idle.clear()

    def _publish_positions(self) -> None:
        now = positions(
            [Waiting(e.job_id, e.user_id) for e in self._queue],
            [e.user_id for e in self._running.values()],
            self._config.concurrent_jobs,
        )
        for entry in self._queue:
            if self._positions.get(entry.job_id) != now[entry.job_id]:
                self._publish(PositionChanged(entry.job_id, entry.user_id, entry.chat_id, now[entry.job_id]))
        self._positions = now

    # --- one job -------------------------------------------------------------------------------------

    async def _supervise(self, entry: _Entry, claimed: Job | None = None) -> None:
        workspace: JobWorkspace | None = None
        try:
            if not await asyncio.to_thread(self._disk_ok):
                await self._end_failed(entry, FailureReason.of(refusals.NO_DISK))
                return
            job = claimed or await self._ledger.take(entry.job_id)
            if job is None:  # cancelled or forgotten while it waited
                self._publish_state(entry, JobState.CANCELLED)
                return
            if entry.cancel_requested:
                await self._end_cancelled(entry)
                return
            if self._stopping:
                await self._ledger.requeue(entry.job_id, forgive_attempt=True)
                return
            spec = JobSpec.of(job)
            workspace = await asyncio.to_thread(JobWorkspace.create, self._config.temporary_directory, entry.job_id)
            if entry.cancel_requested:  # asked for while the folder was made (a worker thread can be slow to come)
                await self._end_cancelled(entry)
                return
            entry.inner = asyncio.create_task(self._attempt(entry, spec, workspace.path), name=f"job-{entry.job_id}")
            done, _ = await asyncio.wait({entry.inner}, timeout=self._config.job_time_limit_seconds)
            if not done:
                entry.timed_out = True
                entry.inner.cancel()
                await _settle(entry.inner)
            await self._conclude(entry, entry.inner)
        except asyncio.CancelledError:
            if entry.inner is not None and not entry.inner.done():
                entry.inner.cancel()
                await _settle(entry.inner)
            raise
        except DatabaseUnwritable as exc:  # its state cannot be saved: it runs again once the database can be written
            log.error("job %s: stopped, the database cannot be written: %s", entry.job_id, exc.message)
            self._publish_state(entry, JobState.FAILED, FailureReason.of(refusals.STORAGE_READ_ONLY))
        except Exception:
            log.exception("job %s: the runner failed while handling it", entry.job_id)
            with contextlib.suppress(Exception):
                await self._end_failed(entry, FailureReason.of(refusals.INTERNAL))
        finally:
            entry.ended = True
            if workspace is not None:
                await asyncio.to_thread(workspace.remove)
            self._running.pop(entry.job_id, None)
            self._dirty.pop(entry.job_id, None)
            self._dispatch()

    async def _attempt(self, entry: _Entry, spec: JobSpec, workdir: Path) -> JobOutput:
        self._on_progress(entry, Progress(Stage.FETCH, 0.0))
        video = await self._fetch(spec.request.video, workdir)
        self._on_progress(entry, Progress(Stage.FETCH, ended=True))

        async def early(files: Sequence[OutputFile], seed: int | None) -> None:
            await self._keep_early(entry, files, seed)

        return await self._work(spec, video, workdir, lambda progress: self._report(entry, progress), early)

    async def _keep_early(self, entry: _Entry, files: Sequence[OutputFile], seed: int | None) -> None:
        """Copy the first results into the results folder, record them, and offer them for delivery. A job run
        again keeps what an earlier attempt recorded (its user may have it already): these copies are not kept."""
        entry.kept_early.update(Path(item.path) for item in files)
        job = await jobs_repo.get_job(self._db, entry.job_id)
        if job is None or job.state != JobState.RUNNING or entry.cancel_requested:
            return
        folder = self._ledger.results_folder(entry.job_id)
        kinds = {item.kind for item in files}
        if any(file.kind in kinds for file in job.files):
            entry.has_early_results = True
            log.info("job %s: its first results were kept by an earlier attempt", entry.job_id)
        else:
            try:
                kept = await keep_results(folder, files, copy=True)
            except OSError:  # the final keep will try again, and fail the job if it cannot
                log.exception("job %s: could not keep its first results early", entry.job_id)
                entry.kept_early.clear()
                await remove_tree(folder)
                return
            if not await self._ledger.keep_early(entry.job_id, result_dir=folder, files=kept, seed=seed):
                await remove_tree(folder)
                return
            entry.has_early_results = True
            log.info("job %s: first results kept (%s)", entry.job_id, ", ".join(item.kind for item in files))
        if not entry.ended:
            self._publish(FirstResultsReady(entry.job_id, entry.user_id, entry.chat_id))

    async def _conclude(self, entry: _Entry, inner: asyncio.Task[JobOutput]) -> None:
        try:
            output = inner.result()
        except (asyncio.CancelledError, JobCancelled):
            if entry.timed_out:
                await self._end_failed(entry, time_limit(self._config.job_time_limit_seconds))
            elif self._stopping and not entry.cancel_requested:
                entry.end_stages()
                await self._ledger.requeue(entry.job_id, forgive_attempt=True)
                log.info("job %s: stopped by shutdown; queued for the next start", entry.job_id)
            else:
                await self._end_cancelled(entry)
            return
        except BadInput as exc:
            await self._end_failed(entry, FailureReason.of_error(exc))
            return
        except EngineFailure as exc:
            log.warning("job %s failed: %s", entry.job_id, exc.message, exc_info=exc.__cause__ is not None)
            await self._end_failed(entry, failure_reason(exc))
            return
        except Exception as exc:
            if disk_full(exc):
                log.error("job %s: the disk is full: %s", entry.job_id, exc)
                await self._end_failed(entry, failure_reason(exc))
            else:
                log.exception("job %s: unexpected error", entry.job_id)
                await self._end_failed(entry, FailureReason.of(refusals.INTERNAL))
            return
        if entry.cancel_requested:
            await self._end_cancelled(entry)
            return
        self._on_progress(entry, Progress(Stage.KEEP, 1.0))
        folder = self._ledger.results_folder(entry.job_id)
        rest = [item for item in output.files if Path(item.path) not in entry.kept_early]
        try:
            files = await keep_results(folder, rest, fresh=not entry.has_early_results)
        except OSError as exc:
            log.exception("job %s: could not keep its results", entry.job_id)
            await remove_tree(folder)
            reason = failure_reason(exc) if disk_full(exc) else FailureReason.of(refusals.RESULTS_NOT_SAVED)
            await self._end_failed(entry, reason)
            return
        entry.end_stages()
        if entry.cancel_requested:  # asked for while the results were being kept
            await remove_tree(folder)
            await self._end_cancelled(entry)
            return
        state = JobState.CHOOSING if output.choosing else JobState.DONE
        done = await self._ledger.done(
            entry.job_id,
            result_dir=folder,
            files=files,
            stage_seconds=entry.stage_seconds,
            seed=output.seed,
            state=state,
        )
        if not done:  # cancelled or forgotten at the last moment: nothing to deliver
            await remove_tree(folder)
            return
        log.info("job %s: %s (%s)", entry.job_id, state, _seconds_text(entry.stage_seconds))
        self._publish_state(entry, state)
        self._publish(ReadyToDeliver(entry.job_id, entry.user_id, entry.chat_id))

    async def _end_failed(self, entry: _Entry, reason: FailureReason) -> None:
        entry.end_stages()
        if await self._ledger.failed(entry.job_id, reason.message, entry.stage_seconds):
            log.info("job %s: failed (%s): %s", entry.job_id, reason.code, reason.message)
            self._publish_state(entry, JobState.FAILED, reason)
        await self._drop_early_results(entry)

    async def _end_cancelled(self, entry: _Entry) -> None:
        entry.end_stages()
        if await self._ledger.cancelled(entry.job_id, entry.stage_seconds):
            log.info("job %s: cancelled", entry.job_id)
        self._publish_state(entry, JobState.CANCELLED)
        await self._drop_early_results(entry)

    async def _drop_early_results(self, entry: _Entry) -> None:
        """A job that ends without the rest of its results: the first ones it kept will not be delivered again."""
        if entry.has_early_results:
            await remove_tree(self._ledger.results_folder(entry.job_id))

    # --- progress ------------------------------------------------------------------------------------

    def _report(self, entry: _Entry, progress: Progress) -> None:
        """The work's progress callback: safe to call from a worker thread too."""
        if threading.get_ident() != self._loop_thread and self._loop is not None:
            self._loop.call_soon_threadsafe(self._on_progress, entry, progress)
        else:
            self._on_progress(entry, progress)

    def _on_progress(self, entry: _Entry, progress: Progress) -> None:
        if entry.ended:
            return
        stage = progress.stage
        if progress.fraction is not None:
            entry.progress = max(entry.progress, min(1.0, progress.fraction))
        stage_changed = False
        if progress.ended:
            if stage in entry.running:
                entry.end_stage(stage)
                stage_changed = True
                running = tuple(entry.running)
                self._publish(StageEnded(entry.job_id, entry.user_id, entry.chat_id, stage, entry.progress, running))
        elif stage not in entry.running:
            entry.start_stage(stage)
            stage_changed = True
            running = tuple(entry.running)
            self._publish(StageStarted(entry.job_id, entry.user_id, entry.chat_id, stage, entry.progress, running))
        if progress.step is not None:
            self._publish(
                StepDone(
                    entry.job_id,
                    entry.user_id,
                    entry.chat_id,
                    step=progress.step,
                    total_steps=progress.total_steps or 0,
                    windows=progress.windows,
                    window=progress.window,
                    progress=entry.progress,
                )
            )
        now = time.monotonic()
        if stage_changed or now - entry.last_write >= PROGRESS_WRITE_SECONDS:
            entry.last_write = now
            self._dirty[entry.job_id] = (entry.stage, entry.progress)
            self._dirty_event.set()

    async def _write_progress(self) -> None:
        """Writes running jobs' stage and progress to the database, coalesced, off the jobs' own path."""
        while True:
            await self._dirty_event.wait()
            self._dirty_event.clear()
            batch, self._dirty = self._dirty, {}
            for job_id, (stage, fraction) in batch.items():
                try:
                    await self._ledger.progress(job_id, stage, fraction)
                except DatabaseUnwritable:
                    pass  # said once by the database's health; the job's own end says the rest
                except Exception:
                    log.exception("job %s: could not record its progress", job_id)

    def _publish(self, event: AnyEvent) -> None:
        self._hub.publish(event)

    def _publish_state(self, entry: _Entry, state: JobState, reason: FailureReason | None = None) -> None:
        self._hub.publish(StateChanged(entry.job_id, entry.user_id, entry.chat_id, state, reason))

    # --- housekeeping --------------------------------------------------------------------------------

    def _disk_ok(self) -> bool:
        need = self._config.min_free_disk_mb * 1024 * 1024
        for folder in (self._config.temporary_directory, self._config.data_dir):
            Path(folder).mkdir(parents=True, exist_ok=True)
            free = shutil.disk_usage(folder).free
            if free < need:
                log.error(
                    "only %d MB free in %s (MIN_FREE_DISK_MB=%d)", free // 2**20, folder, self._config.min_free_disk_mb
                )
                return False
        return True

    def _remove_stale_workspaces(self) -> None:
        """Job folders a dead process left behind (older than any job may run)."""
        root = Path(self._config.temporary_directory)
        if not root.is_dir():
            return
        cutoff = time.time() - self._config.job_time_limit_seconds - 60
        for folder in root.glob("job-*"):
            with contextlib.suppress(OSError):
                if folder.is_dir() and folder.stat().st_mtime < cutoff:
                    shutil.rmtree(folder, ignore_errors=True)
                    log.info("removed %s, left by an earlier run", folder)

    async def remove_expired_results(self) -> list[int]:
        """Remove results delivered more than RESULT_RETENTION_HOURS ago (at start, then every few minutes)."""
        try:
            removed = await remove_expired_results(self._db, self._config.result_retention_hours)
        except Exception:
            log.exception("removing expired results failed")
            return []
        if removed:
            log.info("removed the delivered results of %d job(s) past retention", len(removed))
        return removed

    def _dispatch_waiting(self) -> None:
        """The database can be written (again): start the jobs that waited for it."""
        if self._queue:
            self._dispatch()

    async def _keep_retention(self) -> None:
        while True:
            await asyncio.sleep(self._config.retention_check_seconds)
            await self.remove_expired_results()


def _entry_of(job: Job) -> _Entry:
    return _Entry(job_id=job.id, user_id=job.user_id, chat_id=job.chat_id)


async def _settle(task: asyncio.Task[Any]) -> None:
    """Wait for a cancelled task to finish, even if the waiter is cancelled meanwhile."""
    while not task.done():
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait([task])


def _seconds_text(stage_seconds: Mapping[Stage, float]) -> str:
    return ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in stage_seconds.items())
