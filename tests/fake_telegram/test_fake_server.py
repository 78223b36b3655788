"""The fake Bot API works with the real python-telegram-bot over HTTP (no mocked bot methods)."""

from __future__ import annotations

import asyncio
import datetime as dtm
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaVideo, Message, Update
from telegram.error import BadRequest, Conflict, EndPointNotFound, Forbidden, NetworkError, RetryAfter
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, ContextTypes

from tests.fake_telegram import DOWNLOAD, FakeTelegram, FakeUser

VIDEO = "h264-aac-320x240-7s.mp4"


@pytest.fixture(autouse=True)
def _timedelta_durations(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB v22's opt-in: durations and retry_after as timedelta (the coming default), no deprecation warnings."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url) as real_bot:
        yield real_bot


def _keyboard(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=f"cb:{label}") for label in labels]])


async def test_get_me_send_and_edit(tg: FakeTelegram, bot: Bot) -> None:
    assert bot.username == tg.bot_username
    ann = tg.add_user("Ann")
    chat = tg.private_chat(ann)

    sent = await bot.send_message(chat.id, "<b>Queued</b> 1 of 2", parse_mode="HTML", reply_markup=_keyboard("Cancel"))
    assert sent.text == "Queued 1 of 2"
    edited = await bot.edit_message_text(
        "Generating 10%", chat_id=chat.id, message_id=sent.message_id, reply_markup=_keyboard("Cancel")
    )
    assert isinstance(edited, Message) and edited.text == "Generating 10%"
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text(
            "Generating 10%", chat_id=chat.id, message_id=sent.message_id, reply_markup=_keyboard("Cancel")
        )
    await bot.edit_message_reply_markup(chat.id, sent.message_id, reply_markup=None)

    (view,) = tg.chat_view(ann)
    assert (view.text, view.reply_markup, view.edits) == ("Generating 10%", None, 2)
    assert [c.method for c in tg.calls_of("editMessageText", ok=False)] == ["editMessageText"]

    with pytest.raises(BadRequest, match="too long"):
        await bot.send_message(chat.id, "x" * 4097)
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(
            chat.id, "pick", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="y" * 65)]])
        )
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "hello")
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("frobnicate")
    assert tg.unknown_methods == ["frobnicate"]
    assert len(tg.chat_view(ann)) == 1  # refused messages never reached the chat


async def test_send_video_upload_keeps_fields_and_file(tg: FakeTelegram, bot: Bot, media: Path) -> None:
    ann = tg.add_user("Ann")
    original = tg.send_video(ann, media / VIDEO, caption="calm piano")
    assert (original.media or {})["duration"] == 7
    assert ((original.media or {})["width"], (original.media or {})["height"]) == (320, 240)

    data = (media / VIDEO).read_bytes()
    message = await bot.send_video(
        ann.id,
        data,
        filename="part-2.mp4",
        duration=7,
        width=320,
        height=240,
        supports_streaming=True,
        caption="Part 2 with music",
        thumbnail=b"\xff\xd8fake-jpeg",
        reply_to_message_id=original.message_id,
        reply_markup=_keyboard("Again"),
    )
    call = tg.calls_of("sendVideo", ok=True)[0]
    assert call.content_type == "multipart/form-data"
    assert call.files["video"].data == data and call.files["video"].file_name == "part-2.mp4"
    assert call.params["duration"] == 7 and call.params["supports_streaming"] is True
    assert call.params["reply_parameters"]["message_id"] == original.message_id
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["text"] == "Again"
    thumb_field = call.params["thumbnail"].removeprefix("attach://")
    assert call.files[thumb_field].data == b"\xff\xd8fake-jpeg"

    assert message.video is not None and message.video.duration == dtm.timedelta(seconds=7)
    assert message.reply_to_message is not None and message.reply_to_message.message_id == original.message_id
    shown = tg.last_bot_message(ann)
    assert shown is not None and shown.media_type == "video" and shown.caption == "Part 2 with music"

    again = await bot.send_video(ann.id, message.video.file_id, caption="same file by file_id")
    assert again.video is not None and again.video.file_unique_id == message.video.file_unique_id
    downloaded = await (await bot.get_file(message.video.file_id)).download_as_bytearray()
    assert bytes(downloaded) == data

    with pytest.raises(BadRequest, match="caption is too long"):
        await bot.send_video(ann.id, data, caption="c" * 1025)
    tg.upload_limit = len(data) - 1
    with pytest.raises(NetworkError, match="Request Entity Too Large"):
        await bot.send_document(ann.id, data, filename="big.zip")


