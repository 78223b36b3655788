"""What every button press needs before its handler acts: the press and the message it was on, or a refusal.

A press may come without a message (a button on an inline message, or on a message too old for Telegram to send
along): `pressed_message` refuses it with one sentence instead of failing. `edit_text` edits a message and takes
Telegram's "message is not modified" (the edit would change nothing: a repeated tap) as done, not as an error.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from bot import refusals
from engine.errors import BadInput


def the_query(update: Update) -> CallbackQuery:
    query = update.callback_query
    if query is None:
        raise ValueError("a button handler was given an update without a press")
    return query


def pressed_message(query: CallbackQuery) -> Message:
    """The message the pressed button is on; BadInput(button_without_message) when Telegram sent none."""
    if not isinstance(query.message, Message):
        raise BadInput(refusals.BUTTON_WITHOUT_MESSAGE)
    return query.message


def not_modified(error: BadRequest) -> bool:
    return "not modified" in error.message.lower()


async def unless_unchanged(edit: Awaitable[object]) -> None:
    """Await an edit; Telegram's "message is not modified" (it would change nothing) is fine."""
    try:
        await edit
    except BadRequest as exc:
        if not not_modified(exc):
            raise


async def edit_markup(message: Message, keyboard: InlineKeyboardMarkup | None) -> None:
    await unless_unchanged(message.edit_reply_markup(keyboard))


async def edit_text(message: Message, text: str, **kwargs: Any) -> None:
    await unless_unchanged(message.edit_text(text, **kwargs))


async def edit_caption(message: Message, caption: str, **kwargs: Any) -> None:
    """A photo's or a video's caption."""
    await unless_unchanged(message.edit_caption(caption, **kwargs))
