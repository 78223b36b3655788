"""Jobs in the database: one per double tap, limits, history, totals, retention and forgetting a user."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select

from engine.errors import BadInput
from engine.options import UserOptions
from engine.stages import Stage
from riffcut.cli import main
from storage import Database
from storage.forget import forget_user
from storage.history import admin_totals, user_history
from storage.jobs_repo import (
    JobRequest,
    NewJobFile,
    QueueLimits,
    Submitted,
    create_job,
    finish_done,
    finish_failed,
    get_job,
    mark_delivered,
    mark_running,
    record_sent,
    set_progress_message,
    undelivered_jobs,
)
from storage.models import Base, CurrentVideo, Job, JobFile, JobStageTime, User, utcnow
from storage.options_repo import get_options, set_option
from storage.results import results_dir
from storage.retention import remove_expired_results
from storage.video_ref import VideoRef
from storage.videos_repo import get_current_video, set_current_video


def outcome_of(outcome: object) -> str:
    if isinstance(outcome, BadInput):
        return outcome.code
    assert isinstance(outcome, Submitted), outcome
    return "submitted"


def exists(path: str | None) -> bool:
    return bool(path) and Path(path or "").exists()


LIMITS = QueueLimits(max_jobs_per_user=2, max_queue=50)


def request(user: int, prompt: str = "jazz", *, video: str = "v1", options: UserOptions | None = None) -> JobRequest:
    return JobRequest(
        user_id=user,
        chat_id=user,
        video=VideoRef(video),
        prompt=prompt,
        parts=3,
        part=2,
        options=options or UserOptions(),
        reply_to_message_id=11,
    )


async def _done_job(db: Database, data_dir: Path, user: int, prompt: str) -> Job:
    job = (await create_job(db, request(user, prompt), LIMITS)).job
    await mark_running(db, job.id)
    folder = results_dir(data_dir, job.id)
    folder.mkdir(parents=True)
    (folder / "result.zip").write_bytes(b"zip")
    await finish_done(
        db,
        job.id,
        result_dir=str(folder),
        seed=5,
        files=[NewJobFile("zip", str(folder / "result.zip"), size_bytes=3)],
        stage_seconds={Stage.SPLIT: 1.0, Stage.GENERATE: 4.0},
    )
    found = await get_job(db, job.id)
    assert found is not None
    return found


async def test_a_double_submission_makes_one_job(db: Database) -> None:
    results = await asyncio.gather(*[create_job(db, request(1), LIMITS) for _ in range(6)])
    assert len({r.job.id for r in results}) == 1
    assert [r.created for r in results].count(True) == 1
    # Another prompt, or other settings, is another job.
    other = await create_job(db, request(1, options=UserOptions(steps=10)), LIMITS)
    assert other.created and other.job.id != results[0].job.id
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Job)) == 2


async def test_the_same_request_after_the_first_finished_is_a_new_job(db: Database, tmp_path: Path) -> None:
    first = await _done_job(db, tmp_path, 1, "jazz")
    again = await create_job(db, request(1, "jazz"), LIMITS)
    assert again.created and again.job.id != first.id


async def test_limits_refuse_with_a_clear_message_and_write_nothing(db: Database) -> None:
    await create_job(db, request(1, "a"), LIMITS)
    await create_job(db, request(1, "b"), LIMITS)
    with pytest.raises(BadInput, match="You already have 2 jobs waiting or running") as too_many:
        await create_job(db, request(1, "c"), LIMITS)
    assert (too_many.value.code, dict(too_many.value.values)) == ("too_many_jobs", {"limit": 2})
    small = QueueLimits(max_jobs_per_user=2, max_queue=3)
    await create_job(db, request(2, "a"), small)
    with pytest.raises(BadInput, match=r"The queue is full \(3 jobs\)") as full:
        await create_job(db, request(3, "a"), small)
    assert (full.value.code, dict(full.value.values)) == ("queue_full", {"limit": 3})
    one = QueueLimits(max_jobs_per_user=1, max_queue=50)
    with pytest.raises(BadInput, match="You already have 1 job waiting or running;"):
        await create_job(db, request(2, "b"), one)
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Job)) == 3
        assert await session.get(User, 3) is None


async def test_the_limits_hold_when_many_ask_at_the_same_moment(db: Database) -> None:
    # Twelve users at once against a queue of five, and one user asking for five different songs at once: on
    # PostgreSQL nothing takes SQLite's database-wide write lock, so the counts must be serialized some other way.
    small = QueueLimits(max_jobs_per_user=2, max_queue=5)
    crowd = await asyncio.gather(*[create_job(db, request(100 + n), small) for n in range(12)], return_exceptions=True)
    assert sorted(outcome_of(outcome) for outcome in crowd) == ["queue_full"] * 7 + ["submitted"] * 5
    eager = await asyncio.gather(
        *[create_job(db, request(1, f"song {n}"), LIMITS) for n in range(5)], return_exceptions=True
    )
    assert sorted(outcome_of(outcome) for outcome in eager) == ["submitted"] * 2 + ["too_many_jobs"] * 3
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Job)) == 7


async def test_a_job_keeps_the_settings_it_was_made_with(db: Database) -> None:
    await set_option(db, 1, "steps", 12)
    job = (await create_job(db, request(1, options=await get_options(db, 1)), LIMITS)).job
    await set_option(db, 1, "steps", 90)
    stored = await get_job(db, job.id)
    assert stored is not None and stored.options.steps == 12


async def test_history_and_admin_totals(db: Database, tmp_path: Path) -> None:
    done = await _done_job(db, tmp_path, 1, "one")
    failed = (await create_job(db, request(1, "two"), LIMITS)).job
    await mark_running(db, failed.id)
    await finish_failed(db, failed.id, "The video is damaged.", {Stage.SPLIT: 3.0})
    queued = (await create_job(db, request(1, "three"), LIMITS)).job
    await create_job(db, request(2, "other"), LIMITS)

    history = await user_history(db, 1, limit=2)
    assert [j.id for j in history] == [queued.id, failed.id]
    assert history[1].error == "The video is damaged."
    totals = await admin_totals(db)
    assert totals.jobs_per_state == {"queued": 2, "running": 0, "choosing": 0, "done": 1, "failed": 1, "cancelled": 0}
    assert totals.average_stage_seconds == {"split": 2.0, "generate": 4.0}
    assert totals.users == 2
    assert done.files[0].kind == "zip"


async def test_delivery_is_recorded_and_results_go_after_the_retention_time(db: Database, tmp_path: Path) -> None:
    old = await _done_job(db, tmp_path, 1, "old")
    recent = await _done_job(db, tmp_path, 2, "recent")
    waiting = await _done_job(db, tmp_path, 3, "waiting")
    await record_sent(db, old.files[0].id, telegram_file_id="BQACAgIAAx", message_id=77)
    await mark_delivered(db, old.id, when=utcnow() - timedelta(hours=25))
    await mark_delivered(db, recent.id)
    assert [j.id for j in await undelivered_jobs(db)] == [waiting.id]

    assert await remove_expired_results(db, retention_hours=24) == [old.id]
    assert not exists(old.result_dir)
    assert exists(recent.result_dir) and exists(waiting.result_dir)
    kept = await get_job(db, old.id)
    assert kept is not None and kept.results_removed_at is not None and kept.delivered_at is not None
    assert (kept.files[0].telegram_file_id, kept.files[0].message_id) == ("BQACAgIAAx", 77)
    assert kept.files[0].sent_at is not None


async def test_telegram_ids_beyond_32_bits_and_utc_times_come_back_as_stored(db: Database) -> None:
    # Real ids: a supergroup's chat id, a user id past 2^32, message ids and sizes past 2^31 (PostgreSQL's INTEGER).
    user, chat, big = 7_123_456_789, -1_001_234_567_890, 2**31 + 5
    before = utcnow()
    video_ref = VideoRef("v", size_bytes=3 * big, duration=4.5, width=1080, height=1920, has_audio=False)
    await set_current_video(db, chat, user, video_ref)
    made = (
        await create_job(
            db,
            JobRequest(
                user_id=user,
                chat_id=chat,
                video=video_ref,
                prompt="jazz",
                parts=1,
                part=1,
                options=UserOptions(),
                reply_to_message_id=big,
            ),
            LIMITS,
        )
    ).job
    await set_progress_message(db, made.id, big + 1)
    await mark_running(db, made.id)
    await finish_done(
        db, made.id, result_dir="gone", seed=2**32 - 1, files=[NewJobFile("zip", "gone/result.zip", size_bytes=2 * big)]
    )
    done = await get_job(db, made.id)
    assert done is not None
    await record_sent(db, done.files[0].id, telegram_file_id="BQAC", message_id=big + 2)
    sent = await get_job(db, made.id)
    video = await get_current_video(db, chat, user)
    assert sent is not None and video is not None
    assert (sent.user_id, sent.chat_id, sent.reply_to_message_id, sent.progress_message_id, sent.seed) == (
        user,
        chat,
        big,
        big + 1,
        2**32 - 1,
    )
    assert sent.video == video.video == video_ref  # the whole video, the same in the job and the current video
    assert (sent.video.size_bytes, sent.files[0].size_bytes, sent.files[0].message_id) == (3 * big, 2 * big, big + 2)
    times = [sent.created_at, sent.started_at, sent.finished_at, sent.files[0].sent_at]
    # Aware, in UTC, and not shifted by the server's or the machine's time zone (an hour is far beyond any test).
    assert all(t is not None and t.utcoffset() == timedelta(0) and abs(t - before) < timedelta(hours=1) for t in times)


async def test_forgetting_a_user_leaves_nothing_of_theirs(db: Database, tmp_path: Path) -> None:
    for user in (1, 2):
        await set_option(db, user, "steps", 33)
        await set_current_video(db, 10, user, VideoRef(f"video-{user}"))
        await set_current_video(db, 20, user, VideoRef(f"video-{user}"))
        await _done_job(db, tmp_path, user, "song")
        await create_job(db, request(user, "queued"), LIMITS)
    mine = [j.result_dir for j in await user_history(db, 1)]

    forgotten = await forget_user(db, 1)

    assert (forgotten.jobs, forgotten.result_folders_removed, forgotten.had_settings) == (2, 1, True)
    async with db.sessions() as session:
        assert await session.get(User, 1) is None
        for model in (CurrentVideo, Job):
            assert await session.scalar(select(func.count()).select_from(model).where(model.user_id == 1)) == 0
        orphans = await session.scalar(
            select(func.count()).select_from(JobFile).where(~JobFile.job_id.in_(select(Job.id)))
        )
        times = await session.scalar(
            select(func.count()).select_from(JobStageTime).where(~JobStageTime.job_id.in_(select(Job.id)))
        )
        assert (orphans, times) == (0, 0)
    assert mine and not any(exists(folder) for folder in mine)
    # The other user keeps everything.
    assert (await get_options(db, 2)).steps == 33
    assert len(await user_history(db, 2)) == 2
    assert [exists(j.result_dir) for j in await user_history(db, 2)] == [False, True]


async def test_the_migrations_create_exactly_the_models_schema(db: Database) -> None:
    def differences(connection: object) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})  # type: ignore[arg-type]
        return list(compare_metadata(context, Base.metadata))

    async with db.engine.connect() as connection:
        assert await connection.run_sync(differences) == []


def test_riffcut_db_upgrade_and_current(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "current"]) == 0
    assert "no database yet" in capsys.readouterr().out
    assert not (tmp_path / "data").exists()  # reading made nothing
    assert main(["db", "upgrade"]) == 0
    assert "at revision 0004_takes" in capsys.readouterr().out
    assert (tmp_path / "data" / "riffcut.db").is_file()
    assert main(["db", "current"]) == 0
    assert "up to date" in capsys.readouterr().out
