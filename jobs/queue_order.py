"""The order in which waiting jobs will start: first come, first served, one job per user at a time.

The runner starts the oldest waiting job whose user has nothing running whenever one of its slots is free. To
tell a job its place, `start_order` plays that rule forward, assuming that running jobs finish in the order they
started; a job's queue position is then the number of jobs ahead of it in that order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Waiting:
    job_id: int
    user_id: int


def next_to_start(queue: Sequence[Waiting], busy_users: set[int] | Sequence[int]) -> Waiting | None:
    """The oldest waiting job whose user has no job running, or None."""
    busy = set(busy_users)
    return next((item for item in queue if item.user_id not in busy), None)


def start_order(queue: Sequence[Waiting], running_users: Sequence[int], slots: int) -> list[int]:
    """Job ids of `queue` (oldest first) in the order they will start.

    `running_users` are the users of the running jobs, in the order those started; `slots` is how many jobs may
    run at once.
    """
    running = list(running_users)
    pending = list(queue)
    order: list[int] = []
    while pending:
        if len(running) < slots:
            pick = next_to_start(pending, running)
            if pick is not None:
                pending.remove(pick)
                running.append(pick.user_id)
                order.append(pick.job_id)
                continue
        if not running:  # cannot happen with slots >= 1; keeps the loop finite whatever the input
            order.extend(item.job_id for item in pending)
            break
        running.pop(0)
    return order


def positions(queue: Sequence[Waiting], running_users: Sequence[int], slots: int) -> dict[int, int]:
    """job id -> number of jobs that will start before it."""
    return {job_id: index for index, job_id in enumerate(start_order(queue, running_users, slots))}
