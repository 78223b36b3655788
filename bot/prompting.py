"""The music prompt: the bot's "what music?" question, telling an answer to it, and keeping a prompt."""

from __future__ import annotations

import re

from telegram import ForceReply, Message
from telegram.constants import ParseMode

from bot.context import RiffcutContext
from bot.texts import N_, tr
from bot.who import Who
from engine.options import LANGUAGES
from storage.videos_repo import set_prompt

_TAGS = re.compile(r"<[^>]+>")
ASK = N_("What music should the part get? Reply to this message with a prompt, e.g. <i>lo-fi beat with soft piano</i>.")
QUESTION_STARTS = tuple(_TAGS.sub("", tr(lang, ASK))[:24] for lang in LANGUAGES)


async def ask_prompt(context: RiffcutContext, me: Who, reply_to: Message | None) -> Message:
    """The bot's "what music?" question; the answer (a reply to it) becomes the prompt."""
    markup = ForceReply(selective=True, input_field_placeholder="lo-fi beat with soft piano")
    if reply_to is not None:
        sent = await reply_to.reply_text(
            tr(me.lang, ASK),
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
        )
    else:
        sent = await context.bot.send_message(
            me.chat_id,
            tr(me.lang, ASK),
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
        )
    context.chat.asked(sent.message_id)
    return sent


def is_prompt_answer(message: Message, bot_id: int, asked: list[int]) -> bool:
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != bot_id:
        return False
    return replied.message_id in asked or (replied.text or "").startswith(QUESTION_STARTS)


async def store_prompt(context: RiffcutContext, me: Who, prompt: str) -> None:
    """Check the prompt with the model's tokenizer and keep it; BadInput (nothing changed) when it does not fit."""
    svc = context.services
    svc.check_prompt(prompt)
    async with svc.locks.hold(me.chat_id, me.user_id):
        await set_prompt(svc.db, me.chat_id, me.user_id, prompt)


def caption_prompt(message: Message) -> str | None:
    """A caption that is not a command is the prompt."""
    caption = (message.caption or "").strip()
    return caption if caption and not caption.startswith("/") else None
