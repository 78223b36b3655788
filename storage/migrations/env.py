"""Alembic's environment for Riffcut's schema.

Migrations always run on a connection the application hands over (`config.attributes["connection"]`), from
inside its running event loop through `AsyncConnection.run_sync` (see storage/migrate.py). Unlike Alembic's
async template this never calls `asyncio.run()` and never touches the logging configuration, so it is safe
inside the running bot. Use `riffcut db upgrade` (or `storage.migrate.upgrade_database`) to apply them.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from storage.models import Base

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("Riffcut's migrations run through `riffcut db upgrade` or storage.migrate.upgrade_database().")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
