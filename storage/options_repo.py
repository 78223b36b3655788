"""A user's settings (`engine.options.UserOptions`), kept as JSON and checked by the options' specs.

A refused value raises `BadInput` (its message names the allowed values) and the stored settings stay as they
were: the change is validated before anything is written, in the same transaction that reads the old value.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from engine.errors import BadInput
from engine.options import SPECS_BY_NAME, UserOptions, spec_for
from storage.database import Database
from storage.models import User
from storage.users import user_row

log = logging.getLogger(__name__)


def options_from_json(data: dict[str, Any] | None) -> UserOptions:
    """Stored settings back as UserOptions; a value no longer allowed (ranges changed) falls back to its default."""
    values: dict[str, Any] = {}
    for name, value in (data or {}).items():
        spec = SPECS_BY_NAME.get(name)
        if spec is None:
            continue
        try:
            values[name] = spec.check(value)
        except BadInput as exc:
            log.warning("stored setting %s=%r is no longer allowed (%s); using the default", name, value, exc.message)
    return UserOptions(**values)


def options_to_json(options: UserOptions) -> dict[str, Any]:
    return options.model_dump(mode="json")


async def ensure_user(db: Database, user_id: int, telegram_language: str | None = None) -> None:
    """Make the user's row if missing and remember Telegram's language_code for them."""
    async with db.transaction() as session:
        await user_row(session, user_id, telegram_language)


async def get_options(db: Database, user_id: int) -> UserOptions:
    """The user's settings (the defaults for a user never seen)."""
    async with db.sessions() as session:
        stored = (await session.execute(select(User.options).where(User.id == user_id))).scalar_one_or_none()
    return options_from_json(stored)


async def set_option(db: Database, user_id: int, name: str, value: object) -> UserOptions:
    """Change one setting (`name` may be an alias; `value` text as typed or a Python value); returns the new set.

    Raises BadInput, changing nothing, for an unknown name or a value out of range.
    """
    spec = spec_for(name)
    async with db.transaction() as session:
        user = await user_row(session, user_id)
        updated = options_from_json(user.options).with_value(spec.name, value)
        user.options = options_to_json(updated)
    return updated


async def set_options(db: Database, user_id: int, options: UserOptions) -> UserOptions:
    """Store a whole set of settings (each value checked by its spec first)."""
    checked = options_from_json(options_to_json(options))
    if checked != options:
        raise BadInput("Some settings are out of range; nothing was changed.")
    async with db.transaction() as session:
        user = await user_row(session, user_id)
        user.options = options_to_json(options)
    return options


async def reset_options(db: Database, user_id: int) -> UserOptions:
    """Every setting back to its default."""
    async with db.transaction() as session:
        user = await user_row(session, user_id)
        user.options = {}
    return UserOptions()


async def language_for(db: Database, user_id: int) -> str | None:
    """The user's chosen language, else the language_code Telegram last gave for them, else None."""
    async with db.sessions() as session:
        row = (
            await session.execute(select(User.options, User.telegram_language).where(User.id == user_id))
        ).one_or_none()
    if row is None:
        return None
    options = options_from_json(row.options)
    return options.language or row.telegram_language
