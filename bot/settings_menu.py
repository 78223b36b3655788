"""The /settings inline menu and `/set NAME VALUE`, both driven by `engine.options.SPECS`.

The menu's first screen shows every setting with its current value, one button per setting; a setting's
screen shows its help, the allowed values (the spec's words) and buttons for common values. Which buttons
appear is decided by the spec: on/off for switches, every choice for choices, and for numbers a few usual
values that the spec's own check accepts (so a button never offers a value `/set` would refuse). Any other
value is typed as `/set NAME VALUE`. Values are stored through storage.options_repo, so they survive
restarts. Callback data: `s|owner|home`, `s|owner|o|NAME`, `s|owner|v|NAME|VALUE`, `s|owner|close`.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.keyboards import button, data
from bot.services import services
from bot.texts import setting_title, tr
from bot.who import Who, own_press, who, who_again
from engine.errors import BadInput
from engine.options import SPECS, SettingSpec, UserOptions, spec_for
from storage.options_repo import set_option

log = logging.getLogger(__name__)

# Usual values offered as buttons, each kept only when the spec accepts it.
PRESETS: dict[str, tuple[Any, ...]] = {
    "guidance": (1.0, 3.0, 6.5, 10.0, 15.0),
    "steps": (2, 10, 20, 30, 50, 100),
    "previews": (0, 1, 2, 3, 5, 10),
    "seed": (None, 0, 42, 1234),
    "negative": ("",),
    "remix": (None, 0.3, 0.55, 0.8, 1.0),
    "keep_original_db": (None, -30.0, -20.0, -12.0, -6.0),
}


def menu_values(spec: SettingSpec) -> list[Any]:
    """The values offered as buttons for one setting."""
    if spec.allowed == "on or off":
        candidates: tuple[Any, ...] = (True, False)
    elif spec.name in PRESETS:
        candidates = PRESETS[spec.name]
    else:  # a choice: its words are the allowed values
        words = [w.strip() for w in spec.allowed.replace(", or ", ", ").split(",")]
        candidates = tuple(spec.parse(w) for w in words if w)
    values = []
    for value in candidates:
        try:
            values.append(spec.check(value))
        except BadInput:
            continue
    return values


def value_word(spec: SettingSpec, value: Any) -> str:
    """How a value travels in callback data and in `/set`: the words the spec's parser reads back."""
    if value is None:
        return "auto" if spec.name == "language" else ("random" if spec.name == "seed" else "off")
    if isinstance(value, bool):
        return "on" if value else "off"
    if spec.name == "negative" and value == "":
        return "off"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def home_screen(me: Who) -> tuple[str, InlineKeyboardMarkup]:
    lines = [tr(me.lang, "settings_title")]
    rows: list[list[InlineKeyboardButton]] = []
    for spec in SPECS:
        title = setting_title(me.lang, spec.name, spec.title)
        shown = spec.show(getattr(me.options, spec.name))
        lines.append(f"{html.escape(title)}: <b>{html.escape(shown)}</b>")
        label = f"{title}: {shown}"
        rows.append([button(label[:60], data("s", me.user_id, "o", spec.name))])
    if me.options.guidance <= 1 and me.options.negative:
        lines.append("")
        lines.append(tr(me.lang, "guidance_ignores_negative", guidance=f"{me.options.guidance:g}"))
    rows.append([button(tr(me.lang, "btn_close"), data("s", me.user_id, "close"))])
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def setting_screen(me: Who, spec: SettingSpec) -> tuple[str, InlineKeyboardMarkup]:
    current = getattr(me.options, spec.name)
    text = tr(
        me.lang,
        "settings_pick",
        title=html.escape(setting_title(me.lang, spec.name, spec.title)),
        value=html.escape(spec.show(current)),
        help=html.escape(spec.help),
        allowed=html.escape(spec.allowed),
        name=spec.name,
    )
    buttons = []
    for value in menu_values(spec):
        mark = "• " if value == current else ""
        buttons.append(
            button(f"{mark}{spec.show(value)}"[:40], data("s", me.user_id, "v", spec.name, value_word(spec, value)))
        )
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    rows.append([button(tr(me.lang, "btn_back"), data("s", me.user_id, "home"))])
    return text, InlineKeyboardMarkup(rows)


async def open_menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    me = await who(update, context)
    text, keyboard = home_screen(me)
    await message.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=keyboard)


async def _edit(message: Message, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
    try:
        await message.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=keyboard)
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise


async def menu_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    press = await own_press(update, context)
    if press is None:
        return
    query, message, cb, me = press.query, press.message, press.data, press.me
    action = cb.field(1)
    if action == "close":
        await query.answer()
        await message.delete()
        return
    if action == "home":
        await query.answer()
        await _edit(message, *home_screen(me))
        return
    spec = spec_for(cb.field(2))
    if action == "o":
        await query.answer()
        await _edit(message, *setting_screen(me, spec))
        return
    if action == "v":
        try:
            await set_option(services(context).db, me.user_id, spec.name, cb.field(3))
        except BadInput as exc:
            await query.answer(exc.message[:200], show_alert=True)
            return
        me = await who_again(services(context), me)
        shown = spec.show(getattr(me.options, spec.name))
        await query.answer(f"{setting_title(me.lang, spec.name, spec.title)}: {shown}")
        await _edit(message, *home_screen(me))
        return
    await query.answer()


def describe(options: UserOptions, lang: str) -> str:
    """Every setting with its value, one line each (for /set with no arguments)."""
    return "\n".join(
        f"{setting_title(lang, spec.name, spec.title)} (<code>{spec.name}</code>): "
        f"<b>{html.escape(spec.show(getattr(options, spec.name)))}</b>"
        for spec in SPECS
    )


async def set_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/set NAME VALUE`: one setting, checked by its spec; the refusal names the allowed values."""
    message = update.effective_message
    assert message is not None
    me = await who(update, context)
    from bot.handlers.choices import command_text

    name, _, value = command_text(message).partition(" ")
    if not name or not value.strip():
        names = ", ".join(spec.name for spec in SPECS)
        await message.reply_text(
            tr(me.lang, "usage_set", names=names) + "\n\n" + describe(me.options, me.lang), parse_mode=ParseMode.HTML
        )
        return
    spec = spec_for(name)
    await set_option(services(context).db, me.user_id, spec.name, value.strip())
    me = await who_again(services(context), me)
    shown = spec.show(getattr(me.options, spec.name))
    reply = tr(me.lang, "settings_saved", title=setting_title(me.lang, spec.name, spec.title), value=shown)
    if spec.name in ("guidance", "negative") and me.options.guidance <= 1 and me.options.negative:
        reply += "\n" + tr(me.lang, "guidance_ignores_negative", guidance=f"{me.options.guidance:g}")
    await message.reply_text(reply)
