"""Workers on other hosts (RUNNER=celery): one row per run of `riffcut worker`, its heartbeat and what it does.

Times here are the database's (PostgreSQL's `now()`; on SQLite, one host, this machine's), so hosts whose clocks
disagree still agree on who is silent. A worker silent longer than its own `lost_after_s` is marked lost by
whoever looks first (`mark_lost`); a lost worker's heartbeat then fails (`beat` returns False) and it stops.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import Database
from storage.models import Worker, utcnow

STOPPED_KEPT = timedelta(days=1)  # stopped workers' rows are removed after this


@dataclass(frozen=True)
class NewWorker:
    name: str
    host: str
    pid: int
    device: str
    lost_after_s: float


async def database_now(session: AsyncSession) -> datetime:
    """The database server's time (UTC); this machine's for SQLite."""
    if session.get_bind().dialect.name == "postgresql":
        value = await session.scalar(select(func.now()))
        if isinstance(value, datetime):
            return value
    return utcnow()


async def register(db: Database, worker: NewWorker) -> int:
    """A new worker row, seen now; returns its id (what the worker writes into the jobs it takes)."""
    async with db.transaction() as session:
        now = await database_now(session)
        row = Worker(
            name=worker.name,
            host=worker.host,
            pid=worker.pid,
            device=worker.device,
            lost_after_s=worker.lost_after_s,
            started_at=now,
            seen_at=now,
            lost=False,
            jobs_done=0,
        )
        session.add(row)
        await session.flush()
        return row.id


async def beat(db: Database, worker_id: int, current_job_id: int | None) -> bool:
    """The worker's heartbeat, with the job it runs now; False when it was marked lost or stopped meanwhile."""
    async with db.transaction() as session:
        now = await database_now(session)
        result = await session.execute(
            update(Worker)
            .where(Worker.id == worker_id, Worker.stopped_at.is_(None))
            .values(seen_at=now, current_job_id=current_job_id)
        )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def count_done(db: Database, worker_id: int) -> None:
    async with db.transaction() as session:
        await session.execute(
            update(Worker).where(Worker.id == worker_id).values(jobs_done=Worker.jobs_done + 1, current_job_id=None)
        )


async def stopped(db: Database, worker_id: int) -> None:
    """The worker stopped on purpose (its jobs were put back)."""
    async with db.transaction() as session:
        now = await database_now(session)
        await session.execute(
            update(Worker)
            .where(Worker.id == worker_id, Worker.stopped_at.is_(None))
            .values(stopped_at=now, current_job_id=None)
        )


async def mark_lost(db: Database) -> list[Worker]:
    """Mark lost every running worker silent for longer than its `lost_after_s`; returns those this call marked."""
    marked: list[Worker] = []
    async with db.transaction() as session:
        now = await database_now(session)
        running = (await session.scalars(select(Worker).where(Worker.stopped_at.is_(None)))).all()
        for worker in running:
            if worker.seen_at >= now - timedelta(seconds=worker.lost_after_s):
                continue
            result = await session.execute(  # unless it beat meanwhile
                update(Worker)
                .where(Worker.id == worker.id, Worker.stopped_at.is_(None), Worker.seen_at == worker.seen_at)
                .values(stopped_at=now, lost=True)
            )
            if result.rowcount:  # type: ignore[attr-defined]
                marked.append(worker)
        await session.execute(delete(Worker).where(Worker.stopped_at < now - STOPPED_KEPT))
    return marked


async def running_workers(db: Database) -> list[Worker]:
    """Workers neither stopped nor marked lost, oldest first (one may have died and not be marked yet)."""
    async with db.sessions() as session:
        rows = await session.scalars(select(Worker).where(Worker.stopped_at.is_(None)).order_by(Worker.id))
        return list(rows.all())


async def online_workers(db: Database) -> list[Worker]:
    """Running workers heard from within their `lost_after_s`: those that can take a job now."""
    async with db.sessions() as session:
        now = await database_now(session)
        rows = (await session.scalars(select(Worker).where(Worker.stopped_at.is_(None)).order_by(Worker.id))).all()
    return [w for w in rows if w.seen_at >= now - timedelta(seconds=w.lost_after_s)]
