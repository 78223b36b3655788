"""The choices for the current video: /prompt (or the reply to "what music?"), /parts N, /part K, /status,
and the status card's buttons."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Awaitable, Callable

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot.handlers.video import ask_prompt, store_prompt
from bot.keyboards import parse, video_tag
from bot.screens import current_choice, show_card
from bot.services import services
from bot.texts import EN, RU, tr
from bot.who import Who, who
from engine.errors import BadInput
from engine.parts import check_part_count
from storage.videos_repo import set_part, set_split

log = logging.getLogger(__name__)

_TAGS = re.compile(r"<[^>]+>")
QUESTION_STARTS = tuple(_TAGS.sub("", table["ask_prompt"])[:24] for table in (EN, RU))


def command_text(message: Message) -> str:
    """What follows the command word (`/prompt@Bot lo-fi` -> `lo-fi`)."""
    text = message.text or message.caption or ""
    head, _, rest = text.partition(" ")
    if "\n" in head:
        head, _, more = head.partition("\n")
        rest = f"{more} {rest}".strip()
    return rest.strip()


def whole_number(text: str, what: str, lang: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise BadInput(tr(lang, "not_a_number", what=what, value=text.strip())) from None


async def prompt_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    me = await who(update, context)
    svc = services(context)
    text = command_text(message)
    if await current_choice(svc, me) is None:
        await message.reply_text(tr(me.lang, "no_video"))
        return
    if not text:
        await ask_prompt(context, me, message)
        return
    await store_prompt(context, me, text)
    await show_card(context, me, reply_to=message, notice=tr(me.lang, "prompt_set"))


def is_prompt_answer(message: Message, bot_id: int, asked: list[int]) -> bool:
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != bot_id:
        return False
    return replied.message_id in asked or (replied.text or "").startswith(QUESTION_STARTS)


async def prompt_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A reply to the bot's "what music?" question is the prompt; other replies are left alone."""
    message = update.effective_message
    assert message is not None
    asked: list[int] = (context.chat_data or {}).get("prompt_questions", [])
    if not is_prompt_answer(message, context.bot.id, asked):
        if message.chat.type == "private":
            await prompt_text(update, context)
        return
    me = await who(update, context)
    svc = services(context)
    if await current_choice(svc, me) is None:
        await message.reply_text(tr(me.lang, "no_video"))
        return
    await store_prompt(context, me, (message.text or "").strip())
    await show_card(context, me, reply_to=message, notice=tr(me.lang, "prompt_set"))


async def prompt_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In a private chat, plain text is the prompt for the current video (never silently ignored)."""
    message = update.effective_message
    assert message is not None
    me = await who(update, context)
    if await current_choice(services(context), me) is None:
        await message.reply_text(tr(me.lang, "no_video"))
        return
    await store_prompt(context, me, (message.text or "").strip())
    await show_card(context, me, reply_to=message, notice=tr(me.lang, "prompt_set"))


async def change_parts(context: ContextTypes.DEFAULT_TYPE, me: Who, parts: int) -> None:
    """Check `parts` by the length rule and keep it; the chosen part stays when it still exists."""
    svc = services(context)
    async with svc.user_lock(me.chat_id, me.user_id):
        video = await current_choice(svc, me)
        if video is None:
            raise BadInput(tr(me.lang, "no_video"))
        check_part_count(video.duration, parts, svc.settings.min_part_seconds, svc.settings.max_part_seconds)
        await set_split(svc.db, me.chat_id, me.user_id, parts, min(video.part, parts))


async def change_part(context: ContextTypes.DEFAULT_TYPE, me: Who, part: int) -> None:
    svc = services(context)
    async with svc.user_lock(me.chat_id, me.user_id):
        video = await current_choice(svc, me)
        if video is None:
            raise BadInput(tr(me.lang, "no_video"))
        if not 1 <= part <= video.parts:
            raise BadInput(tr(me.lang, "part_out_of_range", parts=video.parts, value=part))
        await set_part(svc.db, me.chat_id, me.user_id, part)


async def _number_command(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    usage: str,
    label: str,
    change: Callable[[ContextTypes.DEFAULT_TYPE, Who, int], Awaitable[None]],
    notice: str,
) -> None:
    """`/parts N` and `/part K`: the number checked, stored through `change`, then the card with a notice."""
    message = update.effective_message
    assert message is not None
    me = await who(update, context)
    text = command_text(message)
    if not text:
        await message.reply_text(tr(me.lang, usage), parse_mode="HTML")
        return
    number = whole_number(text, label, me.lang)
    await change(context, me, number)
    await show_card(context, me, reply_to=message, notice=tr(me.lang, notice, parts=number, part=number))


async def parts_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _number_command(update, context, "usage_parts", "The number of parts", change_parts, "parts_set")


async def part_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _number_command(update, context, "usage_part", "The chosen part", change_part, "part_set")


async def card_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`k|action|value|video tag|owner`: n parts, p chosen part, q ask the prompt, g generate, x nothing."""
    query = update.callback_query
    assert query is not None and isinstance(query.message, Message)
    cb = parse(query.data)
    action, value, tag, owner = cb.field(0), cb.field(1), cb.field(2), cb.field(3)
    me = await who(update, context)
    if str(me.user_id) != owner:
        await query.answer(tr(me.lang, "not_your_card"), show_alert=True)
        return
    svc = services(context)
    video = await current_choice(svc, me)
    if video is None or video_tag(video.file_unique_id) != tag:
        await query.answer(tr(me.lang, "stale_card"))
        await show_card(context, me, edit=query.message)
        return
    if action == "g":
        from bot.handlers.generate import generate_from_card

        await generate_from_card(update, context, me, query.message)
        return
    try:
        if action == "n":
            await change_parts(context, me, int(value))
        elif action == "p":
            await change_part(context, me, int(value))
        elif action == "q":
            await query.answer()
            await ask_prompt(context, me, query.message)
            return
    except BadInput as exc:
        await query.answer(exc.message[:200], show_alert=True)
        return
    await query.answer()
    await show_card(context, me, edit=query.message)


async def status_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The status card, and the member's unfinished jobs with their state."""
    message = update.effective_message
    assert message is not None
    me = await who(update, context)
    from bot.handlers.jobs import unfinished_summary

    jobs = await unfinished_summary(context, me)
    await show_card(context, me, reply_to=message, notice=html.escape(jobs) if jobs else None)
