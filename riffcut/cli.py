"""`riffcut`: one console command, one sub-command per job.

Each module in `riffcut.commands` adds its sub-commands with `register(subparsers)` and sets `handler` on its
parser: a function of (args, settings) that returns an exit status, or a coroutine that does. Bad input
(`BadInput`, bad settings) exits 2 with one line on stderr; a failure on our side exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import logging
import sys
from collections.abc import Sequence

from engine.errors import BadInput, ConfigError, JobCancelled, RiffcutError
from riffcut.logs import configure_logging, redact
from riffcut.settings import load_settings

COMMAND_MODULES = ("media", "music", "db", "bot")

log = logging.getLogger("riffcut")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="riffcut",
        description="Split a video into equal parts and give the chosen part new music made by Riffusion.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"riffcut.commands.{name}")
        module.register(sub)
    return parser


def fail(message: str, status: int) -> int:
    print(redact(f"riffcut: {message}"), file=sys.stderr)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        return fail(f"bad setting: {exc}", 2)
    configure_logging(settings.log_level, secrets=settings.secret_values())
    try:
        result = args.handler(args, settings)
        if inspect.iscoroutine(result):
            result = asyncio.run(result)
        return int(result or 0)
    except BadInput as exc:
        return fail(exc.message, 2)
    except JobCancelled as exc:
        return fail(exc.message, 130)
    except KeyboardInterrupt:
        return fail("interrupted", 130)
    except RiffcutError as exc:
        log.debug("failure", exc_info=True)
        return fail(exc.message, 1)
    except Exception as exc:  # an internal failure: keep the traceback in the log, one line for the person
        log.exception("internal error")
        return fail(f"internal error: {exc}", 1)


if __name__ == "__main__":
    sys.exit(main())
