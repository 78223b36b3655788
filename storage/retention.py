"""Results are kept until delivered and RESULT_RETENTION_HOURS after; then their files go, the job row stays.

Takes not chosen within RESULT_RETENTION_HOURS of being made are dropped with the job's files: the job ends
cancelled (its takes can no longer be picked).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from storage.database import Database
from storage.models import Job, JobState, utcnow
from storage.results import remove_tree


async def remove_expired_results(db: Database, retention_hours: float, now: datetime | None = None) -> list[int]:
    """Remove the result files of jobs delivered more than `retention_hours` ago, and drop the takes not chosen
    within it; returns those jobs' ids."""
    cutoff = (now or utcnow()) - timedelta(hours=retention_hours)
    async with db.sessions() as session:
        rows = await session.execute(
            select(Job.id, Job.result_dir).where(
                Job.state == JobState.DONE,
                Job.delivered_at.is_not(None),
                Job.delivered_at <= cutoff,
                Job.results_removed_at.is_(None),
            )
        )
        expired = rows.all()
        rows = await session.execute(
            select(Job.id).where(
                Job.state == JobState.CHOOSING, Job.finished_at <= cutoff, Job.results_removed_at.is_(None)
            )
        )
        unchosen = rows.scalars().all()
    removed: list[int] = []
    for job_id, result_dir in expired:
        await remove_tree(result_dir)
        async with db.transaction() as session:
            job = await session.get(Job, job_id)
            if job is not None:
                job.results_removed_at = utcnow()
                removed.append(job_id)
    for job_id in unchosen:
        if await drop_unchosen_takes(db, job_id):
            removed.append(job_id)
    return removed


async def drop_unchosen_takes(db: Database, job_id: int) -> bool:
    """A job still waiting for its take to be picked ended cancelled, its files removed; False (nothing changed)
    when it is not waiting for a pick any more (a take was picked meanwhile, or it is gone)."""
    async with db.transaction() as session:
        job = await session.get(Job, job_id, with_for_update=True)
        if job is None or job.state != JobState.CHOOSING or job.results_removed_at is not None:
            return False
        job.state = JobState.CANCELLED
        job.results_removed_at = utcnow()
        result_dir = job.result_dir
    await remove_tree(result_dir)
    return True
