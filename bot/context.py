"""The bot's python-telegram-bot ContextTypes: a typed `context.services`, `context.config` and chat data.

Handlers are `async def handler(update: Update, context: RiffcutContext) -> None`. `bot_data` is a `BotData`
(the config from build time, the services from start-up), `chat_data` a `ChatData` (what the bot remembers of a
chat between updates, in memory).
"""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.bounded import BoundedDict
from bot.config import BotConfig
from bot.job_events import JobEvents
from bot.services import OpenBackend, Services

PROMPT_QUESTIONS_KEPT = 50  # per chat: the "what music?" questions whose replies are taken as prompts
CARDS_KEPT = 200  # per chat: the status cards whose picture is known


class ChatData:
    """Per chat: each member's current video message (results reply to it) and the bot's "what music?" asks."""

    def __init__(self) -> None:
        self.video_messages: dict[int, int] = {}  # user id -> message id of their current video
        self.prompt_questions: list[int] = []  # message ids, newest last
        # card message id -> the split its picture shows (an edit redraws the picture only when that changes)
        self.card_pictures: BoundedDict[int, tuple[str, int, int]] = BoundedDict(CARDS_KEPT)

    def asked(self, message_id: int) -> None:
        self.prompt_questions.append(message_id)
        del self.prompt_questions[:-PROMPT_QUESTIONS_KEPT]


class BotData:
    """Set by `bot.app`: `config` and `open_backend` when the application is built, `services` (what handlers
    use) and `job_events` (the queue's events turned into progress and deliveries) once it has started."""

    def __init__(self) -> None:
        self._config: BotConfig | None = None
        self._services: Services | None = None
        self.open_backend: OpenBackend | None = None
        self.job_events: JobEvents | None = None

    @property
    def config(self) -> BotConfig:
        if self._config is None:
            raise RuntimeError("the bot has no config: build it with bot.app.build_application")
        return self._config

    @config.setter
    def config(self, config: BotConfig) -> None:
        self._config = config

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("the bot's services are not started yet")
        return self._services

    @services.setter
    def services(self, services: Services | None) -> None:
        self._services = services

    @property
    def started(self) -> bool:
        return self._services is not None


class RiffcutContext(CallbackContext[ExtBot[int], dict[Any, Any], ChatData, BotData]):
    @property
    def services(self) -> Services:
        return self.bot_data.services

    @property
    def config(self) -> BotConfig:
        return self.bot_data.config

    @property
    def chat(self) -> ChatData:
        """This update's chat data (an update with no chat gets a throwaway one)."""
        return self.chat_data if self.chat_data is not None else ChatData()


CONTEXT_TYPES = ContextTypes(context=RiffcutContext, chat_data=ChatData, bot_data=BotData)
RiffcutApp = Application[ExtBot[int], RiffcutContext, dict[Any, Any], ChatData, BotData, None]
