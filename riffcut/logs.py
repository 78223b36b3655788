"""Logging is configured here, once, by the entry points."""

from __future__ import annotations

import logging

_configured = False


def configure_logging(level: str = "INFO") -> None:
    global _configured
    if _configured:
        return
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Request URLs carry the bot token: keep the HTTP clients quiet, and the Bot's DEBUG lines ("Set Bot API
    # URL: .../bot<token>", every request's parameters) out of the log even at LOG_LEVEL=DEBUG.
    for noisy in ("httpx", "httpcore", "telegram.request", "apscheduler", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for chatty in ("telegram.Bot", "telegram.ext.ExtBot"):
        logging.getLogger(chatty).setLevel(max(logging.INFO, logging.getLogger(chatty).level))
    _configured = True
