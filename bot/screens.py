"""Showing a member's status card: as a new reply, or by editing the card whose button was pressed."""

from __future__ import annotations

import logging

from telegram import Message
from telegram.constants import ParseMode

from bot.card import Card, build_card
from bot.context import RiffcutContext
from bot.presses import edit_text
from bot.services import Services
from bot.texts import tr
from bot.who import Who
from storage.videos_repo import Choice, get_current_video

log = logging.getLogger(__name__)


async def current_choice(svc: Services, me: Who) -> Choice | None:
    return await get_current_video(svc.db, me.chat_id, me.user_id)


def card_for(svc: Services, me: Who, choice: Choice) -> Card:
    return build_card(
        me.lang, choice, me.options, owner=me.user_id, check_prompt=svc.check_prompt, rule=svc.config.part_rule
    )


async def show_card(
    context: RiffcutContext,
    me: Who,
    *,
    reply_to: Message | None = None,
    edit: Message | None = None,
    notice: str | None = None,
) -> Message | None:
    """Edit `edit` into the card, or send it as a reply to `reply_to`; 'no video' when there is none."""
    svc = context.services
    choice = await current_choice(svc, me)
    if choice is None:
        text = tr(me.lang, "card_none")
        if notice:
            text = f"{notice}\n\n{text}"
        if edit is not None:
            await edit_text(edit, text)
            return edit
        if reply_to is not None:
            return await reply_to.reply_text(text)
        return await context.bot.send_message(me.chat_id, text)
    card = card_for(svc, me, choice)
    text = f"{notice}\n\n{card.text}" if notice else card.text
    if edit is not None:
        await edit_text(edit, text, parse_mode=ParseMode.HTML, reply_markup=card.keyboard)
        return edit
    if reply_to is not None:
        return await reply_to.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=card.keyboard)
    return await context.bot.send_message(me.chat_id, text, parse_mode=ParseMode.HTML, reply_markup=card.keyboard)
