"""The bot's application: `build_application(config, open_backend)` and how it starts and stops.

The Application talks to the Bot API server the config names (a local tdlib server with local mode, or a test
server), with AIORateLimiter retrying 429s and uploads given a generous write timeout; its context is
bot.context's (typed services and chat data). Start-up (post_init), with a log line per stage: the backend the
composition root opens (database migrations, the model, the job queue), the job events (the queue re-queues
jobs a stop interrupted and offers finished results not yet delivered), and the command menus and descriptions
in every language (setMyCommands, setMyDescription, setMyShortDescription with language_code). Polling by default;
a webhook that checks its secret when the config has one.

Before any of that, `connect` reaches the Bot API (getMe): while the network is down, a name does not resolve
or the Bot API server is not up yet, it tries again with backoff (1 s, 2 s, 4 s, ... at most 30 s apart) for
`startup_retry_seconds`, one log line per try and no traceback; then `Unreachable`. A token the server refuses,
or a URL that cannot work, is `Unreachable` at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
from telegram import BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from bot.config import BotConfig, Webhook
from bot.context import CONTEXT_TYPES, RiffcutApp
from bot.fetch import TelegramFetch
from bot.job_events import job_reporting
from bot.progress import ProgressBoard
from bot.routes import register
from bot.services import OpenBackend, Services
from bot.texts import N_, SOURCE_LANGUAGE, tr
from bot.update_order import MemberOrder
from engine.errors import Unreachable
from engine.options import LANGUAGES

log = logging.getLogger(__name__)

CONCURRENT_UPDATES = 64
FIRST_RETRY_S = 1.0
LONGEST_RETRY_S = 30.0
HOPELESS = (httpx.UnsupportedProtocol, httpx.InvalidURL)  # a URL no retry will make work

RATE_LIMIT_RETRIES = 5
UPLOAD_WRITE_TIMEOUT_S = 300.0  # 50 MB over a slow link
READ_TIMEOUT_S = 60.0
# Not edited messages (an edited /generate is not a new one); inline queries for sharing results.
ALLOWED_UPDATES = ("message", "callback_query", "inline_query")

PRIVATE_COMMANDS = (
    ("start", N_("what this bot does")),
    ("help", N_("commands, settings and what is kept")),
    ("prompt", N_("the music you want: /prompt TEXT")),
    ("parts", N_("number of parts: /parts N")),
    ("part", N_("the part that gets new music: /part K")),
    ("generate", N_("split and generate")),
    ("status", N_("your video, choices and jobs")),
    ("cancel", N_("stop your job")),
    ("history", N_("your last jobs")),
    ("settings", N_("all settings")),
    ("set", N_("one setting: /set NAME VALUE")),
    ("forget", N_("delete everything kept about you")),
)
GROUP_COMMANDS = (
    ("riff", N_("reply to a video: /riff PROMPT")),
    ("status", N_("your jobs here")),
    ("cancel", N_("stop your job")),
    ("settings", N_("your settings")),
    ("help", N_("how to use the bot")),
)
# The "What can this bot do?" screen before /start (at most 512 characters), and the profile's line (120).
DESCRIPTION = N_(
    'I give a video new music. Send me a video and say what music you want ("lo-fi beat with soft piano"): I cut '
    "it into equal parts, make music for the part you choose with Riffusion, put it on that part, and send back "
    "the part, the music and a zip of all parts. In groups, reply to a video with /riff PROMPT."
)
SHORT_DESCRIPTION = N_("New music for any part of your video, made by Riffusion.")


def _connection(config: BotConfig) -> Any:  # an ApplicationBuilder whose six type parameters change with each step
    """The Bot API connection: which server, local mode, 429s retried, timeouts."""
    if not config.token:
        raise ValueError("the bot has no token")
    return (
        ApplicationBuilder()
        .token(config.token)
        .base_url(config.api_base_url)
        .base_file_url(config.file_base_url)
        .local_mode(config.local_mode)
        .rate_limiter(AIORateLimiter(max_retries=RATE_LIMIT_RETRIES))
        .connect_timeout(10.0)
        .read_timeout(READ_TIMEOUT_S)
        .write_timeout(30.0)
        .media_write_timeout(UPLOAD_WRITE_TIMEOUT_S)
        .pool_timeout(10.0)
    )


def build_client(config: BotConfig) -> Application[Any, Any, Any, Any, Any, Any]:
    """The bot's connection alone, for a process that only tells members about their jobs (a worker on another
    host): no updates, no handlers; `await client.initialize()` before using `client.bot`."""
    client: Application[Any, Any, Any, Any, Any, Any] = _connection(config).updater(None).job_queue(None).build()
    return client


def build_application(config: BotConfig, open_backend: OpenBackend) -> RiffcutApp:
    """The bot, ready to start; nothing is loaded or contacted until it starts."""
    application: RiffcutApp = (
        _connection(config)
        .context_types(CONTEXT_TYPES)
        .job_queue(None)
        .get_updates_read_timeout(config.poll_timeout + 10.0)
        # A slow handler (a download, a probe) never holds up anyone else; a member's messages keep their order.
        .concurrent_updates(MemberOrder(CONCURRENT_UPDATES))
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
        .build()
    )
    application.bot_data.config = config
    application.bot_data.open_backend = open_backend
    register(application)
    return application


async def post_init(application: RiffcutApp) -> None:
    data = application.bot_data
    config = data.config
    assert data.open_backend is not None
    started = time.monotonic()
    log.info("start-up: opening the database, the model and the job queue")
    backend = await data.open_backend(TelegramFetch(application.bot, config.download_limit))
    board = ProgressBoard(application.bot, shared=backend.chat_slots)
    services = Services(config, backend.db, backend.jobs, backend.check_prompt, board)
    data.services = services
    events = job_reporting(
        application.bot, backend.db, backend.jobs, board, services.languages, config.upload_limit, config.delivery
    )
    data.job_events = events
    log.info("start-up: starting the job queue")
    redelivered = await events.start()
    log.info("start-up: %d finished job(s) offered for delivery again", redelivered)
    await set_commands(application)
    log.info("start-up: ready as @%s in %.1f s", application.bot.username, time.monotonic() - started)


async def set_commands(application: RiffcutApp) -> None:
    """The command menus, the description and the short description, in every language the bot speaks.

    The default (no language_code) is English, shown to everyone whose app language has none of its own. A
    network blip here costs the menus' update, not the start-up.
    """
    bot = application.bot
    try:
        for lang in LANGUAGES:
            code = None if lang == SOURCE_LANGUAGE else lang

            def menu(commands: tuple[tuple[str, str], ...], lang: str = lang) -> list[BotCommand]:
                return [BotCommand(name, tr(lang, words)) for name, words in commands]

            private, groups = BotCommandScopeAllPrivateChats(), BotCommandScopeAllGroupChats()
            await bot.set_my_commands(menu(PRIVATE_COMMANDS), scope=private, language_code=code)
            await bot.set_my_commands(menu(GROUP_COMMANDS), scope=groups, language_code=code)
            await bot.set_my_description(tr(lang, DESCRIPTION), language_code=code)
            await bot.set_my_short_description(tr(lang, SHORT_DESCRIPTION), language_code=code)
    except TelegramError as exc:
        log.warning("start-up: the command menus were not updated (%s); Telegram keeps the last ones", exc)


def api_server(config: BotConfig) -> str:
    """The Bot API server's address, without the /bot path the token follows."""
    return config.api_base_url.split("/bot")[0]


