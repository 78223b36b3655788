"""/queue and /stats, for ADMIN_USER_IDS only."""

from __future__ import annotations

import html

from telegram import Update
from telegram.constants import ParseMode

from bot.access import is_admin
from bot.context import RiffcutContext
from bot.jobtexts import stage_words, state_words
from bot.texts import tr
from bot.who import Who, who
from storage.history import admin_totals
from storage.jobs_repo import jobs_in_state
from storage.models import UNFINISHED


async def _admin(update: Update, context: RiffcutContext) -> Who | None:
    me = await who(update, context)
    if not is_admin(context.config, me.user_id):
        assert update.effective_message is not None
        await update.effective_message.reply_text(tr(me.lang, "This command is for the bot's operators."))
        return None
    return me


async def queue_command(update: Update, context: RiffcutContext) -> None:
    me = await _admin(update, context)
    if me is None:
        return
    jobs = await jobs_in_state(context.services.db, *UNFINISHED)
    assert update.effective_message is not None
    if not jobs:
        await update.effective_message.reply_text(tr(me.lang, "The queue is empty."))
        return
    lines = [tr(me.lang, "<b>Queue</b> ({count})", count=len(jobs))]
    for job in jobs[:50]:
        stage = f" · {stage_words(me.lang, job.stage)} {job.progress:.0%}" if job.stage else ""
        lines.append(
            html.escape(
                tr(
                    me.lang,
                    "#{job} · {state} · user {user} · chat {chat}{stage}",
                    job=job.id,
                    state=state_words(me.lang, job.state),
                    user=job.user_id,
                    chat=job.chat_id,
                    stage=stage,
                )
            )
        )
    await update.effective_message.reply_text("\n".join(lines), parse_mode=ParseMode.HTML)


async def stats_command(update: Update, context: RiffcutContext) -> None:
    me = await _admin(update, context)
    if me is None:
        return
    totals = await admin_totals(context.services.db)
    lines = [tr(me.lang, "<b>Stats</b>"), tr(me.lang, "users: {count}", count=totals.users)]
    lines += [f"{state_words(me.lang, state)}: {count}" for state, count in totals.jobs_per_state.items()]
    if totals.average_stage_seconds:
        lines.append("")
        lines += [
            tr(me.lang, "{stage}: {seconds:.1f} s on average", stage=stage, seconds=seconds)
            for stage, seconds in sorted(totals.average_stage_seconds.items())
        ]
    assert update.effective_message is not None
    await update.effective_message.reply_text("\n".join(lines), parse_mode=ParseMode.HTML)
