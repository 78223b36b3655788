"""Split-n-Generate: /generate, the card's button, and the result's "new seed" / "another part" buttons.

A job is made only when the card would offer the button (prompt, parts and part valid). storage.jobs_repo
makes one job per request: a double tap (or /generate twice) finds the job already waiting and says so.
The job gets its own progress message, a reply to the member's video, and goes to the runner.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.access import quota_left
from bot.card import problems_of
from bot.jobtexts import progress_text, queued_text
from bot.keyboards import cancel_keyboard
from bot.screens import check_prompt, current_choice
from bot.services import Services, services
from bot.state import VideoChoice
from bot.texts import tr
from bot.who import Who, who
from engine.errors import BadInput
from engine.options import UserOptions
from storage.history import user_history
from storage.jobs_repo import JobRequest, QueueLimits, Submitted, create_job, set_progress_message
from storage.models import Job

log = logging.getLogger(__name__)

VIDEO_MESSAGES = "video_messages"  # chat_data: user id -> the message id of their current video


def remember_video_message(context: ContextTypes.DEFAULT_TYPE, user_id: int, message_id: int) -> None:
    if context.chat_data is not None:
        context.chat_data.setdefault(VIDEO_MESSAGES, {})[user_id] = message_id


def video_message(context: ContextTypes.DEFAULT_TYPE, user_id: int) -> int | None:
    found: Any = (context.chat_data or {}).get(VIDEO_MESSAGES, {}).get(user_id)
    return int(found) if found is not None else None


async def check_quota(svc: Services, me: Who) -> None:
    quota = svc.settings.daily_job_quota
    if quota_left(svc.settings, me.user_id, 0) is None:
        return
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    today = [job for job in await user_history(svc.db, me.user_id, limit=quota) if job.created_at >= midnight]
    if quota_left(svc.settings, me.user_id, len(today)) == 0:
        raise BadInput(tr(me.lang, "quota", quota=quota))


async def submit(
    context: ContextTypes.DEFAULT_TYPE,
    me: Who,
    video: VideoChoice,
    *,
    options: UserOptions | None = None,
    part: int | None = None,
    reply_to: int | None = None,
    progress: Message | None = None,
) -> Submitted:
    """Make (or find) the job for this video and choices, open its progress message, hand it to the runner."""
    svc = services(context)
    chosen = video if part is None else VideoChoice(**{**video.__dict__, "part": part})
    use = options or me.options
    _, problems = problems_of(
        chosen,
        use,
        lambda text: check_prompt(svc, text),
        svc.settings.min_part_seconds,
        svc.settings.max_part_seconds,
        me.lang,
    )
    if problems:
        raise BadInput(problems[0])
    assert chosen.prompt is not None
    async with svc.user_lock(me.chat_id, me.user_id):
        await check_quota(svc, me)
        reply_to = reply_to if reply_to is not None else video_message(context, me.user_id)
        submitted = await create_job(
            svc.db,
            JobRequest(
                user_id=me.user_id,
                chat_id=me.chat_id,
                video_file_id=chosen.file_id,
                prompt=chosen.prompt,
                parts=chosen.parts,
                part=chosen.part,
                options=use,
                reply_to_message_id=reply_to,
                video_file_unique_id=chosen.file_unique_id,
                video_file_name=chosen.file_name,
                video_size_bytes=chosen.size_bytes,
                video_duration=chosen.duration,
            ),
            QueueLimits(max_jobs_per_user=svc.settings.max_jobs_per_user, max_queue=svc.settings.max_queue),
        )
        if not submitted.created:
            return submitted
        job = submitted.job
        try:
            await open_progress(context, me, job, progress)
        finally:  # the job is saved: it runs even when its progress message could not be opened
            await svc.jobs.submit(job.id)
    log.info("job %s: user %s in chat %s, %d parts, part %d", job.id, me.user_id, me.chat_id, job.parts, job.part)
    return submitted


async def open_progress(
    context: ContextTypes.DEFAULT_TYPE, me: Who, job: Job, existing: Message | None = None
) -> Message:
    """The job's progress message: `existing` (a status message) edited, or a new reply to the video."""
    svc = services(context)
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


async def answer_submitted(me: Who, submitted: Submitted) -> str:
    key = "job_queued" if submitted.created else "job_exists"
    return tr(me.lang, key, job=submitted.job.id)


async def generate_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    me = await who(update, context)
    video = await current_choice(services(context), me)
    if video is None:
        await message.reply_text(tr(me.lang, "no_video"))
        return
    submitted = await submit(context, me, video)
    if not submitted.created:
        await message.reply_text(await answer_submitted(me, submitted))


async def generate_from_card(update: Update, context: ContextTypes.DEFAULT_TYPE, me: Who, card: Message) -> None:
    query = update.callback_query
    assert query is not None
    video = await current_choice(services(context), me)
    if video is None:
        await query.answer(tr(me.lang, "no_video"), show_alert=True)
        return
    try:
        submitted = await submit(context, me, video)
    except BadInput as exc:
        await query.answer(exc.message[:200], show_alert=True)
        return
    await query.answer(await answer_submitted(me, submitted))


__all__ = ["generate_command", "generate_from_card", "progress_text", "remember_video_message", "submit"]