def _reason(exc: TelegramError) -> str:
    cause = exc.__cause__
    if isinstance(cause, httpx.HTTPError):
        return f"{type(cause).__name__}: {cause}" if str(cause) else type(cause).__name__
    return str(exc.message) or type(exc).__name__


async def connect(application: Application[Any, Any, Any, Any, Any, Any], config: BotConfig) -> None:
    """Initialize the application (getMe), trying again with backoff while the Bot API cannot be reached (the
    bot's, or a worker's `build_client`)."""
    where = api_server(config)
    loop = asyncio.get_running_loop()
    started = loop.time()
    wait, attempt = FIRST_RETRY_S, 1
    log.info("start-up: reaching the Bot API at %s", where)
    while True:
        try:
            await application.initialize()
        except InvalidToken:
            await application.bot.shutdown()
            raise Unreachable(
                f"The Bot API at {where} refused the bot's token (or is not a Bot API server).", refused=True
            ) from None
        except NetworkError as exc:  # TimedOut included
            elapsed = loop.time() - started
            left = config.startup_retry_seconds - elapsed
            if isinstance(exc.__cause__, HOPELESS) or left <= 0:
                await application.bot.shutdown()
                tries = f"{attempt} {'try' if attempt == 1 else 'tries'} in {elapsed:.0f} s"
                raise Unreachable(f"The Bot API at {where} cannot be reached ({_reason(exc)}; {tries}).") from None
            pause = min(wait, left)
            log.warning(
                "start-up: the Bot API at %s cannot be reached (%s); try %d in %.0f s", where, _reason(exc),
                attempt + 1, pause,
            )  # fmt: skip
            await asyncio.sleep(pause)
            wait, attempt = min(wait * 2, LONGEST_RETRY_S), attempt + 1
        else:
            if attempt > 1:
                log.info("start-up: the Bot API at %s answered on try %d", where, attempt)
            return


