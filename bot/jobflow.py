"""The bot's side of the job runner: fetching videos from Telegram, progress messages, delivery.

`start_jobs` makes the runner with a `fetch(job, dest_dir)` that downloads the job's video from Telegram,
subscribes to its events before starting it (so results a restart left undelivered are offered again), and
turns each event into the job's progress message (ProgressBoard) or, for DELIVER, into a delivery task.
Every job ends with a sentence on its progress message: done in N s, cancelled, or the reason it failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from telegram.error import TelegramError
from telegram.ext import Application

from bot.delivery import Delivery, DeliveryStopped
from bot.download import download, safe_name
from bot.jobtexts import ProgressView, progress_text
from bot.keyboards import cancel_keyboard
from bot.services import Services, services_of
from bot.texts import language_of, tr
from engine.errors import BadInput
from engine.generator import plan_windows
from engine.runner import JobRunner
from engine.runner_events import EventKind, RunnerEvent, Subscription
from engine.runner_render import render_work
from storage.jobs_repo import get_job, job_options
from storage.models import Job
from storage.options_repo import language_for

log = logging.getLogger(__name__)

STAGE_VIEWS = {
    "fetch": "downloading",
    "probe": "splitting",
    "split": "splitting",
    "generate": "generating",
    "remux": "remuxing",
    "previews": "packing",
    "preview": "packing",
    "full_cut": "packing",
    "fullcut": "packing",
    "zip": "packing",
    "keep": "packing",
}
FINAL_KINDS = ("done", "failed", "cancelled")


@dataclass
class JobTrack:
    """What the bot knows of one job while it runs: its progress view, language, timing."""

    job_id: int
    chat_id: int
    lang: str
    parts: int
    part: int
    view: ProgressView
    started: float = field(default_factory=time.monotonic)
    first_step_at: float | None = None
    first_step: int = 0
    chained: bool = False  # windows made one after another (else all in one batch)
    reply_to: int | None = None  # the member's video


def windows_of(job: Job, max_image_width: int) -> tuple[int, bool]:
    """How many spectrogram windows the chosen part's music takes, and whether they are chained."""
    try:
        count = plan_windows((job.video_duration or 0.0) / max(job.parts, 1), max_image_width).count
    except BadInput:
        count = 1
    return count, job_options(job).windows == "chained"