async def test_media_group_with_attach_references(tg: FakeTelegram, bot: Bot, media: Path) -> None:
    ann = tg.add_user("Ann")
    tg.private_chat(ann)
    first, second = (media / VIDEO).read_bytes(), (media / "h264-no-audio-2s.mp4").read_bytes()
    messages = await bot.send_media_group(
        ann.id,
        [
            InputMediaVideo(first, caption="part 1", duration=7, filename="p1.mp4"),
            InputMediaVideo(second, caption="part 2", duration=2, filename="p2.mp4"),
        ],
    )
    assert [m.caption for m in messages] == ["part 1", "part 2"]
    assert messages[0].media_group_id is not None and messages[0].media_group_id == messages[1].media_group_id
    call = tg.calls_of("sendMediaGroup")[0]
    refs = [item["media"] for item in call.params["media"]]
    assert all(ref.startswith("attach://") for ref in refs)
    assert [call.files[ref.removeprefix("attach://")].data for ref in refs] == [first, second]
    with pytest.raises(BadRequest, match="2 to 10"):
        await bot.send_media_group(ann.id, [InputMediaVideo(first)])

    audio = await bot.send_audio(ann.id, b"ID3fake", filename="music.mp3", title="calm piano", duration=3)
    assert audio.audio is not None and (audio.audio.title, audio.audio.mime_type) == ("calm piano", "audio/mpeg")
    document = await bot.send_document(ann.id, b"PK\x05\x06" + bytes(18), filename="parts.zip", caption="all parts")
    assert document.document is not None and document.document.file_name == "parts.zip"
    zip_call = await tg.wait_for_call("sendDocument", chat=ann.id)
    assert zip_call.files["document"].data.startswith(b"PK") and zip_call.params["caption"] == "all parts"
    assert [m.media_type for m in tg.bot_messages(ann)] == ["video", "video", "audio", "document"]


async def test_get_file_download_and_the_20_mb_limit(tg: FakeTelegram, bot: Bot, media: Path) -> None:
    stored = tg.register_file(media / VIDEO, kind="video")
    telegram_file = await bot.get_file(stored.file_id)
    assert telegram_file.file_size == (media / VIDEO).stat().st_size
    assert bytes(await telegram_file.download_as_bytearray()) == (media / VIDEO).read_bytes()
    assert tg.downloads == [stored.file_path]

    big = tg.register_file(media / VIDEO, kind="video", file_size=25 * 1024 * 1024)
    with pytest.raises(BadRequest, match="File is too big"):
        await bot.get_file(big.file_id)
    with pytest.raises(BadRequest, match="Wrong file_id"):
        await bot.get_file("no-such-file")


async def test_429_is_retry_after_and_403_is_forbidden(tg: FakeTelegram, bot: Bot) -> None:
    ann, bob = tg.add_user("Ann"), tg.add_user("Bob")
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await bot.send_message(ann.id, "hello first")
    tg.private_chat(ann)  # Ann has opened the chat with the bot
    tg.private_chat(bob)
    tg.flood("sendMessage", times=2, retry_after=3)
    for _ in range(2):
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(ann.id, "hi")
        assert caught.value.retry_after == dtm.timedelta(seconds=3)
    assert (await bot.send_message(ann.id, "hi")).text == "hi"
    assert [c.status for c in tg.calls_of("sendMessage")] == [403, 429, 429, 200]

    tg.block_bot(bob)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(bob.id, "your result")

    tg.slow("sendChatAction", delay=0.2, times=1)
    await bot.send_chat_action(ann.id, "upload_video")
    latency = tg.calls_of("sendChatAction")[0].latency
    assert latency is not None and latency >= 0.2
    assert tg.chat_actions == [(ann.id, "upload_video")]


async def test_long_polling_delivers_once_confirmed_by_offset(tg: FakeTelegram, bot: Bot) -> None:
    ann = tg.add_user("Ann", username="ann")
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await tg.wait_until(lambda: tg.calls_of("getUpdates"), what="the long poll to arrive")
    assert not poll.done()
    tg.send_text(ann, "/riff@RiffcutTestBot calm piano")
    (update,) = await asyncio.wait_for(poll, 5)
    assert update.message is not None and update.message.text == "/riff@RiffcutTestBot calm piano"
    assert update.message.parse_entities() == {update.message.entities[0]: "/riff@RiffcutTestBot"}

    assert [u.update_id for u in await bot.get_updates()] == [update.update_id]  # not confirmed yet: again
    assert await bot.get_updates(offset=update.update_id + 1) == ()
    assert tg.pending_updates() == []