async def post_stop(application: RiffcutApp) -> None:
    """The job queue stops while the bot can still talk (a job cut short is re-queued for the next start)."""
    events, application.bot_data.job_events = application.bot_data.job_events, None
    if events is not None:
        await events.stop()
    if application.bot_data.started:
        await application.bot_data.services.board.close()


async def post_shutdown(application: RiffcutApp) -> None:
    if application.bot_data.started:
        await application.bot_data.services.db.close()
        application.bot_data.services = None
    log.info("stopped")


# --- running inside an event loop that someone else owns (tests, benchmarks) --------------------------


async def start(application: RiffcutApp) -> None:
    """What `run_polling` does before it blocks: initialize (`connect`), post_init, start, poll."""
    await connect(application, application.bot_data.config)
    await post_init(application)
    await application.start()
    assert application.updater is not None
    config = application.bot_data.config
    if config.webhook is not None:
        await application.updater.start_webhook(**webhook_arguments(config.webhook))
    else:
        await application.updater.start_polling(timeout=config.poll_timeout, allowed_updates=list(ALLOWED_UPDATES))


async def stop(application: RiffcutApp) -> None:
    """What `run_polling` does after it is told to stop."""
    assert application.updater is not None
    if application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
        await post_stop(application)
    await application.shutdown()
    await post_shutdown(application)


# --- run until stopped -----------------------------------------------------------------------------


def webhook_arguments(webhook: Webhook) -> dict[str, Any]:
    """Where the webhook listens, its public URL, and the secret Telegram must echo in every request."""
    return {
        "listen": webhook.listen,
        "port": webhook.port,
        "url_path": urlsplit(webhook.url).path.strip("/"),
        "webhook_url": webhook.url,
        "secret_token": webhook.secret,
        "allowed_updates": list(ALLOWED_UPDATES),
    }


def run(application: RiffcutApp) -> None:
    """Blocks until SIGINT/SIGTERM: a webhook when the config has one, else long polling. `connect` runs first, on
    the loop the application then runs on (Unreachable when the Bot API cannot be reached in time)."""
    config = application.bot_data.config
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(connect(application, config))
    except BaseException:
        loop.run_until_complete(application.bot.shutdown())
        loop.close()
        raise
    # Already initialized: what follows (deleteWebhook, the first getUpdates) retries a blip on its own.
    if config.webhook is not None:
        log.info("webhook on %s:%d, public URL %s", config.webhook.listen, config.webhook.port, config.webhook.url)
        application.run_webhook(**webhook_arguments(config.webhook), bootstrap_retries=-1)
    else:
        log.info("long polling %s", api_server(config))
        application.run_polling(
            allowed_updates=list(ALLOWED_UPDATES), timeout=config.poll_timeout, bootstrap_retries=-1
        )
