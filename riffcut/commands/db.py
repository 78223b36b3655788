"""`riffcut db upgrade` and `riffcut db current`: the database schema (Alembic migrations in storage/)."""

from __future__ import annotations

import argparse

from riffcut.settings import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("db", help="the database: apply migrations, show the schema's revision")
    db_sub = parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = db_sub.add_parser("upgrade", help="bring the database (DATABASE_URL) to the newest schema")
    upgrade.set_defaults(handler=upgrade_command)
    current = db_sub.add_parser("current", help="print the schema revision the database is at")
    current.set_defaults(handler=current_command)


def _where(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


async def upgrade_command(args: argparse.Namespace, settings: Settings) -> int:
    from storage.migrate import head_revision, upgrade_database

    url = settings.resolved_database_url
    revision = await upgrade_database(url)
    print(f"{_where(url)}: at revision {revision} (newest: {head_revision()})")
    return 0


async def current_command(args: argparse.Namespace, settings: Settings) -> int:
    from storage.migrate import current_revision, head_revision

    url = settings.resolved_database_url
    revision = await current_revision(url)
    head = head_revision()
    state = "no schema yet" if revision is None else f"revision {revision}"
    note = "up to date" if revision == head else f"run `riffcut db upgrade` to reach {head}"
    print(f"{_where(url)}: {state} ({note})")
    return 0
