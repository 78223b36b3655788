"""Configuration from the environment and `.env`, in one place: only the composition root reads it
(riffcut.wiring turns it into each layer's plain config; nothing below riffcut/ imports this module).

The original demo's variables (TEMPORARY_DIRECTORY, THREADS_ON_SPLITING, DEVICE, MAX_IMAGE_WIDTH) keep their
names and meaning. Every field here is listed, with its default, in `.env.example`.
"""

from __future__ import annotations

import contextlib
import math
import re
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from engine.errors import ConfigError
from engine.media_config import MediaConfig
from engine.media_limits import MediaLimits

_LIMITS = MediaLimits()

WEBHOOK_SECRET_CHARS = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what Telegram accepts as a secret_token

IdList = Annotated[list[int], NoDecode]
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _split_ids(value: object) -> object:
    """`1, 2,3` -> [1, 2, 3]; an empty string is an empty list."""
    if isinstance(value, str):
        return [int(item) for item in value.replace(";", ",").split(",") if item.strip()]
    if isinstance(value, int):
        return [value]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False)

    # --- the original demo's variables -------------------------------------------------------------
    temporary_directory: Path = Field(
        default_factory=lambda: Path(tempfile.gettempdir()) / "riffcut",
        description="Where each job's working files go (one folder per job).",
    )
    threads_on_spliting: int = Field(default=0, ge=0, le=64, description="ffmpeg threads; 0 lets ffmpeg choose.")
    device: Literal["cuda", "cpu", "mps"] | str = Field(
        default="cuda", description="Torch device for diffusion; falls back to cpu with a warning."
    )
    max_image_width: int = Field(default=512, ge=64, le=4096, description="Widest spectrogram window, in px.")

    # --- media -----------------------------------------------------------------------------------
    data_dir: Path = Field(default=Path("data"), description="Database and results kept for delivery.")
    min_part_seconds: float = Field(default=1.0, gt=0)
    max_part_seconds: float = Field(default=60.0, gt=0)
    ffmpeg_timeout_seconds: float = Field(default=600.0, gt=0)
    loudness_lufs: float = Field(default=-14.0, ge=-40, le=-5)
    # The most work one video may ask for (engine.media_limits explains the defaults).
    max_video_seconds: float = Field(default=_LIMITS.max_seconds, gt=0)
    max_video_pixels: int = Field(default=_LIMITS.max_pixels, ge=1)
    max_video_frames: int = Field(default=_LIMITS.max_frames, ge=1)
    max_parts: int = Field(default=_LIMITS.max_parts, ge=1)

    # --- music -----------------------------------------------------------------------------------
    riffusion_model: str = Field(default="riffusion/riffusion-model-v1")

    # --- storage and the job runner --------------------------------------------------------------
    database_url: str | None = Field(default=None, description="Default: SQLite file in DATA_DIR.")
    result_retention_hours: float = Field(default=24.0, ge=0)
    max_jobs_per_user: int = Field(default=2, ge=1)
    max_queue: int = Field(default=50, ge=1)
    concurrent_jobs: int = Field(default=3, ge=1, description="Jobs whose CPU stages may run at once.")
    job_time_limit_seconds: float = Field(default=1800.0, gt=0)
    min_free_disk_mb: int = Field(default=500, ge=0)

    # --- workers on other hosts (RUNNER=celery) -------------------------------------------------
    runner: Literal["local", "celery"] = Field(
        default="local", description="local: jobs run in the bot's process; celery: on `riffcut worker`s."
    )
    celery_broker_url: str = Field(default="redis://localhost:6379/0", description="Redis, the Celery broker.")
    celery_visibility_timeout_seconds: float = Field(default=7200.0, gt=0)
    shared_dir: Path | None = Field(default=None, description="Results wait here, on every host; default DATA_DIR.")
    worker_heartbeat_seconds: float = Field(default=5.0, gt=0)
    worker_lost_seconds: float = Field(default=30.0, gt=0)

    # --- Telegram --------------------------------------------------------------------------------
    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_file_base_url: str = "https://api.telegram.org/file/bot"
    telegram_local_mode: bool = False
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    allowed_user_ids: IdList = Field(default_factory=list)
    allowed_chat_ids: IdList = Field(default_factory=list)
    admin_user_ids: IdList = Field(default_factory=list)
    daily_job_quota: int = Field(default=0, ge=0, description="Jobs per user per day; 0: no quota.")
    delivery_retry_seconds: float = Field(default=30.0, gt=0, description="A held-up delivery is tried again.")
    max_flood_wait_seconds: float = Field(default=3600.0, ge=0, description="429s one file waits out.")
    startup_retry_seconds: float = Field(
        default=300.0, ge=0, description="How long `riffcut bot` keeps trying to reach the Bot API at start-up."
    )

    log_level: str = "INFO"

    _split = field_validator("allowed_user_ids", "allowed_chat_ids", "admin_user_ids", mode="before")(_split_ids)

    @field_validator("max_image_width")
    @classmethod
    def _divisible_by_8(cls, value: int) -> int:
        if value % 8:
            raise ValueError(f"MAX_IMAGE_WIDTH must be divisible by 8 (got {value}; try {value - value % 8})")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"{value!r} is not a level; use one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("database_url")
    @classmethod
    def _async_database(cls, value: str | None) -> str | None:
        """A URL SQLAlchemy reads, of a dialect it has, with an async driver (what storage opens)."""
        if value is None:
            return None
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError

        example = "sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER:PASSWORD@HOST/NAME"
        try:
            url = make_url(value)
            dialect = url.get_dialect()
        except NoSuchModuleError:  # an ArgumentError too
            raise ValueError(f"{value.split(':', 1)[0]!r} is not a database this can open; use {example}") from None
        except ArgumentError:
            raise ValueError(f"not a database URL; use {example}") from None
        if not getattr(dialect, "is_async", False):
            raise ValueError(f"{url.drivername} is not an async driver; use {example}")
        try:
            dialect.import_dbapi()
        except ImportError as exc:
            raise ValueError(f"its driver, {exc.name}, is not installed; use {example}") from None
        return value

    @field_validator("webhook_url", "database_url", "shared_dir", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="after")
    def _part_range(self) -> Settings:
        if self.min_part_seconds > self.max_part_seconds:
            raise ValueError(
                f"MIN_PART_SECONDS ({self.min_part_seconds}) is above MAX_PART_SECONDS ({self.max_part_seconds})"
            )
        return self

    @model_validator(mode="after")
    def _webhook_needs_a_secret(self) -> Settings:
        """A webhook without a secret would take updates from anyone who finds its URL (any user, any admin)."""
        if not self.webhook_url:
            return self
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret is not None else ""
        if not secret:
            raise ValueError("WEBHOOK_URL is set but WEBHOOK_SECRET is not: set a secret for Telegram to send back")
        if not WEBHOOK_SECRET_CHARS.fullmatch(secret):
            raise ValueError("WEBHOOK_SECRET must be 1 to 256 characters, each A-Z, a-z, 0-9, _ or -")
        return self

    @model_validator(mode="after")
    def _celery_can_work(self) -> Settings:
        if self.runner == "celery" and (problem := self.celery_problem()):
            raise ValueError(problem)
        return self

    def celery_problem(self) -> str | None:
        """Why these settings cannot run jobs on workers elsewhere (one line), or None."""
        if self.celery_visibility_timeout_seconds <= self.job_time_limit_seconds:
            return (
                f"CELERY_VISIBILITY_TIMEOUT_SECONDS ({self.celery_visibility_timeout_seconds:g}) must exceed "
                f"JOB_TIME_LIMIT_SECONDS ({self.job_time_limit_seconds:g}), or Redis hands a long job's message to "
                "a second worker while the first still runs it"
            )
        if self.worker_lost_seconds < 2 * self.worker_heartbeat_seconds:
            return (
                f"WORKER_LOST_SECONDS ({self.worker_lost_seconds:g}) must be at least twice "
                f"WORKER_HEARTBEAT_SECONDS ({self.worker_heartbeat_seconds:g})"
            )
        return None

    @property
    def results_root(self) -> Path:
        """Where results wait for delivery: SHARED_DIR when set (every host), else DATA_DIR."""
        return self.shared_dir or self.data_dir

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'riffcut.db').resolve()}"

    def secret_values(self) -> list[str]:
        """What must never be shown: the bot token, the webhook secret, the database URL's password."""
        values = [s.get_secret_value() for s in (self.telegram_bot_token, self.webhook_secret) if s is not None]
        if self.database_url:
            with contextlib.suppress(ValueError):
                password = urlsplit(self.database_url).password
                if password:
                    values += [password, unquote(password)]
        return values

    @property
    def ffmpeg_threads(self) -> int | None:
        return self.threads_on_spliting or None

    def media_config(self, *, lift_limits: bool = False) -> MediaConfig:
        """The media settings the engine's callers pass on (`lift_limits`: the CLI's --no-limits)."""
        return MediaConfig(
            threads=self.ffmpeg_threads,
            timeout=self.ffmpeg_timeout_seconds,
            min_part_seconds=self.min_part_seconds,
            max_part_seconds=self.max_part_seconds,
            loudness_lufs=self.loudness_lufs,
            limits=self.media_limits(lift=lift_limits),
        )

    def media_limits(self, *, lift: bool = False) -> MediaLimits:
        """The operator's limits on one video (the others keep the engine's defaults). Lifted (for local use),
        the length, picture size, frame count, part count and probe time are unbounded; the sides and their
        ratio stay within what encoders and players take."""
        if lift:
            return MediaLimits(
                max_seconds=math.inf,
                max_pixels=sys.maxsize,
                max_frames=sys.maxsize,
                max_parts=sys.maxsize,
                probe_seconds=self.ffmpeg_timeout_seconds,
            )
        return MediaLimits(
            max_seconds=self.max_video_seconds,
            max_pixels=self.max_video_pixels,
            max_frames=self.max_video_frames,
            max_parts=self.max_parts,
        )


def load_settings(**overrides: object) -> Settings:
    """Read the settings; ConfigError, with pydantic's report as one line per bad variable, when they cannot work."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = ".".join(str(p) for p in err["loc"]).upper() or "settings"
            lines.append(f"{name}: {err['msg'].removeprefix('Value error, ')}")
        raise ConfigError("; ".join(lines)) from None
