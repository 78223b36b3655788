"""Showing a member's status card: as a new reply, or by editing the card whose button was pressed."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Message
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import CallbackContext

from bot.card import Card, build_card
from bot.services import Services, services
from bot.state import VideoChoice
from bot.texts import tr
from bot.who import Who
from storage.videos_repo import get_current_video

log = logging.getLogger(__name__)


def check_prompt(svc: Services, text: str) -> object:
    """The model's tokenizer decides whether a prompt fits (BadInput when it does not)."""
    if svc.generator is None:
        raise RuntimeError("the model is not loaded")
    return svc.generator.check_prompt(text)


async def current_choice(svc: Services, me: Who) -> VideoChoice | None:
    row = await get_current_video(svc.db, me.chat_id, me.user_id)
    return VideoChoice.of(row) if row is not None else None


def card_for(svc: Services, me: Who, video: VideoChoice) -> Card:
    return build_card(
        me.lang,
        video,
        me.options,
        owner=me.user_id,
        check_prompt=lambda text: check_prompt(svc, text),
        min_s=svc.settings.min_part_seconds,
        max_s=svc.settings.max_part_seconds,
    )


async def show_card(
    context: CallbackContext[Any, Any, Any, Any],
    me: Who,
    *,
    reply_to: Message | None = None,
    edit: Message | None = None,
    notice: str | None = None,
) -> Message | None:
    """Edit `edit` into the card, or send it as a reply to `reply_to`; 'no video' when there is none."""
    svc = services(context)
    video = await current_choice(svc, me)
    if video is None:
        text = tr(me.lang, "card_none")
        if notice:
            text = f"{notice}\n\n{text}"
        if edit is not None:
            await edit.edit_text(text)
            return edit
        if reply_to is not None:
            return await reply_to.reply_text(text)
        return await context.bot.send_message(me.chat_id, text)
    card = card_for(svc, me, video)
    text = f"{notice}\n\n{card.text}" if notice else card.text
    if edit is not None:
        try:
            await edit.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=card.keyboard)
        except BadRequest as exc:
            if "not modified" not in exc.message.lower():
                raise
        return edit
    if reply_to is not None:
        return await reply_to.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=card.keyboard)
    return await context.bot.send_message(me.chat_id, text, parse_mode=ParseMode.HTML, reply_markup=card.keyboard)
