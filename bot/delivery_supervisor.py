"""Each job's results sent once, in a task of its own, then the job's last word on its progress message.

A job's first results (the chosen part with its new music, and the music) are sent while the job still makes
the rest (`deliver(track, final=False)`); the final delivery sends whatever is not sent yet once the job is done.
One delivery per job runs at a time: a final one asked for while the early one runs follows it. Each file is
recorded as sent (`bot.delivery`), so none goes twice, after a restart either.

A final delivery that the network holds up (`DeliveryPaused`: a file's retries or its flood wait ran out) is not
given up: the progress message says the bot is still sending, and the delivery starts again after
DELIVERY_RETRY_SECONDS, then twice as long each time up to ten minutes, for as long as the bot runs; each new
start sends only what was not sent (and a restart offers it again too). A delivery that finds the member gone
(blocked the bot, left the chat) ends quietly and counts as delivered; a final one that fails otherwise (a bug:
Telegram refused a request as malformed) ends with an apology naming the job (the results stay, and are offered
again at the next start, since the job is not marked delivered). An early one that fails, or is held up, leaves
its files to the final.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from telegram import Bot

from bot.config import DEFAULT_DELIVERY, DeliveryPolicy
from bot.delivery import Delivery, DeliveryPaused, DeliveryStopped
from bot.jobtexts import Phase
from bot.progress_presenter import JobTrack, ProgressPresenter
from bot.texts import tr
from storage.database import Database
from storage.jobs_repo import TAKE_KIND, get_job, mark_delivered
from storage.models import Job, JobState

log = logging.getLogger(__name__)


class DeliverySupervisor:
    def __init__(
        self,
        bot: Bot,
        db: Database,
        presenter: ProgressPresenter,
        upload_limit: int,
        policy: DeliveryPolicy = DEFAULT_DELIVERY,
    ) -> None:
        self.bot = bot
        self.db = db
        self.presenter = presenter
        self.upload_limit = upload_limit
        self.policy = policy
        self.deliveries: dict[int, asyncio.Task[None]] = {}
        self.final_next: set[int] = set()  # jobs whose final delivery waits for their early one
        self.stopping = False

    def deliver(self, track: JobTrack, *, final: bool = True) -> None:
        """Start the job's delivery (`final` False: its first results, while it runs), unless one is under way;
        a final delivery asked for meanwhile follows it."""
        if track.job_id in self.deliveries:
            if final:
                self.final_next.add(track.job_id)
            return
        self._start(track, final)

    def _start(self, track: JobTrack, final: bool) -> None:
        run = self._deliver(track) if final else self._deliver_first(track)
        self.deliveries[track.job_id] = asyncio.create_task(run, name=f"deliver-{track.job_id}")

    def _then(self, track: JobTrack) -> None:
        self.deliveries.pop(track.job_id, None)
        if track.job_id in self.final_next and not self.stopping:
            self.final_next.discard(track.job_id)
            self._start(track, True)

    async def _deliver_first(self, track: JobTrack) -> None:
        try:
            job = await get_job(self.db, track.job_id)
            if job is None:
                return
            self.presenter.sending_first(track, True)
            await self.delivery(job, track).run(final=False)
            log.info("job %s: first results delivered while it goes on", job.id)
        except DeliveryPaused as exc:
            log.info("job %s: its first results are held up (%s); they go with the rest", track.job_id, exc)
        except DeliveryStopped as exc:
            log.info("job %s: its first results cannot reach the member (%s)", track.job_id, exc)
        except Exception:
            log.exception("job %s: its first results were not all sent; they go with the rest", track.job_id)
        finally:
            self.presenter.sending_first(track, False)
            self._then(track)

    def delivery(self, job: Job, track: JobTrack) -> Delivery:
        return Delivery(self.bot, self.db, job, track.lang, self.upload_limit, job.chat_id < 0, self.policy)

    async def _deliver(self, track: JobTrack) -> None:
        """The final delivery, started again while the network holds it up."""
        wait = self.policy.retry_s
        try:
            while True:
                try:
                    await self._attempt(track)
                    return
                except DeliveryPaused as exc:
                    log.warning("job %s: delivery paused (%s); trying again in %.0f s", track.job_id, exc, wait)
                    self.presenter.still_sending(track)
                    await asyncio.sleep(wait)
                    wait = min(wait * 2, max(self.policy.retry_max_s, self.policy.retry_s))
        finally:
            self.presenter.tracks.pop(track.job_id, None)
            self.final_next.discard(track.job_id)
            self._then(track)

    async def _attempt(self, track: JobTrack) -> None:
        """One start of the final delivery, from the first file not sent; DeliveryPaused to start again later."""
        try:
            job = await get_job(self.db, track.job_id)
            if job is None:
                return
            self.presenter.uploading(track)
            await self.delivery(job, track).run()
            if job.state == JobState.CHOOSING:  # its takes were sent: the job waits for its member's pick
                takes = len([file for file in job.files if file.kind == TAKE_KIND])
                await self.presenter.finish(track, Phase.CHOOSING, takes=takes)
                log.info("job %s: %d takes delivered", job.id, takes)
                return
            seconds = round(time.time() - track.created_at)
            await self.presenter.finish(track, Phase.DONE, seconds=max(seconds, 1))
            log.info("job %s: delivered", job.id)
        except DeliveryPaused:
            raise
        except DeliveryStopped as exc:
            log.info("job %s: delivery ended, the member cannot be reached (%s)", track.job_id, exc)
            await mark_delivered(self.db, track.job_id)
            self.presenter.drop(track)
        except Exception:
            log.exception("job %s: delivery failed", track.job_id)
            reason = tr(
                track.lang,
                "Something went wrong on my side{job}; it has been logged. Please try again.",
                job=tr(track.lang, " (job #{job})", job=track.job_id),
            )
            with contextlib.suppress(Exception):
                await self.presenter.finish(track, Phase.FAILED, reason=reason)

    async def stop(self) -> None:
        self.stopping = True
        for task in list(self.deliveries.values()):
            task.cancel()
        await asyncio.gather(*self.deliveries.values(), return_exceptions=True)
