"""`riffcut`: one console command, one sub-command per job.

Each module in `riffcut.commands` declares its commands (`COMMANDS`: `riffcut.command.Command`); only the named
command's arguments are built, and each handler imports the engine when it runs, so `riffcut --help` imports
nothing of the engine and `riffcut probe` only the probe. Every expected failure is one line on stderr, exit 2,
saying what to do: a bad flag or a missing one (argparse's usage text is not printed), bad input (`BadInput`),
a bad setting (`ConfigError`, read before any work), the model not found, a server that cannot be reached. A
failure on our side exits 1; an interrupted or cancelled job 130. The bot token never reaches the terminal.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Coroutine, Sequence
from typing import NoReturn

from engine.errors import (
    BadInput,
    ConfigError,
    JobCancelled,
    LimitExceeded,
    ModelNotFound,
    RiffcutError,
    Unreachable,
)
from riffcut.command import Command, Env
from riffcut.logs import configure_logging, redact

COMMAND_MODULES = ("media", "music", "db", "bot", "worker")

log = logging.getLogger("riffcut")


class UsageError(Exception):
    """A command line argparse cannot take: one line, exit 2."""


class Parser(argparse.ArgumentParser):
    """argparse's parser, but a usage error is one line saying where the help is, not the usage text."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see `{self.prog} --help`)")


def say(line: str) -> None:
    print(" ".join(line.split()), file=sys.stderr)


def all_commands() -> dict[str, Command]:
    found: dict[str, Command] = {}
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"riffcut.commands.{name}")
        found.update({command.name: command for command in module.COMMANDS})
    return found


def build_parser(commands: dict[str, Command], wanted: str | None) -> Parser:
    """The parser, listing every command; only the `wanted` command's arguments are built."""
    parser = Parser(
        prog="riffcut",
        description="Split a video into equal parts and give the chosen part new music made by Riffusion.",
        epilog="Each command's --help lists its options and the environment variables it reads.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=Parser)
    for command in commands.values():
        command_parser = sub.add_parser(
            command.name,
            help=command.summary,
            description=command.summary,
            epilog=command.epilog(),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if command.name == wanted:
            command.arguments(command_parser)
    return parser


def fail(message: str, status: int, secrets: Sequence[str] = ()) -> int:
    say(f"riffcut: {redact(message, secrets)}")
    return status


def model_words(error: ModelNotFound) -> str:
    return (
        f"{error.message} Set RIFFUSION_MODEL to a model folder or a Hugging Face id (downloaded into the Hugging "
        f"Face cache, {error.cache}, on first use), or write a small test model with `riffcut tiny-model DIR` "
        "and set RIFFUSION_MODEL=DIR."
    )


def limit_words(error: LimitExceeded, command: Command) -> str:
    if not command.lifts_limits or "--no-limits" in error.message:
        return error.message
    return f"{error.message.rstrip('.')} ({error.limit}; --no-limits lifts the limits for local use)."


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    commands = all_commands()
    wanted = next((word for word in arguments if not word.startswith("-")), None)
    parser = build_parser(commands, wanted)
    try:
        args = parser.parse_args(arguments)
    except UsageError as exc:
        say(str(exc))
        return 2
    except SystemExit as exc:  # --help printed its text
        return int(exc.code or 0)
    command = commands[args.command]
    env = Env()
    secrets: list[str] = []
    try:
        if command.reads:
            settings = env.settings  # a bad setting is refused before any work
            secrets += settings.secret_values()  # the token, the webhook secret, a database password
    except ConfigError as exc:
        return fail(f"bad setting: {exc.message}", 2)
    configure_logging(env.settings.log_level if env.loaded else "INFO", secrets=secrets)
    try:
        result = args.handler(args, env)
        if isinstance(result, Coroutine):
            import asyncio

            result = asyncio.run(result)
        return int(result or 0)
    except ModelNotFound as exc:
        return fail(model_words(exc), 2, secrets)
    except LimitExceeded as exc:
        return fail(limit_words(exc, command), 2, secrets)
    except (BadInput, ConfigError, Unreachable) as exc:
        return fail(exc.message, 2, secrets)
    except JobCancelled as exc:
        return fail(exc.message, 130, secrets)
    except KeyboardInterrupt:
        return fail("interrupted", 130)
    except RiffcutError as exc:
        log.debug("failure", exc_info=True)
        return fail(exc.message, 1, secrets)
    except Exception as exc:  # an internal failure: keep the traceback in the log, one line for the person
        log.exception("internal error")
        return fail(f"internal error: {exc}", 1, secrets)


if __name__ == "__main__":
    sys.exit(main())
