"""/settings (the inline menu and its buttons) and `/set NAME VALUE`; values are stored through
storage.options_repo, so they survive restarts."""

from __future__ import annotations

from typing import assert_never

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode

from bot.callbacks import MenuAction, MenuPress
from bot.command_args import command_text
from bot.context import RiffcutContext
from bot.presses import edit_text
from bot.refusals import words
from bot.setting_words import setting_title, shown
from bot.settings_screens import describe, home_screen, negative_ignored_note, setting_screen
from bot.texts import tr
from bot.who import own_press, who, who_again
from engine.errors import BadInput
from engine.options import SPECS, spec_for
from storage.options_repo import set_option


async def open_menu(update: Update, context: RiffcutContext) -> None:
    message = update.effective_message
    assert message is not None
    me = await who(update, context)
    text, keyboard = home_screen(me)
    await message.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=keyboard)


async def _edit(message: Message, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
    await edit_text(message, text, parse_mode=ParseMode.HTML, reply_markup=keyboard)


async def menu_button(update: Update, context: RiffcutContext) -> None:
    own = await own_press(update, context, MenuPress)
    if own is None:
        return
    query, message, press, me = own.query, own.message, own.press, own.me
    match press.action:
        case MenuAction.CLOSE:
            await query.answer()
            await message.delete()
        case MenuAction.HOME:
            await query.answer()
            await _edit(message, *home_screen(me))
        case MenuAction.OPEN:
            await query.answer()
            await _edit(message, *setting_screen(me, spec_for(press.setting)))
        case MenuAction.SET:
            spec = spec_for(press.setting)
            try:
                options = await set_option(context.services.db, me.user_id, spec.name, press.value)
            except BadInput as exc:
                await query.answer(words(me.lang, exc)[:200], show_alert=True)
                return
            me = who_again(me, options)
            value = shown(me.lang, spec, getattr(me.options, spec.name))
            await query.answer(f"{setting_title(me.lang, spec)}: {value}")
            await _edit(message, *home_screen(me))
        case _:
            assert_never(press.action)


async def set_command(update: Update, context: RiffcutContext) -> None:
    """`/set NAME VALUE`: one setting, checked by its spec; the refusal names the allowed values."""
    message = update.effective_message
    assert message is not None
    me = await who(update, context)
    name, _, value = command_text(message).partition(" ")
    if not name or not value.strip():
        names = ", ".join(spec.name for spec in SPECS)
        await message.reply_text(
            tr(
                me.lang,
                "Use <code>/set NAME VALUE</code>, e.g. <code>/set steps 30</code>. Settings: {names}.",
                names=names,
            )
            + "\n\n"
            + describe(me.options, me.lang),
            parse_mode=ParseMode.HTML,
        )
        return
    spec = spec_for(name)
    options = await set_option(context.services.db, me.user_id, spec.name, value.strip())
    me = who_again(me, options)
    value = shown(me.lang, spec, getattr(me.options, spec.name))
    reply = tr(me.lang, "{title}: {value}.", title=setting_title(me.lang, spec), value=value)
    note = negative_ignored_note(me.lang, me.options)
    if spec.name in ("guidance", "negative") and note is not None:
        reply += "\n" + note
    await message.reply_text(reply)
