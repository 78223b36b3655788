"""What a `riffcut` command is, and what it may read of the environment.

A `Command` has a name, one line of help, a function that adds its arguments (and sets `handler` on its
parser), and the environment variables it reads, which its `--help` lists. A handler is a function of
(args, env) returning an exit status, or a coroutine that does; `env.settings` reads the settings (the
environment and `.env`, through pydantic-settings) once, when first asked. The CLI reads them before the handler
runs for every command that reads a variable, so a bad setting is refused before any work; a command that reads
none (`riffcut probe`) never imports pydantic-settings, and starts in a fraction of a second.

This module and every command module import only what `riffcut --help` needs; the engine is imported inside
the handlers.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from riffcut.settings import Settings

# The variables, by what reads them (names as in .env.example; HF_* are Hugging Face's own).
LOGGING = ("LOG_LEVEL",)
FFMPEG = ("THREADS_ON_SPLITING", "FFMPEG_TIMEOUT_SECONDS")
PART_RULE = ("MIN_PART_SECONDS", "MAX_PART_SECONDS")
LIMITS = ("MAX_VIDEO_SECONDS", "MAX_VIDEO_PIXELS", "MAX_VIDEO_FRAMES", "MAX_PARTS")
MODEL = ("RIFFUSION_MODEL", "DEVICE", "MAX_IMAGE_WIDTH", "HF_HOME", "HF_HUB_OFFLINE")
DATABASE = ("DATABASE_URL", "DATA_DIR")
RENDER = ("TEMPORARY_DIRECTORY", *FFMPEG, *PART_RULE, "LOUDNESS_LUFS", *LIMITS)  # what a job's render reads
CELERY = (  # RUNNER=celery: front ends and workers read them alike (they must agree)
    "RUNNER",
    "CELERY_BROKER_URL",
    "CELERY_VISIBILITY_TIMEOUT_SECONDS",
    "SHARED_DIR",
    "WORKER_HEARTBEAT_SECONDS",
    "WORKER_LOST_SECONDS",
)


class Env:
    """The settings a command reads, loaded on first use (ConfigError when they cannot work)."""

    def __init__(self) -> None:
        self._settings: Settings | None = None

    @property
    def loaded(self) -> bool:
        return self._settings is not None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from riffcut.settings import load_settings

            self._settings = load_settings()
        return self._settings


Handler = Callable[[argparse.Namespace, Env], "int | Coroutine[Any, Any, int]"]


@dataclass(frozen=True)
class Command:
    name: str
    summary: str
    arguments: Callable[[argparse.ArgumentParser], None]  # adds the arguments, sets `handler`
    reads: tuple[str, ...] = ()  # environment variables (settings) it reads, for its --help
    lifts_limits: bool = False  # it has --no-limits (a limit's refusal then says so)

    def epilog(self) -> str:
        if not self.reads:
            return "Environment: reads no environment variables."
        return "Environment (also read from .env in the current folder): " + ", ".join(self.reads) + "."
