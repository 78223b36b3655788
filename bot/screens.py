"""Showing a member's status card: as a new reply, or by editing the card whose button was pressed.

The card is a photo (the timeline picture of bot.card_picture) with the card's text as its caption, or a text
message when there is no picture (no strip kept for the video, a split that does not fit, a caption over
Telegram's 1024 characters). An edit changes the picture in place (editMessageMedia) only when the split it
shows has changed; otherwise only the caption (editMessageCaption). A text message (an older card, "checking
your video…") is edited as text.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, InputMediaPhoto, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.callbacks import video_tag
from bot.card import Card, build_card
from bot.card_picture import Picture, draw
from bot.context import RiffcutContext
from bot.delivery import CAPTION_LIMIT, caption_length
from bot.presses import edit_caption, edit_text, not_modified
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


def split_shown(choice: Choice, card: Card) -> tuple[str, int, int] | None:
    """What the card's picture shows (video tag, parts, chosen part; as `Picture.shows`); None without a split."""
    if card.plan is None:
        return None
    return video_tag(choice.video.file_unique_id), card.plan.parts, card.plan.chosen


async def picture_for(svc: Services, me: Who, choice: Choice, card: Card, text: str) -> Picture | None:
    if card.plan is None or caption_length(text) > CAPTION_LIMIT:
        return None
    tag = video_tag(choice.video.file_unique_id)
    plan = card.plan
    return await draw(svc.config.data_dir, me.chat_id, me.user_id, tag, plan.parts, plan.chosen, plan.duration)


async def _edit_text(message: Message, text: str, keyboard: InlineKeyboardMarkup | None = None) -> None:
    await edit_text(message, text, parse_mode=ParseMode.HTML, reply_markup=keyboard)


async def _edit_caption(message: Message, text: str, keyboard: InlineKeyboardMarkup | None = None) -> None:
    await edit_caption(message, text, parse_mode=ParseMode.HTML, reply_markup=keyboard)


async def _edit_photo(
    context: RiffcutContext, message: Message, text: str, keyboard: InlineKeyboardMarkup | None, picture: Picture
) -> None:
    drawn = context.chat.card_pictures
    try:
        if drawn.get(message.message_id) == picture.shows:
            await _edit_caption(message, text, keyboard)
        else:
            media = InputMediaPhoto(picture.jpeg, caption=text, parse_mode=ParseMode.HTML, filename="timeline.jpg")
            await message.edit_media(media, reply_markup=keyboard)
    except BadRequest as exc:
        if not not_modified(exc):
            raise
    drawn[message.message_id] = picture.shows


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
        text = tr(me.lang, "You have no video here yet: send me one.")
        if notice:
            text = f"{notice}\n\n{text}"
        if edit is not None:
            if edit.photo:
                await _edit_caption(edit, text)
            else:
                await _edit_text(edit, text)
            return edit
        if reply_to is not None:
            return await reply_to.reply_text(text)
        return await context.bot.send_message(me.chat_id, text)
    card = card_for(svc, me, choice)
    text = f"{notice}\n\n{card.text}" if notice else card.text
    if edit is not None and not edit.photo:
        await _edit_text(edit, text, card.keyboard)
        return edit
    shows = split_shown(choice, card)
    if edit is not None and shows is not None and context.chat.card_pictures.get(edit.message_id) == shows:
        await _edit_caption(edit, text, card.keyboard)  # the picture already shows this split: not drawn again
        return edit
    picture = await picture_for(svc, me, choice, card, text)
    if edit is not None:
        if picture is None:  # a photo card whose split no longer fits (a refused change): the caption says why
            await _edit_caption(edit, text, card.keyboard)
        else:
            await _edit_photo(context, edit, text, card.keyboard, picture)
        return edit
    if picture is None:
        if reply_to is not None:
            return await reply_to.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=card.keyboard)
        return await context.bot.send_message(me.chat_id, text, parse_mode=ParseMode.HTML, reply_markup=card.keyboard)
    sent = await context.bot.send_photo(
        me.chat_id,
        picture.jpeg,
        caption=text,
        parse_mode=ParseMode.HTML,
        reply_markup=card.keyboard,
        filename="timeline.jpg",
        reply_to_message_id=reply_to.message_id if reply_to is not None else None,
        allow_sending_without_reply=True,
    )
    context.chat.card_pictures[sent.message_id] = picture.shows
    return sent
