"""Logging is configured here, once, by the entry points.

- One line per record: time, level, logger, message. Secrets handed in (the bot token) are replaced by `<token>`
  in every line, tracebacks included.
- Below DEBUG, the libraries' own chatter stays out of the terminal: Hugging Face's, diffusers' and transformers'
  warnings and loading bars (through their own switches, set before they are imported), Python warnings, and
  the HTTP clients (whose request URLs carry the bot token: kept out at DEBUG too).
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Sequence

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
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


def redact(text: str, secrets: Sequence[str] = ()) -> str:
    for secret in {*secrets, *_secrets}:
        if secret:
            text = text.replace(secret, "<token>")
    return text


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging(level: str = "INFO", *, secrets: Sequence[str] = ()) -> None:
    global _configured, _level
    _secrets.update(secret for secret in secrets if secret)
    if _configured:
        return
    _level = level = level.upper()
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
    # Request URLs carry the bot token: keep the HTTP clients quiet, and the Bot's DEBUG lines ("Set Bot API
    # URL: .../bot<token>", every request's parameters) out of the log even at LOG_LEVEL=DEBUG.
    noisy_loggers = ("httpx", "httpcore", "telegram.request", "apscheduler", "alembic.runtime.plugins")
    for noisy in (*noisy_loggers, *(("alembic.runtime.migration",) if level != "DEBUG" else ())):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for chatty in ("telegram.Bot", "telegram.ext.ExtBot"):
        logging.getLogger(chatty).setLevel(max(logging.INFO, logging.getLogger(chatty).level))
    if level != "DEBUG":
        quiet_libraries()
    _configured = True


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
