"""What was done: a user's last jobs, and totals for an admin."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from engine.stages import Stage
from storage.database import Database
from storage.models import Job, JobStageTime, JobState, User


@dataclass(frozen=True)
class Totals:
    jobs_per_state: dict[JobState, int]  # every state, 0 where none
    average_stage_seconds: dict[Stage, float]  # per stage, over every attempt that reached it
    users: int


async def user_history(db: Database, user_id: int, limit: int = 10) -> list[Job]:
    """The user's last `limit` jobs, newest first."""
    async with db.sessions() as session:
        rows = await session.execute(select(Job).where(Job.user_id == user_id).order_by(Job.id.desc()).limit(limit))
        return list(rows.scalars())


@dataclass(frozen=True)
class SharedResult:
    """A finished job's result as Telegram keeps it: the chosen part (a video) and the music, by file id."""

    job: Job
    video_file_id: str | None
    music_file_id: str | None


async def shareable_results(db: Database, user_id: int, limit: int = 20) -> list[SharedResult]:
    """The user's last `limit` delivered results whose files Telegram has (file ids), newest first.

    A forgotten user's jobs are gone, so nothing of theirs is ever offered again.
    """
    async with db.sessions() as session:
        rows = await session.execute(
            select(Job)
            .where(Job.user_id == user_id, Job.state == JobState.DONE, Job.delivered_at.is_not(None))
            .order_by(Job.id.desc())
            .limit(limit)
        )
        jobs = list(rows.scalars())
    shared = []
    for job in jobs:
        ids = {file.kind: file.telegram_file_id for file in job.files if file.telegram_file_id}
        if ids.get("result") or ids.get("music"):
            shared.append(SharedResult(job, ids.get("result"), ids.get("music")))
    return shared


async def admin_totals(db: Database) -> Totals:
    async with db.sessions() as session:
        per_state = dict((await session.execute(select(Job.state, func.count()).group_by(Job.state))).all())
        stages = (
            await session.execute(
                select(JobStageTime.stage, func.avg(JobStageTime.seconds)).group_by(JobStageTime.stage)
            )
        ).all()
        users = int(await session.scalar(select(func.count()).select_from(User)) or 0)
    return Totals(
        jobs_per_state={state: int(per_state.get(state, 0)) for state in JobState},
        average_stage_seconds={stage: float(avg) for stage, avg in stages},
        users=users,
    )
