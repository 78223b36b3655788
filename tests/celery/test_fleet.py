"""Two real workers share the queue: first come, first served, one running job per user, each result sent once."""

from __future__ import annotations

import asyncio

import pytest

from storage.jobs_repo import jobs_in_state
from storage.models import JobState
from tests.celery.conftest import Fleet
from tests.workers import eventually

pytestmark = pytest.mark.slow  # real worker processes running whole jobs


async def test_two_workers_share_ten_jobs_from_five_users(fleet_of: Fleet) -> None:
    fleet = fleet_of
    users = [fleet.tg.add_user(f"User{n}") for n in range(5)]
    starting = [fleet.workers.spawn("w1"), fleet.workers.spawn("w2")]
    # Each user's two jobs one after the other: a worker that takes a user's second job while the first runs on
    # the other worker must start someone else's instead.
    jobs = [await fleet.submit(user, prompt=f"take {n}") for user in users for n in (1, 2)]
    await asyncio.gather(*(fleet.workers.wait_ready(worker) for worker in starting))

    await eventually(fleet.all_delivered, "every job delivered")
    finished = [await fleet.job(job.id) for job in jobs]
    assert {job.state for job in finished} == {JobState.DONE}
    assert not await jobs_in_state(fleet.db, JobState.QUEUED, JobState.RUNNING)
    # every job delivered exactly once: each user got two results, two music files and two zips
    for user in users:
        counts = [len(fleet.sent(user.id, method)) for method in ("sendVideo", "sendAudio", "sendDocument")]
        assert counts == [2, 2, 2], (user.first_name, counts)
        captions = sorted(call.text or "" for call in fleet.sent(user.id, "sendVideo"))
        assert "take 1" in captions[0] and "take 2" in captions[1]
    # both workers took jobs
    assert len({job.worker_id for job in finished}) == 2
    # a user's two jobs never ran at the same time, and the first asked for started first
    for user in users:
        first, second = sorted((job for job in finished if job.user_id == user.id), key=lambda job: job.id)
        assert first.started_at is not None and first.finished_at is not None and second.started_at is not None
        assert first.finished_at <= second.started_at, (user.first_name, first.finished_at, second.started_at)
    assert all(job.attempts == 1 for job in finished)
