"""/start and /help: what the bot does in three steps, the commands and settings, what is kept and for how long."""

from __future__ import annotations

import html

from telegram import Update
from telegram.constants import ParseMode

from bot.context import RiffcutContext
from bot.intake import human_limit
from bot.setting_words import setting_allowed, setting_help
from bot.texts import tr
from bot.who import who
from engine.options import SPECS
from storage.options_repo import ensure_user


def limit_text(limit: int | None) -> str:
    return human_limit(limit) if limit is not None else "2 GB"


async def start(update: Update, context: RiffcutContext) -> None:
    me = await who(update, context)
    await ensure_user(context.services.db, me.user_id, me.telegram_language)
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        tr(
            me.lang,
            "Hi! I cut a video into equal parts and give the part you choose new music made by Riffusion.\n"
            "\n"
            "1. Send me a video (up to {limit}); a caption becomes the music prompt.\n"
            "2. Say what music you want with /prompt, and choose the number of parts and the part.\n"
            "3. Press <b>Split-n-Generate</b>: you get the part with its new music, the music alone, "
            "previews and a zip of all parts.\n"
            "\n"
            "/help lists the commands and settings.",
            limit=limit_text(context.config.download_limit),
        ),
        parse_mode=ParseMode.HTML,
    )


def help_text(lang: str, limit: int | None, retention_hours: float) -> str:
    settings = "\n".join(
        tr(
            lang,
            "<code>{name}</code> – {help} ({allowed})",
            name=spec.name,
            help=html.escape(setting_help(lang, spec)),
            allowed=html.escape(setting_allowed(lang, spec)),
        )
        for spec in SPECS
    )
    return tr(
        lang,
        "<b>How it works</b>\n"
        "1. Send a video (a video, a file, a round video or a GIF; up to {limit}). A caption is the "
        "prompt.\n"
        "2. /prompt TEXT says what music you want; /parts N cuts it into N equal parts; /part K picks "
        "the part that gets the music.\n"
        "3. /generate (or the button) makes it; I send the part with new music, the music, previews and "
        "a zip.\n"
        "\n"
        "<b>Commands</b>\n"
        "/prompt TEXT – the music you want (or just send the text)\n"
        "/parts N – number of parts\n"
        "/part K – the part that gets new music\n"
        "/generate – split and generate\n"
        "/status – your video and choices\n"
        "/cancel – stop your running job\n"
        "/history – your last jobs\n"
        "/settings – all settings with buttons\n"
        "/set NAME VALUE – change one setting, e.g. <code>/set steps 30</code>, <code>/set seed "
        "random</code>\n"
        "/forget – delete everything I keep about you\n"
        "In groups: reply to a video with <code>/riff PROMPT</code>, or send a video captioned "
        "<code>/riff PROMPT</code>.\n"
        "\n"
        "<b>Settings for /set</b>\n"
        "{settings}\n"
        "\n"
        "<b>What I keep</b>\n"
        "Your settings, your current video's Telegram file id and its choices, and your jobs (prompt, "
        "settings, state). Results are kept until they are delivered and for {retention} h after, then "
        "deleted; a video is downloaded only to check it and while its job runs, then deleted. /forget "
        "deletes all of it at once.",
        limit=limit_text(limit),
        settings=settings,
        retention=f"{retention_hours:g}",
    )


async def help_command(update: Update, context: RiffcutContext) -> None:
    config = context.config
    me = await who(update, context)
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        help_text(me.lang, config.download_limit, config.result_retention_hours), parse_mode=ParseMode.HTML
    )
