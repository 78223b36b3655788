"""The jobs table as the queue of workers on many hosts (RUNNER=celery): which worker takes which job.

- `claim_next(db, worker_id)`: the oldest queued job whose user has nothing running, made running on that
  worker (its attempt counted), in one transaction that no other claim runs beside: first come, first served, one
  running job per user, across hosts.
- `request_cancel(db, job_id)`: a waiting job is cancelled at once; a running one is asked to stop (its worker
  looks with `cancel_wanted`, which also tells it when the job is no longer its own, and stops at the next
  diffusion step or ffmpeg call).
- After a worker is lost: `recover_interrupted` puts its running job back in the queue (or fails it, interrupted
  too often); `take_delivery` hands its finished, undelivered job to a live worker. Both act only while the job's
  worker is still the one named and that worker is marked stopped or lost (never a worker that registered a
  moment ago), as a compare-and-set, so two workers looking at once do it once. Either takes back the marks the
  lost worker left on files it was sending (bot.delivery): those files are sent again.
- Queue positions: `queue_snapshot` (waiting jobs, running users) and `show_position` (True when the position
  shown to the job's user changes, for exactly one caller).
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.database import Database, hold_xact_lock
from storage.jobs_repo import DELIVERABLE, back_in_queue, dropping_send_marks, start_attempt
from storage.models import Job, JobState, Worker, utcnow

_CLAIM_LOCK = 0x72696667  # PostgreSQL advisory lock held by a claim for its transaction


async def claim_next(db: Database, worker_id: int) -> Job | None:
    """The oldest waiting job whose user has no job running, now running on `worker_id`; None when there is none."""
    running = aliased(Job)
    busy = exists().where(running.user_id == Job.user_id, running.state == JobState.RUNNING)
    async with db.transaction() as session:
        await hold_xact_lock(session, _CLAIM_LOCK)  # one claim at a time
        job = await session.scalar(select(Job).where(Job.state == JobState.QUEUED, ~busy).order_by(Job.id).limit(1))
        if job is None:
            return None
        start_attempt(job, worker_id)
    return job


async def any_waiting(db: Database) -> bool:
    async with db.sessions() as session:
        return bool(await session.scalar(select(exists().where(Job.state == JobState.QUEUED))))


async def request_cancel(db: Database, job_id: int) -> JobState | None:
    """CANCELLED: it was waiting and is cancelled now; RUNNING: its worker is asked to stop it; None: it had ended."""
    async with db.transaction() as session:
        job = await session.get(Job, job_id, with_for_update=True)
        if job is None:
            return None
        if job.state == JobState.QUEUED:
            job.state = JobState.CANCELLED
            job.finished_at = utcnow()
            job.queue_position = None
            return JobState.CANCELLED
        if job.state == JobState.RUNNING:
            job.cancel_requested = True
            return JobState.RUNNING
    return None


class StopWanted(enum.Enum):
    """Why a worker should stop the job it runs (a member is truthy)."""

    CANCEL = "cancel"  # its user cancelled it (or forgot it: the job is gone)
    LOST = "lost"  # the job is no longer this worker's: it was thought lost


async def cancel_wanted(db: Database, job_id: int, worker_id: int) -> StopWanted | None:
    """Whether the worker should stop the job, and why; None while it is still running there (or just ended)."""
    async with db.sessions() as session:
        row = (
            await session.execute(select(Job.state, Job.cancel_requested, Job.worker_id).where(Job.id == job_id))
        ).one_or_none()
    if row is None:  # forgotten (/forget): stopped like a cancel
        return StopWanted.CANCEL
    state, requested, owner = row
    if owner != worker_id:  # queued again or running elsewhere
        return StopWanted.LOST
    if state == JobState.CANCELLED or requested:
        return StopWanted.CANCEL
    return None


def _not_live(live_workers: Collection[int]) -> ColumnElement[bool]:
    if not live_workers:
        return true()
    return or_(Job.worker_id.is_(None), Job.worker_id.not_in(list(live_workers)))


async def interrupted_jobs(db: Database, live_workers: Collection[int]) -> list[Job]:
    """Running jobs whose worker is not among `live_workers` (lost, stopped, or none)."""
    async with db.sessions() as session:
        query = select(Job).where(Job.state == JobState.RUNNING, _not_live(live_workers)).order_by(Job.id)
        return list((await session.scalars(query)).all())


class Recovery(enum.StrEnum):
    REQUEUED = "requeued"
    FAILED = "failed"
    UNCHANGED = "unchanged"  # someone else recovered it first, or it moved on


async def _gone(session: AsyncSession, worker_id: int | None) -> bool:
    """True when no worker holds this id any more: none, its row removed, or marked stopped or lost."""
    if worker_id is None:
        return True
    worker = await session.get(Worker, worker_id)
    return worker is None or worker.stopped_at is not None


async def recover_interrupted(
    db: Database, job_id: int, owner: int | None, *, max_attempts: int, failure: str
) -> Recovery:
    """An interrupted running job back in the queue (in its place: the queue is by id), or failed with `failure`
    once it was interrupted `max_attempts` times; only while `owner`, stopped or lost, is still its worker."""
    async with db.transaction() as session:
        job = await session.get(Job, job_id, with_for_update=True)
        if job is None or job.state != JobState.RUNNING or job.worker_id != owner or not await _gone(session, owner):
            return Recovery.UNCHANGED
        if job.attempts >= max_attempts:
            job.state = JobState.FAILED
            job.error = failure
            job.finished_at = utcnow()
            return Recovery.FAILED
        back_in_queue(job)
        await session.execute(dropping_send_marks(job_id))  # first results the lost worker was sending
    return Recovery.REQUEUED


async def orphaned_deliveries(db: Database, live_workers: Collection[int]) -> list[Job]:
    """Finished jobs not yet delivered whose worker is not among `live_workers`."""
    async with db.sessions() as session:
        query = (
            select(Job)
            .where(
                Job.state.in_(DELIVERABLE),
                Job.delivered_at.is_(None),
                Job.results_removed_at.is_(None),
                _not_live(live_workers),
            )
            .order_by(Job.id)
        )
        return list((await session.scalars(query)).all())


async def take_delivery(db: Database, job_id: int, owner: int | None, worker_id: int) -> bool:
    """Make `worker_id` the deliverer of a finished job while `owner`, stopped or lost, still is; True for the one
    that did."""
    condition = Job.worker_id.is_(None) if owner is None else Job.worker_id == owner
    async with db.transaction() as session:
        if not await _gone(session, owner):
            return False
        result = await session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state.in_(DELIVERABLE), Job.delivered_at.is_(None), condition)
            .values(worker_id=worker_id)
        )
        taken = bool(result.rowcount)  # type: ignore[attr-defined]
        if taken:  # the file the lost worker was sending when it died is sent again (it may arrive twice)
            await session.execute(dropping_send_marks(job_id))
    return taken


@dataclass(frozen=True)
class QueueSnapshot:
    waiting: list[Job]  # oldest first
    running_users: list[int]  # users of the running jobs, in the order those started


async def queue_snapshot(db: Database) -> QueueSnapshot:
    async with db.sessions() as session:
        waiting = (await session.scalars(select(Job).where(Job.state == JobState.QUEUED).order_by(Job.id))).all()
        running = (
            await session.execute(
                select(Job.user_id).where(Job.state == JobState.RUNNING).order_by(Job.started_at, Job.id)
            )
        ).scalars()
        return QueueSnapshot(list(waiting), list(running))


async def show_position(db: Database, job_id: int, position: int) -> bool:
    """Record the position shown for a waiting job; True only when it changed (and for one caller)."""
    async with db.transaction() as session:
        result = await session.execute(
            update(Job)
            .where(
                Job.id == job_id,
                Job.state == JobState.QUEUED,
                or_(Job.queue_position.is_(None), Job.queue_position != position),
            )
            .values(queue_position=position)
        )
    return bool(result.rowcount)  # type: ignore[attr-defined]
