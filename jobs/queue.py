"""`JobQueue`: what the bot needs of a job queue, whatever runs the jobs (this process, or workers elsewhere).

The queue is the jobs table: the bot makes a job with `storage.jobs_repo.create_job(db, request, queue.limits)`
(the limits are checked there, so a refused request writes nothing), then hands its id to `submit`. What
happens to it comes back through the database and through `subscribe()`'s events (`jobs.events`). A backend
(`jobs.local_runner.JobRunner` in-process; a pool of workers on other hosts) implements:

- `start()`: take up the queue left in the database; returns the ids of finished jobs whose results still wait
  for delivery (each also offered as a `ReadyToDeliver` event to those who subscribed before);
- `stop()`: stop taking jobs, put back what runs here, close every subscription;
- `submit(job_id)`: queue a job made by `create_job` (again: no harm); returns its position, None when it is not
  waiting (running, finished, unknown);
- `cancel(job_id)`: ask for a job to be cancelled, without waiting for it to stop: True when it was unfinished
  (a waiting job is taken out at once; a running one stops at its next diffusion step or ffmpeg call, and its
  `StateChanged(CANCELLED)` event says when it has), False when it had already ended;
- `position(job_id)`: how many jobs will start before this waiting one; None when it is not waiting;
- `subscribe()`: the events from now on (subscribe before `start()` to receive the re-offered deliveries too).
"""

from __future__ import annotations

from typing import Protocol

from jobs.events import Subscription
from storage.jobs_repo import QueueLimits


class JobQueue(Protocol):
    @property
    def limits(self) -> QueueLimits: ...

    async def start(self) -> list[int]: ...

    async def stop(self) -> None: ...

    async def submit(self, job_id: int) -> int | None: ...

    async def cancel(self, job_id: int) -> bool: ...

    async def position(self, job_id: int) -> int | None: ...

    def subscribe(self) -> Subscription: ...
