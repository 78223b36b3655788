"""/queue and /stats, for ADMIN_USER_IDS only."""

from __future__ import annotations

import html

from telegram import Update
from telegram.constants import ParseMode

from bot.access import is_admin
from bot.context import RiffcutContext
from bot.texts import tr
from bot.who import Who, who
from storage.history import admin_totals
from storage.jobs_repo import jobs_in_state
from storage.models import UNFINISHED


async def _admin(update: Update, context: RiffcutContext) -> Who | None:
    me = await who(update, context)
    if not is_admin(context.config, me.user_id):
        assert update.effective_message is not None
        await update.effective_message.reply_text(tr(me.lang, "admins_only"))
        return None
    return me


async def queue_command(update: Update, context: RiffcutContext) -> None:
    me = await _admin(update, context)
    if me is None:
        return
    jobs = await jobs_in_state(context.services.db, *UNFINISHED)
    assert update.effective_message is not None
    if not jobs:
        await update.effective_message.reply_text(tr(me.lang, "queue_empty"))
        return
    lines = [tr(me.lang, "queue_title", count=len(jobs))]
    for job in jobs[:50]:
        stage = f" · {job.stage} {job.progress:.0%}" if job.stage else ""
        lines.append(
            html.escape(
                tr(me.lang, "queue_line", job=job.id, state=job.state, user=job.user_id, chat=job.chat_id, stage=stage)
            )
        )
    await update.effective_message.reply_text("\n".join(lines), parse_mode=ParseMode.HTML)


async def stats_command(update: Update, context: RiffcutContext) -> None:
    me = await _admin(update, context)
    if me is None:
        return
    totals = await admin_totals(context.services.db)
    lines = [tr(me.lang, "stats_title"), f"users: {totals.users}"]
    lines += [f"{state}: {count}" for state, count in totals.jobs_per_state.items()]
    if totals.average_stage_seconds:
        lines.append("")
        lines += [
            f"{stage}: {seconds:.1f} s average" for stage, seconds in sorted(totals.average_stage_seconds.items())
        ]
    assert update.effective_message is not None
    await update.effective_message.reply_text("\n".join(lines), parse_mode=ParseMode.HTML)