async def test_group_privacy_and_admins(tg: FakeTelegram, bot: Bot, media: Path) -> None:
    ann, bob = tg.add_user("Ann"), tg.add_user("Bob")
    group = tg.add_group("Band", members=[ann], admins=[bob])
    video = tg.send_video(ann, media / "h264-no-audio-2s.mp4", chat=group)
    tg.send_text(ann, "nice one", chat=group)
    tg.send_text(ann, "/riff@OtherBot jazz", chat=group, reply_to=video)
    tg.send_text(bob, "/riff jazz", chat=group, reply_to=video)
    tg.send_video(ann, media / "h264-no-audio-2s.mp4", chat=group, caption="/riff lofi")
    updates = await bot.get_updates()
    assert [u.message.text or u.message.caption for u in updates if u.message] == ["/riff jazz", "/riff lofi"]
    assert len(tg.undelivered) == 3
    assert updates[0].message is not None and updates[0].message.reply_to_message is not None
    assert updates[0].message.reply_to_message.video is not None

    assert (await bot.get_chat_member(group.id, bob.id)).status == "administrator"
    assert (await bot.get_chat_member(group.id, ann.id)).status == "member"


async def test_callback_round_trip_through_an_application(tg: FakeTelegram) -> None:
    ann = tg.add_user("Ann")
    tg.private_chat(ann)

    async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Starting")
        await query.edit_message_text(f"You chose {query.data}")

    app = ApplicationBuilder().token(tg.token).base_url(tg.base_url).base_file_url(tg.base_file_url).build()
    app.add_handler(CallbackQueryHandler(on_press))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            await _press_and_check(tg, app.bot, ann)
        finally:
            await app.updater.stop()
            await app.stop()
    assert tg.pending_updates() == []


async def _press_and_check(tg: FakeTelegram, bot: Bot, ann: FakeUser) -> None:
    card = await bot.send_message(ann.id, "Ready", reply_markup=_keyboard("Generate", "Settings"))
    query_id = tg.press(ann, tg.message(ann, card.message_id), "Generate")
    answer = await tg.wait_until(lambda: tg.callback_answer(query_id), what="answerCallbackQuery")
    assert answer["text"] == "Starting"
    edited = await tg.wait_for_bot_message(ann, lambda m: m.text == "You chose cb:Generate")
    assert edited.message_id == card.message_id and edited.reply_markup is None
    with pytest.raises(LookupError):
        tg.press(ann, edited, "Generate")  # the edit removed the keyboard


async def test_user_media_arrive_as_telegram_sends_them(tg: FakeTelegram, bot: Bot, media: Path) -> None:
    ann = tg.add_user("Ann")
    tg.send_document(ann, media / "mjpeg-pcm-1.5s.mov", mime_type="video/quicktime", caption="as a file")
    note = tg.send_video_note(ann, media / "h264-no-audio-2s.mp4")
    tg.send_animation(ann, media / "h264-no-audio-2s.mp4")
    tg.send_video(ann, media / "h264-aac-rotated-vertical-10s.mp4")
    document, video_note, animation, video = [u.message for u in await bot.get_updates()]
    assert document and document.document and document.document.mime_type == "video/quicktime"
    assert document.caption == "as a file" and document.document.file_name == "mjpeg-pcm-1.5s.mov"
    assert video_note and video_note.video_note and video_note.video_note.length == 480
    assert animation and animation.animation and animation.document  # Telegram sets both
    assert video and video.video and (video.video.width, video.video.height) == (544, 1280)  # display size

    telegram_file = await bot.get_file(video_note.video_note.file_id)
    assert bytes(await telegram_file.download_as_bytearray()) == (media / "h264-no-audio-2s.mp4").read_bytes()
    assert tg.file(video_note.video_note.file_id).path == (media / "h264-no-audio-2s.mp4").resolve()
    assert note.media_type == "video_note"


async def test_two_pollers_conflict_and_reply_latency(tg: FakeTelegram, bot: Bot) -> None:
    ann = tg.add_user("Ann")
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await tg.wait_until(lambda: tg.calls_of("getUpdates"), what="the first long poll")
    async with Bot(tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url) as second_bot:
        second = asyncio.create_task(second_bot.get_updates(timeout=5))
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await first
        message = tg.send_text(ann, "/status")
        (update,) = await second
    assert update.message is not None and update.message.text == "/status"
    await bot.send_message(ann.id, "Job 3: generating")
    call, latency = await tg.wait_for_reply(message)
    assert call.params["text"] == "Job 3: generating" and latency > 0


