"""Jobs: made from a request (one per double tap, within the queue limits), moved through their states.

States: queued -> running -> done | failed | cancelled; running -> queued again when the process stops or
restarts mid-job. With several takes: running -> choosing (the takes are kept, nothing runs) -> queued when the
member picks one (`choose_take`) -> running -> done; a choice not made within the retention time is dropped.
Every change is one short transaction; a change that no longer applies (the job was cancelled or forgotten
meanwhile) changes nothing and says so by returning False/None. A worker on another host passes its `worker_id`
to the changes it makes to a job it runs: they then apply only while the job is still its own (not taken over
after the worker was thought lost). `storage.claims` hands jobs to such workers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Update, func, select, update
from sqlalchemy.exc import IntegrityError

from engine.errors import BadInput
from engine.options import UserOptions
from engine.stages import Stage
from storage import refusals
from storage.database import Database, hold_xact_lock
from storage.models import UNFINISHED, Job, JobFile, JobStageTime, JobState, options_to_json, utcnow
from storage.users import user_row
from storage.video_ref import VideoRef


@dataclass(frozen=True)
class JobRequest:
    """What the bot asks for: whose, where to reply, which video, and the settings to use (copied)."""

    user_id: int
    chat_id: int
    video: VideoRef
    prompt: str
    parts: int
    part: int
    options: UserOptions
    reply_to_message_id: int | None = None

    @classmethod
    def of(cls, job: Job) -> JobRequest:
        """The request a job was made from (its settings as they were then)."""
        return cls(
            job.user_id, job.chat_id, job.video, job.prompt, job.parts, job.part, job.options, job.reply_to_message_id
        )

    def key(self) -> str:
        """Equal for two requests that would make the same result (same user, video, prompt, split, settings)."""
        identity = {
            "user": self.user_id,
            "video": self.video.identity,
            "prompt": self.prompt,
            "parts": self.parts,
            "part": self.part,
            "options": options_to_json(self.options),
        }
        return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


TAKE_KIND = "take"  # a job file that is one take's clip (its part: the take's number)
DELIVERABLE = (JobState.DONE, JobState.CHOOSING)  # states whose files wait to be sent


@dataclass(frozen=True)
class QueueLimits:
    max_jobs_per_user: int = 2
    max_queue: int = 50


@dataclass(frozen=True)
class Submitted:
    job: Job
    created: bool  # False: the same request was already waiting or running, and this is that job


@dataclass(frozen=True)
class NewJobFile:
    """A result file already moved into the job's results folder."""

    kind: str
    path: str
    part: int | None = None
    size_bytes: int = 0
    meta: Mapping[str, Any] = field(default_factory=dict)


# Any fixed number: the key of PostgreSQL's advisory lock that job creation holds for its transaction.
_JOB_CREATION_LOCK = 0x72696666


async def _active_duplicate(session: Any, user_id: int, key: str) -> Job | None:
    states = (*UNFINISHED, JobState.CHOOSING)  # a job waiting for its take to be picked comes back as queued
    query = select(Job).where(Job.user_id == user_id, Job.request_key == key, Job.state.in_(states))
    result: Job | None = (await session.execute(query)).scalar_one_or_none()
    return result


