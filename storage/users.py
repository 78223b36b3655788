"""The user row every other table hangs from: found, or made on first use."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from engine.options import UserOptions
from storage.models import User


async def user_row(session: AsyncSession, user_id: int, telegram_language: str | None = None) -> User:
    """The user's row, locked for this transaction (FOR UPDATE where the database has it), made if missing.

    `telegram_language` (Telegram's language_code) is stored when given, so the bot can default to it.
    """
    query = select(User).where(User.id == user_id).with_for_update()
    user = (await session.execute(query)).scalar_one_or_none()
    if user is None:
        try:
            async with session.begin_nested():
                user = User(id=user_id, options=UserOptions(), telegram_language=telegram_language)
                session.add(user)
        except IntegrityError:  # made at the same moment by another transaction (PostgreSQL)
            user = (await session.execute(query)).scalar_one()
    if telegram_language and user.telegram_language != telegram_language:
        user.telegram_language = telegram_language
    return user
