"""Which handler answers which update; the order matters (first match wins within a group)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.access import gate
from bot.callbacks import CardPress, ForgetPress, JobPress, MenuPress
from bot.context import RiffcutApp
from bot.handlers import admin, choices, errors, generate, groups, inline, jobs, privacy, settings, start, video
from bot.repeats import drop_repeats

VIDEO_LIKE = filters.VIDEO | filters.VIDEO_NOTE | filters.ANIMATION | filters.Document.ALL
NOT_VIDEO = filters.PHOTO | filters.AUDIO | filters.VOICE | filters.Sticker.ALL | filters.CONTACT | filters.LOCATION


def register(application: RiffcutApp) -> None:
    add = application.add_handler
    add(TypeHandler(Update, drop_repeats), group=-2)  # an update Telegram sent again (to any front end): once
    add(TypeHandler(Update, gate), group=-1)
    # Buttons, by their callback data's kind (bot.callbacks)
    add(CallbackQueryHandler(choices.card_button, pattern=CardPress.matches))
    add(CallbackQueryHandler(settings.menu_button, pattern=MenuPress.matches))
    add(CallbackQueryHandler(jobs.job_button, pattern=JobPress.matches))
    add(CallbackQueryHandler(privacy.forget_button, pattern=ForgetPress.matches))
    add(CallbackQueryHandler(privacy.unknown_button))  # any other data: answered, never left spinning
    # Inline mode: "@ThisBot" in any chat lists the member's results
    add(InlineQueryHandler(inline.share_query))
    # Commands (also `/cmd@ThisBot` in groups)
    add(CommandHandler("start", start.start))
    add(CommandHandler("help", start.help_command))
    add(CommandHandler("prompt", choices.prompt_command))
    add(CommandHandler("parts", choices.parts_command))
    add(CommandHandler("part", choices.part_command))
    add(CommandHandler("generate", generate.generate_command))
    add(CommandHandler("status", choices.status_command))
    add(CommandHandler("cancel", jobs.cancel_command))
    add(CommandHandler("history", jobs.history_command))
    add(CommandHandler("settings", settings.open_menu))
    add(CommandHandler("set", settings.set_command))
    add(CommandHandler("forget", privacy.forget_command))
    add(CommandHandler("queue", admin.queue_command))
    add(CommandHandler("stats", admin.stats_command))
    add(CommandHandler("riff", groups.riff_command))
    # A video whose caption starts with /riff (captions carry no command entities for CommandHandler)
    add(
        MessageHandler(
            filters.ChatType.GROUPS & VIDEO_LIKE & filters.CaptionRegex(r"^/riff(@\w+)?(\s|$)"), groups.riff_caption
        )
    )
    # Private chats: any video-like attachment; the answer to "what music?"
    add(MessageHandler(filters.ChatType.PRIVATE & VIDEO_LIKE, video.on_video))
    add(MessageHandler(filters.REPLY & filters.TEXT & ~filters.COMMAND, choices.prompt_reply))
    add(MessageHandler(filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, choices.prompt_text))
    add(MessageHandler(filters.ChatType.PRIVATE & NOT_VIDEO, video.not_a_video))
    add(MessageHandler(filters.ChatType.PRIVATE & filters.COMMAND, privacy.unknown_command))
    application.add_error_handler(errors.on_error)