async def create_job(db: Database, request: JobRequest, limits: QueueLimits) -> Submitted:
    """A new queued job, or the one already waiting for the same request.

    Raises BadInput (codes too_many_jobs, queue_full) when the limits are reached; nothing is written then.
    """
    key = request.key()
    for _ in range(3):
        try:
            async with db.transaction() as session:
                # one creation at a time counts the queue: two that each counted 4 of 5 would both insert
                await hold_xact_lock(session, _JOB_CREATION_LOCK)
                await user_row(session, request.user_id)
                existing = await _active_duplicate(session, request.user_id, key)
                if existing is not None:
                    return Submitted(existing, created=False)
                mine = await session.scalar(
                    select(func.count()).where(Job.user_id == request.user_id, Job.state.in_(UNFINISHED))
                )
                if (mine or 0) >= limits.max_jobs_per_user:
                    raise BadInput(refusals.TOO_MANY_JOBS, limit=limits.max_jobs_per_user)
                everyone = await session.scalar(select(func.count()).where(Job.state.in_(UNFINISHED)))
                if (everyone or 0) >= limits.max_queue:
                    raise BadInput(refusals.QUEUE_FULL, limit=limits.max_queue)
                job = Job(
                    user_id=request.user_id,
                    chat_id=request.chat_id,
                    reply_to_message_id=request.reply_to_message_id,
                    video=request.video,
                    prompt=request.prompt,
                    parts=request.parts,
                    part=request.part,
                    options=request.options,
                    request_key=key,
                    state=JobState.QUEUED,
                    progress=0.0,
                    attempts=0,
                    created_at=utcnow(),
                )
                session.add(job)
                await session.flush()
                await session.refresh(job, ["files"])
            return Submitted(job, created=True)
        except IntegrityError:  # the same request inserted at the same moment (databases without a write lock)
            continue
    async with db.sessions() as session:
        existing = await _active_duplicate(session, request.user_id, key)
    if existing is None:
        raise RuntimeError("could not create the job nor find its duplicate")
    return Submitted(existing, created=False)


async def get_job(db: Database, job_id: int) -> Job | None:
    async with db.sessions() as session:
        return await session.get(Job, job_id)


async def jobs_in_state(db: Database, *states: JobState) -> list[Job]:
    """Jobs in any of `states`, oldest first (the queue's order)."""
    async with db.sessions() as session:
        rows = await session.execute(select(Job).where(Job.state.in_(states)).order_by(Job.id))
        return list(rows.scalars())


def start_attempt(job: Job, worker_id: int | None = None) -> None:
    """A queued job's row (in a transaction) made running, its attempt counted, on `worker_id` (None: in-process)."""
    job.state = JobState.RUNNING
    job.attempts += 1
    job.started_at = utcnow()
    job.stage = None
    job.progress = 0.0
    job.error = None
    job.worker_id = worker_id
    job.cancel_requested = False
    job.queue_position = None


def back_in_queue(job: Job) -> None:
    """A running job's row (in a transaction) queued again, in its place (the queue is by id), on no worker."""
    job.state = JobState.QUEUED
    job.stage = None
    job.progress = 0.0
    job.started_at = None
    job.worker_id = None
    job.cancel_requested = False
    job.queue_position = None


async def mark_running(db: Database, job_id: int) -> Job | None:
    """queued -> running, counting the attempt; None when the job is no longer queued (cancelled, forgotten)."""
    async with db.transaction() as session:
        job = await session.get(Job, job_id, with_for_update=True)
        if job is None or job.state != JobState.QUEUED:
            return None
        start_attempt(job)
    return job


def _not_owned(job: Job | None, worker_id: int | None) -> bool:
    """True when `worker_id` is given and the job is not (or no longer) that worker's."""
    return job is None or (worker_id is not None and job.worker_id != worker_id)


