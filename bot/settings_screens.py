"""The screens of the /settings inline menu and of `/set` alone, both driven by `engine.options.SPECS`.

The menu's first screen shows every setting with its current value, one button per setting; a setting's
screen shows its help, the allowed values (the spec's words) and buttons for common values. Which buttons
appear is decided by the spec: on/off for switches, every choice for choices, and for numbers a few usual
values that the spec's own check accepts (so a button never offers a value `/set` would refuse). Any other
value is typed as `/set NAME VALUE`. The buttons' data is a `bot.callbacks.MenuPress`; bot.handlers.settings
answers them.
"""

from __future__ import annotations

import html
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import MenuAction, MenuPress
from bot.keyboards import button
from bot.setting_words import setting_allowed, setting_help, setting_title, shown
from bot.texts import tr
from bot.who import Who
from engine.errors import BadInput
from engine.options import SPECS, SettingSpec, UserOptions

# Usual values offered as buttons, each kept only when the spec accepts it.
PRESETS: dict[str, tuple[Any, ...]] = {
    "guidance": (1.0, 3.0, 6.5, 10.0, 15.0),
    "steps": (2, 10, 20, 30, 50, 100),
    "previews": (0, 1, 2, 3, 5, 10),
    "seed": (None, 0, 42, 1234),
    "negative": ("",),
    "remix": (None, 0.3, 0.55, 0.8, 1.0),
    "keep_original_db": (None, -30.0, -20.0, -12.0, -6.0),
    "takes": (1, 2, 3, 4),
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


def negative_ignored_note(lang: str, options: UserOptions) -> str | None:
    """The note that the negative prompt is ignored (guidance 1 or less), or None when it is not."""
    if options.guidance <= 1 and options.negative:
        return tr(
            lang,
            "Note: with guidance {guidance} (1 or less) the negative prompt is ignored.",
            guidance=f"{options.guidance:g}",
        )
    return None


def home_screen(me: Who) -> tuple[str, InlineKeyboardMarkup]:
    lines = [tr(me.lang, "<b>Settings</b> (each one also works as <code>/set NAME VALUE</code>)")]
    rows: list[list[InlineKeyboardButton]] = []
    for spec in SPECS:
        title = setting_title(me.lang, spec)
        value = shown(me.lang, spec, getattr(me.options, spec.name))
        lines.append(f"{html.escape(title)}: <b>{html.escape(value)}</b>")
        label = f"{title}: {value}"
        rows.append([button(label[:60], MenuPress(me.user_id, MenuAction.OPEN, spec.name))])
    note = negative_ignored_note(me.lang, me.options)
    if note is not None:
        lines.append("")
        lines.append(note)
    rows.append([button(tr(me.lang, "Close"), MenuPress(me.user_id, MenuAction.CLOSE))])
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def setting_screen(me: Who, spec: SettingSpec) -> tuple[str, InlineKeyboardMarkup]:
    current = getattr(me.options, spec.name)
    text = tr(
        me.lang,
        "<b>{title}</b>: now <b>{value}</b>\n"
        "{help}\n"
        "Allowed: {allowed}.\n"
        "Pick a value, or send <code>/set {name} VALUE</code>.",
        title=html.escape(setting_title(me.lang, spec)),
        value=html.escape(shown(me.lang, spec, current)),
        help=html.escape(setting_help(me.lang, spec)),
        allowed=html.escape(setting_allowed(me.lang, spec)),
        name=spec.name,
    )
    buttons = []
    for value in menu_values(spec):
        mark = "• " if value == current else ""
        buttons.append(
            button(
                f"{mark}{shown(me.lang, spec, value)}"[:40],
                MenuPress(me.user_id, MenuAction.SET, spec.name, value_word(spec, value)),
            )
        )
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    rows.append([button(tr(me.lang, "« Back"), MenuPress(me.user_id, MenuAction.HOME))])
    return text, InlineKeyboardMarkup(rows)


def describe(options: UserOptions, lang: str) -> str:
    """Every setting with its value, one line each (for /set with no arguments)."""
    return "\n".join(
        f"{setting_title(lang, spec)} (<code>{spec.name}</code>): "
        f"<b>{html.escape(shown(lang, spec, getattr(options, spec.name)))}</b>"
        for spec in SPECS
    )
