"""Logging is configured here, once, by the entry points.

- One line per record: time, level, logger, message. Secrets handed in (the bot token and its secret part on its
  own, the webhook secret, a database password: `Settings.secret_values()`) are replaced by `<token>` in every
  line, tracebacks included, uncaught ones in threads and at the top too; a fatal signal (SIGBUS, SIGSEGV)
  leaves a traceback (faulthandler) instead of silence.
- Below DEBUG, the libraries' own chatter stays out of the terminal: Hugging Face's, diffusers' and transformers'
  warnings and loading bars (through their own switches, set before they are imported), Python warnings, and
  the HTTP clients (whose request URLs carry the bot token: kept out at DEBUG too).
"""

from __future__ import annotations

import contextlib
import faulthandler
import io
import logging
import os
import sys
import threading
import warnings
from collections.abc import Iterable, Sequence
from types import TracebackType

QUIET_LIBRARIES = {
    "TRANSFORMERS_VERBOSITY": "error",
    "DIFFUSERS_VERBOSITY": "error",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "HF_HUB_VERBOSITY": "error",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
}

_configured = False
_level = "INFO"
_secrets: set[str] = set()  # replaced in every line the handler writes
MIN_SECRET_CHARS = 6  # shorter values would blank out ordinary words


def keep_secret(values: Iterable[str | None]) -> None:
    """Never show these values; of a bot token (`123:ABC...`) its secret part on its own too."""
    for value in values:
        if not value or len(value) < MIN_SECRET_CHARS:
            continue
        _secrets.add(value)
        _, colon, secret = value.partition(":")
        if colon and len(secret) >= MIN_SECRET_CHARS:
            _secrets.add(secret)


def redact(text: str, secrets: Sequence[str] = ()) -> str:
    for secret in sorted({*secrets, *_secrets}, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "<token>")
    return text


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def _log_uncaught(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
    logging.getLogger("riffcut").critical("uncaught %s", kind.__name__, exc_info=(kind, error, tb))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None:
        _log_uncaught(args.exc_type, args.exc_value, args.exc_traceback)


def configure_logging(level: str = "INFO", *, secrets: Sequence[str] = ()) -> None:
    global _configured, _level
    keep_secret(secrets)
    if _configured:
        return
    _level = level = level.upper()
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
    sys.excepthook = _log_uncaught  # through the handler, so redacted too
    threading.excepthook = _log_uncaught_in_thread
    with contextlib.suppress(ValueError, io.UnsupportedOperation):  # (a stderr with no file descriptor: none)
        faulthandler.enable()
    quiet_http_clients(level)
    if level != "DEBUG":
        quiet_libraries()
    _configured = True


def quiet_http_clients(level: str = "INFO") -> None:
    """Request URLs carry the bot token: keep the HTTP clients quiet, and the Bot's DEBUG lines ("Set Bot API
    URL: .../bot<token>", every request's parameters) out of the log even at LOG_LEVEL=DEBUG."""
    noisy_loggers = ("httpx", "httpcore", "telegram.request", "apscheduler", "alembic.runtime.plugins")
    for noisy in (*noisy_loggers, *(("alembic.runtime.migration",) if level != "DEBUG" else ())):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for chatty in ("telegram.Bot", "telegram.ext.ExtBot"):
        logging.getLogger(chatty).setLevel(max(logging.INFO, logging.getLogger(chatty).level))


def quiet_libraries() -> None:
    """The model libraries' warnings and loading bars off (a variable set by the operator wins)."""
    for name, value in QUIET_LIBRARIES.items():
        os.environ.setdefault(name, value)
    logging.captureWarnings(True)
    logging.getLogger("py.warnings").setLevel(logging.ERROR)
    warnings.simplefilter("ignore", FutureWarning)
    for name in ("transformers", "diffusers", "huggingface_hub", "accelerate", "torch"):
        logging.getLogger(name).setLevel(logging.ERROR)


def quiet_model_loading() -> None:
    """diffusers' loading bar, which no variable turns off: call before a model is loaded or written."""
    if _level == "DEBUG":
        return
    from diffusers.utils import logging as diffusers_logging

    diffusers_logging.disable_progress_bar()
