"""A member sends a video: it is checked and becomes their current video, answered with the status card."""

from __future__ import annotations

import contextlib
import logging

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.intake import Incoming, attachment, check_size, fetch_and_probe, first_parts, is_video, record_of
from bot.screens import check_prompt, show_card
from bot.services import services
from bot.texts import tr
from bot.who import Who, who
from engine.errors import BadInput
from storage.videos_repo import set_current_video, set_prompt, set_split

log = logging.getLogger(__name__)

PROMPT_QUESTIONS_KEPT = 50  # per chat: the "what music?" questions whose replies are taken as prompts


async def accept_video(
    context: ContextTypes.DEFAULT_TYPE, me: Who, message: Message, incoming: Incoming, status: Message
) -> None:
    """Download, probe, store as the current video with a fitting number of parts; BadInput when unusable."""
    svc = services(context)
    check_size(incoming, svc.download_limit, me.lang)
    info = await fetch_and_probe(context.bot, incoming, svc.settings.temporary_directory / "intake")
    parts = first_parts(info, 1, svc.settings.min_part_seconds, svc.settings.max_part_seconds)
    async with svc.user_lock(me.chat_id, me.user_id):
        await set_current_video(
            svc.db, me.chat_id, me.user_id, record_of(incoming, info), telegram_language=me.telegram_language
        )
        if parts != 1:
            await set_split(svc.db, me.chat_id, me.user_id, parts, 1)
    log.info(
        "user %s in chat %s sent a %s: %.2f s %dx%d, %s bytes",
        me.user_id,
        me.chat_id,
        incoming.kind,
        info.duration,
        info.width,
        info.height,
        info.size_bytes,
    )


def caption_prompt(message: Message) -> str | None:
    """A caption that is not a command is the prompt."""
    caption = (message.caption or "").strip()
    return caption if caption and not caption.startswith("/") else None


async def store_prompt(context: ContextTypes.DEFAULT_TYPE, me: Who, prompt: str) -> None:
    """Check the prompt with the model's tokenizer and keep it; BadInput (nothing changed) when it does not fit."""
    svc = services(context)
    check_prompt(svc, prompt)
    async with svc.user_lock(me.chat_id, me.user_id):
        await set_prompt(svc.db, me.chat_id, me.user_id, prompt)


async def on_video(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Private chats: any video-like attachment; a non-video file is refused with one sentence."""
    message = update.effective_message
    assert message is not None
    me = await who(update, context)
    incoming = attachment(message)
    if incoming is None or not is_video(message):
        await message.reply_text(tr(me.lang, "not_video"))
        return
    status = await message.reply_text(tr(me.lang, "checking"))
    try:
        await accept_video(context, me, message, incoming, status)
    except BadInput as exc:
        await status.edit_text(exc.message)
        return
    except Exception:  # the error handler apologises; "Checking your video…" must not stay as if still at work
        with contextlib.suppress(TelegramError):
            await status.delete()
        raise
    from bot.handlers.generate import remember_video_message

    remember_video_message(context, me.user_id, message.message_id)
    notice = None
    prompt = caption_prompt(message)
    if prompt:
        try:
            await store_prompt(context, me, prompt)
        except BadInput as exc:
            notice = exc.message
    await show_card(context, me, edit=status, notice=notice)


async def not_a_video(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A photo, a voice message, a sticker...: one sentence saying what the bot takes."""
    message = update.effective_message
    assert message is not None
    me = await who(update, context)
    await message.reply_text(tr(me.lang, "not_video"))


async def ask_prompt(context: ContextTypes.DEFAULT_TYPE, me: Who, reply_to: Message | None) -> Message:
    """The bot's "what music?" question; the answer (a reply to it) becomes the prompt."""
    from telegram import ForceReply

    markup = ForceReply(selective=True, input_field_placeholder="lo-fi beat with soft piano")
    if reply_to is not None:
        sent = await reply_to.reply_text(tr(me.lang, "ask_prompt"), parse_mode=ParseMode.HTML, reply_markup=markup)
    else:
        sent = await context.bot.send_message(
            me.chat_id, tr(me.lang, "ask_prompt"), parse_mode=ParseMode.HTML, reply_markup=markup
        )
    if context.chat_data is not None:
        asks: list[int] = context.chat_data.setdefault("prompt_questions", [])
        asks.append(sent.message_id)
        del asks[:-PROMPT_QUESTIONS_KEPT]
    return sent
