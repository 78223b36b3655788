"""The whole private flow over HTTP: /start to the zip, with the tiny model."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.probe import probe
from tests.bot.bot_harness import BotUnderTest
from tests.bot.bot_media_checks import audio_span, probe_all, sound_likeness, unpack
from tests.fake_telegram import FakeTelegram

pytestmark = pytest.mark.slow  # each test runs whole jobs


async def test_start_to_zip(bot: BotUnderTest, tg: FakeTelegram, video: Path, tmp_path: Path) -> None:
    source = await probe(video)
    ann = tg.add_user("Ann")
    await bot.say(ann, "/start")
    assert "Diffusion steps: 2" in (await bot.say(ann, "/set steps 2")).content
    sent = tg.send_video(ann, video, caption="calm piano")
    card = await bot.answer_to(sent, lambda m: "Ready" in m.content)
    tg.press(ann, card, "✂️ +")
    await tg.wait_until(lambda: "2 × " in tg.message(ann, card.message_id).content)
    tg.press(ann, card, "🎯 +")
    await tg.wait_until(lambda: "Chosen part: 2 of 2" in tg.message(ann, card.message_id).content)
    since = tg.mark()
    query = tg.press(ann, card, "Split-n-Generate")
    answer = await tg.wait_until(lambda: tg.callback_answer(query))
    assert "queued" in answer.get("text", "")

    zip_call = await tg.wait_for_call("sendDocument", chat=ann.id, since=since, timeout=180)
    files = unpack(zip_call.files["document"].data, tmp_path / "zip")
    infos = await probe_all(files)
    assert sorted(infos) == ["part-1-of-2.mp4", "part-2-of-2-new-music.mp4"], sorted(infos)
    half = source.duration / 2
    for name, info in infos.items():
        assert abs(info.duration - half) <= max(0.5, 0.1 * half), (name, info.duration, half)
    chosen = files["part-2-of-2-new-music.mp4"]
    assert infos["part-2-of-2-new-music.mp4"].audio_codec == "aac"
    assert abs(await audio_span(chosen) - infos["part-2-of-2-new-music.mp4"].duration) < 0.1

    # the chosen part as a playable video, with what makes it again in its caption and the buttons
    result = next(c for c in tg.calls_of("sendVideo", chat=ann.id) if c.index > since and "seed" in c.content)
    assert result.params["supports_streaming"] is True
    assert result.params["width"] == 320 and result.params["height"] == 240
    assert result.params["duration"] == round(infos["part-2-of-2-new-music.mp4"].duration)
    assert result.params["thumbnail"].removeprefix("attach://") in result.files  # a JPEG thumbnail went along
    assert "calm piano" in result.content and "steps 2" in result.content
    assert result.params["reply_parameters"]["message_id"] == sent.message_id  # a reply to the member's video
    music_call = next(c for c in tg.calls_of("sendAudio", chat=ann.id) if c.ok and c.index > since)
    music = tmp_path / "music.m4a"
    music.write_bytes(music_call.files["audio"].data)
    # the chosen part's sound is the music that was sent (normalised and faded, so alike, not equal)
    # (the old check, that it differs from part 1's sound, held whatever the chosen part carried)
    likeness = await sound_likeness(chosen, music)
    assert likeness > 0.9, likeness
    # the chosen part is not sent again: the one other part comes as a video of its own, not an album
    assert not [c for c in tg.calls_of("sendMediaGroup", chat=ann.id) if c.index > since]
    others = [c for c in tg.calls_of("sendVideo", chat=ann.id) if c.index > since and c.content == "1/2"]
    assert len(others) == 1
    progress = await tg.wait_for_bot_message(ann, lambda m: "done in" in m.content, timeout=30)
    assert progress.reply_markup is None or "Cancel" not in str(progress.reply_markup)
