"""/forget (after a confirmation button), and the answer to commands and buttons the bot does not know."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update

from bot import refusals
from bot.callbacks import Answer, ForgetPress
from bot.card_picture import forget_pictures
from bot.context import RiffcutContext
from bot.keyboards import forget_keyboard
from bot.presses import edit_text
from bot.texts import tr
from bot.who import own_press, who
from engine.errors import BadInput
from storage.forget import forget_user
from storage.jobs_repo import jobs_in_state
from storage.models import UNFINISHED

log = logging.getLogger(__name__)


async def forget_command(update: Update, context: RiffcutContext) -> None:
    message = update.effective_message
    assert message is not None
    me = await who(update, context)
    await message.reply_text(
        tr(me.lang, "Delete your settings, videos, jobs and results? This cannot be undone."),
        reply_markup=forget_keyboard(me.lang, me.user_id),
    )


async def forget_button(update: Update, context: RiffcutContext) -> None:
    """Yes deletes everything of the owner (their unfinished jobs cancelled first); No keeps it."""
    own = await own_press(update, context, ForgetPress)
    if own is None:
        return
    query, message, me = own.query, own.message, own.me
    if own.press.answer is not Answer.YES:
        await query.answer()
        await edit_text(message, tr(me.lang, "Nothing was deleted."))
        return
    svc = context.services
    for job in await jobs_in_state(svc.db, *UNFINISHED):
        if job.user_id == me.user_id:
            await svc.jobs.cancel(job.id)  # a job still stopping finds its row gone and keeps nothing
    forgotten = await forget_user(svc.db, me.user_id)
    await asyncio.to_thread(forget_pictures, svc.config.data_dir, me.user_id)
    log.info(
        "forgot user %s: %d job(s), %d result folder(s)", me.user_id, forgotten.jobs, forgotten.result_folders_removed
    )
    await query.answer()
    await edit_text(message, tr(me.lang, "Done: I kept nothing about you."))


async def unknown_button(update: Update, context: RiffcutContext) -> None:
    """A press whose data no codec reads (forged, cut, or from another version): answered, logged at INFO."""
    raise BadInput(refusals.BUTTON_UNKNOWN)


async def unknown_command(update: Update, context: RiffcutContext) -> None:
    message = update.effective_message
    assert message is not None
    me = await who(update, context)
    await message.reply_text(tr(me.lang, "I don't know that command; /help lists what I can do."))
