"""A user's settings (`engine.options.UserOptions`), kept as JSON and checked by the options' specs.

A refused value raises `BadInput` (its message names the allowed values) and the stored settings stay as they
were: the change is validated before anything is written, in the same transaction that reads the old value.
"""

from __future__ import annotations

from sqlalchemy import select

from engine.errors import BadInput
from engine.options import UserOptions, spec_for
from storage import refusals
from storage.database import Database
from storage.models import User, options_from_json, options_to_json
from storage.users import user_row


async def ensure_user(db: Database, user_id: int, telegram_language: str | None = None) -> None:
    """Make the user's row if missing and remember Telegram's language_code for them."""
    async with db.transaction() as session:
        await user_row(session, user_id, telegram_language)


async def get_options(db: Database, user_id: int) -> UserOptions:
    """The user's settings (the defaults for a user never seen)."""
    async with db.sessions() as session:
        stored = (await session.execute(select(User.options).where(User.id == user_id))).scalar_one_or_none()
    return stored if stored is not None else UserOptions()


async def set_option(db: Database, user_id: int, name: str, value: object) -> UserOptions:
    """Change one setting (`name` may be an alias; `value` text as typed or a Python value); returns the new set.

    Raises BadInput, changing nothing, for an unknown name or a value out of range.
    """
    spec = spec_for(name)
    async with db.transaction() as session:
        user = await user_row(session, user_id)
        updated = user.options.with_value(spec.name, value)
        user.options = updated
    return updated


async def set_options(db: Database, user_id: int, options: UserOptions) -> UserOptions:
    """Store a whole set of settings (each value checked by its spec first)."""
    checked = options_from_json(options_to_json(options))
    if checked != options:
        raise BadInput(refusals.SETTINGS_OUT_OF_RANGE)
    async with db.transaction() as session:
        user = await user_row(session, user_id)
        user.options = options
    return options


async def reset_options(db: Database, user_id: int) -> UserOptions:
    """Every setting back to its default."""
    async with db.transaction() as session:
        user = await user_row(session, user_id)
        user.options = UserOptions()
    return UserOptions()


async def language_for(db: Database, user_id: int) -> str | None:
    """The user's chosen language, else the language_code Telegram last gave for them, else None."""
    async with db.sessions() as session:
        row = (
            await session.execute(select(User.options, User.telegram_language).where(User.id == user_id))
        ).one_or_none()
    if row is None:
        return None
    options: UserOptions = row.options
    return options.language or row.telegram_language
