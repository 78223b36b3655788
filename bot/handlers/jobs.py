"""A member's jobs: /cancel, /history, the progress message's Cancel button, and the result's buttons
("new seed" runs the same video, prompt and part again with a fresh seed; "another part" asks which part)."""

from __future__ import annotations

import contextlib
import html
import logging
import secrets
from typing import assert_never

from telegram import CallbackQuery, Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.callbacks import JobAction, JobPress
from bot.context import RiffcutContext
from bot.job_control import cancel_job, choice_of, job_of_progress_message, my_unfinished
from bot.jobtexts import state_words
from bot.keyboards import pick_part_keyboard
from bot.presses import edit_markup, pressed_message, the_query
from bot.refusals import words
from bot.submission import submit, submitted_text
from bot.texts import tr
from bot.who import Who, who
from engine.errors import BadInput
from engine.options import SEED_MAX
from storage.history import user_history
from storage.jobs_repo import choose_take, get_job
from storage.models import Job

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
        await message.reply_text(tr(me.lang, "You have no job to cancel."))
        return
    answers = [await cancel_job(context, me, job) for job in jobs]
    await message.reply_text("\n".join(answers))


async def history_command(update: Update, context: RiffcutContext) -> None:
    message = update.effective_message
    assert message is not None
    me = await who(update, context)
    jobs = await user_history(context.services.db, me.user_id, limit=10)
    if not jobs:
        await message.reply_text(tr(me.lang, "You have no jobs yet."))
        return
    lines = [tr(me.lang, "<b>Your last jobs</b>")]
    for job in jobs:
        prompt = job.prompt if len(job.prompt) <= 60 else job.prompt[:60] + "…"
        line = tr(
            me.lang,
            "#{job} · {state} · {when} · part {part}/{parts} · {prompt}",
            job=job.id,
            state=state_words(me.lang, job.state),
            when=job.created_at.strftime("%Y-%m-%d %H:%M UTC"),
            part=job.part,
            parts=job.parts,
            prompt=html.escape(prompt),
        )
        if job.seed is not None:
            line += tr(me.lang, " · seed {seed}", seed=job.seed)
        if job.chosen_take is not None:
            line += tr(me.lang, " · take {take} of {takes}", take=job.chosen_take, takes=job.options.takes)
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
        await query.answer(tr(me.lang, "You have no jobs yet."), show_alert=True)
        return
    if press.action is JobAction.CANCEL:
        await query.answer(await cancel_job(context, me, job), show_alert=False)
        return
    if job.user_id != me.user_id:
        await query.answer(tr(me.lang, "These buttons belong to the member who sent the video."), show_alert=True)
        return
    options, part = job.options, None
    match press.action:
        case JobAction.USE_TAKE:
            await use_take(context, me, job, press.part, query)
            return
        case JobAction.PICK_PART:
            message = pressed_message(query)
            await query.answer()
            keyboard = pick_part_keyboard(job.id, job.parts, job.part)
            await message.reply_text(tr(me.lang, "Which part should get new music?"), reply_markup=keyboard)
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


async def use_take(context: RiffcutContext, me: Who, job: Job, take: int, query: CallbackQuery) -> None:
    """The member keeps take `take`: the job goes back to the queue to be finished with it (its turn like any
    other job's); the other takes' buttons stay until then, a second press is told the choice is made."""
    svc = context.services
    chosen = await choose_take(svc.db, job.id, take)
    if chosen is None:
        await query.answer(tr(me.lang, "A take of job #{job} was already picked, or its takes are gone.", job=job.id))
        return
    await svc.jobs.submit(job.id)
    await query.answer(tr(me.lang, "Take {take}: putting it on the part…", take=take))
    assert isinstance(query.message, Message)
    with contextlib.suppress(TelegramError):
        await query.message.edit_reply_markup(None)
    log.info("job %s: user %s picked take %d", job.id, me.user_id, take)
