"""A member's jobs: /cancel, /history, the progress message's Cancel button, and the result's buttons
("new seed" runs the same video, prompt and part again with a fresh seed; "another part" asks which part)."""

from __future__ import annotations

import html
import logging
import secrets
from typing import assert_never

from telegram import Update
from telegram.constants import ParseMode

from bot.callbacks import JobAction, JobPress
from bot.context import RiffcutContext
from bot.job_control import cancel_job, choice_of, job_of_progress_message, my_unfinished
from bot.keyboards import pick_part_keyboard
from bot.presses import edit_markup, pressed_message, the_query
from bot.refusals import words
from bot.submission import submit, submitted_text
from bot.texts import tr
from bot.who import who
from engine.errors import BadInput
from engine.options import SEED_MAX
from storage.history import user_history
from storage.jobs_repo import get_job

log = logging.getLogger(__name__)


async def cancel_command(update: Update, context: RiffcutContext) -> None:
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


async def history_command(update: Update, context: RiffcutContext) -> None:
    message = update.effective_message
    assert message is not None
    me = await who(update, context)
    jobs = await user_history(context.services.db, me.user_id, limit=10)
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


async def job_button(update: Update, context: RiffcutContext) -> None:
    """A press on a job's button (bot.callbacks.JobPress): cancel, new seed, pick a part, run on part k."""
    query = the_query(update)
    press = JobPress.decode(query.data)
    me = await who(update, context)
    job = await get_job(context.services.db, press.job_id)
    if job is None:
        await query.answer(tr(me.lang, "history_empty"), show_alert=True)
        return
    if press.action is JobAction.CANCEL:
        await query.answer(await cancel_job(context, me, job), show_alert=False)
        return
    if job.user_id != me.user_id:
        await query.answer(tr(me.lang, "not_your_card"), show_alert=True)
        return
    options, part = job.options, None
    match press.action:
        case JobAction.PICK_PART:
            message = pressed_message(query)
            await query.answer()
            keyboard = pick_part_keyboard(job.id, job.parts, job.part)
            await message.reply_text(tr(me.lang, "pick_part"), reply_markup=keyboard)
            return
        case JobAction.PICK_PAGE:
            message = pressed_message(query)
            await query.answer()
            await edit_markup(message, pick_part_keyboard(job.id, job.parts, job.part, press.part))
            return
        case JobAction.NEW_SEED:
            options = options.model_copy(update={"seed": secrets.randbelow(SEED_MAX + 1)})
        case JobAction.RUN_PART:
            part = press.part
        case JobAction.CANCEL:  # answered above, for the job's starter or a chat admin
            return
        case _:
            assert_never(press.action)
    try:
        submitted = await submit(
            context, me, choice_of(job), options=options, part=part, reply_to=job.reply_to_message_id
        )
    except BadInput as exc:
        await query.answer(words(me.lang, exc)[:200], show_alert=True)
        return
    await query.answer(submitted_text(me, submitted))