async def set_progress(
    db: Database, job_id: int, stage: Stage | None, progress: float, *, worker_id: int | None = None
) -> bool:
    """Record a running job's stage and progress (0..1)."""
    condition = [Job.id == job_id, Job.state == JobState.RUNNING]
    if worker_id is not None:
        condition.append(Job.worker_id == worker_id)
    async with db.transaction() as session:
        result = await session.execute(
            update(Job).where(*condition).values(stage=stage, progress=max(0.0, min(1.0, progress)))
        )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def set_progress_message(db: Database, job_id: int, message_id: int | None) -> bool:
    """Remember the message the bot keeps editing with this job's progress."""
    async with db.transaction() as session:
        result = await session.execute(update(Job).where(Job.id == job_id).values(progress_message_id=message_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _file_rows(job_id: int, files: Iterable[NewJobFile]) -> list[JobFile]:
    return [
        JobFile(job_id=job_id, kind=f.kind, path=f.path, part=f.part, size_bytes=f.size_bytes, meta=dict(f.meta))
        for f in files
    ]


def _stage_rows(job_id: int, stage_seconds: Mapping[Stage, float]) -> list[JobStageTime]:
    return [JobStageTime(job_id=job_id, stage=stage, seconds=float(s)) for stage, s in stage_seconds.items()]


async def finish_done(
    db: Database,
    job_id: int,
    *,
    result_dir: str,
    files: Iterable[NewJobFile],
    stage_seconds: Mapping[Stage, float] | None = None,
    seed: int | None = None,
    state: JobState = JobState.DONE,
    worker_id: int | None = None,
) -> bool:
    """running -> done (or choosing, with takes to pick from) with its result files; False (nothing written)
    when the job is no longer running."""
    async with db.transaction() as session:
        job = await session.get(Job, job_id, with_for_update=True)
        if job is None or _not_owned(job, worker_id) or job.state != JobState.RUNNING:
            return False
        job.state = state
        job.stage = None
        job.progress = 1.0
        job.finished_at = utcnow()
        job.result_dir = result_dir
        job.seed = seed
        session.add_all(_file_rows(job_id, files))
        session.add_all(_stage_rows(job_id, stage_seconds or {}))
    return True


async def keep_early_files(
    db: Database,
    job_id: int,
    *,
    result_dir: str,
    files: Iterable[NewJobFile],
    seed: int | None = None,
    worker_id: int | None = None,
) -> bool:
    """Record result files kept while the job still runs (its first results, delivered before the rest), with the
    seed they were made with; False (nothing written) when the job is no longer running."""
    async with db.transaction() as session:
        job = await session.get(Job, job_id, with_for_update=True)
        if job is None or _not_owned(job, worker_id) or job.state != JobState.RUNNING:
            return False
        job.result_dir = result_dir
        job.seed = seed
        session.add_all(_file_rows(job_id, files))
    return True


async def finish_failed(
    db: Database,
    job_id: int,
    error: str,
    stage_seconds: Mapping[Stage, float] | None = None,
    *,
    worker_id: int | None = None,
) -> bool:
    """queued or running -> failed with a message for the user."""
    async with db.transaction() as session:
        job = await session.get(Job, job_id, with_for_update=True)
        if job is None or _not_owned(job, worker_id) or job.state not in UNFINISHED:
            return False
        job.state = JobState.FAILED
        job.error = error
        job.finished_at = utcnow()
        session.add_all(_stage_rows(job_id, stage_seconds or {}))
    return True


async def finish_cancelled(
    db: Database, job_id: int, stage_seconds: Mapping[Stage, float] | None = None, *, worker_id: int | None = None
) -> bool:
    """queued or running -> cancelled; False when it had already ended (or never existed)."""
    async with db.transaction() as session:
        job = await session.get(Job, job_id, with_for_update=True)
        if job is None or _not_owned(job, worker_id) or job.state not in UNFINISHED:
            return False
        job.state = JobState.CANCELLED
        job.finished_at = utcnow()
        session.add_all(_stage_rows(job_id, stage_seconds or {}))
    return True


async def requeue(db: Database, job_id: int, *, forgive_attempt: bool = False, worker_id: int | None = None) -> bool:
    """running -> queued (the process stopped mid-job); `forgive_attempt` when the stop was ours, not the job's."""
    async with db.transaction() as session:
        job = await session.get(Job, job_id, with_for_update=True)
        if job is None or _not_owned(job, worker_id) or job.state != JobState.RUNNING:
            return False
        back_in_queue(job)
        if forgive_attempt and job.attempts > 0:
            job.attempts -= 1
    return True


async def claim_send(db: Database, file_id: int) -> bool:
    """Before a result file is sent: True for the one caller that may send it (not sent, nor begun elsewhere)."""
    async with db.transaction() as session:
        result = await session.execute(
            update(JobFile)
            .where(JobFile.id == file_id, JobFile.sending_at.is_(None), JobFile.sent_at.is_(None))
            .values(sending_at=utcnow())
        )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def release_send(db: Database, file_id: int) -> None:
    """A send that failed without reaching Telegram: the file may be sent again (a later delivery)."""
    async with db.transaction() as session:
        await session.execute(
            update(JobFile).where(JobFile.id == file_id, JobFile.sent_at.is_(None)).values(sending_at=None)
        )


def dropping_send_marks(job_id: int | None = None) -> Update:
    """The statement that takes back the marks of files not sent (of one job, or all): marks left by a process
    that died while sending. Such a file may have reached Telegram before the process died: it is sent again (the
    one file in flight at a crash may arrive twice; nothing answered is ever sent again)."""
    query = update(JobFile).where(JobFile.sending_at.is_not(None), JobFile.sent_at.is_(None))
    if job_id is not None:
        query = query.where(JobFile.job_id == job_id)
    return query.values(sending_at=None)


async def drop_send_marks(db: Database, job_id: int | None = None) -> int:
    """Take back the marks a process that died left on files it was sending (see `dropping_send_marks`); how many."""
    async with db.transaction() as session:
        result = await session.execute(dropping_send_marks(job_id))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def record_sent(
    db: Database, file_id: int, *, telegram_file_id: str | None, message_id: int | None, sent_at: datetime | None = None
) -> bool:
    """Note that one result file was sent (Telegram's file id lets it be sent again without uploading)."""
    async with db.transaction() as session:
        result = await session.execute(
            update(JobFile)
            .where(JobFile.id == file_id)
            .values(telegram_file_id=telegram_file_id, message_id=message_id, sent_at=sent_at or utcnow())
        )
    return bool(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class SentFile:
    """One result file as Telegram took it: its row, Telegram's file id, the message carrying it."""

    file_id: int
    telegram_file_id: str | None
    message_id: int | None


async def record_sent_files(db: Database, files: Sequence[SentFile], sent_at: datetime | None = None) -> None:
    """Note several files as sent in one transaction (an album: all of them or none, never half)."""
    when = sent_at or utcnow()
    async with db.transaction() as session:
        for file in files:
            await session.execute(
                update(JobFile)
                .where(JobFile.id == file.file_id)
                .values(telegram_file_id=file.telegram_file_id, message_id=file.message_id, sent_at=when)
            )


async def mark_delivered(db: Database, job_id: int, when: datetime | None = None) -> bool:
    """The job's results reached the user; they are removed RESULT_RETENTION_HOURS after `when`."""
    async with db.transaction() as session:
        result = await session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state.in_(DELIVERABLE), Job.delivered_at.is_(None))
            .values(delivered_at=when or utcnow())
        )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def undelivered_jobs(db: Database) -> list[Job]:
    """Finished jobs whose results were not delivered yet (to be offered again after a restart)."""
    async with db.sessions() as session:
        rows = await session.execute(
            select(Job)
            .where(Job.state.in_(DELIVERABLE), Job.delivered_at.is_(None), Job.results_removed_at.is_(None))
            .order_by(Job.id)
        )
        return list(rows.scalars())


async def choose_take(db: Database, job_id: int, take: int) -> Job | None:
    """choosing -> queued with take `take` (from 1) picked, to be finished with it; None when the job is not
    waiting for a choice (already chosen, dropped, forgotten) or has no such take."""
    async with db.transaction() as session:
        job = await session.get(Job, job_id, with_for_update=True)
        if job is None or job.state != JobState.CHOOSING or job.results_removed_at is not None:
            return None
        if not any(file.kind == TAKE_KIND and file.part == take for file in job.files):
            return None
        back_in_queue(job)
        job.chosen_take = take
        job.attempts = 0
        job.delivered_at = None  # the chosen take's results are delivered next
    return job
