"""Every bad input gets one clear sentence, and nothing already saved is lost."""

from __future__ import annotations

from pathlib import Path

from tests.bot.bot_harness import BotUnderTest
from tests.fake_telegram import FakeTelegram


async def test_bad_files(bot: BotUnderTest, tg: FakeTelegram, media: Path, video: Path) -> None:
    ann = tg.add_user("Ann")
    # a text file sent as a document
    sent = tg.send_document(ann, b"just some notes\n", file_name="notes.txt", mime_type="text/plain")
    assert "not a video" in (await bot.answer_to(sent)).content
    # a file with a video type that is not a video inside
    sent = tg.send_document(ann, b"GIF89a not really", file_name="clip.mp4", mime_type="video/mp4")
    answer = await bot.answer_to(sent, lambda m: "Checking" not in m.content)
    assert "clip.mp4" in answer.content and "Parts" not in answer.content
    # a damaged upload: its header claims 1132 s, it holds 1.5 s
    sent = tg.send_document(ann, media / "truncated-corrupt.mkv", mime_type="video/x-matroska")
    answer = await bot.answer_to(sent, lambda m: "Checking" not in m.content)
    assert "damaged" in answer.content and "Parts" not in answer.content
    # 0.07 s: too short for any number of parts
    sent = tg.send_video(ann, media / "audio-stream-first-0.07s.mp4")
    answer = await bot.answer_to(sent, lambda m: "Checking" not in m.content)
    assert "too short to split" in answer.content
    # over the 20 MB a bot may download: refused before any download
    downloads = len(tg.downloads)
    sent = tg.send_video(ann, video, file_size=25 * 1024 * 1024)
    answer = await bot.answer_to(sent, lambda m: "Checking" not in m.content)
    assert "20 MB" in answer.content and "local Bot API server" in answer.content
    assert len(tg.downloads) == downloads
    # none of that replaced nothing: there is still no video, and /status says so
    assert "no video here yet" in (await bot.say(ann, "/status")).content


async def test_kept_video_survives_bad_input(bot: BotUnderTest, tg: FakeTelegram, media: Path, video: Path) -> None:
    ann = tg.add_user("Ann")
    sent = tg.send_video(ann, video, caption="calm piano")
    await bot.answer_to(sent, lambda m: "Ready" in m.content)
    sent = tg.send_document(ann, b"hello", file_name="notes.txt", mime_type="text/plain")
    await bot.answer_to(sent)
    refusals = {
        "/parts 0": "must be at least 1",
        "/parts 50": "would be too short",
        "/parts 99": "too many; the most accepted is 60",  # MAX_PARTS
        "/parts two": "'two' is not",
        "/part 5": "5 is not",
    }
    for bad, words in refusals.items():
        answer = await bot.say(ann, bad)
        assert words in answer.content and "Ready" not in answer.content, (bad, answer.text)
    status = await bot.say(ann, "/status")
    assert "calm piano" in status.content and "Ready" in status.content


async def test_silent_video_with_remix_on(bot: BotUnderTest, tg: FakeTelegram, media: Path) -> None:
    ann = tg.add_user("Ann")
    assert "0.5" in (await bot.say(ann, "/set remix 0.5")).content
    sent = tg.send_video(ann, media / "h264-no-audio-2s.mp4", caption="calm piano")
    card = await bot.answer_to(sent, lambda m: "Parts" in m.content)
    assert "no sound" in card.content and "Split-n-Generate" not in str(card.reply_markup)
    await bot.restart()  # the video's lack of sound is stored with it, not only in the running bot's memory
    card = await bot.say(ann, "/status")
    assert "calm piano" in card.content
    assert "no sound" in card.content and "Split-n-Generate" not in str(card.reply_markup)
    refused = await bot.say(ann, "/generate")
    assert "no sound" in refused.content
    await bot.say(ann, "/set remix off")
    card = await bot.say(ann, "/status")
    assert "Split-n-Generate" in str(card.reply_markup)


async def test_round_video_and_animation_are_taken(
    bot: BotUnderTest, tg: FakeTelegram, media: Path, video: Path
) -> None:
    ann = tg.add_user("Ann")
    sent = tg.send_video_note(ann, video)
    card = await bot.answer_to(sent, lambda m: "Checking" not in m.content)
    assert "Parts: 1 ×" in card.content and "none yet" in card.content
    sent = tg.send_animation(ann, media / "h264-no-audio-2s.mp4", caption="soft synth pad")
    card = await bot.answer_to(sent, lambda m: "Checking" not in m.content)
    assert "soft synth pad" in card.content and "2.00 s" in card.content
