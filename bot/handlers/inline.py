"""Inline mode: typing "@ThisBot" in any chat lists the member's recent results, to send them there.

Each result is offered as Telegram already keeps it (its file id): the chosen part with its new music and the
music alone, so nothing is uploaded again. A query of "#N" lists job N's results only (the "Share" button under
a result opens that); other words narrow the list to the prompts that contain them. Only the asking member's own
results are listed, and a forgotten member's results are gone with their jobs. Inline mode must be switched on
for the bot with @BotFather (/setinline).
"""

from __future__ import annotations

import html
import logging

from telegram import InlineQueryResultCachedAudio, InlineQueryResultCachedVideo, Update
from telegram.constants import ParseMode

from bot.context import RiffcutContext
from bot.texts import language_of, tr
from storage.history import SharedResult, shareable_results
from storage.options_repo import get_options

log = logging.getLogger(__name__)

RESULTS_LISTED = 20
CACHE_SECONDS = 10  # the list changes as jobs finish; is_personal keeps each member's own


def matching(results: list[SharedResult], query: str) -> list[SharedResult]:
    words = query.strip()
    if words.startswith("#") and words[1:].isdigit():
        return [result for result in results if result.job.id == int(words[1:])]
    if not words:
        return results
    return [result for result in results if words.casefold() in result.job.prompt.casefold()]


async def share_query(update: Update, context: RiffcutContext) -> None:
    query = update.inline_query
    assert query is not None
    svc = context.services
    options = await get_options(svc.db, query.from_user.id)
    lang = language_of(options.language, query.from_user.language_code)
    found = matching(await shareable_results(svc.db, query.from_user.id, RESULTS_LISTED), query.query)
    answers: list[InlineQueryResultCachedVideo | InlineQueryResultCachedAudio] = []
    for result in found:
        job = result.job
        title = job.prompt if len(job.prompt) <= 60 else job.prompt[:60] + "…"
        described = tr(lang, "part {part} of {parts} · seed {seed}", part=job.part, parts=job.parts, seed=job.seed)
        caption = tr(lang, "🎵 {prompt} · made with @{bot}", prompt=html.escape(title), bot=context.bot.username)
        if result.video_file_id:
            answers.append(
                InlineQueryResultCachedVideo(
                    id=f"v{job.id}",
                    video_file_id=result.video_file_id,
                    title=title,
                    description=described,
                    caption=caption,
                    parse_mode=ParseMode.HTML,
                )
            )
        if result.music_file_id:
            answers.append(
                InlineQueryResultCachedAudio(
                    id=f"a{job.id}", audio_file_id=result.music_file_id, caption=caption, parse_mode=ParseMode.HTML
                )
            )
    await query.answer(answers[:50], cache_time=CACHE_SECONDS, is_personal=True)
    log.info("inline query from user %s: %d result(s)", query.from_user.id, len(answers))
