"""`riffcut db upgrade` and `riffcut db current`: the database schema (Alembic migrations in storage/).

`current` only reads: where SQLite's file is not there yet it says so, and makes neither the file nor its
folder. A database that cannot be opened (a server down, a password refused, a read-only file) is one line,
exit 2, naming where it is with the password hidden.
"""

from __future__ import annotations

import argparse

from engine.errors import Unreachable
from riffcut.command import DATABASE, LOGGING, Command, Env


def db_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = actions.add_parser("upgrade", help="bring the database (DATABASE_URL) to the newest schema")
    upgrade.set_defaults(handler=upgrade_command)
    current = actions.add_parser("current", help="print the schema revision the database is at (changes nothing)")
    current.set_defaults(handler=current_command)


COMMANDS = (
    Command("db", "the database: apply migrations, show the schema's revision", db_arguments, reads=LOGGING + DATABASE),
)


def where(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def cannot_open(url: str, exc: Exception) -> Unreachable:
    reason = getattr(exc, "orig", None) or exc
    words = " ".join(str(reason).split()) or type(reason).__name__
    return Unreachable(
        f"The database {where(url)} cannot be opened ({words[:200]}); check DATABASE_URL, and that its server is up."
    )


async def upgrade_database_checked(url: str) -> str | None:
    """Bring the database to the newest schema; Unreachable (one sentence) when it cannot be opened."""
    from sqlalchemy.exc import SQLAlchemyError

    from storage.migrate import upgrade_database

    try:
        return await upgrade_database(url)
    except (SQLAlchemyError, OSError) as exc:
        raise cannot_open(url, exc) from None


async def upgrade_command(args: argparse.Namespace, env: Env) -> int:
    from storage.migrate import head_revision

    url = env.settings.resolved_database_url
    revision = await upgrade_database_checked(url)
    print(f"{where(url)}: at revision {revision} (newest: {head_revision()})")
    return 0


def no_sqlite_file(url: str) -> bool:
    """True for an SQLite URL whose file is not there (opening it would make it)."""
    from pathlib import Path

    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    file = parsed.database if parsed.get_backend_name() == "sqlite" else None
    return bool(file) and file != ":memory:" and not str(file).startswith("file:") and not Path(str(file)).exists()


async def current_command(args: argparse.Namespace, env: Env) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from storage.migrate import current_revision, head_revision

    url = env.settings.resolved_database_url
    head = head_revision()
    if no_sqlite_file(url):
        print(f"{where(url)}: no database yet (run `riffcut db upgrade` to make it at {head})")
        return 0
    try:
        revision = await current_revision(url)
    except (SQLAlchemyError, OSError) as exc:
        raise cannot_open(url, exc) from None
    state = "no schema yet" if revision is None else f"revision {revision}"
    note = "up to date" if revision == head else f"run `riffcut db upgrade` to reach {head}"
    print(f"{where(url)}: {state} ({note})")
    return 0
