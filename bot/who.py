"""Who an update is from, in the terms every handler needs: chat, user, their settings and language."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Generic, TypeVar

from telegram import CallbackQuery, Message, Update
from telegram.constants import ChatType

from bot.callbacks import CardPress, ForgetPress, MenuPress
from bot.context import RiffcutContext
from bot.presses import pressed_message, the_query
from bot.texts import N_, language_of, tr
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


async def who(update: Update, context: RiffcutContext) -> Who:
    chat = update.effective_chat
    user = update.effective_user
    if chat is None or user is None:
        raise ValueError("an update with no chat or user")
    options = await get_options(context.services.db, user.id)
    return Who(
        chat_id=chat.id,
        user_id=user.id,
        lang=language_of(options.language, user.language_code),
        options=options,
        in_group=chat.type in (ChatType.GROUP, ChatType.SUPERGROUP),
        telegram_language=user.language_code,
    )


def who_again(me: Who, options: UserOptions) -> Who:
    """The same person after a settings change, with the options it returned (their language may have changed)."""
    return replace(me, options=options, lang=language_of(options.language, me.telegram_language))


Owned = TypeVar("Owned", MenuPress, ForgetPress, CardPress)


@dataclass(frozen=True)
class OwnPress(Generic[Owned]):
    """A press on a menu that belongs to one member (its callback data names its owner)."""

    query: CallbackQuery
    message: Message
    press: Owned
    me: Who


MENU_NOT_YOURS = N_("This menu belongs to the member who opened it; send /settings for your own.")


async def own_press(
    update: Update, context: RiffcutContext, kind: type[Owned], *, not_yours: str = MENU_NOT_YOURS
) -> OwnPress[Owned] | None:
    """The press, or None (after telling the presser `not_yours`, an N_() message) when someone else's was pressed."""
    query = the_query(update)
    press = kind.decode(query.data)
    message = pressed_message(query)
    me = await who(update, context)
    if press.owner != me.user_id:
        await query.answer(tr(me.lang, not_yours), show_alert=True)
        return None
    return OwnPress(query, message, press, me)
