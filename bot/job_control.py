"""A member's jobs: which are unfinished, which job a progress message is about, who may cancel it, cancelling,
and a finished job's choices to run it again."""

from __future__ import annotations

import logging

from telegram.constants import ChatMemberStatus

from bot.context import RiffcutContext
from bot.jobtexts import stage_words, state_words
from bot.texts import tr
from bot.who import Who
from storage.history import user_history
from storage.jobs_repo import jobs_in_state
from storage.models import UNFINISHED, Job, JobState
from storage.videos_repo import Choice

log = logging.getLogger(__name__)

ADMIN_STATUSES = (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


async def my_unfinished(context: RiffcutContext, me: Who) -> list[Job]:
    jobs = await jobs_in_state(context.services.db, *UNFINISHED)
    return [job for job in jobs if job.user_id == me.user_id and job.chat_id == me.chat_id]


async def unfinished_summary(context: RiffcutContext, me: Who) -> str:
    jobs = await my_unfinished(context, me)
    if not jobs:
        return ""
    described = []
    for job in jobs:
        state = state_words(me.lang, job.state)
        if job.state == JobState.QUEUED:
            position = await context.services.jobs.position(job.id)
            if position:
                state += f" ({position})"
        elif job.stage:
            state += f" ({stage_words(me.lang, job.stage)} {job.progress:.0%})"
        described.append(f"#{job.id} {state}")
    return tr(me.lang, "Your jobs: {jobs}", jobs=", ".join(described))


async def job_of_progress_message(context: RiffcutContext, me: Who, message_id: int) -> Job | None:
    """The job whose progress message this is: any member's unfinished job in this chat, or one of the member's
    recent jobs here; None when the message is not a progress message."""
    db = context.services.db
    candidates = [*await jobs_in_state(db, *UNFINISHED), *await user_history(db, me.user_id, limit=20)]
    return next(
        (job for job in candidates if job.chat_id == me.chat_id and job.progress_message_id == message_id), None
    )


async def may_cancel(context: RiffcutContext, me: Who, job: Job) -> bool:
    """The job's starter, or an admin of the chat it runs in (asked with getChatMember)."""
    if job.user_id == me.user_id:
        return True
    if not me.in_group or job.chat_id != me.chat_id:
        return False
    member = await context.bot.get_chat_member(job.chat_id, me.user_id)
    return member.status in ADMIN_STATUSES


async def cancel_job(context: RiffcutContext, me: Who, job: Job) -> str:
    """Ask the queue to cancel the job (a running one stops soon after; its progress message then says so)."""
    if job.finished:
        return tr(me.lang, "Job #{job} is already finished.", job=job.id)
    if not await may_cancel(context, me, job):
        return tr(me.lang, "Only the member who started job #{job} or a chat admin can cancel it.", job=job.id)
    if not await context.services.jobs.cancel(job.id):
        return tr(me.lang, "Job #{job} is already finished.", job=job.id)
    log.info("job %s: cancelled by user %s", job.id, me.user_id)
    return tr(me.lang, "Job #{job} cancelled.", job=job.id)


def choice_of(job: Job) -> Choice:
    """The job's video and choices, to run it again without the video being sent again."""
    return Choice(job.chat_id, job.user_id, job.video, job.prompt, job.parts, job.part)
