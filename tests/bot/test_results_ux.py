"""What a member gets back: the chosen part once, the other parts as one album, music that plays in Telegram's
player (M4A with the prompt as its title and the music's spectrogram as its cover), the full cut opening at the
chosen part, the zip last, chat actions while uploading; and several takes to pick from, made in one diffusion
call, the one picked delivered."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from engine.generator import Generator
from engine.probe import probe
from storage.jobs_repo import get_job
from storage.models import JobState
from tests.bot.bot_harness import BotUnderTest, ready_card, wait_for_zip
from tests.bot.bot_media_checks import pcm, sound_likeness
from tests.fake_telegram import Call, FakeTelegram

pytestmark = pytest.mark.slow  # whole jobs

UPLOADS = ("sendVideo", "sendAudio", "sendDocument", "sendMediaGroup", "sendPhoto")


async def codec_and_format(path: Path) -> tuple[str, str]:
    process = await asyncio.create_subprocess_exec(
        "ffprobe", "-v", "error", "-show_entries", "stream=codec_name:format=format_name", "-of", "json", str(path),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await process.communicate()
    found = json.loads(out)
    return found["streams"][0]["codec_name"], found["format"]["format_name"]


def uploads_since(tg: FakeTelegram, chat_id: int, since: int) -> list[Call]:
    return [c for c in tg.calls[since:] if c.method in UPLOADS and c.ok and c.chat_id == chat_id]


async def test_one_result_one_album_m4a_music_full_cut_at_the_part_zip_last(
    bot: BotUnderTest, tg: FakeTelegram, video: Path, tmp_path: Path
) -> None:
    ann = tg.add_user("Ann")
    await bot.say(ann, "/set full_cut on")
    card = await ready_card(bot, ann, video, parts=3, previews=3)
    tg.press(ann, card, "🎯 +")
    await tg.wait_until(lambda: "Chosen part: 2 of 3" in tg.message(ann, card.message_id).content)
    since = tg.mark()
    tg.press(ann, card, "Split-n-Generate")
    await wait_for_zip(tg, ann.id, since)
    await bot.settled()
    sent = uploads_since(tg, ann.id, since)
    assert [c.method for c in sent] == ["sendVideo", "sendAudio", "sendMediaGroup", "sendVideo", "sendDocument"]
    result, music, album, full_cut, _zip = sent

    # the chosen part once: the album holds the two other parts only
    assert "seed" in result.content
    assert [item.get("caption") for item in album.params["media"]] == ["1/3", "3/3"]

    # the music: an M4A (AAC) with the prompt as its title, a performer, its duration and a square cover
    audio = music.files["audio"]
    assert audio.file_name and audio.file_name.endswith(".m4a")
    (tmp_path / "music.m4a").write_bytes(audio.data)
    assert await codec_and_format(tmp_path / "music.m4a") == ("aac", "mov,mp4,m4a,3gp,3g2,mj2")
    assert len(await pcm(tmp_path / "music.m4a")) > 8000  # it decodes to sound
    assert music.params["title"] == "calm piano" and music.params["performer"]
    assert music.params["duration"] >= 2
    cover = Image.open(io.BytesIO(music.files[music.params["thumbnail"].removeprefix("attach://")].data))
    assert cover.width == cover.height <= 320 and cover.format == "JPEG"

    # the full cut opens where the chosen part starts, with a frame of that part as its cover
    source = await probe(video)
    assert full_cut.params["start_timestamp"] == int(source.duration / 3)
    assert full_cut.params["cover"].removeprefix("attach://") in full_cut.files
    assert full_cut.result["video"]["start_timestamp"] == int(source.duration / 3)

    # while files upload, the chat says so
    actions = {action for chat, action in tg.chat_actions if chat == ann.id}
    assert {"upload_video", "upload_document"} <= actions


@pytest.fixture
def diffusion_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The batch size of every text-to-image diffusion call made while the test runs."""
    from diffusers import StableDiffusionPipeline

    calls: list[int] = []
    original = StableDiffusionPipeline.__call__

    def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        prompt = kwargs.get("prompt")
        calls.append(len(prompt) if isinstance(prompt, list) else 1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(StableDiffusionPipeline, "__call__", counting)
    yield calls


async def test_three_takes_from_one_diffusion_call_and_the_one_picked_delivered(
    bot: BotUnderTest, tg: FakeTelegram, tiny_video: Path, tmp_path: Path, diffusion_calls: list[int]
) -> None:
    assert Generator._loaded  # the bot's generator, on the tiny model
    ann = tg.add_user("Ann")
    await bot.say(ann, "/set takes 3")
    card = await ready_card(bot, ann, tiny_video, previews=0)
    since = tg.mark()
    tg.press(ann, card, "Split-n-Generate")

    def takes_sent() -> list[Call] | None:
        found = [c for c in uploads_since(tg, ann.id, since) if c.method == "sendVideo" and "Take" in c.content]
        return found if len(found) == 3 else None

    clips = await tg.wait_until(takes_sent, 180, what="three takes")
    assert diffusion_calls == [3]  # one call, the three takes in its batch
    progress = await tg.wait_for_bot_message(ann, lambda m: "takes are ready" in m.content, timeout=30)
    await bot.runner.wait_idle()  # nothing runs or waits in the queue while Ann chooses
    assert bot.runner.running_ids() == [] and bot.runner.queued_ids() == []
    messages = {c.result["message_id"]: c for c in clips}
    job_id = int(progress.content.split("#")[1].split(":")[0])
    job = await get_job(bot.services.db, job_id)
    assert job is not None and job.state == JobState.CHOOSING
    for number, clip in enumerate(clips, start=1):
        assert f"Take {number} of 3" in clip.content
        (tmp_path / f"take-{number}.mp4").write_bytes(clip.files["video"].data)

    pick = next(mid for mid, c in messages.items() if "Take 2 of 3" in c.content)
    before = tg.mark()
    tg.press(ann, pick, "Use this take", chat=ann.id)
    await wait_for_zip(tg, ann.id, before)
    await bot.settled()
    assert diffusion_calls == [3]  # the take picked was not made again
    result = next(c for c in uploads_since(tg, ann.id, before) if c.method == "sendVideo")
    (tmp_path / "result.mp4").write_bytes(result.files["video"].data)
    likeness = [await sound_likeness(tmp_path / "result.mp4", tmp_path / f"take-{n}.mp4") for n in (1, 2, 3)]
    assert likeness[1] > 0.9 and likeness[1] > likeness[0] + 0.3 and likeness[1] > likeness[2] + 0.3, likeness
    job = await get_job(bot.services.db, job_id)
    assert job is not None and job.state == JobState.DONE and job.chosen_take == 2
    assert "take 2 of 3" in (await bot.say(ann, "/history")).content
