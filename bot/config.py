"""What the bot is told at build time: a plain frozen config, made by the composition root (riffcut.wiring) from
the settings, so nothing in bot/ reads the environment or imports riffcut."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from engine.media_limits import MediaLimits

# The Bot API server's own constants (telegram-bot-api: 20 << 20, 50 << 20, 2000 << 20).
DOWNLOAD_LIMIT_BYTES = 20 << 20
UPLOAD_LIMIT_BYTES = 50 << 20
LOCAL_UPLOAD_LIMIT_BYTES = 2000 << 20
POLL_TIMEOUT_S = 30


@dataclass(frozen=True)
class Webhook:
    """WEBHOOK_URL, WEBHOOK_SECRET (Telegram sends it back in every request), WEBHOOK_LISTEN, WEBHOOK_PORT."""

    url: str
    secret: str = field(repr=False)
    listen: str = "0.0.0.0"
    port: int = 8443


@dataclass(frozen=True)
class PartRule:
    """MIN_PART_SECONDS and MAX_PART_SECONDS: how long a part may be, and MAX_PARTS: how many parts a video may be
    cut into (engine.parts applies the rule; the bot never picks, offers or accepts more)."""

    min_s: float = 1.0
    max_s: float = 60.0
    max_parts: int | None = None


@dataclass(frozen=True)
class DeliveryPolicy:
    """How results get through a bad network (bot.delivery). DELIVERY_RETRY_SECONDS and MAX_FLOOD_WAIT_SECONDS
    are settings; the rest are Telegram-shaped constants."""

    file_attempts: int = 5  # tries of one file on a transient error (5xx, timeout, dropped connection)...
    file_backoff_s: float = 1.0  # ...waiting 1, 2, 4, 8 s between them
    max_flood_wait_s: float = 3600.0  # one file waits out 429s (retry_after) this long before the delivery pauses
    retry_s: float = 30.0  # a paused delivery is tried again after this, then twice as long each time...
    retry_max_s: float = 600.0  # ...up to this, for as long as the bot runs (and again at the next start)


DEFAULT_DELIVERY = DeliveryPolicy()
DEFAULT_LIMITS = MediaLimits()


@dataclass(frozen=True)
class BotConfig:
    token: str = field(repr=False)
    api_base_url: str = "https://api.telegram.org/bot"
    file_base_url: str = "https://api.telegram.org/file/bot"
    local_mode: bool = False  # a local Bot API server: no download limit, 2000 MB uploads, files by path
    temporary_directory: Path = Path("/tmp/riffcut")  # incoming videos are checked in a folder under it
    data_dir: Path = Path("data")  # DATA_DIR: the status cards' frame strips are kept under it (cards/)
    part_rule: PartRule = PartRule()
    limits: MediaLimits = DEFAULT_LIMITS  # MAX_VIDEO_SECONDS, _PIXELS, _FRAMES: applied when a video arrives
    result_retention_hours: float = 24.0  # said in /help
    allowed_user_ids: frozenset[int] = frozenset()
    allowed_chat_ids: frozenset[int] = frozenset()
    admin_user_ids: frozenset[int] = frozenset()
    daily_job_quota: int = 0  # jobs per user per day; 0: no quota
    webhook: Webhook | None = None  # None: long polling
    poll_timeout: int = POLL_TIMEOUT_S
    startup_retry_seconds: float = 300.0  # how long start-up keeps trying to reach the Bot API
    delivery: DeliveryPolicy = DEFAULT_DELIVERY

    @property
    def download_limit(self) -> int | None:
        """Bytes a bot may download with getFile; None with a local Bot API server."""
        return None if self.local_mode else DOWNLOAD_LIMIT_BYTES

    @property
    def upload_limit(self) -> int:
        return LOCAL_UPLOAD_LIMIT_BYTES if self.local_mode else UPLOAD_LIMIT_BYTES
