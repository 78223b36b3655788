"""A member's jobs: /cancel, /history, the progress message's Cancel button, and the result's buttons
("new seed" runs the same video, prompt and part again with a fresh seed; "another part" asks which part)."""

from __future__ import annotations

import html
import logging
import secrets

from telegram import Message, Update
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.ext import ContextTypes

from bot.handlers.generate import answer_submitted, submit
from bot.keyboards import parse, pick_part_keyboard
from bot.services import services
from bot.state import VideoChoice
from bot.texts import tr
from bot.who import Who, who
from engine.errors import BadInput
from engine.options import SEED_MAX
from storage.history import user_history
from storage.jobs_repo import get_job, job_options, jobs_in_state
from storage.models import UNFINISHED, Job

log = logging.getLogger(__name__)

ADMIN_STATUSES = (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


async def my_unfinished(context: ContextTypes.DEFAULT_TYPE, me: Who) -> list[Job]:
    jobs = await jobs_in_state(services(context).db, *UNFINISHED)
    return [job for job in jobs if job.user_id == me.user_id and job.chat_id == me.chat_id]


async def unfinished_summary(context: ContextTypes.DEFAULT_TYPE, me: Who) -> str:
    jobs = await my_unfinished(context, me)
    if not jobs:
        return ""
    svc = services(context)
    described = []
    for job in jobs:
        state = tr(me.lang, f"state_{job.state}")
        if job.state == "queued":
            position = svc.jobs.position(job.id)
            if position:
                state += f" ({position})"
        elif job.stage:
            state += f" ({job.stage} {job.progress:.0%})"
        described.append(f"#{job.id} {state}")
    return tr(me.lang, "status_jobs", jobs=", ".join(described))


async def job_of_progress_message(context: ContextTypes.DEFAULT_TYPE, me: Who, message_id: int) -> Job | None:
    """The job whose progress message this is: any member's unfinished job in this chat, or one of the member's
    recent jobs here; None when the message is not a progress message."""
    db = services(context).db
    candidates = [*await jobs_in_state(db, *UNFINISHED), *await user_history(db, me.user_id, limit=20)]
    return next(
        (job for job in candidates if job.chat_id == me.chat_id and job.progress_message_id == message_id), None
    )


async def may_cancel(context: ContextTypes.DEFAULT_TYPE, me: Who, job: Job) -> bool:
    """The job's starter, or an admin of the chat it runs in (asked with getChatMember)."""
    if job.user_id == me.user_id:
        return True
    if not me.in_group or job.chat_id != me.chat_id:
        return False
    member = await context.bot.get_chat_member(job.chat_id, me.user_id)
    return member.status in ADMIN_STATUSES


async def cancel_job(context: ContextTypes.DEFAULT_TYPE, me: Who, job: Job) -> str:
    if job.finished:
        return tr(me.lang, "cancel_too_late", job=job.id)
    if not await may_cancel(context, me, job):
        return tr(me.lang, "not_your_job", job=job.id)
    await services(context).jobs.cancel(job.id)
    log.info("job %s cancelled by user %s", job.id, me.user_id)
    return tr(me.lang, "cancelled", job=job.id)


async def cancel_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Cancels the member's unfinished jobs in this chat (in a reply to a progress message: that job)."""
    message = update.effective_message
    assert message is not None
    me = await who(update, context)
    if message.reply_to_message is not None:
        job = await job_of_progress_message(context, me, message.reply_to_message.message_id)
        if job is not None:  # that job only (a chat admin may cancel a member's job this way too)
            await message.reply_text(await cancel_job(context, me, job))
            return
    jobs = await my_unfinished(context, me)
    if not jobs:
        await message.reply_text(tr(me.lang, "nothing_to_cancel"))
        return
    answers = [await cancel_job(context, me, job) for job in jobs]
    await message.reply_text("\n".join(answers))


async def history_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    me = await who(update, context)
    jobs = await user_history(services(context).db, me.user_id, limit=10)
    if not jobs:
        await message.reply_text(tr(me.lang, "history_empty"))
        return
    lines = [tr(me.lang, "history_title")]
    for job in jobs:
        prompt = job.prompt if len(job.prompt) <= 60 else job.prompt[:60] + "…"
        line = tr(
            me.lang,
            "history_line",
            job=job.id,
            state=tr(me.lang, f"state_{job.state}"),
            when=job.created_at.strftime("%Y-%m-%d %H:%M UTC"),
            part=job.part,
            parts=job.parts,
            prompt=html.escape(prompt),
        )
        if job.seed is not None:
            line += f" · seed {job.seed}"
        if job.error:
            line += f"\n   {html.escape(job.error)}"
        lines.append(line)
    await message.reply_text("\n".join(lines), parse_mode=ParseMode.HTML)


def choice_of(job: Job) -> VideoChoice:
    """The job's video and choices, to run it again without the video being sent again."""
    return VideoChoice(
        chat_id=job.chat_id,
        user_id=job.user_id,
        file_id=job.video_file_id,
        file_unique_id=job.video_file_unique_id,
        file_name=job.video_file_name,
        size_bytes=job.video_size_bytes,
        duration=float(job.video_duration or 0.0),
        width=0,
        height=0,
        prompt=job.prompt,
        parts=job.parts,
        part=job.part,
        has_audio=None,
    )


async def job_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`j|c|id` cancel, `j|seed|id` again with a new seed, `j|parts|id` pick a part, `j|pk|id|k` run on part k."""
    query = update.callback_query
    assert query is not None and isinstance(query.message, Message)
    cb = parse(query.data)
    me = await who(update, context)
    job = await get_job(services(context).db, cb.int_field(1))
    if job is None:
        await query.answer(tr(me.lang, "history_empty"), show_alert=True)
        return
    action = cb.field(0)
    if action == "c":
        await query.answer(await cancel_job(context, me, job), show_alert=False)
        return
    if job.user_id != me.user_id:
        await query.answer(tr(me.lang, "not_your_card"), show_alert=True)
        return
    if action == "parts":
        await query.answer()
        await query.message.reply_text(
            tr(me.lang, "pick_part"), reply_markup=pick_part_keyboard(job.id, job.parts, job.part)
        )
        return
    options = job_options(job)
    part = None
    if action == "seed":
        options = options.model_copy(update={"seed": secrets.randbelow(SEED_MAX + 1)})
    elif action == "pk":
        part = cb.int_field(2)
    else:
        await query.answer()
        return
    try:
        submitted = await submit(
            context, me, choice_of(job), options=options, part=part, reply_to=job.reply_to_message_id
        )
    except BadInput as exc:
        await query.answer(exc.message[:200], show_alert=True)
        return
    await query.answer(await answer_submitted(me, submitted))
