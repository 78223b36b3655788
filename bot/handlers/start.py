"""/start and /help: what the bot does in three steps, the commands and settings, what is kept and for how long."""

from __future__ import annotations

import html

from telegram import Update
from telegram.constants import ParseMode

from bot.context import RiffcutContext
from bot.intake import human_limit
from bot.texts import tr
from bot.who import who
from engine.options import SPECS
from storage.options_repo import ensure_user


def limit_text(limit: int | None) -> str:
    return human_limit(limit) if limit is not None else "2 GB"


async def start(update: Update, context: RiffcutContext) -> None:
    me = await who(update, context)
    await ensure_user(context.services.db, me.user_id, me.telegram_language)
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        tr(me.lang, "start", limit=limit_text(context.config.download_limit)), parse_mode=ParseMode.HTML
    )


def help_text(lang: str, limit: int | None, retention_hours: float) -> str:
    settings = "\n".join(
        tr(lang, "help_setting", name=spec.name, help=html.escape(spec.help), allowed=html.escape(spec.allowed))
        for spec in SPECS
    )
    return tr(lang, "help", limit=limit_text(limit), settings=settings, retention=f"{retention_hours:g}")


async def help_command(update: Update, context: RiffcutContext) -> None:
    config = context.config
    me = await who(update, context)
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        help_text(me.lang, config.download_limit, config.result_retention_hours), parse_mode=ParseMode.HTML
    )
