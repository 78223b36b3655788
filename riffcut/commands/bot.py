"""`riffcut bot`: runs the Telegram bot."""

from __future__ import annotations

import argparse
import sys

from riffcut.settings import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("bot", help="run the Telegram bot")
    parser.set_defaults(handler=run_bot)


def run_bot(args: argparse.Namespace, settings: Settings) -> int:
    print("riffcut: the Telegram bot is not built yet (issue 5); `riffcut --help` lists what works.", file=sys.stderr)
    return 1
