"""Making a job from a member's choices and handing it to the job queue (the one way a job is made).

A job is made only when the card would offer Split-n-Generate (prompt, parts and part valid), within the daily
quota and the queue's limits. storage.jobs_repo makes one job per request: a double tap (or /generate twice)
finds the job already waiting and says so. The job gets its own progress message, a reply to the member's
video, and goes to the queue even when that message could not be sent.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime

from telegram import Message
from telegram.constants import ParseMode

from bot import refusals
from bot.access import quota_left
from bot.card import problems_of
from bot.context import RiffcutContext
from bot.jobtexts import queued_text
from bot.keyboards import cancel_keyboard
from bot.services import Services
from bot.texts import tr
from bot.who import Who
from engine.errors import BadInput
from engine.options import UserOptions
from storage import refusals as storage_refusals
from storage.database import Database
from storage.history import user_history
from storage.jobs_repo import JobRequest, Submitted, create_job, set_progress_message
from storage.models import Job
from storage.videos_repo import Choice

log = logging.getLogger(__name__)


def refuse_while_unwritable(db: Database) -> None:
    """No new video or job while the database cannot be written (one sentence; the log said why, once)."""
    if not db.health.writable:
        raise BadInput(storage_refusals.STORAGE_READ_ONLY)


async def check_quota(svc: Services, me: Who) -> None:
    quota = svc.config.daily_job_quota
    if quota_left(svc.config, me.user_id, 0) is None:
        return
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    today = [job for job in await user_history(svc.db, me.user_id, limit=quota) if job.created_at >= midnight]
    if quota_left(svc.config, me.user_id, len(today)) == 0:
        raise BadInput(refusals.QUOTA, quota=quota)


async def submit(
    context: RiffcutContext,
    me: Who,
    choice: Choice,
    *,
    options: UserOptions | None = None,
    part: int | None = None,
    reply_to: int | None = None,
    progress: Message | None = None,
) -> Submitted:
    """Make (or find) the job for this video and choices, open its progress message, hand it to the queue."""
    svc = context.services
    refuse_while_unwritable(svc.db)
    chosen = choice if part is None else replace(choice, part=part)
    use = options or me.options
    _, problems = problems_of(chosen, use, svc.check_prompt, svc.config.part_rule)
    if problems:
        raise problems[0]
    assert chosen.prompt is not None
    async with svc.locks.hold(me.chat_id, me.user_id):
        await check_quota(svc, me)
        if reply_to is None:
            reply_to = context.chat.video_messages.get(me.user_id)
        request = JobRequest(
            user_id=me.user_id,
            chat_id=me.chat_id,
            video=chosen.video,
            prompt=chosen.prompt,
            parts=chosen.parts,
            part=chosen.part,
            options=use,
            reply_to_message_id=reply_to,
        )
        submitted = await create_job(svc.db, request, svc.jobs.limits)
        if not submitted.created:
            return submitted
        job = submitted.job
        try:
            await open_progress(context, me, job, progress)
        finally:  # the job is saved: it runs even when its progress message could not be opened
            await svc.jobs.submit(job.id)
    log.info("job %s: user %s in chat %s, %d parts, part %d", job.id, me.user_id, me.chat_id, job.parts, job.part)
    return submitted


async def open_progress(context: RiffcutContext, me: Who, job: Job, existing: Message | None = None) -> Message:
    """The job's progress message: `existing` (a status message) edited, or a new reply to the video."""
    svc = context.services
    text = queued_text(me.lang, job.id, None)
    if existing is not None:
        edited = await existing.edit_text(
            text, parse_mode=ParseMode.HTML, reply_markup=cancel_keyboard(me.lang, job.id)
        )
        message = edited if isinstance(edited, Message) else existing
    else:
        message = await context.bot.send_message(
            me.chat_id,
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=cancel_keyboard(me.lang, job.id),
            reply_to_message_id=job.reply_to_message_id,
            allow_sending_without_reply=True,
        )
    await set_progress_message(svc.db, job.id, message.message_id)
    svc.board.attach(job.id, me.chat_id, message.message_id, in_group=me.in_group, text=text)
    svc.languages[job.id] = me.lang
    return message


def submitted_text(me: Who, submitted: Submitted) -> str:
    if submitted.created:
        return tr(me.lang, "Job #{job} queued.", job=submitted.job.id)
    return tr(me.lang, "Job #{job} with these settings is already on its way.", job=submitted.job.id)
