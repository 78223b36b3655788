"""The composition root of the bot: `build_application(settings)` and how it starts and stops.

The Application talks to the Bot API server named by TELEGRAM_API_BASE_URL / TELEGRAM_FILE_BASE_URL (a local
tdlib server with TELEGRAM_LOCAL_MODE, or a test server), with AIORateLimiter retrying 429s and uploads given
a generous write timeout. Start-up (post_init), with a log line per stage: database migrations, the model,
the job runner (which re-queues jobs a stop interrupted), re-delivery of finished results not yet delivered,
and setMyCommands. Polling by default; WEBHOOK_URL switches to a webhook that checks WEBHOOK_SECRET.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any
from urllib.parse import urlsplit

from telegram import BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats, Update
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, TypeHandler

from bot.access import gate
from bot.handlers.errors import on_error
from bot.progress import ProgressBoard
from bot.routes import register
from bot.services import KEY, Services, services_of
from engine.generator import Generator
from riffcut.settings import Settings
from storage.database import Database
from storage.migrate import upgrade_database

log = logging.getLogger(__name__)

RATE_LIMIT_RETRIES = 5
UPLOAD_WRITE_TIMEOUT_S = 300.0  # 50 MB over a slow link
READ_TIMEOUT_S = 60.0
POLL_TIMEOUT_S = 30
ALLOWED_UPDATES = ("message", "callback_query")  # not edited messages: an edited /generate is not a new one

PRIVATE_COMMANDS = (
    ("start", "what this bot does"),
    ("help", "commands, settings and what is kept"),
    ("prompt", "the music you want: /prompt TEXT"),
    ("parts", "number of parts: /parts N"),
    ("part", "the part that gets new music: /part K"),
    ("generate", "split and generate"),
    ("status", "your video, choices and jobs"),
    ("cancel", "stop your job"),
    ("history", "your last jobs"),
    ("settings", "all settings"),
    ("set", "one setting: /set NAME VALUE"),
    ("forget", "delete everything kept about you"),
)
GROUP_COMMANDS = (
    ("riff", "reply to a video: /riff PROMPT"),
    ("status", "your jobs here"),
    ("cancel", "stop your job"),
    ("settings", "your settings"),
    ("help", "how to use the bot"),
)


def build_application(
    settings: Settings, *, poll_timeout: int = POLL_TIMEOUT_S
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The bot, ready to start; nothing is loaded or contacted until it starts."""
    if settings.telegram_bot_token is None or not settings.telegram_bot_token.get_secret_value():
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_file_base_url)
        .local_mode(settings.telegram_local_mode)
        .rate_limiter(AIORateLimiter(max_retries=RATE_LIMIT_RETRIES))
        .connect_timeout(10.0)
        .read_timeout(READ_TIMEOUT_S)
        .write_timeout(30.0)
        .media_write_timeout(UPLOAD_WRITE_TIMEOUT_S)
        .pool_timeout(10.0)
        .get_updates_read_timeout(poll_timeout + 10.0)
        .concurrent_updates(64)  # a slow handler (a download, a probe) never holds up anyone else
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
    )
    application = builder.build()
    application.bot_data[KEY] = Services(settings=settings)
    application.bot_data["poll_timeout"] = poll_timeout
    application.add_handler(TypeHandler(Update, gate), group=-1)
    register(application)
    application.add_error_handler(on_error)
    return application


async def post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    svc = services_of(application)
    settings = svc.settings
    started = time.monotonic()
    log.info("start-up: upgrading the database")
    await upgrade_database(settings.resolved_database_url)
    svc.database = Database.open(settings.resolved_database_url)
    log.info("start-up: loading the model %s on %s", settings.riffusion_model, settings.device)
    svc.generator = await asyncio.to_thread(
        Generator.load, settings.riffusion_model, settings.device, settings.max_image_width
    )
    log.info("start-up: model ready")
    svc.progress = ProgressBoard(application.bot)
    from bot.jobflow import start_jobs

    log.info("start-up: starting the job runner")
    redelivered = await start_jobs(application)
    log.info("start-up: %d finished job(s) offered for delivery again", redelivered)
    await set_commands(application)
    log.info("start-up: ready as @%s in %.1f s", application.bot.username, time.monotonic() - started)


async def set_commands(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    bot = application.bot
    await bot.set_my_commands([BotCommand(c, d) for c, d in PRIVATE_COMMANDS], scope=BotCommandScopeAllPrivateChats())
    await bot.set_my_commands([BotCommand(c, d) for c, d in GROUP_COMMANDS], scope=BotCommandScopeAllGroupChats())


async def post_stop(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The runner stops while the bot can still talk (a job cut short is re-queued for the next start)."""
    from bot.jobflow import stop_jobs

    await stop_jobs(application)


async def post_shutdown(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    svc = services_of(application)
    if svc.database is not None:
        await svc.database.close()
        svc.database = None
    log.info("stopped")


# --- running inside an event loop that someone else owns (tests, benchmarks) --------------------------


async def start(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """What `run_polling` does before it blocks: initialize, post_init, start, poll."""
    await application.initialize()
    await post_init(application)
    await application.start()
    assert application.updater is not None
    settings = services_of(application).settings
    if settings.webhook_url:
        await application.updater.start_webhook(**webhook_arguments(settings))
    else:
        await application.updater.start_polling(
            timeout=application.bot_data.get("poll_timeout", POLL_TIMEOUT_S), allowed_updates=list(ALLOWED_UPDATES)
        )


async def stop(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """What `run_polling` does after it is told to stop."""
    assert application.updater is not None
    if application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
        await post_stop(application)
    await application.shutdown()
    await post_shutdown(application)


# --- `riffcut bot` ---------------------------------------------------------------------------------


def webhook_arguments(settings: Settings) -> dict[str, Any]:
    """Where the webhook listens, its public URL, and the secret Telegram must echo in every request."""
    assert settings.webhook_url is not None
    return {
        "listen": settings.webhook_listen,
        "port": settings.webhook_port,
        "url_path": urlsplit(settings.webhook_url).path.strip("/"),
        "webhook_url": settings.webhook_url,
        "secret_token": settings.webhook_secret.get_secret_value() if settings.webhook_secret else None,
        "allowed_updates": list(ALLOWED_UPDATES),
    }


def run(settings: Settings) -> None:
    """Blocks until SIGINT/SIGTERM: a webhook when WEBHOOK_URL is set, else long polling."""
    application = build_application(settings)
    if settings.webhook_url:
        log.info(
            "webhook on %s:%d, public URL %s", settings.webhook_listen, settings.webhook_port, settings.webhook_url
        )
        application.run_webhook(**webhook_arguments(settings))
    else:
        log.info("long polling %s", settings.telegram_api_base_url.split("/bot")[0])
        application.run_polling(allowed_updates=list(ALLOWED_UPDATES), timeout=POLL_TIMEOUT_S)
