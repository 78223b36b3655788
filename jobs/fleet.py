"""What front ends and workers on many hosts share about the queue in the database (RUNNER=celery).

- `refresh_positions(db, publish)`: every waiting job's position (how many jobs start before it: first come,
  first served, one running job per user, as many at once as there are workers online), and a `PositionChanged`
  event for each whose position differs from the one its user was last shown. Whoever changed the queue calls it
  (a front end after a submit or a cancel, a worker after it took or ended a job); the position shown is written
  in the job's row, so one process announces each change.
- `worker_statuses(db)`: the workers online, for the admins' /queue.
"""

from __future__ import annotations

from collections.abc import Callable

from jobs.events import AnyEvent, PositionChanged
from jobs.queue import WorkerStatus
from jobs.queue_order import Waiting, positions
from storage import claims, workers_repo
from storage.database import Database


async def current_positions(db: Database) -> tuple[claims.QueueSnapshot, dict[int, int]]:
    snapshot = await claims.queue_snapshot(db)
    slots = max(1, len(await workers_repo.online_workers(db)))
    waiting = [Waiting(job.id, job.user_id) for job in snapshot.waiting]
    return snapshot, positions(waiting, snapshot.running_users, slots)


async def refresh_positions(db: Database, publish: Callable[[AnyEvent], None]) -> dict[int, int]:
    """Positions of the waiting jobs now; those that changed are announced through `publish`."""
    snapshot, now = await current_positions(db)
    for job in snapshot.waiting:
        position = now[job.id]
        if job.queue_position != position and await claims.show_position(db, job.id, position):
            publish(PositionChanged(job.id, job.user_id, job.chat_id, position))
    return now


async def worker_statuses(db: Database) -> list[WorkerStatus]:
    return [
        WorkerStatus(w.name, w.host, w.device, w.current_job_id, w.jobs_done, w.started_at)
        for w in await workers_repo.online_workers(db)
    ]
