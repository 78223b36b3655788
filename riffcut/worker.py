"""The process of `riffcut worker` (RUNNER=celery): one Celery worker for one GPU, composed from the layers' pieces.

Start-up, a log line per stage: the broker is reached (else exit 2, one line naming CELERY_BROKER_URL); the model
is loaded once, in this main process, before anything else starts (else exit 1 with the reason: the jobs keep
waiting for a healthy worker); the database is upgraded and the worker registered; its event loop starts in a
thread of its own, with the bot's side of a job (progress messages within each chat's budget shared through Redis,
the last word, the delivery of the results: bot.job_events.job_reporting on a Bot API client) and
jobs.celery_worker.CeleryWorker (the turns, the heartbeat, looking after lost workers). Then Celery's worker takes
messages in the main thread: solo pool (no child process; nothing is forked after CUDA was initialised, and a
fork that would be is refused), concurrency 1, prefetch 1, acks late.

SIGTERM (or Ctrl-C): the job running here goes back to the queue, its attempt forgiven, and the worker exits 0.
A worker marked lost by the others (silent too long) stops at once and exits 1.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import threading
import warnings
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import torch
from celery.signals import setup_logging, worker_ready, worker_shutting_down

from bot.app import build_client, connect
from bot.bounded import BoundedDict
from bot.config import BotConfig
from bot.fetch import TelegramFetch
from bot.job_events import JobEvents, job_reporting
from bot.progress import ProgressBoard
from engine.errors import EngineFailure, ModelNotFound
from engine.generator import Generator
from engine.host_check import check_host
from jobs.celery_app import BrokerConfig, broker_problem, make_celery
from jobs.celery_worker import CeleryWorker, WorkerConfig
from jobs.chat_slots import RedisChatSlots
from jobs.ledger import JobLedger
from jobs.local_runner import JobRunner
from jobs.render_work import render_work
from riffcut.cli import fail, model_words
from riffcut.commands.db import upgrade_database_checked, where
from riffcut.settings import Settings
from riffcut.wiring import bot_config, broker_config, runner_config
from storage import workers_repo
from storage.database import Database, is_sqlite
from storage.workers_repo import NewWorker

log = logging.getLogger("riffcut.worker")

T = TypeVar("T")
EXIT_BAD_SETTING = 2
EXIT_FAILURE = 1

# Celery warns on every reconnection that version 6 will cancel running jobs when the broker goes away; these
# workers set worker_cancel_long_running_tasks_on_connection_loss=False on purpose (the job's state is in the
# database, not the broker), so the warning says nothing.
warnings.filterwarnings("ignore", message=r"(?s).*worker_cancel_long_running_tasks_on_connection_loss")


def worker_name(gpu: int | None, name: str | None) -> str:
    return name or f"{socket.gethostname()}-{'cpu' if gpu is None else f'gpu{gpu}'}"


def refuse_fork_after_cuda() -> None:
    """A process forked after CUDA was initialised cannot use it and may hang: refuse one outright."""

    def check() -> None:
        if torch.cuda.is_initialized():  # type: ignore[no-untyped-call]
            os.write(2, b"riffcut worker: a process was forked after CUDA was initialised; it ends here\n")
            os._exit(70)

    os.register_at_fork(after_in_child=check)


class LoopThread:
    """The worker's event loop, in a thread of its own (Celery holds the main thread)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="worker-loop", daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@dataclass
class Opened:
    db: Database
    client: Any  # the Bot API client (a telegram.ext.Application without updates)
    chat_slots: RedisChatSlots
    worker: CeleryWorker
    events: JobEvents

    async def close(self) -> None:
        await self.events.stop()  # the worker's stop: the job running here back to the queue
        await self.client.shutdown()
        await self.chat_slots.close()
        await self.db.close()


