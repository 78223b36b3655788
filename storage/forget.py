"""Forget a user: settings, current videos, jobs (with their files and stage times) and result folders.

Cancel the user's unfinished jobs in the runner first (`runner.cancel(job_id)`); a job that finishes after its
row is gone has its results removed by the runner.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select

from storage.database import Database
from storage.models import CurrentVideo, Job, JobFile, JobStageTime, User
from storage.results import remove_tree


@dataclass(frozen=True)
class Forgotten:
    jobs: int
    result_folders_removed: int
    had_settings: bool


async def forget_user(db: Database, user_id: int) -> Forgotten:
    async with db.transaction() as session:
        job_rows = (await session.execute(select(Job.id, Job.result_dir).where(Job.user_id == user_id))).all()
        job_ids = [job_id for job_id, _ in job_rows]
        if job_ids:
            # Explicit deletes, not only ON DELETE CASCADE, so nothing depends on the database enforcing it.
            await session.execute(delete(JobFile).where(JobFile.job_id.in_(job_ids)))
            await session.execute(delete(JobStageTime).where(JobStageTime.job_id.in_(job_ids)))
            await session.execute(delete(Job).where(Job.id.in_(job_ids)))
        await session.execute(delete(CurrentVideo).where(CurrentVideo.user_id == user_id))
        result = await session.execute(delete(User).where(User.id == user_id))
        had_settings = bool(result.rowcount)  # type: ignore[attr-defined]
    removed = sum([await remove_tree(folder) for _, folder in job_rows])
    return Forgotten(jobs=len(job_ids), result_folders_removed=removed, had_settings=had_settings)
