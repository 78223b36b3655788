"""/forget (after a confirmation button) and the answer to commands the bot does not know."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot.keyboards import forget_keyboard, parse
from bot.services import services
from bot.texts import tr
from bot.who import who
from storage.forget import forget_user
from storage.jobs_repo import jobs_in_state
from storage.models import UNFINISHED

log = logging.getLogger(__name__)


async def forget_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    me = await who(update, context)
    await message.reply_text(tr(me.lang, "forget_ask"), reply_markup=forget_keyboard(me.lang, me.user_id))


async def forget_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`f|owner|y` deletes everything of the owner (their running jobs cancelled first); `f|owner|n` keeps it."""
    query = update.callback_query
    assert query is not None and isinstance(query.message, Message)
    cb = parse(query.data)
    me = await who(update, context)
    if cb.field(0) != str(me.user_id):
        await query.answer(tr(me.lang, "not_your_menu"), show_alert=True)
        return
    if cb.field(1) != "y":
        await query.answer()
        await query.message.edit_text(tr(me.lang, "forget_kept"))
        return
    svc = services(context)
    for job in await jobs_in_state(svc.db, *UNFINISHED):
        if job.user_id == me.user_id:
            await svc.jobs.cancel(job.id)
    forgotten = await forget_user(svc.db, me.user_id)
    log.info(
        "forgot user %s: %d job(s), %d result folder(s)", me.user_id, forgotten.jobs, forgotten.result_folders_removed
    )
    await query.answer()
    await query.message.edit_text(tr(me.lang, "forget_done"))


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    me = await who(update, context)
    await message.reply_text(tr(me.lang, "unknown_command"))
