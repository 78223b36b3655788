"""Riffcut's state: users' settings, the current video per (chat, user), jobs and their results.

API (every function is async and takes a `Database` first):

    db = await open_database(url)   # migrates to the newest schema, then opens
    db = Database.open(url); await upgrade_database(url); await db.close()

    storage.video_ref: VideoRef(file_id, file_unique_id, file_name, size_bytes, duration, width, height, has_audio):
        the video a user sent, one type, kept with the current video and with every job
    storage.options_repo: ensure_user(db, user_id, telegram_language), get_options(db, user_id) -> UserOptions,
        set_option(db, user_id, name, value) -> UserOptions (BadInput: refused, stored value kept),
        set_options, reset_options, language_for(db, user_id) -> "en" | "ru" | None
    storage.videos_repo: set_current_video(db, chat_id, user_id, video, parts=1) (prompt kept, split restarted),
        get_current_video(db, chat_id, user_id) -> Choice | None (chat, user, video, prompt, parts, part),
        set_prompt, set_split(parts, part), set_part(part) (BadInput unless 1..parts, or without a video)
    storage.jobs_repo: JobRequest(user_id, chat_id, video, prompt, parts, part, options, reply_to_message_id),
        QueueLimits(max_jobs_per_user, max_queue),
        create_job(db, request, limits) -> Submitted(job, created) (a double tap returns the waiting job;
            BadInput too_many_jobs / queue_full, nothing written), get_job,
        set_progress_message(db, job_id, message_id), claim_send / release_send(db, job_file_id) (the one
        delivery that may send a file), drop_send_marks(db, job_id=None) (marks a dead process left: sent again),
        record_sent(db, job_file_id, telegram_file_id=, message_id=),
        record_sent_files(db, [SentFile(...)]) (an album: all in one transaction),
        mark_delivered(db, job_id), undelivered_jobs(db);
        the job queue's: mark_running, set_progress, keep_early_files (first results while it runs),
        finish_done/failed/cancelled, requeue, jobs_in_state (each with an optional worker_id: a worker's own)
    storage.history: user_history(db, user_id, limit) -> [Job] newest first,
        shareable_results(db, user_id, limit) -> [SharedResult(job, video_file_id, music_file_id)] (inline sharing),
        admin_totals(db) -> Totals(jobs_per_state, average_stage_seconds, users)
    storage.retention: remove_expired_results(db, retention_hours) (files go, rows stay; the queue calls it)
    storage.forget: forget_user(db, user_id) -> Forgotten (cancel the user's jobs in the queue first)
    storage.claims (workers on many hosts): claim_next(db, worker_id), any_waiting, request_cancel,
        cancel_wanted, interrupted_jobs / recover_interrupted, orphaned_deliveries / take_delivery,
        queue_snapshot, show_position
    storage.workers_repo: register(db, NewWorker) -> id, beat, count_done, stopped, mark_lost,
        running_workers, online_workers (the database's clock)
    storage.updates_repo: first_sighting(db, update_id) (Telegram updates handled once, kept a day)
    storage.models: User, CurrentVideo, Job (video, options, state, stage, progress, error, attempts, files...),
        JobFile (kind, path, part, meta, telegram_file_id, message_id, sending_at, sent_at), JobStageTime,
        JobState, Worker, HandledUpdate
    storage.refusals: the refusals above, by code (engine.errors.Refusal)

Rows come back detached and fully loaded (a Job's `files` included), their columns typed (settings as
UserOptions, states as JobState, stages as engine.stages.Stage, the video as VideoRef): read them freely, change
them only through these functions. SQLite (the default, a file in DATA_DIR) and PostgreSQL
(postgresql+asyncpg://) both work.
"""

from __future__ import annotations

from storage.database import Database
from storage.migrate import current_revision, upgrade_database


async def open_database(url: str) -> Database:
    """Bring the database to the newest schema, then open it."""
    await upgrade_database(url)
    return Database.open(url)


__all__ = ["Database", "current_revision", "open_database", "upgrade_database"]