async def test_commands_delete_and_webhook_delivery(tg: FakeTelegram, bot: Bot) -> None:
    ann = tg.add_user("Ann")
    await bot.set_my_commands([("start", "What this bot does"), ("parts", "Number of parts")])
    assert tg.default_commands() == ["start", "parts"]
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([("Bad-Name", "nope")])

    message = tg.send_text(ann, "hello")
    await bot.delete_message(ann.id, message.message_id)
    assert tg.chat_view(ann) == []
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(ann.id, message.message_id)
    (hello,) = await bot.get_updates(offset=-1)  # the last update; those before it are forgotten
    await bot.get_updates(offset=hello.update_id + 1)  # confirms it

    received: list[tuple[str | None, dict[str, object]]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.Response(status=500 if len(received) == 1 else 200)  # the first post fails: retried

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        assert await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret")
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates()
        tg.send_text(ann, "/start")
        tg.send_text(ann, "/help")
        await tg.wait_until(lambda: len(received) == 3, what="three webhook posts")
        assert [(secret, body["message"]["text"]) for secret, body in received] == [  # type: ignore[index]
            ("s3cret", "/start"),
            ("s3cret", "/start"),
            ("s3cret", "/help"),
        ]
        info = await bot.get_webhook_info()
        assert info.pending_update_count == 0 and "500" in (info.last_error_message or "")
        assert await bot.delete_webhook()
        assert await bot.get_updates() == ()
    finally:
        await runner.cleanup()


async def test_local_mode_exchanges_files_by_path(tmp_path: Path, media: Path) -> None:
    async with FakeTelegram(local_mode=True) as tg:
        ann = tg.add_user("Ann")
        tg.private_chat(ann)
        big = tg.register_file(media / VIDEO, kind="video", file_size=300 * 1024 * 1024)
        async with Bot(tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url, local_mode=True) as bot:
            telegram_file = await bot.get_file(big.file_id)  # no 20 MB limit
            assert telegram_file.file_path == str((media / VIDEO).resolve())
            assert bytes(await telegram_file.download_as_bytearray()) == (media / VIDEO).read_bytes()

            result = tmp_path / "result.mp4"
            result.write_bytes(b"result bytes")
            await bot.send_video(ann.id, result, duration=1)
            call = tg.calls_of("sendVideo")[0]
            assert call.params["video"] == result.as_uri()  # PTB sends the path, not the bytes
            result.unlink()  # the bot cleans up: what Telegram took is kept
            assert call.files["video"].data == b"result bytes"


async def test_dropped_connections_long_floods_and_failed_downloads(tg: FakeTelegram, bot: Bot, media: Path) -> None:
    ann = tg.add_user("Ann")
    tg.private_chat(ann)
    tg.drop("sendMessage")  # before the method runs: nothing is posted
    with pytest.raises(NetworkError):
        await bot.send_message(ann.id, "lost on the way")
    assert tg.bot_messages(ann) == []
    tg.drop("sendMessage", handled=True)  # after it ran: posted, but the answer is lost
    with pytest.raises(NetworkError):
        await bot.send_message(ann.id, "arrived, answer lost")
    assert [m.text for m in tg.bot_messages(ann)] == ["arrived, answer lost"]
    assert [c.status for c in tg.calls_of("sendMessage")] == [0, 0]

    tg.flood("sendMessage", seconds=95, retry_after=None)  # Telegram says how long the flood lasts
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(ann.id, "flooded")
    wait = caught.value.retry_after
    assert isinstance(wait, dtm.timedelta) and dtm.timedelta(seconds=90) <= wait <= dtm.timedelta(seconds=95)
    tg.clear_faults()

    stored = tg.register_file(media / VIDEO, kind="video")
    telegram_file = await bot.get_file(stored.file_id)
    tg.fail(DOWNLOAD, error_code=500, description="Internal Server Error")
    with pytest.raises(NetworkError):
        await telegram_file.download_as_bytearray()
    tg.drop(DOWNLOAD)
    with pytest.raises(NetworkError):
        await telegram_file.download_as_bytearray()
    assert tg.failed_downloads == [(stored.file_path, 500), (stored.file_path, 0)]
    assert bytes(await telegram_file.download_as_bytearray()) == (media / VIDEO).read_bytes()
    tg.flood(seconds=5.0)  # every method: downloads are only affected when named
    assert bytes(await telegram_file.download_as_bytearray()) == (media / VIDEO).read_bytes()
