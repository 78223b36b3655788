"""An update Telegram sends again is handled once: Telegram repeats an update whose webhook answered late or not
at all, and with several front ends behind a load balancer the repeat may reach another one. The first handler
of all records the update's id in the database (kept a day, `storage.updates_repo`); a repeat stops there."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.context import RiffcutContext
from storage.updates_repo import first_sighting

log = logging.getLogger(__name__)


async def drop_repeats(update: Update, context: RiffcutContext) -> None:
    try:
        first = await first_sighting(context.services.db, update.update_id)
    except Exception:  # the database cannot take the record: better a rare repeat than no answer at all
        log.warning("update %s: could not record it as handled", update.update_id, exc_info=True)
        return
    if not first:
        log.info("update %s: handled already (Telegram sent it again); dropped", update.update_id)
        raise ApplicationHandlerStop
