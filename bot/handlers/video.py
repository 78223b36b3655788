"""A member sends a video: it is checked and becomes their current video, answered with the status card."""

from __future__ import annotations

import contextlib

from telegram import Update
from telegram.error import TelegramError

from bot.context import RiffcutContext
from bot.intake import receive_video
from bot.prompting import caption_prompt, store_prompt
from bot.refusals import words
from bot.screens import show_card
from bot.texts import tr
from bot.who import who
from engine.errors import BadInput


async def on_video(update: Update, context: RiffcutContext) -> None:
    """Private chats: any video-like attachment; a non-video file is refused with one sentence."""
    message = update.effective_message
    assert message is not None
    me = await who(update, context)
    status = await receive_video(context, me, message, message)
    if status is None:
        return
    notice = None
    prompt = caption_prompt(message)
    if prompt:
        try:
            await store_prompt(context, me, prompt)
        except BadInput as exc:
            notice = words(me.lang, exc)
    with contextlib.suppress(TelegramError):  # the card (a photo) comes as a new reply to the video
        await status.delete()
    await show_card(context, me, reply_to=message, notice=notice)


async def not_a_video(update: Update, context: RiffcutContext) -> None:
    """A photo, a voice message, a sticker...: one sentence saying what the bot takes."""
    message = update.effective_message
    assert message is not None
    me = await who(update, context)
    await message.reply_text(tr(me.lang, "That is not a video: send an MP4, MOV, WebM or another video file."))
