"""The application's error handler: nothing fails silently.

Bad input (`BadInput`, raised anywhere in a handler, a forged button's data included) is answered with its own
sentence in the member's language (bot.refusals.words) and logged at INFO, without a traceback. A full disk is
told as the server being short of space (never a path or ffmpeg's words; the log keeps them). Anything else is
logged with its traceback and answered with an apology that names the job, when there is one, so the operator
can find it in the log.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.context import RiffcutContext
from bot.refusals import words
from bot.texts import language_of, tr
from engine.errors import BadInput, disk_full
from storage import refusals as storage_refusals
from storage.database import DatabaseUnwritable
from storage.options_repo import language_for

log = logging.getLogger(__name__)

ALERT_CHARS = 200  # answerCallbackQuery's limit


async def _language(update: Update, context: RiffcutContext) -> str:
    """The member's language: their setting when it can be read, else Telegram's language_code."""
    user = update.effective_user
    setting = None
    if user is not None and context.bot_data.started:
        try:
            setting = await language_for(context.services.db, user.id)
        except Exception:  # the database may be why we are here
            log.debug("no language for user %s", user.id, exc_info=True)
    return language_of(setting, user.language_code if user else None)


async def on_error(update: object, context: RiffcutContext) -> None:
    error = context.error
    if not isinstance(update, Update):  # an error in the update fetcher or a job: the log is the place
        if isinstance(error, NetworkError | TimedOut | RetryAfter):
            log.warning("telegram: %s", error)
        else:
            log.error("error outside an update", exc_info=error)
        return
    user = update.effective_user
    if isinstance(error, Forbidden):
        log.info("user %s blocked the bot or left: %s", user.id if user else None, error)
        return
    lang = await _language(update, context)
    if isinstance(error, BadInput):
        text = words(lang, error)
        log.info("bad input from user %s (%s): %s", user.id if user else None, error.code, error.message)
    elif isinstance(error, DatabaseUnwritable):  # the database's health logged it, once
        text = words(lang, BadInput(storage_refusals.STORAGE_READ_ONLY))
        log.warning("update %s from user %s: %s", update.update_id, user.id if user else None, error.message)
    elif disk_full(error):
        text = tr(lang, "The server is short of space right now, so I cannot take this; please try again later.")
        log.error("the disk is full (update %s from user %s): %s", update.update_id, user.id if user else None, error)
    else:
        job_id = getattr(error, "job_id", None)
        log.error("error while handling update %s", update.update_id, exc_info=error)
        job = tr(lang, " (job #{job})", job=job_id) if job_id else ""
        text = tr(lang, "Something went wrong on my side{job}; it has been logged. Please try again.", job=job)
    if update.callback_query is not None:
        try:
            if len(text) <= ALERT_CHARS:
                await update.callback_query.answer(text, show_alert=True)
                return
            await update.callback_query.answer()
        except TelegramError:  # the handler answered the button before it failed: say it in the chat
            log.info("button of user %s already answered: the error goes to the chat", user.id if user else None)
    try:
        if update.effective_message is not None:
            await update.effective_message.reply_text(text)
        elif update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id, text)
    except Exception:  # the apology itself failed (blocked, network): the log already has the cause
        log.warning("could not tell user %s about an error", user.id if user else None, exc_info=True)
