"""The jobs table as the queue of workers on many hosts: claims, cancels, recovery after a lost worker, a delivery
taken over, send claims, worker heartbeats and Telegram updates handled once. Every step may run twice, or in two
processes at once: each is a compare-and-set, and only one caller wins."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import timedelta

from sqlalchemy import update

from engine.options import UserOptions
from storage import Database, claims, workers_repo
from storage.claims import Recovery
from storage.jobs_repo import (
    JobRequest,
    NewJobFile,
    QueueLimits,
    claim_send,
    create_job,
    drop_send_marks,
    finish_done,
    get_job,
    record_sent,
    release_send,
)
from storage.models import Job, JobState, Worker, utcnow
from storage.updates_repo import first_sighting, forget_before
from storage.video_ref import VideoRef
from storage.workers_repo import NewWorker

LIMITS = QueueLimits(max_jobs_per_user=2, max_queue=50)


async def queued(db: Database, user: int, prompt: str = "jazz") -> Job:
    request = JobRequest(user, user, VideoRef(f"video-{user}"), prompt, 2, 1, UserOptions())
    return (await create_job(db, request, LIMITS)).job


async def worker(db: Database, name: str, lost_after_s: float = 30.0) -> int:
    return await workers_repo.register(db, NewWorker(name, "host", 1, "cpu", lost_after_s))


async def lose(db: Database, worker_id: int) -> None:
    """The worker silent for a minute, then marked lost."""
    async with db.transaction() as session:
        silent = utcnow() - timedelta(minutes=1)
        await session.execute(update(Worker).where(Worker.id == worker_id).values(seen_at=silent, lost_after_s=5.0))
    assert worker_id in [worker.id for worker in await workers_repo.mark_lost(db)]


async def test_claims_are_first_come_first_served_one_running_job_per_user(db: Database) -> None:
    a1, a2, b1 = await queued(db, 1, "one"), await queued(db, 1, "two"), await queued(db, 2)
    w1, w2, w3 = await worker(db, "w1"), await worker(db, "w2"), await worker(db, "w3")
    # three workers claim at once: the oldest job, then the oldest whose user has nothing running, then none
    got = await asyncio.gather(*(claims.claim_next(db, w) for w in (w1, w2, w3)))
    taken = sorted((job.id, job.worker_id, job.attempts) for job in got if job is not None)
    assert [job_id for job_id, _, _ in taken] == [a1.id, b1.id]
    assert {owner for _, owner, _ in taken} < {w1, w2, w3} and all(attempts == 1 for *_, attempts in taken)
    assert await claims.any_waiting(db)  # a2 waits for a1: its user is busy
    assert await claims.claim_next(db, w3) is None
    await finish_done(db, a1.id, result_dir="r", files=[], worker_id=next(o for j, o, _ in taken if j == a1.id))
    second = await claims.claim_next(db, w3)
    assert second is not None and second.id == a2.id and second.worker_id == w3


async def test_a_waiting_job_is_cancelled_at_once_a_running_one_is_asked_to_stop(db: Database) -> None:
    waiting, running = await queued(db, 1), await queued(db, 2)
    w1 = await worker(db, "w1")
    await claims.claim_next(db, w1)  # takes `waiting` (the oldest)
    assert await claims.request_cancel(db, running.id) is JobState.CANCELLED
    assert await claims.request_cancel(db, waiting.id) is JobState.RUNNING
    asked = await get_job(db, waiting.id)
    assert asked is not None and asked.state is JobState.RUNNING and asked.cancel_requested
    assert await claims.request_cancel(db, running.id) is None  # ended already
    assert await claims.cancel_wanted(db, waiting.id, w1)


async def test_a_lost_workers_job_is_queued_again_then_fails_the_second_time(db: Database) -> None:
    job = await queued(db, 1)
    w1, w2 = await worker(db, "w1"), await worker(db, "w2")
    await claims.claim_next(db, w1)
    assert [j.id for j in await claims.interrupted_jobs(db, {w1, w2})] == []
    assert [j.id for j in await claims.interrupted_jobs(db, {w2})] == [job.id]

    def recover(owner: int) -> Awaitable[Recovery]:
        return claims.recover_interrupted(db, job.id, owner, max_attempts=2, failure="interrupted twice")

    # w1 not marked lost (it registered after the other looked, say): its job stays with it
    assert await recover(w1) is Recovery.UNCHANGED
    await lose(db, w1)
    assert await recover(w2) is Recovery.UNCHANGED  # not w2's
    outcomes = await asyncio.gather(recover(w1), recover(w1))
    assert sorted(outcomes) == [Recovery.REQUEUED, Recovery.UNCHANGED]  # two workers looking: one recovers it
    again = await get_job(db, job.id)
    assert again is not None and (again.state, again.worker_id, again.attempts) == (JobState.QUEUED, None, 1)
    # the first worker, not dead after all, cannot finish the job it no longer holds
    assert not await finish_done(db, job.id, result_dir="r", files=[], worker_id=w1)
    await claims.claim_next(db, w2)
    await lose(db, w2)
    assert await recover(w2) is Recovery.FAILED
    failed = await get_job(db, job.id)
    assert failed is not None and (failed.state, failed.error) == (JobState.FAILED, "interrupted twice")


async def test_a_delivery_is_taken_over_once(db: Database) -> None:
    job = await queued(db, 1)
    w1, w2, w3 = await worker(db, "w1"), await worker(db, "w2"), await worker(db, "w3")
    await claims.claim_next(db, w1)
    await finish_done(db, job.id, result_dir="r", files=[NewJobFile("zip", "r/z.zip")], worker_id=w1)
    assert [j.id for j in await claims.orphaned_deliveries(db, {w2, w3})] == [job.id]
    assert not await claims.take_delivery(db, job.id, w1, w2)  # w1 is not marked lost
    await lose(db, w1)
    takes = await asyncio.gather(claims.take_delivery(db, job.id, w1, w2), claims.take_delivery(db, job.id, w1, w3))
    assert sorted(takes) == [False, True]


async def test_a_file_a_dead_process_was_sending_is_sent_again_by_whoever_takes_over(db: Database) -> None:
    """Marks left by a worker that died mid-send are taken back with its delivery (the file may arrive twice);
    sent files stay sent; the in-process bot takes back every mark at its start."""
    job = await queued(db, 1)
    w1, w2 = await worker(db, "w1"), await worker(db, "w2")
    await claims.claim_next(db, w1)
    files = [NewJobFile("result", "r/p.mp4"), NewJobFile("music", "r/m.m4a"), NewJobFile("zip", "r/z.zip")]
    await finish_done(db, job.id, result_dir="r", files=files, worker_id=w1)
    done = await get_job(db, job.id)
    assert done is not None
    sent, in_flight, waiting = sorted(done.files, key=lambda f: f.id)
    assert await claim_send(db, sent.id) and await claim_send(db, in_flight.id)
    await record_sent(db, sent.id, telegram_file_id="F", message_id=3)
    # w1 dies while uploading `in_flight`: nobody may send it while w1 may still be alive
    assert not await claim_send(db, in_flight.id)
    await lose(db, w1)
    assert await claims.take_delivery(db, job.id, w1, w2)
    assert [await claim_send(db, f.id) for f in (sent, in_flight, waiting)] == [False, True, True]
    # the bot in-process (RUNNER=local) after a kill: every mark is a dead process's
    assert await drop_send_marks(db) == 2
    assert [await claim_send(db, f.id) for f in (sent, in_flight, waiting)] == [False, True, True]


async def test_a_result_file_is_sent_by_one_delivery(db: Database) -> None:
    job = await queued(db, 1)
    w1 = await worker(db, "w1")
    await claims.claim_next(db, w1)
    await finish_done(db, job.id, result_dir="r", files=[NewJobFile("zip", "r/z.zip")], worker_id=w1)
    done = await get_job(db, job.id)
    assert done is not None
    (file,) = done.files
    assert sorted(await asyncio.gather(claim_send(db, file.id), claim_send(db, file.id))) == [False, True]
    await release_send(db, file.id)  # the send failed before reaching Telegram
    assert await claim_send(db, file.id)
    await record_sent(db, file.id, telegram_file_id="F", message_id=3)
    await release_send(db, file.id)  # too late: it was sent
    assert not await claim_send(db, file.id)


async def test_a_silent_worker_is_marked_lost_and_its_heartbeat_then_fails(db: Database) -> None:
    quiet, busy = await worker(db, "quiet", lost_after_s=5), await worker(db, "busy", lost_after_s=5)
    async with db.transaction() as session:  # `quiet` last beat a minute ago
        await session.execute(update(Worker).where(Worker.id == quiet).values(seen_at=utcnow() - timedelta(minutes=1)))
    assert [w.name for w in await workers_repo.online_workers(db)] == ["busy"]
    assert [w.name for w in await workers_repo.mark_lost(db)] == ["quiet"]
    assert await workers_repo.mark_lost(db) == []  # once
    assert not await workers_repo.beat(db, quiet, None)  # it learns it was taken for lost
    assert await workers_repo.beat(db, busy, 7)
    assert [(w.name, w.current_job_id) for w in await workers_repo.running_workers(db)] == [("busy", 7)]


async def test_a_telegram_update_is_handled_once(db: Database) -> None:
    assert sorted(await asyncio.gather(first_sighting(db, 41), first_sighting(db, 41))) == [False, True]
    assert await first_sighting(db, 42, now=utcnow() - timedelta(days=2))
    assert await forget_before(db, utcnow() - timedelta(days=1)) == 1
    assert await first_sighting(db, 42)  # forgotten after a day