async def open_worker(
    settings: Settings, config: BotConfig, broker: BrokerConfig, generator: Generator, name: str, device: str
) -> Opened:
    client = build_client(config)
    await connect(client, config)  # with retries for STARTUP_RETRY_SECONDS; Unreachable (one line, exit 2) after
    url = settings.resolved_database_url
    log.info("worker %s: database %s at revision %s", name, where(url), await upgrade_database_checked(url))
    db = Database.open(url)
    worker_id = await workers_repo.register(
        db, NewWorker(name, socket.gethostname(), os.getpid(), device, settings.worker_lost_seconds)
    )
    log.info("worker %s: registered as worker %d", name, worker_id)
    chat_slots = RedisChatSlots(broker.url)
    runner = JobRunner(
        db,
        TelegramFetch(client.bot, config.download_limit),
        render_work(generator, settings.media_config()),
        runner_config(settings, worker=True),
        ledger=JobLedger(db, settings.results_root, worker_id),
        recover=False,
    )
    app = make_celery(broker)  # the worker's own turns back to the broker; the consuming app is made later
    worker = CeleryWorker(
        db,
        runner,
        app,
        WorkerConfig(worker_id, name, heartbeat_s=settings.worker_heartbeat_seconds),
    )
    board = ProgressBoard(client.bot, shared=chat_slots)
    events = job_reporting(client.bot, db, worker, board, BoundedDict(10_000), config.upload_limit, config.delivery)
    worker.wait_reported = events.settled
    await events.start()
    return Opened(db, client, chat_slots, worker, events)


def run_worker(settings: Settings, gpu: int | None, name: str | None) -> int:
    """`riffcut worker`: returns the exit status."""
    if settings.runner != "celery":
        return fail(
            "riffcut worker runs the jobs of front ends with RUNNER=celery: set RUNNER=celery", EXIT_BAD_SETTING
        )
    name = worker_name(gpu, name)
    broker = broker_config(settings)
    log.info("worker %s: checking the broker at %s", name, broker.shown_url)
    if problem := broker_problem(broker):
        return fail(f"cannot reach the broker at CELERY_BROKER_URL={broker.shown_url}: {problem}", EXIT_BAD_SETTING)
    config = bot_config(settings)
    if not config.token:
        return fail("set TELEGRAM_BOT_TOKEN: a worker fetches videos and sends results itself", EXIT_BAD_SETTING)
    url = settings.resolved_database_url
    if is_sqlite(url):
        log.warning(
            "worker %s: the database is SQLite, fine for workers on this host only; use PostgreSQL (DATABASE_URL) "
            "for more than one host",
            name,
        )
    elif settings.shared_dir is None:
        log.warning("worker %s: SHARED_DIR is not set: results wait in DATA_DIR, seen by this host only", name)
    device = settings.device if gpu is None else f"cuda:{gpu}"
    asyncio.run(check_host(device))  # ffmpeg >= 5.1 (else one line, exit 2), the GPU's line; --gpu N must exist
    refuse_fork_after_cuda()
    log.info("worker %s: loading the model %s on %s", name, settings.riffusion_model, device)
    try:
        generator = Generator.load(settings.riffusion_model, device, settings.max_image_width)
    except ModelNotFound as exc:  # this worker cannot serve; the queue waits for one that can
        return fail(model_words(exc), EXIT_FAILURE)
    except EngineFailure as exc:
        return fail(f"the model could not be loaded: {exc.message}", EXIT_FAILURE)
    log.info("worker %s: model ready on %s", name, generator.device)

    loop = LoopThread()
    try:
        opened = loop.run(open_worker(settings, config, broker, generator, name, str(generator.device)))
    except BaseException:
        loop.close()
        raise
    worker = opened.worker
    try:
        app = make_celery(broker, turn=worker.turn)

        def on_ready(**_: Any) -> None:
            worker.consuming = True
            log.info("worker %s: ready, taking jobs from the queue %r at %s", name, broker.queue, broker.shown_url)

        def on_shutdown(**_: Any) -> None:
            worker.request_stop()

        def keep_our_logging(**_: Any) -> None:
            """Logging is configured once, by riffcut.logs: a receiver here keeps Celery from adding its own."""

        setup_logging.connect(keep_our_logging, weak=False)
        worker_ready.connect(on_ready, weak=False)
        worker_shutting_down.connect(on_shutdown, weak=False)
        worker.on_stop = lambda: os.kill(os.getpid(), signal.SIGTERM)  # Celery stops taking messages
        celery_worker = app.Worker(
            hostname=f"{name}@{socket.gethostname()}",
            pool_cls="solo",
            concurrency=1,
            prefetch_multiplier=1,
            without_gossip=True,
            without_mingle=True,
            without_heartbeat=True,
            quiet=True,
            loglevel=logging.getLevelName(logging.getLogger().level),
        )
        celery_worker.start()
        status = EXIT_FAILURE if worker.lost else int(celery_worker.exitcode or 0)
    finally:
        worker.consuming = False
        try:
            loop.run(opened.close())
        finally:
            loop.close()
    log.info("worker %s: stopped", name)
    return status
