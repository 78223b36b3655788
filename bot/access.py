"""Who may use the bot: allow lists, admins, and the daily job quota.

ALLOWED_USER_IDS and ALLOWED_CHAT_IDS: both empty, the bot is open to all; otherwise a user is let in when they
are on the user list or write in a chat on the chat list. ADMIN_USER_IDS are always let in, get /queue and
/stats, and have no quota. DAILY_JOB_QUOTA counts the jobs a user made since midnight UTC (0: no quota).
A gate handler runs before every other handler and answers everyone else with one polite sentence, once per
user per hour (REFUSAL_INTERVAL_S): a stranger who sends twenty messages is not answered twenty times; a press on
a button is always answered (silently after the first time), so it never spins.
"""

from __future__ import annotations

import logging
import time

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.config import BotConfig
from bot.context import RiffcutContext
from bot.texts import language_of, tr

log = logging.getLogger(__name__)

REFUSAL_INTERVAL_S = 3600.0


def is_admin(config: BotConfig, user_id: int | None) -> bool:
    return user_id is not None and user_id in config.admin_user_ids


def is_allowed(config: BotConfig, user_id: int | None, chat_id: int | None) -> bool:
    if is_admin(config, user_id):
        return True
    if not config.allowed_user_ids and not config.allowed_chat_ids:
        return True
    return (user_id is not None and user_id in config.allowed_user_ids) or (
        chat_id is not None and chat_id in config.allowed_chat_ids
    )


def quota_left(config: BotConfig, user_id: int, jobs_today: int) -> int | None:
    """Jobs the user may still start today; None when there is no quota for them."""
    if config.daily_job_quota <= 0 or is_admin(config, user_id):
        return None
    return max(0, config.daily_job_quota - jobs_today)


async def gate(update: Update, context: RiffcutContext) -> None:
    """Stops every update from someone not let in, after one polite answer."""
    user = update.effective_user
    chat = update.effective_chat
    if is_allowed(context.config, user.id if user else None, chat.id if chat else None):
        return
    lang = language_of(None, user.language_code if user else None)
    if not should_refuse_aloud(context, user.id if user else None):
        log.debug("refused user %s again within the hour: no answer", user.id if user else None)
        if update.callback_query is not None:
            await update.callback_query.answer()
        raise ApplicationHandlerStop
    log.info("refused user %s in chat %s", user.id if user else None, chat.id if chat else None)
    if update.inline_query is not None:  # nothing to share
        await update.inline_query.answer([], cache_time=0, is_personal=True)
    elif update.callback_query is not None:
        await update.callback_query.answer(
            tr(lang, "Sorry, this bot is private. Ask its operator to let you in."), show_alert=True
        )
    elif (update.effective_message is not None and chat is not None and chat.type == "private") or (
        update.effective_message is not None and (update.effective_message.text or "").startswith("/")
    ):
        await update.effective_message.reply_text(
            tr(lang, "Sorry, this bot is private. Ask its operator to let you in.")
        )
    raise ApplicationHandlerStop


def should_refuse_aloud(context: RiffcutContext, user_id: int | None) -> bool:
    """True the first time in REFUSAL_INTERVAL_S that this user is refused (noted now)."""
    if user_id is None or not context.bot_data.started:
        return True
    refused = context.services.refused
    now = time.monotonic()
    last = refused.get(user_id)
    if last is not None and now - last < REFUSAL_INTERVAL_S:
        return False
    refused[user_id] = now
    return True
