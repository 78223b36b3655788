"""The composition root: the settings read once and handed down as each layer's plain config, and the bot's
backend (database, model, job queue) opened when the bot starts.

    settings (riffcut.settings) ─┬─ media_config() ─> engine.media_config.MediaConfig
                                 ├─ runner_config() ─> jobs.config.RunnerConfig
                                 ├─ broker_config() ─> jobs.celery_app.BrokerConfig
                                 └─ bot_config()    ─> bot.config.BotConfig
    local_backend(settings): the bot's OpenBackend with the in-process jobs.local_runner.JobRunner (RUNNER=local)
    celery_backend(settings): a front end's OpenBackend, jobs.celery_queue.CeleryJobQueue (RUNNER=celery): no
        model, only its tokenizer to check prompts; progress edits share the chats' slots through Redis
    riffcut.worker: the process of `riffcut worker`, composed from the same pieces
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from bot.app import build_application
from bot.config import POLL_TIMEOUT_S, BotConfig, DeliveryPolicy, PartRule, Webhook
from bot.context import RiffcutApp
from bot.services import Backend, OpenBackend
from engine.errors import ConfigError
from engine.generator import Generator
from engine.prompt_check import PromptCheck
from jobs.config import RunnerConfig
from jobs.local_runner import JobRunner
from jobs.render_work import render_work
from jobs.work import FetchVideo
from riffcut.settings import Settings
from storage.database import Database
from storage.jobs_repo import QueueLimits

if TYPE_CHECKING:
    from jobs.celery_app import BrokerConfig

log = logging.getLogger(__name__)


def runner_config(settings: Settings, *, worker: bool = False) -> RunnerConfig:
    """The in-process runner's config; a worker's (`worker`) runs one job at a time, its results in SHARED_DIR."""
    return RunnerConfig(
        temporary_directory=settings.temporary_directory,
        data_dir=settings.results_root if worker else settings.data_dir,
        concurrent_jobs=1 if worker else settings.concurrent_jobs,
        job_time_limit_seconds=settings.job_time_limit_seconds,
        min_free_disk_mb=settings.min_free_disk_mb,
        result_retention_hours=settings.result_retention_hours,
        limits=queue_limits(settings),
    )


def queue_limits(settings: Settings) -> QueueLimits:
    return QueueLimits(settings.max_jobs_per_user, settings.max_queue)


def broker_config(settings: Settings) -> BrokerConfig:
    """The broker that front ends and workers share (riffcut.command's CELERY: what both read)."""
    from jobs.celery_app import BrokerConfig  # Celery is the optional `scale` extra, needed only with RUNNER=celery

    return BrokerConfig(settings.celery_broker_url, settings.celery_visibility_timeout_seconds)


def bot_config(settings: Settings, *, poll_timeout: int = POLL_TIMEOUT_S) -> BotConfig:
    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""
    webhook = None
    if settings.webhook_url:
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
        webhook = Webhook(settings.webhook_url, secret, settings.webhook_listen, settings.webhook_port)
    return BotConfig(
        token=token,
        api_base_url=settings.telegram_api_base_url,
        file_base_url=settings.telegram_file_base_url,
        local_mode=settings.telegram_local_mode,
        temporary_directory=settings.temporary_directory,
        data_dir=settings.data_dir,
        part_rule=PartRule(settings.min_part_seconds, settings.max_part_seconds, settings.max_parts),
        limits=settings.media_limits(),
        result_retention_hours=settings.result_retention_hours,
        allowed_user_ids=frozenset(settings.allowed_user_ids),
        allowed_chat_ids=frozenset(settings.allowed_chat_ids),
        admin_user_ids=frozenset(settings.admin_user_ids),
        daily_job_quota=settings.daily_job_quota,
        webhook=webhook,
        poll_timeout=poll_timeout,
        delivery=DeliveryPolicy(
            retry_s=settings.delivery_retry_seconds, max_flood_wait_s=settings.max_flood_wait_seconds
        ),
        startup_retry_seconds=settings.startup_retry_seconds,
    )


def local_backend(settings: Settings) -> OpenBackend:
    """Everything in this process: the database, the model (loaded once) and the in-process job runner."""

    async def open_backend(fetch: FetchVideo) -> Backend:
        db = Database.open(settings.resolved_database_url)  # checked and migrated before (riffcut bot's preflight)
        log.info("start-up: loading the model %s on %s", settings.riffusion_model, settings.device)
        generator = await asyncio.to_thread(
            Generator.load, settings.riffusion_model, settings.device, settings.max_image_width
        )
        log.info("start-up: model ready")
        runner = JobRunner(db, fetch, render_work(generator, settings.media_config()), runner_config(settings))
        return Backend(db=db, jobs=runner, check_prompt=generator.check_prompt)

    return open_backend


def celery_backend(settings: Settings) -> OpenBackend:
    """A front end of workers elsewhere: the database, the model's tokenizer, the queue in the broker."""
    # Imported here: Celery is the optional `scale` extra, needed only with RUNNER=celery.
    try:
        from jobs.celery_queue import CeleryJobQueue
    except ImportError as exc:
        raise ConfigError(f"RUNNER=celery needs Celery: pip install 'riffcut[scale]' ({exc})") from exc

    async def open_backend(fetch: FetchVideo) -> Backend:
        db = Database.open(settings.resolved_database_url)  # checked and migrated before (riffcut bot's preflight)
        log.info("start-up: loading the tokenizer of %s (the model runs on the workers)", settings.riffusion_model)
        check_prompt = await asyncio.to_thread(PromptCheck.load, settings.riffusion_model)
        jobs = CeleryJobQueue(db, broker_config(settings), queue_limits(settings))
        return Backend(db=db, jobs=jobs, check_prompt=check_prompt, chat_slots=jobs.chat_slots)

    return open_backend


def build_bot(settings: Settings, *, poll_timeout: int = POLL_TIMEOUT_S) -> RiffcutApp:
    """The bot, ready to start: with the in-process job runner (RUNNER=local) or as a front end of workers.

    The database must be writable and at the newest schema first: `riffcut bot`'s preflight sees to both."""
    backend = celery_backend(settings) if settings.runner == "celery" else local_backend(settings)
    return build_application(bot_config(settings, poll_timeout=poll_timeout), backend)
