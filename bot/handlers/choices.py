"""The choices for the current video: /prompt (or the reply to "what music?"), /parts N, /part K, /status,
and the status card's buttons (parts, chosen part, set the prompt, Split-n-Generate)."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from typing import assert_never

from telegram import Message, Update

from bot import refusals
from bot.callbacks import CardAction, CardPress, video_tag
from bot.command_args import command_text, whole_number
from bot.context import RiffcutContext
from bot.job_control import unfinished_summary
from bot.prompting import ask_prompt, is_prompt_answer, store_prompt
from bot.refusals import words
from bot.screens import current_choice, show_card
from bot.submission import submit, submitted_text
from bot.texts import N_, tr
from bot.who import Who, own_press, who
from engine.errors import BadInput, Refusal
from engine.parts import check_part_count
from storage.videos_repo import set_part, set_split


async def prompt_command(update: Update, context: RiffcutContext) -> None:
    message = update.effective_message
    assert message is not None
    me = await who(update, context)
    text = command_text(message)
    if await current_choice(context.services, me) is None:
        await message.reply_text(words(me.lang, BadInput(refusals.NO_VIDEO)))
        return
    if not text:
        await ask_prompt(context, me, message)
        return
    await _set_prompt(context, me, message, text)


async def _set_prompt(context: RiffcutContext, me: Who, message: Message, text: str) -> None:
    await store_prompt(context, me, text)
    await show_card(context, me, reply_to=message, notice=tr(me.lang, "Prompt set."))


async def prompt_reply(update: Update, context: RiffcutContext) -> None:
    """A reply to the bot's "what music?" question is the prompt; other replies are left alone."""
    message = update.effective_message
    assert message is not None
    if message.chat.type == "private" or is_prompt_answer(message, context.bot.id, context.chat.prompt_questions):
        await prompt_text(update, context)


async def prompt_text(update: Update, context: RiffcutContext) -> None:
    """The text is the prompt for the current video (in a private chat, plain text is never ignored)."""
    message = update.effective_message
    assert message is not None
    me = await who(update, context)
    if await current_choice(context.services, me) is None:
        await message.reply_text(words(me.lang, BadInput(refusals.NO_VIDEO)))
        return
    await _set_prompt(context, me, message, (message.text or "").strip())


async def change_parts(context: RiffcutContext, me: Who, parts: int) -> None:
    """Check `parts` by the length rule and keep it; the chosen part stays when it still exists."""
    svc = context.services
    async with svc.locks.hold(me.chat_id, me.user_id):
        choice = await current_choice(svc, me)
        if choice is None:
            raise BadInput(refusals.NO_VIDEO)
        rule = svc.config.part_rule
        check_part_count(choice.video.duration, parts, rule.min_s, rule.max_s, rule.max_parts)
        await set_split(svc.db, me.chat_id, me.user_id, parts, min(choice.part, parts))


async def change_part(context: RiffcutContext, me: Who, part: int) -> None:
    svc = context.services
    async with svc.locks.hold(me.chat_id, me.user_id):
        choice = await current_choice(svc, me)
        if choice is None:
            raise BadInput(refusals.NO_VIDEO)
        if not 1 <= part <= choice.parts:
            raise BadInput(refusals.CHOSEN_PART_OUT_OF_RANGE, parts=choice.parts, value=part)
        await set_part(svc.db, me.chat_id, me.user_id, part)


async def _number_command(
    update: Update,
    context: RiffcutContext,
    usage: str,
    not_a_number: Refusal,
    change: Callable[[RiffcutContext, Who, int], Awaitable[None]],
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
    number = whole_number(text, not_a_number)
    await change(context, me, number)
    await show_card(context, me, reply_to=message, notice=tr(me.lang, notice, parts=number, part=number))


async def parts_command(update: Update, context: RiffcutContext) -> None:
    usage = N_("Send the number after the command, e.g. <code>/parts 3</code>.")
    await _number_command(update, context, usage, refusals.PARTS_NOT_A_NUMBER, change_parts, N_("Parts: {parts}."))


async def part_command(update: Update, context: RiffcutContext) -> None:
    usage = N_("Send the part's number after the command, e.g. <code>/part 2</code>.")
    await _number_command(update, context, usage, refusals.PART_NOT_A_NUMBER, change_part, N_("Chosen part: {part}."))


async def card_button(update: Update, context: RiffcutContext) -> None:
    """A press on the status card (bot.callbacks.CardPress)."""
    own = await own_press(
        update, context, CardPress, not_yours=N_("These buttons belong to the member who sent the video.")
    )
    if own is None:
        return
    query, card, press, me = own.query, own.message, own.press, own.me
    choice = await current_choice(context.services, me)
    if choice is None or video_tag(choice.video.file_unique_id) != press.tag:
        if choice is None:
            await query.answer(tr(me.lang, "You have no video here yet: send me one."))
        else:
            await query.answer(tr(me.lang, "This card is about an earlier video; here is the current one."))
        await show_card(context, me, edit=card)
        return
    try:
        match press.action:
            case CardAction.GENERATE:
                submitted = await submit(context, me, choice)
                await query.answer(submitted_text(me, submitted))
                return
            case CardAction.ASK_PROMPT:
                await query.answer()
                await ask_prompt(context, me, card)
                return
            case CardAction.PARTS:
                await change_parts(context, me, press.value)
            case CardAction.PART:
                await change_part(context, me, press.value)
            case CardAction.LABEL:
                pass
            case _:
                assert_never(press.action)
    except BadInput as exc:
        await query.answer(words(me.lang, exc)[:200], show_alert=True)
        return
    await query.answer()
    await show_card(context, me, edit=card)


async def status_command(update: Update, context: RiffcutContext) -> None:
    """The status card, and the member's unfinished jobs with their state."""
    message = update.effective_message
    assert message is not None
    me = await who(update, context)
    jobs = await unfinished_summary(context, me)
    await show_card(context, me, reply_to=message, notice=html.escape(jobs) if jobs else None)
