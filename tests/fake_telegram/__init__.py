"""A fake Telegram Bot API server for end-to-end tests over real HTTP (aiohttp on 127.0.0.1, a free port).

The real bot (python-telegram-bot v22, no mocked methods) talks to it; the test acts as Telegram's users and
reads what the users would see. Import it as ``tests.fake_telegram``::

    from tests.fake_telegram import FakeTelegram

    async def test_start(media):
        async with FakeTelegram() as tg:                       # or the ``tg`` fixture of tests/conftest.py
            app = (ApplicationBuilder().token(tg.token)
                   .base_url(tg.base_url).base_file_url(tg.base_file_url).build())   # base_url = f"{tg.url}/bot"
            ...  # add the bot's handlers; async with app: await app.start(); await app.updater.start_polling(...)
            ann = tg.add_user("Ann")
            since = tg.mark()
            tg.send_text(ann, "/start")                        # update with a bot_command entity
            call = await tg.wait_for_call("sendMessage", chat=ann.id, since=since)
            assert "three steps" in call.params["text"]

            video = tg.send_video(ann, media / "h264-aac-320x240-7s.mp4", caption="calm piano")  # probed
            card = await tg.wait_for_bot_message(ann, lambda m: "Generate" in m.button_texts, after=video)
            query_id = tg.press(ann, card, "Generate")          # callback_query from the button, found by text
            await tg.wait_until(lambda: tg.callback_answer(query_id))
            zip_call = await tg.wait_for_call("sendDocument", chat=ann.id, timeout=120)
            zip_bytes = zip_call.files["document"].data         # the multipart upload as received
            tg.chat_view(ann)                                   # [ViewMessage(...)] as Ann sees the chat now

Users and chats: ``add_user``, ``private_chat`` (as on Telegram, the bot cannot write first: until the user
has sent something or the test calls ``private_chat(user)``, sends answer 403 "bot can't initiate conversation"),
``add_group(title, members=, admins=, creator=, privacy=True)``;
``send_text``, ``send_video``, ``send_document`` (a video "as a file": mime_type), ``send_video_note``,
``send_animation`` (each takes ``chat=`` for a group and ``reply_to=``); ``press``; ``forge_press(user, data,
message=None)`` (any callback data, on a message or with none, as a forged or outdated button sends it);
``register_file`` (bytes or a path served in place; ``file_size=`` declares a bigger size, e.g. to hit the 20 MB
getFile limit).
Privacy mode: in a group the bot only gets commands (``/cmd``, ``/cmd@ThisBot``, also in captions) and replies
to its own messages; others land in ``tg.undelivered``.

Looking: ``calls`` (every request: method, params decoded, files, started/finished, status, result/error),
``calls_of``, ``mark``, ``wait_for(predicate, timeout, since)``, ``wait_for_call``, ``wait_until(fn)``,
``chat_view``, ``bot_messages``, ``last_bot_message``, ``message``, ``wait_for_bot_message``,
``callback_answers``, ``chat_actions``, ``downloads``, ``default_commands()``, ``unknown_methods``,
``updates`` (each with enqueued/delivered times), ``sent_at(message)`` and
``wait_for_reply(message) -> (call, seconds)`` for reply latencies, ``file(file_id)``; ``webhook_deliveries``
after ``setWebhook`` (updates are POSTed with the secret header, retried until a 2xx). getUpdates follows
Telegram: an update comes back until an ``offset`` above it confirms it; a second poller gets the first a 409.

Faults: ``flood(method, times=, retry_after=, seconds=, chat=)`` (429 with parameters.retry_after;
``retry_after=None`` with ``seconds=``: a long flood whose every 429 asks to wait until it ends),
``slow(method, delay=, times=, seconds=)``, ``fail(method, error_code=, description=, ...)``,
``drop(method, times=, handled=False)`` (the connection closes without an answer: before the method runs, or with
``handled=True`` after it ran, so a message is posted and only its answer is lost), ``block_bot(user)``
(403 "Forbidden: bot was blocked by the user"), ``clear_faults()``. The method name ``"download"`` (``DOWNLOAD``)
applies a fault to file downloads (``fail("download", error_code=500)``, ``drop("download")``); those that failed
are in ``failed_downloads``; limits ``download_limit`` (20 MB) and
``upload_limit`` (50 MB, 413) can be lowered for a test; ``FakeTelegram(local_mode=True)`` answers getFile
with absolute paths and no limit and takes ``file://`` uploads (copied), like a local Bot API server.
A bug in the fake answers 500 and logs "fake Telegram failed on ..." (look for calls with status 500).
"""

from __future__ import annotations

from .models import ApiError, Call, FakeChat, FakeUser, QueuedUpdate, StoredFile, ViewMessage
from .server import DOWNLOAD, DOWNLOAD_LIMIT, UPLOAD_LIMIT, FakeTelegram, Fault
from .world import probe_video

__all__ = [
    "DOWNLOAD",
    "DOWNLOAD_LIMIT",
    "UPLOAD_LIMIT",
    "ApiError",
    "Call",
    "FakeChat",
    "FakeTelegram",
    "FakeUser",
    "Fault",
    "QueuedUpdate",
    "StoredFile",
    "ViewMessage",
    "probe_video",
]
