"""`riffcut bot`: runs the Telegram bot (long polling, or a webhook when WEBHOOK_URL is set)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from riffcut.settings import Settings

NO_TOKEN = "riffcut: set TELEGRAM_BOT_TOKEN (in the environment or .env); get a token from @BotFather in Telegram."


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("bot", help="run the Telegram bot")
    parser.set_defaults(handler=run_bot)


def run_bot(args: argparse.Namespace, settings: Settings) -> int:
    if settings.telegram_bot_token is None or not settings.telegram_bot_token.get_secret_value().strip():
        print(NO_TOKEN, file=sys.stderr)
        return 2
    # Imported here, when the bot runs: the other commands (and `riffcut --help`) start without Telegram's library.
    from bot.app import run
    from engine.host_check import check_host
    from riffcut.wiring import build_bot

    asyncio.run(check_host(settings.device))  # ffmpeg >= 5.1 or one line, exit 2; logs ffmpeg's and the GPU's line
    run(build_bot(settings))
    return 0
