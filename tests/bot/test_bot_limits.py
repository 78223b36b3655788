"""The operator's limits in the bot: a video over one is refused on arrival with the sentence that names it, the
bot never picks, offers or accepts more than MAX_PARTS parts, and the part picker pages instead of growing.

The hostile videos are made here with ffmpeg: three hours of 16x16 pixels (a few hundred KB) and a 1x30000 picture.
"""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.callbacks import CardAction, CardPress, JobAction, JobPress, video_tag
from bot.keyboards import PICKER_PAGE, pick_part_keyboard
from tests.bot.bot_harness import BotUnderTest
from tests.fake_telegram import FakeTelegram, FakeUser, ViewMessage

THREE_HOURS = 3 * 3600


def _make(path: Path, *args: str) -> Path:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", *args, str(path)], check=True, timeout=300)
    return path


@pytest.fixture(scope="module")
def three_hours(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3-hour video that weighs almost nothing: 16x16 pixels, one frame a second."""
    source = f"color=black:s=16x16:r=1:d={THREE_HOURS}"
    return _make(tmp_path_factory.mktemp("long") / "three-hours.mp4", "-f", "lavfi", "-i", source,
                 "-c:v", "libx264", "-preset", "ultrafast", "-g", "600")  # fmt: skip


@pytest.fixture(scope="module")
def thin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One pixel wide, 30,000 tall: readable, but no encoder or player takes it."""
    source = "color=black:s=2x30000:r=1:d=1,format=gray,crop=1:30000:0:0"
    return _make(tmp_path_factory.mktemp("thin") / "thin.mkv", "-f", "lavfi", "-i", source, "-c:v", "ffv1")


async def answer_to_video(bot: BotUnderTest, user: FakeUser, path: Path) -> ViewMessage:
    sent = bot.tg.send_video(user, path)
    return await bot.answer_to(sent, lambda m: "Checking" not in m.content, wait_s=120)


@pytest.fixture
async def lifted_bot(tg: FakeTelegram, bot_settings: dict[str, Any]) -> AsyncIterator[BotUnderTest]:
    """An operator who lifted MAX_VIDEO_SECONDS to 20,000 s and kept MAX_PARTS at 60."""
    async with BotUnderTest(tg, {**bot_settings, "max_video_seconds": 20_000, "max_parts": 60}) as bot:
        yield bot


@pytest.fixture
async def three_parts_bot(tg: FakeTelegram, bot_settings: dict[str, Any]) -> AsyncIterator[BotUnderTest]:
    async with BotUnderTest(tg, {**bot_settings, "max_parts": 3}) as bot:
        yield bot


async def test_videos_over_the_limits_are_refused_on_arrival(
    bot: BotUnderTest, tg: FakeTelegram, three_hours: Path, thin: Path
) -> None:
    ann = tg.add_user("Ann")
    long = await answer_to_video(bot, ann, three_hours)
    assert long.content == "three-hours.mp4 lasts 03:00:00; the longest video accepted is 00:10:00."
    tall = await answer_to_video(bot, ann, thin)
    assert tall.content == "thin.mkv is 1x30000 pixels; no side may be longer than 8192 pixels."
    assert "no video here" in (await bot.say(ann, "/status")).content  # neither became the current video


async def test_the_bot_never_picks_more_parts_than_max_parts(
    lifted_bot: BotUnderTest, tg: FakeTelegram, three_hours: Path
) -> None:
    """Three hours need 180 parts of 60 s: with MAX_VIDEO_SECONDS lifted, MAX_PARTS still refuses the video
    instead of the bot choosing 180 parts on its own (layer did, and sent 18 albums)."""
    ann = tg.add_user("Ann")
    answer = await answer_to_video(lifted_bot, ann, three_hours)
    assert answer.content == (
        "The video lasts 03:00:00, too long for 60 parts (the most accepted) of at most 60 s (00:01:00) each."
    )
    assert "no video here" in (await lifted_bot.say(ann, "/status")).content


async def test_parts_over_max_parts_are_refused_by_command_and_by_button(
    three_parts_bot: BotUnderTest, tg: FakeTelegram, video: Path
) -> None:
    """A 7 s video could be cut into 7 parts of 1 s; with MAX_PARTS=3, 3 is the most anyone gets."""
    bot = three_parts_bot
    ann = tg.add_user("Ann")
    sent = tg.send_video(ann, video, caption="calm piano")
    await bot.answer_to(sent, lambda m: "Ready" in m.content)
    for asked in ("4", "10800", "36000", "99999999999999999999"):
        answer = await bot.say(ann, f"/parts {asked}")
        assert answer.content == f"{asked} parts are too many; the most accepted is 3."
    card = await bot.say(ann, "/parts 3")
    assert "Parts: 3" in card.content and "✂️ +" not in card.button_texts  # the card offers no more
    forged = CardPress(CardAction.PARTS, 5, video_tag(tg.file(sent.file_id or "").file_unique_id), ann.id)
    query = tg.forge_press(ann, forged.encode(), card)
    await tg.wait_until(lambda: query in tg.callback_answers)
    assert tg.callback_answers[query]["text"] == "5 parts are too many; the most accepted is 3."
    assert "Parts: 3" in tg.message(ann, card.message_id).content


def test_the_part_picker_pages_within_telegrams_limits() -> None:
    """60 parts (MAX_PARTS' default): pages of 20 parts and a row to turn them, never a 59-button keyboard."""
    seen: list[int] = []
    page, pages = 0, 3
    while True:
        rows = pick_part_keyboard(7, 60, 3, page).inline_keyboard
        parts = [JobPress.decode(b.callback_data) for row in rows[:-1] for b in row]
        turn = [JobPress.decode(b.callback_data) for b in rows[-1]]
        assert len(parts) <= PICKER_PAGE and all(len(row) <= 5 for row in rows)
        assert all(p.action is JobAction.RUN_PART for p in parts)
        assert all(p.action is JobAction.PICK_PAGE for p in turn)
        assert f"{page + 1}/{pages}" in [b.text for b in rows[-1]]
        seen += [p.part for p in parts]
        if page == pages - 1:
            break
        page += 1
    assert seen == [k for k in range(1, 61) if k != 3]
    assert len(pick_part_keyboard(7, 7, 3).inline_keyboard) == 2  # few parts: one page, no row to turn it
