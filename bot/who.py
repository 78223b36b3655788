"""Who an update is from, in the terms every handler needs: chat, user, their settings and language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import CallbackQuery, Message, Update
from telegram.constants import ChatType
from telegram.ext import CallbackContext

from bot.keyboards import Callback, parse
from bot.services import Services, services
from bot.texts import language_of, tr
from engine.options import UserOptions
from storage.options_repo import get_options


@dataclass(frozen=True)
class Who:
    chat_id: int
    user_id: int
    lang: str
    options: UserOptions
    in_group: bool
    telegram_language: str | None


async def who(update: Update, context: CallbackContext[Any, Any, Any, Any]) -> Who:
    svc = services(context)
    chat = update.effective_chat
    user = update.effective_user
    if chat is None or user is None:
        raise ValueError("an update with no chat or user")
    options = await get_options(svc.db, user.id)
    return Who(
        chat_id=chat.id,
        user_id=user.id,
        lang=language_of(options.language, user.language_code),
        options=options,
        in_group=chat.type in (ChatType.GROUP, ChatType.SUPERGROUP),
        telegram_language=user.language_code,
    )


async def who_again(svc: Services, me: Who) -> Who:
    """The same person after a settings change (their language may have changed)."""
    options = await get_options(svc.db, me.user_id)
    return Who(
        me.chat_id,
        me.user_id,
        language_of(options.language, me.telegram_language),
        options,
        me.in_group,
        me.telegram_language,
    )


@dataclass(frozen=True)
class OwnPress:
    """A press on a menu that belongs to one member (its callback data's first field is their id)."""

    query: CallbackQuery
    message: Message
    data: Callback
    me: Who


async def own_press(update: Update, context: CallbackContext[Any, Any, Any, Any]) -> OwnPress | None:
    """The press, or None (after telling the presser whose menu it is) when someone else's menu was pressed."""
    query = update.callback_query
    assert query is not None and isinstance(query.message, Message)
    data = parse(query.data)
    me = await who(update, context)
    if data.field(0) != str(me.user_id):
        await query.answer(tr(me.lang, "not_your_menu"), show_alert=True)
        return None
    return OwnPress(query, query.message, data, me)
