"""Groups: `/riff PROMPT` as a reply to a video (or `/riff@ThisBot`), or a video captioned `/riff PROMPT`.

Privacy mode is on by default, so the bot sees only commands and replies to its own messages; a caption is
not a command entity, so captioned videos have their own handler. Each member works with their own current
video and settings (everything is keyed by chat and user), the progress message and the results are replies
in the group, and only the job's starter or a chat admin can cancel it (see bot.job_control.may_cancel).
"""

from __future__ import annotations

from telegram import Message, Update
from telegram.constants import ParseMode

from bot import refusals
from bot.command_args import command_text
from bot.context import RiffcutContext
from bot.intake import attachment, receive_video
from bot.prompting import store_prompt
from bot.refusals import words
from bot.screens import current_choice
from bot.submission import submit
from bot.texts import tr
from bot.who import Who, who
from engine.errors import BadInput


async def riff(context: RiffcutContext, me: Who, command: Message, video_message: Message, prompt: str) -> None:
    """Take the video, set the prompt, start the job; every refusal is said in the status message."""
    status = await receive_video(context, me, command, video_message)
    if status is None:
        return
    try:
        if prompt:
            await store_prompt(context, me, prompt)
        choice = await current_choice(context.services, me)
        if choice is None:
            raise BadInput(refusals.NO_VIDEO)
        submitted = await submit(context, me, choice, reply_to=video_message.message_id, progress=status)
    except BadInput as exc:
        await status.edit_text(words(me.lang, exc))
        return
    if not submitted.created:
        await status.edit_text(
            tr(me.lang, "Job #{job} with these settings is already on its way.", job=submitted.job.id)
        )


async def riff_command(update: Update, context: RiffcutContext) -> None:
    """`/riff PROMPT` in reply to a video (any chat)."""
    message = update.effective_message
    assert message is not None
    me = await who(update, context)
    target = message.reply_to_message
    if target is None or attachment(target) is None:
        await message.reply_text(
            tr(me.lang, "Reply to a video with <code>/riff PROMPT</code>, or send a video with that caption."),
            parse_mode=ParseMode.HTML,
        )
        return
    await riff(context, me, message, target, command_text(message))


async def riff_caption(update: Update, context: RiffcutContext) -> None:
    """A video whose caption starts with `/riff`: the rest of the caption is the prompt."""
    message = update.effective_message
    assert message is not None
    me = await who(update, context)
    caption = message.caption or ""
    bot_name = context.bot.username or ""
    head = caption.split(maxsplit=1)[0] if caption.split() else ""
    if "@" in head and head.split("@", 1)[1].lower() != bot_name.lower():
        return  # meant for another bot
    await riff(context, me, message, message, command_text(message))
