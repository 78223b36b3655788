"""Telegram updates already handled, kept a day: Telegram sends an update again when a webhook answered late, and
behind a load balancer the second copy may reach another front end. The first to record it handles it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from storage.database import Database
from storage.models import HandledUpdate, utcnow

KEPT = timedelta(days=1)
PRUNE_EVERY = 500  # every this many update ids, older records are removed


async def first_sighting(db: Database, update_id: int, now: datetime | None = None) -> bool:
    """Record the update; True the first time it is seen (by any front end on this database), False after."""
    when = now or utcnow()
    try:
        async with db.transaction() as session:
            session.add(HandledUpdate(update_id=update_id, seen_at=when))
    except IntegrityError:
        return False
    if update_id % PRUNE_EVERY == 0:
        await forget_before(db, when - KEPT)
    return True


async def forget_before(db: Database, cutoff: datetime) -> int:
    async with db.transaction() as session:
        result = await session.execute(delete(HandledUpdate).where(HandledUpdate.seen_at < cutoff))
    return int(result.rowcount)  # type: ignore[attr-defined]
