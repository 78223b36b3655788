"""`riffcut bot`: runs the Telegram bot (long polling, or a webhook when WEBHOOK_URL is set).

Before anything is loaded or contacted: the token is set, ffmpeg is recent enough, the database opens (and is
migrated), the model can be found; each failure is one line, exit 2. Then the Bot API is reached, with retries
while the network or the Bot API server is not there yet (`bot.app.connect`), and only then is the model loaded.
"""

from __future__ import annotations

import argparse
import logging
import sys

from engine.errors import Unreachable
from riffcut.command import CELERY, DATABASE, LOGGING, MODEL, RENDER, Command, Env

log = logging.getLogger("riffcut")

NO_TOKEN = "riffcut: set TELEGRAM_BOT_TOKEN (in the environment or .env); get a token from @BotFather in Telegram."

TELEGRAM = (
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_BASE_URL",
    "TELEGRAM_FILE_BASE_URL",
    "TELEGRAM_LOCAL_MODE",
    "WEBHOOK_URL",
    "WEBHOOK_SECRET",
    "WEBHOOK_LISTEN",
    "WEBHOOK_PORT",
    "STARTUP_RETRY_SECONDS",
    "DELIVERY_RETRY_SECONDS",
    "MAX_FLOOD_WAIT_SECONDS",
    "ALLOWED_USER_IDS",
    "ALLOWED_CHAT_IDS",
    "ADMIN_USER_IDS",
    "DAILY_JOB_QUOTA",
)
QUEUE = (
    "MAX_JOBS_PER_USER",
    "MAX_QUEUE",
    "CONCURRENT_JOBS",
    "JOB_TIME_LIMIT_SECONDS",
    "MIN_FREE_DISK_MB",
    "RESULT_RETENTION_HOURS",
)


def bot_arguments(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(handler=run_bot)


COMMANDS = (
    Command(
        "bot",
        "run the Telegram bot",
        bot_arguments,
        reads=LOGGING + TELEGRAM + DATABASE + QUEUE + CELERY + MODEL + RENDER,
    ),
)


async def preflight(env: Env) -> None:
    """What can be checked before the network: ffmpeg, the database (migrated), the model's whereabouts."""
    from engine.host_check import check_host
    from riffcut.commands.db import upgrade_database_checked, where
    from storage.database import require_writable

    settings = env.settings
    # ffmpeg >= 5.1 or one line, exit 2; logs ffmpeg's line and the GPU's (a front end of workers uses none)
    await check_host(None if settings.runner == "celery" else settings.device)
    url = settings.resolved_database_url
    await require_writable(url)  # a read-only database: one line (DatabaseUnwritable), not a failed migration
    log.info("start-up: database %s at revision %s", where(url), await upgrade_database_checked(url))
    model = settings.riffusion_model
    log.info("start-up: the model %s will load from %s", model, model_source(model))


def model_source(model: str) -> str:
    """Where the model will load from, in words (ModelNotFound, before anything loads, when it cannot)."""
    from pathlib import Path

    from engine.generator import locate_model

    source = locate_model(model)
    return f"the folder {source}" if Path(source).is_dir() else "the Hugging Face hub (its cache after the download)"


def run_bot(args: argparse.Namespace, env: Env) -> int:
    import asyncio

    settings = env.settings
    if settings.telegram_bot_token is None or not settings.telegram_bot_token.get_secret_value().strip():
        print(NO_TOKEN, file=sys.stderr)
        return 2
    asyncio.run(preflight(env))
    # Imported here, when the bot runs: the other commands (and `riffcut --help`) start without Telegram's library.
    from bot.app import run
    from riffcut.logs import quiet_model_loading
    from riffcut.wiring import build_bot

    quiet_model_loading()
    try:
        run(build_bot(settings))
    except Unreachable as exc:
        hint = (
            "check TELEGRAM_BOT_TOKEN (from @BotFather) and TELEGRAM_API_BASE_URL"
            if exc.refused
            else "check the network and TELEGRAM_API_BASE_URL (STARTUP_RETRY_SECONDS says how long to keep trying)"
        )
        raise Unreachable(f"{exc.message.rstrip('.')}: {hint}.", refused=exc.refused) from None
    return 0
