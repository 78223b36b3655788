"""A job's progress message, from its events: queue position, stage, diffusion steps with an ETA, the last word.

One `JobTrack` per job while it runs in this process: its language (the member's), its current view, the stages
under way (they overlap: the music is made while the video is split) and its timing. The message shows one main
phase (making the music, while it is made, else the stage that started last) and a line for each other phase
under way, the sending of the first result included. A job first seen after a restart takes over the progress
message it had (its id is in the job's row). The message itself is edited by the ProgressBoard, within
Telegram's per-chat budget.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace

from telegram import Bot
from telegram.error import TelegramError

from bot.bounded import BoundedDict
from bot.jobtexts import Phase, ProgressView, phase_of, phases_beside, progress_text
from bot.keyboards import cancel_keyboard
from bot.progress import MAX_JOBS, ProgressBoard
from bot.texts import language_of
from engine.stages import Stage
from jobs.events import JobEvent, PositionChanged, StageEnded, StageStarted, StepDone
from storage.database import Database
from storage.jobs_repo import get_job
from storage.options_repo import language_for

log = logging.getLogger(__name__)


@dataclass
class JobTrack:
    """What the bot knows of one job while it runs: its progress view, language, timing."""

    job_id: int
    chat_id: int
    lang: str
    view: ProgressView
    reply_to: int | None = None  # the member's video
    created_at: float = 0.0  # when the job was made (epoch seconds)
    first_step_at: float | None = None
    first_step: int = 0
    started: float = field(default_factory=time.monotonic)
    running: tuple[Stage, ...] = ()  # the stages under way, in the order they started
    sending_first: bool = False  # the first results are being sent while the job goes on


class ProgressPresenter:
    def __init__(self, bot: Bot, db: Database, board: ProgressBoard, languages: BoundedDict[int, str]) -> None:
        self.bot = bot
        self.db = db
        self.board = board
        self.languages = languages
        self.tracks: BoundedDict[int, JobTrack] = BoundedDict(MAX_JOBS)  # a front end never sees some jobs end

    async def track(self, event: JobEvent) -> JobTrack | None:
        """The job's track, made (and its progress message taken over) on its first event in this process."""
        found = self.tracks.get(event.job_id)
        if found is not None:
            return found
        job = await get_job(self.db, event.job_id)
        if job is None:
            return None
        lang = self.languages.get(job.id) or language_of(await language_for(self.db, job.user_id), None)
        view = ProgressView(Phase.QUEUED, parts=job.parts, part=job.part)
        found = JobTrack(
            job.id, job.chat_id, lang, view, reply_to=job.reply_to_message_id, created_at=job.created_at.timestamp()
        )
        self.tracks[job.id] = found
        if not self.board.has(job.id) and job.progress_message_id:
            self.board.attach(job.id, job.chat_id, job.progress_message_id, in_group=job.chat_id < 0)
        return found

    def show(self, track: JobTrack, view: ProgressView, *, cancellable: bool = True) -> None:
        beside = phases_beside(view.phase, track.running)
        if track.sending_first and view.phase is not Phase.UPLOADING:
            beside += (Phase.UPLOADING,)
        view = replace(view, beside=beside)
        track.view = view
        keyboard = cancel_keyboard(track.lang, track.job_id) if cancellable else None
        self.board.show(track.job_id, progress_text(track.lang, track.job_id, view), keyboard)

    def position(self, track: JobTrack, event: PositionChanged) -> None:
        self.show(track, replace(track.view, phase=Phase.QUEUED, position=event.position))

    def stage(self, track: JobTrack, event: StageStarted | StageEnded) -> None:
        """A stage started or ended: the main phase is the music while it is made, else the latest stage."""
        track.running = event.running
        if Stage.GENERATE in track.running:
            phase = Phase.GENERATING
        elif track.running:
            phase = phase_of(track.running[-1])
        else:
            phase = track.view.phase
        self.show(track, replace(track.view, phase=phase))

    def sending_first(self, track: JobTrack, sending: bool) -> None:
        """The first results are being sent (or were) while the job goes on."""
        track.sending_first = sending
        if track.view.phase not in (Phase.QUEUED, Phase.UPLOADING, Phase.DONE, Phase.FAILED, Phase.CANCELLED):
            self.show(track, track.view)

    def step(self, track: JobTrack, event: StepDone) -> None:
        now = time.monotonic()
        if track.first_step_at is None or event.step < track.first_step:
            track.first_step_at, track.first_step = now, event.step
        total = event.total_steps
        eta = None
        done = event.step - track.first_step
        if done > 0 and total:
            eta = max(1, round((now - track.first_step_at) / done * (total - event.step)))
        view = replace(
            track.view,
            phase=Phase.GENERATING,
            step=event.step,
            steps=total,
            eta_s=eta,
            windows=event.windows,
            window=event.window,
        )
        self.show(track, view)

    def uploading(self, track: JobTrack) -> None:
        track.running, track.sending_first = (), False
        self.show(track, replace(track.view, phase=Phase.UPLOADING), cancellable=False)

    def still_sending(self, track: JobTrack) -> None:
        self.show(track, replace(track.view, phase=Phase.STILL_SENDING), cancellable=False)

    async def finish(
        self, track: JobTrack, phase: Phase, *, reason: str = "", seconds: int = 0, takes: int = 0
    ) -> None:
        """The job's last word on its progress message (for now, when its takes wait to be picked), or in a new
        message when it has none."""
        self.tracks.pop(track.job_id, None)
        view = replace(track.view, phase=phase, reason=reason, seconds=seconds, takes=takes)
        track.view = view
        text = progress_text(track.lang, track.job_id, view)
        if self.board.has(track.job_id):
            await self.board.finish(track.job_id, text)
            return
        try:
            await self.bot.send_message(
                track.chat_id,
                text,
                parse_mode="HTML",
                reply_to_message_id=track.reply_to,
                allow_sending_without_reply=True,
            )
        except TelegramError as exc:
            log.info("job %s: could not tell its end (%s)", track.job_id, exc)

    def drop(self, track: JobTrack) -> None:
        """Stop showing the job (its chat cannot be reached)."""
        self.tracks.pop(track.job_id, None)
        self.board.drop(track.job_id)
