"""Logging is configured here, once, by the entry points; secrets never reach the log or the screen.

`configure_logging(level, secrets=...)` registers the settings' secrets (the bot token, the webhook secret, a
database password): every log line, traceback included, and every line the CLI prints (`redact`) has them
replaced by `<secret>`. Uncaught exceptions in threads and at the top level go through the same filter.
"""

from __future__ import annotations

import contextlib
import faulthandler
import io
import logging
import sys
import threading
from collections.abc import Iterable
from types import TracebackType

REDACTED = "<secret>"
MIN_SECRET_CHARS = 6  # shorter values would blank out ordinary words

_configured = False
_secrets: set[str] = set()


def keep_secret(*values: str | None) -> None:
    """Never show these values; for a bot token (`123:ABC...`) its secret part on its own too."""
    for value in values:
        if not value or len(value) < MIN_SECRET_CHARS:
            continue
        _secrets.add(value)
        _, colon, secret = value.partition(":")
        if colon and len(secret) >= MIN_SECRET_CHARS:
            _secrets.add(secret)


def redact(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class _RefusedTokenSaidOnce(logging.Filter):
    """python-telegram-bot logs a refused token with a traceback before raising it; the CLI says it in one line
    (bot.app.TOKEN_REFUSED), so its own record is left out."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Invalid token" not in record.getMessage()


_REFUSED_TOKEN_SAID_ONCE = _RefusedTokenSaidOnce()


def _print_redacted(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
    logging.getLogger("riffcut").critical("uncaught %s", kind.__name__, exc_info=(kind, error, tb))


def _thread_hook(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None:
        _print_redacted(args.exc_type, args.exc_value, args.exc_traceback)


def configure_logging(level: str = "INFO", secrets: Iterable[str | None] = ()) -> None:
    global _configured
    keep_secret(*secrets)
    if _configured:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level.upper(), handlers=[handler])
    with contextlib.suppress(ValueError, io.UnsupportedOperation):  # (stderr with no file descriptor: none)
        faulthandler.enable()  # a fatal signal (SIGBUS, SIGSEGV) leaves a traceback on stderr, not silence
    sys.excepthook = _print_redacted
    threading.excepthook = _thread_hook
    quiet_libraries()
    _configured = True


def quiet_libraries() -> None:
    """Request URLs carry the bot token: keep the HTTP clients quiet, and the Bot's DEBUG lines ("Set Bot API
    URL: .../bot<token>", every request's parameters) out of the log even at LOG_LEVEL=DEBUG."""
    for noisy in ("httpx", "httpcore", "telegram.request", "apscheduler", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for chatty in ("telegram.Bot", "telegram.ext.ExtBot"):
        logging.getLogger(chatty).setLevel(max(logging.INFO, logging.getLogger(chatty).level))
    logging.getLogger("telegram.ext").addFilter(_REFUSED_TOKEN_SAID_ONCE)
