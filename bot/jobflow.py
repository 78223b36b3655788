"""The bot's side of the job runner: it starts and stops with the application."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application


async def start_jobs(application: Application[Any, Any, Any, Any, Any, Any]) -> int:
    return 0


async def stop_jobs(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    return None