class JobFlow:
    def __init__(self, application: Application[Any, Any, Any, Any, Any, Any], svc: Services) -> None:
        self.application = application
        self.svc = svc
        self.tracks: dict[int, JobTrack] = {}
        self.deliveries: dict[int, asyncio.Task[None]] = {}
        self.subscription: Subscription | None = None
        self.consumer: asyncio.Task[None] | None = None
        self.finishing: set[asyncio.Task[None]] = set()
        self.overhead: dict[int, float] = {}  # job id -> seconds spent delivering (for the benchmark)

    # --- the runner's fetch ---------------------------------------------------------------------------

    async def fetch(self, job: Job, dest_dir: Path) -> Path:
        limit = self.svc.download_limit
        if limit is not None and job.video_size_bytes and job.video_size_bytes > limit:
            raise BadInput(f"This video is over the {limit >> 20} MB a bot can download from Telegram.")
        return await download(self.application.bot, job.video_file_id, dest_dir / safe_name(job.video_file_name))

    # --- events ---------------------------------------------------------------------------------------

    async def track(self, event: RunnerEvent) -> JobTrack | None:
        """The job's track, made (and its progress message taken over) on its first event in this process."""
        found = self.tracks.get(event.job_id)
        if found is not None:
            return found
        job = await get_job(self.svc.db, event.job_id)
        if job is None:
            return None
        lang = self.svc.languages.get(job.id) or language_of(await language_for(self.svc.db, job.user_id), None)
        windows, chained = windows_of(job, self.svc.settings.max_image_width)
        view = ProgressView("queued", parts=job.parts, part=job.part, windows=windows)
        found = JobTrack(
            job.id, job.chat_id, lang, job.parts, job.part, view, chained=chained, reply_to=job.reply_to_message_id
        )
        self.tracks[job.id] = found
        if not self.svc.board.has(job.id) and job.progress_message_id:
            in_group = job.chat_id < 0
            self.svc.board.attach(job.id, job.chat_id, job.progress_message_id, in_group=in_group)
        return found

    def show(self, track: JobTrack, view: ProgressView, cancellable: bool = True) -> None:
        track.view = view
        keyboard = cancel_keyboard(track.lang, track.job_id) if cancellable else None
        self.svc.board.show(track.job_id, progress_text(track.lang, track.job_id, view), keyboard)

    async def on_event(self, event: RunnerEvent) -> None:
        track = await self.track(event)
        if track is None:
            return
        view = track.view
        if event.kind is EventKind.POSITION:
            self.show(track, replace(view, stage="queued", position=event.position))
        elif event.kind is EventKind.STAGE and event.stage:
            self.show(track, replace(view, stage=STAGE_VIEWS.get(event.stage, "packing")))
        elif event.kind is EventKind.STEP and event.step is not None:
            now = time.monotonic()
            if track.first_step_at is None or event.step < track.first_step:
                track.first_step_at, track.first_step = now, event.step
            total = event.total_steps or view.steps
            eta = None
            done = event.step - track.first_step
            if done > 0 and total:
                eta = max(1, round((now - track.first_step_at) / done * (total - event.step)))
            window = 0
            if track.chained and view.windows > 1 and total:
                window = min(view.windows, (max(event.step, 1) - 1) * view.windows // total + 1)
            self.show(
                track, replace(view, stage="generating", step=event.step, steps=total or 0, eta_s=eta, window=window)
            )
        elif event.kind is EventKind.STATE and event.state in ("failed", "cancelled"):
            final = replace(view, stage=event.state, reason=event.message or "")
            track.view = final
            self.tracks.pop(track.job_id, None)
            task = asyncio.create_task(self.finish(track, final), name=f"finish-{track.job_id}")
            self.finishing.add(task)
            task.add_done_callback(self.finishing.discard)
        elif event.kind is EventKind.DELIVER and event.job_id not in self.deliveries:
            self.deliveries[event.job_id] = asyncio.create_task(self.deliver(track), name=f"deliver-{event.job_id}")

    async def finish(self, track: JobTrack, view: ProgressView) -> None:
        """The job's last word on its progress message, or in a new message when it has none."""
        text = progress_text(track.lang, track.job_id, view)
        if self.svc.board.has(track.job_id):
            await self.svc.board.finish(track.job_id, text)
            return
        try:
            await self.application.bot.send_message(
                track.chat_id,
                text,
                parse_mode="HTML",
                reply_to_message_id=track.reply_to,
                allow_sending_without_reply=True,
            )
        except TelegramError as exc:
            log.info("job %s: could not tell its end (%s)", track.job_id, exc)

    async def consume(self) -> None:
        assert self.subscription is not None
        async for event in self.subscription:
            try:
                await self.on_event(event)
            except Exception:  # one bad event never stops the progress of every other job
                log.exception("job %s: could not handle the runner's %s event", event.job_id, event.kind)

    # --- delivery -------------------------------------------------------------------------------------

    async def deliver(self, track: JobTrack) -> None:
        started = time.monotonic()
        job = await get_job(self.svc.db, track.job_id)
        try:
            if job is None:
                return
            self.show(track, replace(track.view, stage="uploading"), cancellable=False)
            delivery = Delivery(
                self.application.bot, self.svc.db, job, track.lang, self.svc.upload_limit, job.chat_id < 0
            )
            await delivery.run()
            seconds = round(time.time() - job.created_at.timestamp())
            await self.finish(track, replace(track.view, stage="done", seconds=max(seconds, 1)))
            log.info("job %s: delivered", job.id)
        except DeliveryStopped as exc:
            log.info("job %s: delivery ended, the member cannot be reached (%s)", track.job_id, exc)
            from storage.jobs_repo import mark_delivered

            await mark_delivered(self.svc.db, track.job_id)
            self.svc.board.drop(track.job_id)
        except Exception:
            log.exception("job %s: delivery failed", track.job_id)
            reason = tr(track.lang, "internal_error", job=tr(track.lang, "internal_error_job", job=track.job_id))
            with contextlib.suppress(Exception):
                await self.finish(track, replace(track.view, stage="failed", reason=reason))
        finally:
            self.overhead[track.job_id] = time.monotonic() - started
            self.tracks.pop(track.job_id, None)
            self.deliveries.pop(track.job_id, None)

    # --- life -----------------------------------------------------------------------------------------

    async def start(self) -> int:
        settings = self.svc.settings
        assert self.svc.generator is not None
        work = render_work(self.svc.generator, settings.media_config())
        runner = JobRunner.from_settings(self.svc.db, settings, self.fetch, work)
        self.svc.runner = runner
        self.subscription = runner.subscribe()
        self.consumer = asyncio.create_task(self.consume(), name="runner-events")
        undelivered = await runner.start()
        return len(undelivered)

    async def stop(self) -> None:
        if self.svc.runner is not None:
            await self.svc.runner.stop()
        for task in list(self.deliveries.values()):
            task.cancel()
        await asyncio.gather(*self.deliveries.values(), return_exceptions=True)
        await asyncio.gather(*self.finishing, return_exceptions=True)
        if self.consumer is not None:
            self.consumer.cancel()
            await asyncio.gather(self.consumer, return_exceptions=True)
        if self.svc.progress is not None:
            await self.svc.progress.close()


FLOW_KEY = "jobflow"


async def start_jobs(application: Application[Any, Any, Any, Any, Any, Any]) -> int:
    flow = JobFlow(application, services_of(application))
    application.bot_data[FLOW_KEY] = flow
    return await flow.start()


async def stop_jobs(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    flow: JobFlow | None = application.bot_data.pop(FLOW_KEY, None)
    if flow is not None:
        await flow.stop()


__all__ = ["JobFlow", "start_jobs", "stop_jobs"]
