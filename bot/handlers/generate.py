"""/generate: the card's Split-n-Generate as a command (bot.submission makes the job)."""

from __future__ import annotations

from telegram import Update

from bot import refusals
from bot.context import RiffcutContext
from bot.refusals import words
from bot.screens import current_choice
from bot.submission import submit, submitted_text
from bot.who import who
from engine.errors import BadInput


async def generate_command(update: Update, context: RiffcutContext) -> None:
    message = update.effective_message
    assert message is not None
    me = await who(update, context)
    choice = await current_choice(context.services, me)
    if choice is None:
        await message.reply_text(words(me.lang, BadInput(refusals.NO_VIDEO)))
        return
    submitted = await submit(context, me, choice)
    if not submitted.created:
        await message.reply_text(submitted_text(me, submitted))
